import { InvalidOperationError } from './errors.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { killProcess, relaunchNode } from './node-launcher.js';
import { parseClusterNodes, parseInfo } from './topology.js';
import type { ClusterNode, FailoverMode, KillSignal } from './types.js';
import { waitFor } from './wait.js';

/** Ends the node's process and waits until it is gone. The cluster notices after node timeout. */
export async function kill(cluster: ClusterInternals, record: NodeRecord, signal: KillSignal = 'SIGKILL'): Promise<void> {
  await killProcess(record.proc, cluster.label(record), signal);
  record.status = 'stopped';
}

/** Freezes the process: connections stay open, nothing is answered (SIGSTOP, or docker pause). */
export async function pause(cluster: ClusterInternals, record: NodeRecord): Promise<void> {
  if (record.status !== 'running') throw new InvalidOperationError(`${cluster.label(record)} is ${record.status}, cannot pause it`);
  await record.proc.pause();
  record.status = 'paused';
}

export async function resume(cluster: ClusterInternals, record: NodeRecord): Promise<void> {
  if (record.status !== 'paused') throw new InvalidOperationError(`${cluster.label(record)} is ${record.status}, not paused`);
  await record.proc.resume();
  record.status = 'running';
}

/**
 * Starts the node again from its dir: same port, same node id (nodes.conf), no data (persistence
 * is off). A former master whose replica took over comes back as that replica's replica.
 */
export async function restart(cluster: ClusterInternals, record: NodeRecord): Promise<ClusterNode> {
  if (record.status !== 'stopped') await kill(cluster, record);
  record.proc = await relaunchNode(cluster.run, record);
  record.status = 'running';
  await cluster.waitForHealthy();
  return cluster.snapshot(record);
}

const FAILOVER_ARGS: Readonly<Record<FailoverMode, readonly string[]>> = {
  default: [],
  force: ['FORCE'],
  takeover: ['TAKEOVER'],
};

/** CLUSTER FAILOVER on a replica, then waits until it is master and the cluster is healthy again. */
export async function failover(cluster: ClusterInternals, record: NodeRecord, mode: FailoverMode, timeoutMs?: number): Promise<void> {
  const label = cluster.label(record);
  if (record.status !== 'running') throw new InvalidOperationError(`${label} is ${record.status}; only a running replica can fail over`);
  const me = parseClusterNodes(await cluster.send(record, ['CLUSTER', 'NODES'])).find((entry) => entry.myself);
  if (me?.role !== 'replica') throw new InvalidOperationError(`${label} is not a replica; CLUSTER FAILOVER runs on the replica to promote`);
  await cluster.send(record, ['CLUSTER', 'FAILOVER', ...FAILOVER_ARGS[mode]]);
  await waitFor(async () => {
    const [nodes, info] = await Promise.all([
      cluster.send(record, ['CLUSTER', 'NODES']),
      cluster.send(record, ['INFO', 'replication']),
    ]);
    const self = parseClusterNodes(nodes).find((entry) => entry.myself);
    return self?.role === 'master' && parseInfo(info).get('role') === 'master';
  }, {
    // A default failover waits for the master to catch up; an election takes up to ~2 node timeouts.
    // Capped at 30 s so that, with the health wait after it, the harness's error beats vitest's
    // 60 s test timeout.
    timeoutMs: timeoutMs ?? Math.min(30_000, Math.max(15_000, cluster.nodeTimeoutMs * 10)),
    intervalMs: 50,
    description: `${label} to be promoted by CLUSTER FAILOVER${mode === 'default' ? '' : ` ${mode.toUpperCase()}`}`,
  });
  await cluster.waitForHealthy();
}
