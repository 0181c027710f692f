import { describe, expect, it } from 'vitest';
import { toClusterInfo, toClusterShards, toClusterSlots } from './replies.js';

describe('toClusterInfo', () => {
  it('gives integers as numbers and the rest as text, from a string or a Buffer', () => {
    const reply = 'cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\ncluster_my_epoch:1\r\n';
    const expected = { cluster_state: 'ok', cluster_slots_assigned: 16384, cluster_known_nodes: 6, cluster_my_epoch: 1 };
    expect(toClusterInfo(reply)).toEqual(expected);
    expect(toClusterInfo(Buffer.from(reply))).toEqual(expected);
  });
});

describe('toClusterShards', () => {
  it('shapes the RESP2 records with camel-cased names, from Buffers too', () => {
    const node = (buffers: boolean) => {
      const b = (s: string) => (buffers ? Buffer.from(s) : s);
      return [
        b('id'), b('5ae0'), b('port'), 20227, b('ip'), b('127.0.0.1'), b('endpoint'), b('127.0.0.1'),
        b('hostname'), b('node-a.example'), b('role'), b('master'), b('replication-offset'), 42, b('health'), b('online'),
      ];
    };
    for (const buffers of [false, true]) {
      const reply = [['slots', [0, 5460, 6000, 6001], 'nodes', [node(buffers)]]];
      expect(toClusterShards(reply)).toEqual([
        {
          slots: [[0, 5460], [6000, 6001]],
          nodes: [{ id: '5ae0', port: 20227, ip: '127.0.0.1', endpoint: '127.0.0.1', hostname: 'node-a.example', role: 'master', replicationOffset: 42, health: 'online' }],
        },
      ]);
    }
  });
});

describe('toClusterSlots', () => {
  it('shapes ranges with master, replicas and their metadata', () => {
    const reply = [
      [0, 5460, ['127.0.0.1', 20227, 'aaaa', ['hostname', 'node-a.example']], ['127.0.0.1', 26267, 'bbbb', []]],
      [5461, 10921, ['127.0.0.1', 29931, 'cccc']],
    ];
    expect(toClusterSlots(reply)).toEqual([
      {
        start: 0,
        end: 5460,
        master: { host: '127.0.0.1', port: 20227, id: 'aaaa', metadata: { hostname: 'node-a.example' } },
        replicas: [{ host: '127.0.0.1', port: 26267, id: 'bbbb', metadata: {} }],
      },
      { start: 5461, end: 10921, master: { host: '127.0.0.1', port: 29931, id: 'cccc', metadata: {} }, replicas: [] },
    ]);
  });
});
