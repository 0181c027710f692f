import { describe, expect, it } from 'vitest';
import { RedisError } from '@hashslot/resp';
import { parseClusterNodes } from './cluster-nodes.js';

// Captured from Redis 7.0.15: slot 0 migrating, cluster-announce-hostname set on the answering node.
const REDIS_7_0 = [
  '5de18f98397dac6959918914f4870a05f88ae49e 127.0.0.1:30720@20312 slave 2df33aca92159a015727debc1562ebb97d0919c2 0 1795548921105 3 connected',
  '5e953c10016b916bcc78a76de31c2841675bfb21 127.0.0.1:29931@32617 master - 0 1795548921105 2 connected 5461-10921',
  '5ae07bf208becebc40beb54b5857558406f9d295 127.0.0.1:20227@25369,node-a.example myself,master - 0 1795548921000 1 connected 0-5460 [0->-5e953c10016b916bcc78a76de31c2841675bfb21]',
  '',
].join('\n');

describe('parseClusterNodes', () => {
  it('parses every field of a Redis 7.0 reply', () => {
    const [replica, master, myself] = parseClusterNodes(REDIS_7_0);
    expect(replica).toEqual({
      id: '5de18f98397dac6959918914f4870a05f88ae49e',
      address: '127.0.0.1:30720',
      host: '127.0.0.1',
      port: 30720,
      busPort: 20312,
      hostname: undefined,
      flags: ['slave'],
      myself: false,
      role: 'replica',
      masterId: '2df33aca92159a015727debc1562ebb97d0919c2',
      pingSent: 0,
      pongReceived: 1795548921105,
      configEpoch: 3,
      linkState: 'connected',
      slots: [],
      migrating: [],
      importing: [],
    });
    expect(master).toMatchObject({ role: 'master', masterId: undefined, slots: [[5461, 10921]], flags: ['master'] });
    expect(myself).toMatchObject({
      myself: true,
      hostname: 'node-a.example',
      busPort: 25369,
      flags: ['myself', 'master'],
      slots: [[0, 5460]],
      migrating: [{ slot: 0, nodeId: '5e953c10016b916bcc78a76de31c2841675bfb21' }],
      importing: [],
    });
  });

  it('reads single slots, importing markers, failure flags and disconnected links', () => {
    const [node] = parseClusterNodes(
      'aaaa 10.0.0.1:7000@17000 master,fail? - 1700000000000 1700000000001 7 disconnected 0 5-9 16383 [42-<-bbbb]\n',
    );
    expect(node).toMatchObject({
      flags: ['master', 'fail?'],
      linkState: 'disconnected',
      pingSent: 1700000000000,
      slots: [[0, 0], [5, 9], [16383, 16383]],
      importing: [{ slot: 42, nodeId: 'bbbb' }],
    });
  });

  it('splits IPv6 addresses at the last colon, and reads nodes without an address', () => {
    const [v6, noaddr] = parseClusterNodes(
      [
        'cccc 2001:db8::1:7000@17000 slave aaaa 0 0 1 connected',
        'dddd :0@0 master,noaddr - 0 0 0 disconnected',
      ].join('\n'),
    );
    expect(v6).toMatchObject({ address: '2001:db8::1:7000', host: '2001:db8::1', port: 7000, busPort: 17000, role: 'replica' });
    expect(noaddr).toMatchObject({ address: ':0', host: '', port: 0, flags: ['master', 'noaddr'] });
  });

  it('takes the hostname and skips the auxiliary fields of Redis 7.2', () => {
    const [named, unnamed] = parseClusterNodes(
      [
        'eeee 127.0.0.1:30001@31001,node-1,shard-id=abc,tls-port=0 master - 0 0 1 connected 0-100',
        'ffff 127.0.0.1:30002@31002,,shard-id=abc master - 0 0 2 connected',
      ].join('\r\n'),
    );
    expect(named).toMatchObject({ hostname: 'node-1', busPort: 31001, slots: [[0, 100]] });
    expect(unnamed).toMatchObject({ hostname: undefined, busPort: 31002, port: 30002 });
  });

  it('throws on text that is not CLUSTER NODES output', () => {
    expect(() => parseClusterNodes('ERR This instance has cluster support disabled')).toThrow(RedisError);
    expect(parseClusterNodes('')).toEqual([]);
  });
});
