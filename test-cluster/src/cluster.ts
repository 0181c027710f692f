import { formCluster } from './bootstrap.js';
import type { BackendName } from './backend.js';
import type { AclUser } from './config.js';
import { InvalidOperationError, TestClusterError } from './errors.js';
import { failover, kill, pause, restart, resume } from './faults.js';
import { waitForHealthy } from './health.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { logTail } from './logs.js';
import { addNode, removeNode } from './membership.js';
import { moveSlot } from './migration.js';
import { HOST, cliTarget, killProcess, launchNode, nodeLabel } from './node-launcher.js';
import { redisCli, redisCliBatch } from './redis-cli.js';
import type { CliOptions } from './redis-cli.js';
import { createRun } from './run.js';
import type { RunContext } from './run.js';
import type { TlsMaterial } from './tls.js';
import { ownsSlot, parseClusterNodes } from './topology.js';
import type {
  AddNodeOptions, CliCallOptions, ClusterNode, ClusterOptions, Endpoint, FailoverMode, HealthOptions, KillSignal,
  MoveSlotOptions, NodeRef, SlotMigration, TestCluster,
} from './types.js';

// Under vitest's 60 s testTimeout, so a stuck wait fails with the harness's error (which problems,
// which logs) rather than vitest's bare timeout. Overridable per call and with startTimeoutMs.
const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;

class RunningCluster implements TestCluster, ClusterInternals {
  readonly records: NodeRecord[] = [];
  private stopping: Promise<void> | undefined;
  private nodeCounter = 0;

  constructor(readonly run: RunContext, readonly nodeTimeoutMs: number, private readonly healthTimeoutMs: number) {}

  get runDir(): string {
    return this.run.runDir;
  }

  get backend(): BackendName {
    return this.run.backend.name;
  }

  get tls(): TlsMaterial | undefined {
    return this.run.tls;
  }

  get password(): string | undefined {
    return this.run.password;
  }

  get users(): readonly AclUser[] {
    return this.run.users;
  }

  get nodes(): readonly ClusterNode[] {
    return this.records.map((record) => this.snapshot(record));
  }

  get startupNodes(): readonly Endpoint[] {
    return this.records.filter((record) => record.status !== 'stopped').map((record) => ({ host: HOST, port: record.port }));
  }

  masters(): ClusterNode[] {
    return this.nodes.filter((node) => node.role === 'master' && node.status !== 'stopped');
  }

  replicas(): ClusterNode[] {
    return this.nodes.filter((node) => node.role === 'replica' && node.status !== 'stopped');
  }

  replicasOf(master: NodeRef): ClusterNode[] {
    const id = this.record(master).id;
    return this.replicas().filter((node) => node.masterId === id);
  }

  node(ref: NodeRef): ClusterNode {
    return this.snapshot(this.record(ref));
  }

  record(ref: NodeRef): NodeRecord {
    const found = typeof ref === 'string'
      ? this.records.find((record) => record.id === ref)
      : this.records.find((record) => record.port === ref.port);
    if (!found) {
      const name = typeof ref === 'string' ? `id ${ref}` : `${ref.host}:${ref.port}`;
      throw new InvalidOperationError(`no node ${name} in this cluster`);
    }
    return found;
  }

  snapshot(record: NodeRecord): ClusterNode {
    return {
      id: record.id,
      host: HOST,
      port: record.port,
      busPort: record.busPort ?? 0,
      role: record.role,
      ...(record.masterId === undefined ? {} : { masterId: record.masterId }),
      pid: record.proc.pid,
      dir: record.dir,
      status: record.status,
      slots: record.slots.map((range) => ({ ...range })),
    };
  }

  label(record: NodeRecord): string {
    return nodeLabel(record.name, record.port);
  }

  nextNodeName(): string {
    return `n${this.nodeCounter++}`;
  }

  send(record: NodeRecord, args: readonly (string | number)[], options?: CliOptions): Promise<string> {
    return redisCli(cliTarget(this.run, record.port), args, options);
  }

  sendBatch(record: NodeRecord, commands: readonly (readonly (string | number)[])[], options?: Pick<CliOptions, 'timeoutMs'>): Promise<string[]> {
    return redisCliBatch(cliTarget(this.run, record.port), commands, options);
  }

  cli(node: NodeRef, ...args: (string | number)[]): Promise<string> {
    return this.send(this.record(node), args);
  }

  cliWith(node: NodeRef, options: CliCallOptions, ...args: (string | number)[]): Promise<string> {
    return this.send(this.record(node), args, options);
  }

  async cliJson(node: NodeRef, ...args: (string | number)[]): Promise<unknown> {
    return JSON.parse(await this.send(this.record(node), args, { json: true })) as unknown;
  }

  logTail(node: NodeRef, lines?: number): Promise<string> {
    return logTail(this.record(node).dir, lines);
  }

  async refreshNodes(): Promise<readonly ClusterNode[]> {
    // Prefer a master's view: replicas learn of changes through it.
    const live = this.records.filter((record) => record.status === 'running');
    const source = live.find((record) => record.role === 'master') ?? live[0];
    if (!source) throw new InvalidOperationError('no running node to read the cluster layout from');
    const entries = parseClusterNodes(await this.send(source, ['CLUSTER', 'NODES']));
    for (const entry of entries) {
      const record = this.records.find((candidate) => candidate.id === entry.id);
      if (!record) continue;
      record.role = entry.role;
      record.masterId = entry.masterId;
      record.slots = [...entry.slots];
    }
    return this.nodes;
  }

  async slotOwner(slot: number): Promise<ClusterNode> {
    if (!Number.isInteger(slot) || slot < 0 || slot > 16383) throw new InvalidOperationError(`slot ${slot} is not in 0..16383`);
    await this.refreshNodes();
    const owner = this.records.find((record) => record.role === 'master' && ownsSlot(record.slots, slot));
    if (!owner) throw new TestClusterError('ERR_SLOT_UNASSIGNED', `slot ${slot} is not served by any node`);
    return this.snapshot(owner);
  }

  async waitForHealthy(options: HealthOptions = {}): Promise<void> {
    await waitForHealthy(this, options.timeoutMs ?? this.healthTimeoutMs);
    await this.refreshNodes();
  }

  kill(node: NodeRef, signal?: KillSignal): Promise<void> {
    return kill(this, this.record(node), signal);
  }

  pause(node: NodeRef): Promise<void> {
    return pause(this, this.record(node));
  }

  resume(node: NodeRef): Promise<void> {
    return resume(this, this.record(node));
  }

  restart(node: NodeRef): Promise<ClusterNode> {
    return restart(this, this.record(node));
  }

  failover(replica: NodeRef, mode: FailoverMode = 'default', options: HealthOptions = {}): Promise<void> {
    return failover(this, this.record(replica), mode, options.timeoutMs);
  }

  moveSlot(slot: number, target: NodeRef, options: MoveSlotOptions = {}): Promise<SlotMigration> {
    return moveSlot(this, slot, this.record(target), options);
  }

  addNode(options: AddNodeOptions = {}): Promise<ClusterNode> {
    return addNode(this, options);
  }

  removeNode(node: NodeRef): Promise<void> {
    return removeNode(this, this.record(node));
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    try {
      await Promise.all(this.records.map(async (record) => {
        await killProcess(record.proc, this.label(record));
        record.status = 'stopped';
      }));
      await this.run.backend.close();
    } finally {
      // Also catches processes that never made it into `records` (a boot that failed half way).
      this.run.cleanup.killAllSync();
    }
  }
}

function positiveInteger(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidOperationError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/**
 * Boots a Redis Cluster of fresh redis-server processes (or containers) on free loopback ports and
 * resolves once every node agrees it is healthy. Always `stop()` it; if the test process dies
 * first, the cleanup registry and the detached watchdog remove it anyway.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const masters = positiveInteger(options.masters ?? 3, 'masters', 1);
  const replicasPerMaster = positiveInteger(options.replicasPerMaster ?? 1, 'replicasPerMaster', 0);
  const nodeTimeoutMs = positiveInteger(options.nodeTimeoutMs ?? 1000, 'nodeTimeoutMs', 50);
  const run = await createRun(options, 'cluster');
  const cluster = new RunningCluster(run, nodeTimeoutMs, options.startTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
  try {
    const total = masters * (1 + replicasPerMaster);
    const names = Array.from({ length: total }, () => cluster.nextNodeName());
    // allSettled, not all: on the first failure the other launches are still under way, and every
    // node that does come up must be in `records` for stop() below to kill it.
    const launched = await Promise.allSettled(names.map((name) => launchNode(run, name, { nodeTimeoutMs })));
    for (const result of launched) {
      if (result.status !== 'fulfilled') continue;
      cluster.records.push({ ...result.value, id: '', role: 'master', masterId: undefined, slots: [], status: 'running' });
    }
    const failed = launched.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(cluster.records.map(async (record) => {
      record.id = await cluster.send(record, ['CLUSTER', 'MYID']);
    }));
    await formCluster(cluster, masters, replicasPerMaster, options.startTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    await cluster.waitForHealthy();
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}
