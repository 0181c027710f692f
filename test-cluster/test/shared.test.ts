import { describe, expect, it } from 'vitest';
import { sharedCluster } from '../src/shared.js';
import { rawCli } from './helpers.js';

describe('the shared cluster from the global setup', () => {
  const info = sharedCluster();

  it('describes 3 masters with one replica each, as plain JSON', () => {
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    const masters = info.nodes.filter((node) => node.role === 'master');
    const replicas = info.nodes.filter((node) => node.role === 'replica');
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    for (const replica of replicas) expect(masters.map((m) => m.id)).toContain(replica.masterId);
    expect(info.startupNodes.map((n) => n.port).sort()).toEqual(info.nodes.map((n) => n.port).sort());
  });

  it('runs with a 5 s node timeout, so a node stalled by one test is not failed over under the others', async () => {
    expect(info.nodeTimeoutMs).toBe(5000);
    const { stdout } = await rawCli(['-p', String(info.startupNodes[0].port), 'CONFIG', 'GET', 'cluster-node-timeout']);
    expect(stdout).toBe('cluster-node-timeout\n5000');
  });

  it('is reachable and healthy from a test file', async () => {
    for (const node of info.nodes) {
      const reply = await rawCli(['-h', node.host, '-p', String(node.port), 'CLUSTER', 'MYID']);
      expect(reply.stdout).toBe(node.id);
    }
    const { stdout } = await rawCli(['-p', String(info.startupNodes[0].port), 'CLUSTER', 'INFO']);
    expect(stdout).toContain('cluster_state:ok');
  });
});
