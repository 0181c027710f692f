import { ClusterUnhealthyError, WaitTimeoutError, errorMessage } from './errors.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { liveRecords } from './internals.js';
import { logTail } from './logs.js';
import { parseClusterNodes, parseInfo } from './topology.js';
import type { ClusterNodesEntry } from './topology.js';
import { waitFor } from './wait.js';

interface NodeView {
  readonly record: NodeRecord;
  readonly state: string | undefined;
  readonly entries: readonly ClusterNodesEntry[];
  readonly replication: ReadonlyMap<string, string>;
}

function slotSignature(entries: readonly ClusterNodesEntry[]): string {
  return entries
    .filter((entry) => entry.slots.length > 0)
    .map((entry) => `${entry.id}=${entry.slots.map((r) => `${r.start}-${r.end}`).join(',')}`)
    .sort()
    .join(' ');
}

/** A replica counts as in sync when its link is up and its master lists it as online. */
function replicaProblems(view: NodeView, views: readonly NodeView[], cluster: ClusterInternals): string[] {
  const me = view.entries.find((entry) => entry.myself);
  if (me?.role !== 'replica') return [];
  const label = cluster.label(view.record);
  const problems: string[] = [];
  if (view.replication.get('role') !== 'slave') problems.push(`${label}: CLUSTER NODES says replica, INFO says ${view.replication.get('role')}`);
  if (view.replication.get('master_link_status') !== 'up') {
    problems.push(`${label}: master_link_status:${view.replication.get('master_link_status') ?? '?'}`);
  }
  if (view.replication.get('master_sync_in_progress') !== '0') problems.push(`${label}: sync in progress`);
  const master = views.find((other) => other.record.id === me.masterId);
  if (!master) {
    problems.push(`${label}: its master ${me.masterId ?? '?'} is not running`);
  } else {
    const listed = [...master.replication]
      .filter(([key]) => /^slave\d+$/.test(key))
      .some(([, value]) => value.includes(`port=${view.record.port},`) && value.includes('state=online'));
    if (!listed) problems.push(`${label}: not listed online by its master ${cluster.label(master.record)}`);
  }
  return problems;
}

/** Every node must see every running node in the role (and under the master) that node claims. */
function roleDisagreements(views: readonly NodeView[], cluster: ClusterInternals): string[] {
  const problems: string[] = [];
  for (const view of views) {
    const self = view.entries.find((entry) => entry.myself);
    if (!self) continue;
    for (const other of views) {
      const seen = other.entries.find((entry) => entry.id === self.id);
      if (other === view || !seen) continue;
      if (seen.role !== self.role || seen.masterId !== self.masterId) {
        problems.push(`${cluster.label(other.record)} sees ${cluster.label(view.record)} as ${seen.role}, it says ${self.role}`);
      }
    }
  }
  return problems;
}

async function readView(cluster: ClusterInternals, record: NodeRecord): Promise<NodeView> {
  // One redis-cli per node and poll, not one per command: the polls share two cores with the
  // client under test.
  const [info, nodes, replication] = await cluster.sendBatch(record, [
    ['CLUSTER', 'INFO'],
    ['CLUSTER', 'NODES'],
    ['INFO', 'replication'],
  ], { timeoutMs: 5_000 });
  return { record, state: parseInfo(info).get('cluster_state'), entries: parseClusterNodes(nodes), replication: parseInfo(replication) };
}

/** Every reason the cluster is not healthy right now; empty when it is. Paused and stopped nodes are not asked. */
export async function healthProblems(cluster: ClusterInternals): Promise<string[]> {
  const live = liveRecords(cluster);
  const problems: string[] = [];
  const views: NodeView[] = [];
  await Promise.all(live.map(async (record) => {
    try {
      views.push(await readView(cluster, record));
    } catch (error) {
      problems.push(`${cluster.label(record)}: ${errorMessage(error)}`);
    }
  }));
  const liveIds = new Set(live.map((record) => record.id));
  const signatures = new Set<string>();
  for (const view of views) {
    const label = cluster.label(view.record);
    if (view.state !== 'ok') problems.push(`${label}: cluster_state:${view.state ?? '?'}`);
    const known = view.entries.filter((entry) => !entry.flags.includes('handshake') && !entry.flags.includes('noaddr'));
    if (known.length !== cluster.records.length) problems.push(`${label}: knows ${known.length} of ${cluster.records.length} nodes`);
    for (const entry of known) {
      if (liveIds.has(entry.id) && entry.flags.includes('fail')) problems.push(`${label}: still flags running node ${entry.id} as failed`);
    }
    signatures.add(slotSignature(view.entries));
    problems.push(...replicaProblems(view, views, cluster));
  }
  problems.push(...roleDisagreements(views, cluster));
  if (signatures.size > 1) problems.push(`nodes disagree on slot ownership (${signatures.size} different views)`);
  return problems;
}

/** Waits until `healthProblems` is empty; on timeout the error lists the problems and the logs of the nodes involved. */
export async function waitForHealthy(cluster: ClusterInternals, timeoutMs: number): Promise<void> {
  let problems: string[] = [];
  try {
    await waitFor(async () => {
      problems = await healthProblems(cluster);
      return problems.length === 0;
    // 250 ms: a poll spawns a redis-cli per node, and a few hundred ms later is soon enough.
    }, { timeoutMs, intervalMs: 250, description: 'a healthy cluster' });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    const involved = cluster.records.filter((record) => problems.some((problem) => problem.includes(`:${record.port}`)));
    const tails: Record<string, string> = {};
    for (const record of involved.length > 0 ? involved : cluster.records) {
      tails[cluster.label(record)] = await logTail(record.dir, 15);
    }
    throw new ClusterUnhealthyError(problems, tails, timeoutMs);
  }
}
