/** A cluster per scenario, and the small views of it the scenarios share. */
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type ClusterNode, type ClusterOptions, type Endpoint, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';

/**
 * Boots a cluster (3 masters, 1 replica each, node timeout 1 s, unless `options` says otherwise)
 * before the enclosing describe's tests and stops it after them: a fault that goes wrong half way
 * (an open slot, a node left out) must not spill into the next scenario.
 */
export function ownCluster(options: ClusterOptions = {}): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000, ...options });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  };
}

export function startupNodes(cluster: TestCluster): Endpoint[] {
  return cluster.startupNodes.map(({ host, port }) => ({ host, port }));
}

/** The master among `masters` that served `slot` at the cluster's last `refreshNodes()`. */
export function ownerIn(masters: readonly ClusterNode[], slot: number): ClusterNode | undefined {
  return masters.find((master) => master.slots.some(({ start, end }) => start <= slot && slot <= end));
}

/**
 * `perMaster` hash tags (`<prefix>:<n>`, the text between the braces) for each master in turn,
 * each in a different slot that master serves: master 0's first, then master 1's...
 */
export function tagsOnEveryMaster(cluster: TestCluster, prefix: string, perMaster: number): string[] {
  const tags: string[] = [];
  const slots = new Set<number>();
  for (const master of cluster.masters()) {
    let found = 0;
    for (let n = 0; found < perMaster; n++) {
      const tag = `${prefix}:${n}`;
      const slot = keySlot(tag);
      if (slots.has(slot) || ownerIn([master], slot) === undefined) continue;
      slots.add(slot);
      tags.push(tag);
      found++;
    }
  }
  return tags;
}

