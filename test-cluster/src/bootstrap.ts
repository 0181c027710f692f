import { HOST } from './node-launcher.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { parseClusterNodes, splitSlots } from './topology.js';
import { waitFor } from './wait.js';

/** Waits until every running node lists every id in `ids` as a full member (handshake done). */
export async function waitUntilKnown(cluster: ClusterInternals, records: readonly NodeRecord[], ids: readonly string[], timeoutMs: number): Promise<void> {
  await waitFor(async () => {
    const views = await Promise.all(records.map(async (record) => {
      const entries = parseClusterNodes(await cluster.send(record, ['CLUSTER', 'NODES'], { timeoutMs: 5_000 }));
      const missing = ids.filter((id) => !entries.some((entry) => entry.id === id && !entry.flags.includes('handshake')));
      return missing.length === 0 ? undefined : `${cluster.label(record)} does not know ${missing.join(', ')} yet`;
    }));
    const problem = views.find((view) => view !== undefined);
    if (problem) throw new Error(problem);
    return true;
  }, { timeoutMs, intervalMs: 100, description: 'the nodes to meet each other' });
}

/**
 * Forms the cluster the way `redis-cli --cluster create` does, but step by step so each step can
 * be waited on: distinct config epochs (no epoch collision to resolve), slots, MEET, REPLICATE.
 * Masters are the first `masters` records; replica j of master i is record masters + i*R + j.
 */
export async function formCluster(cluster: ClusterInternals, masters: number, replicasPerMaster: number, timeoutMs: number): Promise<void> {
  const records = cluster.records;
  const ranges = splitSlots(masters);
  await Promise.all(records.slice(0, masters).map(async (record, i) => {
    await cluster.send(record, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    await cluster.send(record, ['CLUSTER', 'ADDSLOTSRANGE', ranges[i].start, ranges[i].end]);
  }));
  const [first, ...others] = records;
  await Promise.all(others.map((record) => cluster.send(first, ['CLUSTER', 'MEET', HOST, record.port, record.busPort ?? 0])));
  await waitUntilKnown(cluster, records, records.map((record) => record.id), timeoutMs);
  await Promise.all(records.slice(masters).map((record, index) => {
    const master = records[Math.floor(index / replicasPerMaster)];
    return cluster.send(record, ['CLUSTER', 'REPLICATE', master.id]);
  }));
}
