import type { TestProject } from 'vitest/node';
import { startCluster } from './cluster.js';
import type { SharedClusterInfo } from './shared.js';

/**
 * Vitest global setup of the `integration` project: one cluster (3 masters, 1 replica each) for
 * the whole run, described to test files through `provide`/`inject`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  const info: SharedClusterInfo = {
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
