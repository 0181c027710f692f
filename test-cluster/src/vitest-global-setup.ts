import type { TestProject } from 'vitest/node';
import { startCluster } from './cluster.js';
import type { SharedClusterInfo } from './shared.js';

/**
 * The shared cluster's node timeout. Long, unlike the 1 s default of clusters that tests boot for
 * themselves: a test that stalls a shared node for a second or two (a slow client, a big
 * pipeline, a debugger) must not silently fail it over under every other file. Tests that want
 * failovers boot their own cluster.
 */
const SHARED_NODE_TIMEOUT_MS = 5_000;

/**
 * Vitest global setup of the `integration` project: one cluster (3 masters, 1 replica each) for
 * the whole run, described to test files through `provide`/`inject`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: SHARED_NODE_TIMEOUT_MS });
  const info: SharedClusterInfo = {
    nodeTimeoutMs: cluster.nodeTimeoutMs,
    startupNodes: cluster.startupNodes.map(({ host, port }) => ({ host, port })),
    nodes: cluster.nodes.map((node) => ({
      id: node.id,
      host: node.host,
      port: node.port,
      role: node.role,
      masterId: node.masterId ?? null,
    })),
  };
  project.provide('testCluster', info);
  return async () => {
    await cluster.stop();
  };
}
