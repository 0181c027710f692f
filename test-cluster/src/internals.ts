import type { CliOptions } from './redis-cli.js';
import type { LaunchedNode } from './node-launcher.js';
import type { RunContext } from './run.js';
import type { SlotRange } from './topology.js';
import type { ClusterNode, HealthOptions, NodeRef, NodeRole, NodeStatus } from './types.js';

/** What the harness knows about one node; `ClusterNode` is its public snapshot. */
export interface NodeRecord extends LaunchedNode {
  id: string;
  role: NodeRole;
  masterId: string | undefined;
  slots: SlotRange[];
  status: NodeStatus;
}

/**
 * The cluster as the fault, migration and membership helpers see it. Kept apart from the public
 * `TestCluster` so those helpers can live in their own files without widening the public API.
 */
export interface ClusterInternals {
  readonly run: RunContext;
  readonly nodeTimeoutMs: number;
  readonly records: NodeRecord[];
  record(ref: NodeRef): NodeRecord;
  snapshot(record: NodeRecord): ClusterNode;
  label(record: NodeRecord): string;
  /** Runs a command on a node as the harness's admin. */
  send(record: NodeRecord, args: readonly (string | number)[], options?: CliOptions): Promise<string>;
  /** Runs commands on one connection of one redis-cli, on stdin (see `redisCliBatch`); one reply each. */
  sendBatch(record: NodeRecord, commands: readonly (readonly (string | number)[])[], options?: Pick<CliOptions, 'timeoutMs'>): Promise<string[]>;
  refreshNodes(): Promise<readonly ClusterNode[]>;
  waitForHealthy(options?: HealthOptions): Promise<void>;
  /** A fresh directory name for a node added later (n6, n7, ...). */
  nextNodeName(): string;
}

export function liveRecords(cluster: ClusterInternals): NodeRecord[] {
  return cluster.records.filter((record) => record.status === 'running');
}
