import { InvalidOperationError, TestClusterError, errorMessage } from './errors.js';
import type { ClusterInternals, NodeRecord } from './internals.js';
import { liveRecords } from './internals.js';
import { HOST } from './node-launcher.js';
import { ownsSlot, parseClusterNodes } from './topology.js';
import type { MoveSlotOptions, SlotMigration } from './types.js';
import { waitFor } from './wait.js';

const MIGRATE_TIMEOUT_MS = 10_000;

/**
 * MIGRATE's credentials for the receiving node, as the harness's admin. Only ever sent on
 * redis-cli's stdin (see `runMigrate`): in argv, `ps` would show them.
 */
function migrateAuth(cluster: ClusterInternals): string[] {
  const admin = cluster.run.admin;
  if (!admin) return [];
  return admin.username === undefined ? ['AUTH', admin.password] : ['AUTH2', admin.username, admin.password];
}

/** Keys the node holds in `slot`; read as JSON so keys containing newlines come back whole. */
async function keysInSlot(cluster: ClusterInternals, record: NodeRecord, slot: number, count: number): Promise<string[]> {
  const out = await cluster.send(record, ['CLUSTER', 'GETKEYSINSLOT', slot, count], { json: true });
  return JSON.parse(out) as string[];
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One slot moving from `source` to `target`, following the resharding steps of the cluster spec:
 * https://redis.io/docs/latest/commands/cluster-setslot/#redis-cluster-live-resharding-explained
 */
class Migration implements SlotMigration {
  state: SlotMigration['state'] = 'migrating';
  readonly migratedKeys: string[] = [];
  /** Set once finish() starts SETSLOT NODE: from then on a rollback would split the cluster's view. */
  assigning = false;

  constructor(
    private readonly cluster: ClusterInternals,
    readonly slot: number,
    private readonly sourceRecord: NodeRecord,
    private readonly targetRecord: NodeRecord,
    private readonly batchSize: number,
  ) {}

  get source() {
    return this.cluster.snapshot(this.sourceRecord);
  }

  get target() {
    return this.cluster.snapshot(this.targetRecord);
  }

  async begin(): Promise<void> {
    // Importing first: from the moment the source says MIGRATING, clients are sent to the target
    // with ASK, and the target must already accept them.
    await this.cluster.send(this.targetRecord, ['CLUSTER', 'SETSLOT', this.slot, 'IMPORTING', this.sourceRecord.id]);
    await this.cluster.send(this.sourceRecord, ['CLUSTER', 'SETSLOT', this.slot, 'MIGRATING', this.targetRecord.id]);
  }

  async migrate(keys: readonly string[]): Promise<void> {
    for (const batch of batches(keys, this.batchSize)) {
      await this.runMigrate(this.sourceRecord, this.targetRecord, batch, false);
      this.migratedKeys.push(...batch);
    }
    if (this.state === 'migrating' && keys.length > 0) this.state = 'partial';
  }

  async finish(): Promise<void> {
    if (this.state === 'finished') return;
    if (this.state === 'cancelled') throw new InvalidOperationError(`the move of slot ${this.slot} was cancelled`);
    for (;;) {
      const keys = await keysInSlot(this.cluster, this.sourceRecord, this.slot, this.batchSize);
      if (keys.length === 0) break;
      await this.migrate(keys);
    }
    // Target first, so the new owner knows before anyone redirects to it; then the source, which
    // then stops answering ASK; then the other masters, instead of waiting for gossip.
    const others = liveRecords(this.cluster).filter((record) =>
      record.role === 'master' && record !== this.sourceRecord && record !== this.targetRecord);
    this.assigning = true;
    for (const record of [this.targetRecord, this.sourceRecord]) {
      await this.cluster.send(record, ['CLUSTER', 'SETSLOT', this.slot, 'NODE', this.targetRecord.id]);
    }
    await Promise.all(others.map((record) => this.cluster.send(record, ['CLUSTER', 'SETSLOT', this.slot, 'NODE', this.targetRecord.id])));
    await this.waitForOwner(this.targetRecord);
    this.state = 'finished';
    await this.cluster.refreshNodes();
  }

  async cancel(): Promise<void> {
    if (this.state === 'cancelled') return;
    if (this.state === 'finished') throw new InvalidOperationError(`slot ${this.slot} has already moved; move it back instead`);
    // The source first: while MIGRATING it answers ASK for keys it lacks, RESTORE included, so
    // it could not take the moved keys back.
    await this.cluster.send(this.sourceRecord, ['CLUSTER', 'SETSLOT', this.slot, 'STABLE']);
    let previous = '';
    for (;;) {
      const keys = await keysInSlot(this.cluster, this.targetRecord, this.slot, this.batchSize);
      if (keys.length === 0) break;
      if (keys.join('\n') === previous) {
        throw new TestClusterError('ERR_MIGRATION', `${this.cluster.label(this.targetRecord)} keeps keys of slot ${this.slot} that cannot be moved back`);
      }
      previous = keys.join('\n');
      // The target does not own the slot, so only a command preceded by ASKING on the same
      // connection may touch the keys there.
      await this.runMigrate(this.targetRecord, this.sourceRecord, keys, true);
    }
    await this.cluster.send(this.targetRecord, ['CLUSTER', 'SETSLOT', this.slot, 'STABLE']);
    this.migratedKeys.length = 0;
    this.state = 'cancelled';
  }

  /**
   * Undoes a move that failed half way, as far as it still can: keys back and both sides STABLE
   * (cancel), else at least both sides STABLE so the slot is not left MIGRATING/IMPORTING.
   * Resolves to why it could not, or undefined.
   */
  async rollback(): Promise<string | undefined> {
    try {
      await this.cancel();
      return undefined;
    } catch (cancelError) {
      const stable = await Promise.allSettled([this.sourceRecord, this.targetRecord].map((record) =>
        this.cluster.send(record, ['CLUSTER', 'SETSLOT', this.slot, 'STABLE'], { timeoutMs: 5_000 })));
      const failed = stable.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      return [cancelError, ...failed.map((result) => result.reason as unknown)].map(errorMessage).join('; ');
    }
  }

  /**
   * MIGRATE from one node to another, optionally after ASKING on the same connection. On stdin,
   * so the AUTH/AUTH2 password stays out of redis-cli's argv; an error names only the failing reply.
   */
  private async runMigrate(from: NodeRecord, to: NodeRecord, keys: readonly string[], asking: boolean): Promise<void> {
    const migrate = ['MIGRATE', HOST, to.port, '', 0, MIGRATE_TIMEOUT_MS, ...migrateAuth(this.cluster), 'KEYS', ...keys];
    const replies = await this.cluster.sendBatch(from, asking ? [['ASKING'], migrate] : [migrate]);
    const reply = replies[replies.length - 1];
    if (reply !== 'OK' && reply !== 'NOKEY') {
      throw new TestClusterError('ERR_MIGRATION', `MIGRATE of ${keys.length} key(s) of slot ${this.slot} from ${this.cluster.label(from)} to ${this.cluster.label(to)} answered ${JSON.stringify(reply)}`);
    }
  }

  private async waitForOwner(owner: NodeRecord): Promise<void> {
    await waitFor(async () => {
      const views = await Promise.all(liveRecords(this.cluster).map(async (record) => {
        const entries = parseClusterNodes(await this.cluster.send(record, ['CLUSTER', 'NODES']));
        return entries.find((entry) => ownsSlot(entry.slots, this.slot))?.id === owner.id;
      }));
      return views.every(Boolean);
    }, { timeoutMs: 15_000, intervalMs: 50, description: `every node to see slot ${this.slot} served by ${this.cluster.label(owner)}` });
  }
}

export async function moveSlot(cluster: ClusterInternals, slot: number, target: NodeRecord, options: MoveSlotOptions): Promise<SlotMigration> {
  if (!Number.isInteger(slot) || slot < 0 || slot > 16383) throw new InvalidOperationError(`slot ${slot} is not in 0..16383`);
  await cluster.refreshNodes();
  const source = cluster.records.find((record) => record.role === 'master' && ownsSlot(record.slots, slot));
  if (!source) throw new InvalidOperationError(`slot ${slot} has no owner to move it from`);
  if (source === target) throw new InvalidOperationError(`slot ${slot} is already served by ${cluster.label(target)}`);
  for (const [what, record] of [['source', source], ['target', target]] as const) {
    if (record.status !== 'running') throw new InvalidOperationError(`${what} ${cluster.label(record)} is ${record.status}`);
  }
  if (target.role !== 'master') throw new InvalidOperationError(`target ${cluster.label(target)} is a replica; slots move between masters`);

  const batchSize = options.batchSize ?? 100;
  if (options.keys !== undefined) await requireKeysInSlot(cluster, source, slot, options.keys);
  if (options.stopAt === 'partial' && options.keys === undefined) {
    const count = Number(await cluster.send(source, ['CLUSTER', 'COUNTKEYSINSLOT', slot]));
    if (count < 2) {
      throw new InvalidOperationError(
        `stopAt 'partial' needs keys on both sides, but slot ${slot} holds ${count} key(s) on ${cluster.label(source)}: write at least 2 keys of the slot first, or pass \`keys\``,
      );
    }
  }

  const migration = new Migration(cluster, slot, source, target, batchSize);
  try {
    await migration.begin();
    if (options.stopAt === 'migrating') return migration;
    if (options.stopAt === 'partial') {
      let keys = options.keys;
      if (!keys) {
        const all = await keysInSlot(cluster, source, slot, 1_000_000);
        keys = all.slice(0, Math.ceil(all.length / 2));
      }
      await migration.migrate(keys);
      migration.state = 'partial';
      return migration;
    }
    await migration.finish();
    return migration;
  } catch (error) {
    // Once finish() starts assigning the slot with SETSLOT NODE, there is no going back.
    if (migration.state === 'finished' || migration.assigning) throw error;
    const rollbackProblem = await migration.rollback();
    if (rollbackProblem === undefined) throw error;
    throw new TestClusterError('ERR_MIGRATION', `${errorMessage(error)}; rolling back the move of slot ${slot} failed too: ${rollbackProblem}`, { cause: error });
  }
}

/** `keys` must all hash to `slot`, or MIGRATE would move (or fail on) keys of other slots. */
async function requireKeysInSlot(cluster: ClusterInternals, source: NodeRecord, slot: number, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) throw new InvalidOperationError(`keys is empty; pass at least one key of slot ${slot}`);
  const slots = await cluster.sendBatch(source, keys.map((key) => ['CLUSTER', 'KEYSLOT', key]));
  const wrong = keys.map((key, i) => ({ key, keySlot: Number(slots[i]) })).filter(({ keySlot }) => keySlot !== slot);
  if (wrong.length > 0) {
    const shown = wrong.slice(0, 5).map(({ key, keySlot }) => `${JSON.stringify(key)} (slot ${keySlot})`).join(', ');
    throw new InvalidOperationError(
      `keys must all be in slot ${slot}; ${wrong.length} are not: ${shown}${wrong.length > 5 ? ', ...' : ''}`,
    );
  }
}
