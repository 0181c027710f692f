import { describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { Connection } from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import type { ReadFrom } from '@hashslot/cluster';
import { newClient } from './helpers.js';

/** `cmdstat_<command>` calls on every node of the shared cluster, by node id. */
async function calls(command: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of sharedCluster().nodes) {
    const conn = new Connection({ host: node.host, port: node.port });
    try {
      const info = String(await conn.send(['INFO', 'commandstats']));
      const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
      counts.set(node.id, match === null ? 0 : Number(match[1]));
    } finally {
      await conn.quit();
    }
  }
  return counts;
}

function delta(before: Map<string, number>, after: Map<string, number>, role: 'master' | 'replica'): number {
  return sharedCluster()
    .nodes.filter((node) => node.role === role)
    .reduce((sum, node) => sum + (after.get(node.id) ?? 0) - (before.get(node.id) ?? 0), 0);
}

describe.each<ReadFrom>(['replica', 'preferReplica'])('readFrom %s', (readFrom) => {
  it('sends reads to replicas and writes to masters, and a write never loops', async () => {
    const client = newClient({ startupNodes: sharedCluster().startupNodes.map(({ host, port }) => ({ host, port })), readFrom });
    const keys = Array.from({ length: 300 }, (_, i) => `read-from:${readFrom}:${i}`);
    const setsBefore = await calls('set');
    expect(await Promise.all(keys.map((key) => client.call('SET', key, key)))).toEqual(keys.map(() => 'OK'));
    const setsAfter = await calls('set');
    // Masters ran every SET (replicas replay them too, so only the masters' count is exact).
    expect(delta(setsBefore, setsAfter, 'master')).toBe(keys.length);

    const getsBefore = await calls('get');
    const values = await Promise.all(keys.map((key) => client.call('GET', key)));
    const getsAfter = await calls('get');
    expect(delta(getsBefore, getsAfter, 'master')).toBe(0);
    expect(delta(getsBefore, getsAfter, 'replica')).toBe(keys.length);
    // A replica may lag a few ms behind; every value read is the written one or not there yet.
    for (const [i, value] of values.entries()) expect([keys[i], null]).toContain(value);
    // Reads were spread over the replicas of all three shards.
    expect(new Set(keys.map((key) => client.masterOf(keySlot(key))?.id)).size).toBe(3);
  });
});
