import type { BackendName } from './backend.js';
import type { AclUser } from './config.js';
import type { ServerOptions } from './run.js';
import type { TlsMaterial } from './tls.js';
import type { SlotRange } from './topology.js';

export type NodeRole = 'master' | 'replica';
/** `paused` = frozen with SIGSTOP (or docker pause); `stopped` = its process is gone. */
export type NodeStatus = 'running' | 'paused' | 'stopped';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A snapshot of one node as of the last `refreshNodes()` (every helper refreshes when it is done). */
export interface ClusterNode extends Endpoint {
  readonly id: string;
  readonly busPort: number;
  readonly role: NodeRole;
  readonly masterId?: string;
  readonly pid: number;
  readonly dir: string;
  readonly status: NodeStatus;
  readonly slots: readonly SlotRange[];
}

/** A node named by its snapshot, its address (the port decides) or its cluster node id. */
export type NodeRef = ClusterNode | Endpoint | string;

export interface ClusterOptions extends ServerOptions {
  /** Default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`; default 1000 so that failovers finish in seconds. */
  nodeTimeoutMs?: number;
  /**
   * How long the cluster may take to become healthy after boot, and the default of later health
   * waits; default 30 000 ms, inside vitest's 60 s test timeout so the harness's error shows.
   */
  startTimeoutMs?: number;
}

export type FailoverMode = 'default' | 'force' | 'takeover';

export interface CliCallOptions {
  /** Fail after this long; a paused node never answers. Default 15 000 ms. */
  timeoutMs?: number;
  /** Parse `--json` output (RESP3 replies as JSON) instead of returning text. */
  json?: boolean;
}

export interface MoveSlotOptions {
  /**
   * Stop part way so a test can observe the intermediate state:
   * `migrating` after SETSLOT IMPORTING/MIGRATING (no key moved),
   * `partial` after some keys moved (the first half, or exactly `keys`).
   */
  stopAt?: 'migrating' | 'partial';
  /**
   * With `stopAt: 'partial'`: exactly which keys to move. Checked with CLUSTER KEYSLOT before
   * anything starts; every key must hash to `slot`. Without it, `partial` moves the first half
   * of the slot's keys and needs the slot to hold at least 2 (one on each side).
   */
  keys?: readonly string[];
  /** Keys per MIGRATE (default 100). */
  batchSize?: number;
}

/**
 * A slot move in progress (or done, when `moveSlot` was not asked to stop). If `moveSlot` itself
 * fails before the slot is reassigned, it first tries to roll the move back (keys back, both sides
 * STABLE) and then rethrows.
 */
export interface SlotMigration {
  readonly slot: number;
  readonly source: ClusterNode;
  readonly target: ClusterNode;
  /** Keys moved to the target so far. */
  readonly migratedKeys: readonly string[];
  readonly state: 'migrating' | 'partial' | 'finished' | 'cancelled';
  /** Moves the remaining keys and assigns the slot to the target everywhere. */
  finish(): Promise<void>;
  /**
   * Moves any migrated keys back and marks the slot STABLE on both sides.
   *
   * Writers to the slot must be quiet while it runs: a key written on the source after it was
   * moved (the source serves the slot again from the first step of cancel) makes MIGRATE of the
   * target's copy fail with BUSYKEY, and the cancel fails with that reply.
   */
  cancel(): Promise<void>;
}

export interface AddNodeOptions {
  /** Make the new node a replica of this master; otherwise it joins as a master without slots. */
  replicaOf?: NodeRef;
}

export interface HealthOptions {
  timeoutMs?: number;
}

/** Signals that end a process; pausing has its own helpers. */
export type KillSignal = 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGQUIT';

export interface TestCluster {
  readonly runDir: string;
  readonly backend: BackendName;
  readonly nodeTimeoutMs: number;
  /** Every node of the run, stopped and paused ones included. */
  readonly nodes: readonly ClusterNode[];
  readonly startupNodes: readonly Endpoint[];
  readonly tls?: TlsMaterial;
  readonly password?: string;
  readonly users: readonly AclUser[];

  /** Masters that are not stopped. */
  masters(): ClusterNode[];
  /** Replicas that are not stopped. */
  replicas(): ClusterNode[];
  replicasOf(master: NodeRef): ClusterNode[];
  node(ref: NodeRef): ClusterNode;
  /** Re-reads CLUSTER NODES and updates `nodes`. */
  refreshNodes(): Promise<readonly ClusterNode[]>;
  /** The master serving `slot` now (per CLUSTER NODES). */
  slotOwner(slot: number): Promise<ClusterNode>;
  /** Runs one command as the harness's admin; trimmed stdout, or a CliCommandError. */
  cli(node: NodeRef, ...args: (string | number)[]): Promise<string>;
  cliWith(node: NodeRef, options: CliCallOptions, ...args: (string | number)[]): Promise<string>;
  /** Runs one command with `--json` and parses it (e.g. CLUSTER SLOTS). */
  cliJson(node: NodeRef, ...args: (string | number)[]): Promise<unknown>;
  logTail(node: NodeRef, lines?: number): Promise<string>;
  /** Every running node: cluster_state ok, all nodes known and agreeing on slots, replicas in sync. */
  waitForHealthy(options?: HealthOptions): Promise<void>;

  kill(node: NodeRef, signal?: KillSignal): Promise<void>;
  pause(node: NodeRef): Promise<void>;
  resume(node: NodeRef): Promise<void>;
  /** Starts a node again on its port and nodes.conf (killing it first if running); waits until healthy. */
  restart(node: NodeRef): Promise<ClusterNode>;
  /** `options.timeoutMs` bounds the wait for the promotion (default 15-30 s, by node timeout). */
  failover(replica: NodeRef, mode?: FailoverMode, options?: HealthOptions): Promise<void>;
  moveSlot(slot: number, target: NodeRef, options?: MoveSlotOptions): Promise<SlotMigration>;
  addNode(options?: AddNodeOptions): Promise<ClusterNode>;
  removeNode(node: NodeRef): Promise<void>;
  /** Kills every process of the run and removes its directory. Idempotent. */
  stop(): Promise<void>;
}
