import { rm } from 'node:fs/promises';
import { waitUntilKnown } from './bootstrap.js';
import { InvalidOperationError, TestClusterError, errorMessage } from './errors.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { liveRecords } from './internals.js';
import { HOST, killProcess, launchNode } from './node-launcher.js';
import { parseClusterNodes } from './topology.js';
import type { AddNodeOptions, ClusterNode } from './types.js';
import { waitFor } from './wait.js';

function requireNoPausedNodes(cluster: ClusterInternals, action: string): void {
  const paused = cluster.records.filter((record) => record.status === 'paused');
  if (paused.length > 0) {
    throw new InvalidOperationError(`cannot ${action} while ${paused.map((r) => cluster.label(r)).join(', ')} is paused: resume it first`);
  }
}

/** Boots a new node and introduces it with CLUSTER MEET; optionally makes it a replica. */
export async function addNode(cluster: ClusterInternals, options: AddNodeOptions): Promise<ClusterNode> {
  requireNoPausedNodes(cluster, 'add a node');
  const master = options.replicaOf === undefined ? undefined : cluster.record(options.replicaOf);
  if (master && (master.role !== 'master' || master.status !== 'running')) {
    throw new InvalidOperationError(`replicaOf ${cluster.label(master)} must be a running master`);
  }
  const introducer = liveRecords(cluster)[0];
  if (!introducer) throw new InvalidOperationError('no running node to introduce the new node to');

  const launched = await launchNode(cluster.run, cluster.nextNodeName(), { nodeTimeoutMs: cluster.nodeTimeoutMs });
  const record: NodeRecord = { ...launched, id: '', role: 'master', masterId: undefined, slots: [], status: 'running' };
  try {
    record.id = await cluster.send(record, ['CLUSTER', 'MYID']);
    // Registered before MEET so that health checks expect it from now on (and stop() kills it).
    cluster.records.push(record);
    await cluster.send(introducer, ['CLUSTER', 'MEET', HOST, record.port, record.busPort ?? 0]);
    const live = liveRecords(cluster);
    await waitUntilKnown(cluster, live, live.map((r) => r.id), 30_000);
    if (master) await cluster.send(record, ['CLUSTER', 'REPLICATE', master.id]);
    await cluster.waitForHealthy();
    return cluster.snapshot(record);
  } catch (error) {
    const problem = await undoAdd(cluster, record);
    if (problem === undefined) throw error;
    throw new TestClusterError('ERR_ADD_NODE', `${errorMessage(error)}; removing the half-added ${cluster.label(record)} failed too: ${problem}`, { cause: error });
  }
}

/**
 * Takes a half-added node back out, so a failed addNode() does not leave every later health
 * check expecting a node that is not there. Best effort; resolves to what could not be undone.
 */
async function undoAdd(cluster: ClusterInternals, record: NodeRecord): Promise<string | undefined> {
  const problems: string[] = [];
  try {
    await killProcess(record.proc, cluster.label(record));
    record.status = 'stopped';
  } catch (error) {
    problems.push(errorMessage(error));
  }
  const index = cluster.records.indexOf(record);
  if (index >= 0) cluster.records.splice(index, 1);
  if (record.id !== '') {
    const forgets = await Promise.allSettled(liveRecords(cluster).map((other) =>
      cluster.send(other, ['CLUSTER', 'FORGET', record.id], { timeoutMs: 5_000 })));
    for (const result of forgets) {
      // A node the MEET had not reached yet does not know it: nothing to forget there.
      if (result.status === 'rejected' && !/unknown node/i.test(errorMessage(result.reason))) problems.push(errorMessage(result.reason));
    }
  }
  await rm(record.dir, { recursive: true, force: true }).catch((error: unknown) => problems.push(errorMessage(error)));
  return problems.length === 0 ? undefined : problems.join('; ');
}

/**
 * Takes a node out for good: stops it, then CLUSTER FORGET on every other node. All the FORGETs go
 * out within a few milliseconds, well inside the 60 s ban each one starts, so no node can learn the
 * removed one back from another's gossip. A node the others already forgot (`redis-cli --cluster
 * del-node`) is only stopped and dropped from the run.
 */
export async function removeNode(cluster: ClusterInternals, record: NodeRecord): Promise<void> {
  const label = cluster.label(record);
  requireNoPausedNodes(cluster, `remove ${label}`);
  await cluster.refreshNodes();
  if (record.slots.length > 0) {
    throw new InvalidOperationError(`${label} still serves slots; move them away with moveSlot() before removing it`);
  }
  const replicas = cluster.records.filter((other) => other.masterId === record.id && other !== record);
  if (replicas.length > 0) {
    throw new InvalidOperationError(`${label} has replicas (${replicas.map((r) => cluster.label(r)).join(', ')}); remove them first`);
  }
  await killProcess(record.proc, label);
  record.status = 'stopped';
  const others = liveRecords(cluster);
  await Promise.all(others.map(async (other) => {
    try {
      await cluster.send(other, ['CLUSTER', 'FORGET', record.id]);
    } catch (error) {
      // Already forgotten: `redis-cli --cluster del-node` took it out, and this only stops it.
      if (!/unknown node/i.test(errorMessage(error))) throw error;
    }
  }));
  cluster.records.splice(cluster.records.indexOf(record), 1);
  await waitFor(async () => {
    const views = await Promise.all(others.map(async (other) =>
      parseClusterNodes(await cluster.send(other, ['CLUSTER', 'NODES'])).some((entry) => entry.id === record.id)));
    return !views.some(Boolean);
  }, { timeoutMs: 10_000, description: `every node to forget ${label}` });
  await rm(record.dir, { recursive: true, force: true });
  await cluster.waitForHealthy();
}
