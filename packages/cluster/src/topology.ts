import { ReplyError, type RespReply } from '@hashslot/resp';
import { SLOT_COUNT, SlotMap, type ShardNode } from '@hashslot/slots';
import { ClusterError, type NodeFailure } from './errors.js';
import type { ClusterNode, NodePool } from './node-pool.js';
import { mapAddress, type ResolvedOptions } from './options.js';

/** A master and the replicas that may serve its slots' reads. */
export interface ShardEntry {
  readonly master: ClusterNode;
  /** Replicas the slot table does not report failed. */
  readonly replicas: readonly ClusterNode[];
}

/** What a refresh changed, as the `refresh` event reports it. */
export interface RefreshEvent {
  /** What asked for it: `discovery`, `MOVED`, `connection`, `CLUSTERDOWN`, `READONLY`, `timeout`, `interval`, `manual`. */
  readonly reason: string;
  /** The node whose view was taken. */
  readonly source: string;
  /** Nodes new to the table, as `host:port`. */
  readonly added: readonly string[];
  /** Nodes that left the table; their connections are closed. */
  readonly removed: readonly string[];
  /** Slots whose master changed. */
  readonly changedSlots: number;
}

export interface TopologyListener {
  /** The first table was loaded, whatever asked for it. */
  discovered(): void;
  refreshed(event: RefreshEvent): void;
  nodeAdded(node: ClusterNode): void;
  nodeRemoved(node: ClusterNode): void;
  /** A refresh nobody awaited failed, or a node's view was refused. */
  error(error: Error): void;
}

/**
 * After a refresh ends, another waits this long: during a failover every failing command asks
 * for one, and back-to-back refreshes would only hammer the nodes that are still up.
 */
const MIN_REFRESH_GAP_MS = 100;
/** A source that has not answered by then gets company: the next source is asked too. */
const HEDGE_DELAY_MS = 250;

/**
 * The slot table and how it stays true: discovery from the startup nodes, single-flight refresh,
 * MOVED updates between refreshes, and a refresh after every `reinitializeSteps` MOVED.
 *
 * Which view wins: discovery takes the first startup node that answers with a table covering
 * every slot (or, when the node's `cluster-require-full-coverage` is `no` or
 * `skipFullCoverageCheck` is set, any table). A refresh then accepts only a view that shares a
 * node id with the current table, so that a node of another cluster (a reused address, a wrong
 * startup list) is reported, not silently followed.
 */
export class Topology {
  private readonly slots = new Array<ShardEntry | undefined>(SLOT_COUNT).fill(undefined);
  private shards: ShardEntry[] = [];
  private known = new Set<ClusterNode>();
  private nodeIds = new Set<string>();
  /** Startup nodes found to belong to another cluster. */
  private readonly foreign = new Set<string>();
  private inFlight: Promise<void> | undefined;
  private scheduled: Promise<void> | undefined;
  private lastRefreshEnded = -Infinity;
  private movedSinceRefresh = 0;
  private periodic: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * Why the last refresh failed on every node, until one succeeds. A command whose node is
   * unreachable gives up with it instead of retrying against a cluster that is not there.
   */
  lastRefreshError: ClusterError | undefined;
  /** Refreshes that completed, discovery included. */
  refreshCount = 0;

  // Private at run time too: util.inspect must not show the password.
  readonly #options: ResolvedOptions;

  constructor(
    options: ResolvedOptions,
    private readonly pool: NodePool,
    private readonly listener: TopologyListener,
  ) {
    this.#options = options;
  }

  /** Whether a table has been loaded. */
  get discovered(): boolean {
    return this.known.size > 0;
  }

  shardOf(slot: number): ShardEntry | undefined {
    return this.slots[slot];
  }

  masters(): ClusterNode[] {
    return this.shards.map((shard) => shard.master);
  }

  allShards(): readonly ShardEntry[] {
    return this.shards;
  }

  /** A master at random, for commands without keys. */
  randomShard(): ShardEntry | undefined {
    return this.shards[Math.floor(Math.random() * this.shards.length)];
  }

  /**
   * MOVED: the slot belongs to the target from now on. The table is patched at once so that
   * the next command for the slot goes straight there; every `reinitializeSteps` MOVED across
   * the client a full refresh catches up with everything else that moved.
   */
  moved(slot: number, host: string, port: number): void {
    const target = mapAddress(this.#options.natMap, host, port);
    const node = this.pool.ensure(target.host, target.port);
    node.role = 'master';
    const shard = this.shards.find((candidate) => candidate.master === node);
    if (shard !== undefined) {
      this.slots[slot] = shard;
    } else {
      const created: ShardEntry = { master: node, replicas: [] };
      this.shards.push(created);
      this.slots[slot] = created;
    }
    if (++this.movedSinceRefresh >= this.#options.reinitializeSteps) {
      this.movedSinceRefresh = 0;
      void this.requestRefresh('MOVED');
    }
  }

  /**
   * Asks for a refresh without waiting on its outcome: joins the one in flight, or schedules one
   * after the minimum gap. The promise never rejects; a failure reaches the `error` event.
   */
  requestRefresh(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight !== undefined) return this.inFlight.catch(() => {});
    if (this.scheduled !== undefined) return this.scheduled;
    const wait = this.lastRefreshEnded + MIN_REFRESH_GAP_MS - performance.now();
    if (wait <= 0) {
      return this.refresh(reason).catch((error: unknown) => this.listener.error(error as Error));
    }
    this.scheduled = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.scheduled = undefined;
        this.refresh(reason)
          .catch((error: unknown) => this.listener.error(error as Error))
          .finally(resolve);
      }, wait);
      // Not unref'd: a command may be waiting on it, and it lasts at most MIN_REFRESH_GAP_MS.
      void timer;
    });
    return this.scheduled;
  }

  /** Loads the table now; concurrent callers share one attempt. Rejects with a `ClusterError`. */
  refresh(reason: string): Promise<void> {
    if (this.inFlight === undefined) {
      this.inFlight = this.load(reason).then(
        () => {
          this.lastRefreshError = undefined;
        },
        (error: unknown) => {
          if (error instanceof ClusterError) this.lastRefreshError = error;
          throw error;
        },
      ).finally(() => {
        this.inFlight = undefined;
        this.lastRefreshEnded = performance.now();
        this.schedulePeriodic();
      });
    }
    return this.inFlight;
  }

  /** Stops the periodic refresh; a refresh in flight finishes but changes nothing after. */
  stop(): void {
    this.stopped = true;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    this.periodic = undefined;
  }

  private schedulePeriodic(): void {
    const interval = this.#options.refreshInterval;
    if (interval === 0 || this.stopped) return;
    if (this.periodic !== undefined) clearTimeout(this.periodic);
    // Jitter keeps many clients started together from refreshing in lockstep.
    const delay = interval * (0.9 + Math.random() * 0.2);
    this.periodic = setTimeout(() => {
      this.periodic = undefined;
      void this.requestRefresh('interval');
    }, delay);
    this.periodic.unref();
  }

  private async load(reason: string): Promise<void> {
    const discovering = !this.discovered;
    const sources = this.sources(discovering);
    const failures: NodeFailure[] = [];
    let best: { view: SlotMap; source: ClusterNode; covered: number } | undefined;
    const accepted = await firstSuccess(sources, HEDGE_DELAY_MS, async (source) => {
      try {
        const view = await this.fetchView(source);
        if (view.shards.length === 0) throw new ClusterError(`${source.address} serves no slot`);
        // A node the table does not list must prove it belongs to this cluster. A node it lists
        // is trusted even when every id changed: the cluster was rebuilt at the same addresses.
        if (!discovering && !this.known.has(source) && !view.nodes().some((node) => this.nodeIds.has(node.id))) {
          throw new ClusterError(`${source.address} belongs to another cluster: its view shares no node with the current one`);
        }
        const uncovered = view.uncoveredSlots();
        if (uncovered.length > 0 && !this.#options.skipFullCoverageCheck && (await this.requiresFullCoverage(source))) {
          const covered = SLOT_COUNT - uncovered.reduce((sum, [start, end]) => sum + end - start + 1, 0);
          if (best === undefined || covered > best.covered) best = { view, source, covered };
          throw new ClusterError(`${source.address} serves ${covered} of ${SLOT_COUNT} slots (none for ${describeRanges(uncovered)})`);
        }
        return { view, source };
      } catch (error) {
        failures.push({ address: source.address, error: error as Error });
        throw error;
      }
    });
    if (this.stopped) return;
    if (accepted !== undefined) {
      this.apply(accepted.view, accepted.source, reason, false);
      if (discovering) void this.checkStartupNodes();
      return;
    }
    // No node sees every slot served. Past discovery, the fullest view still beats a stale one;
    // slots it does not cover keep their last owner, who will answer MOVED or CLUSTERDOWN itself.
    if (!discovering && best !== undefined) {
      this.apply(best.view, best.source, reason, true);
      return;
    }
    throw new ClusterError(discovering ? 'could not discover the cluster from any startup node' : 'could not refresh the slot table from any node', {
      failures,
    });
  }

  /**
   * After discovery, asks the startup nodes the table does not list (another name for a node,
   * or a stranger) for their view. One that shares no node id with the table belongs to another
   * cluster: it is reported through the `error` event and never asked again.
   */
  private async checkStartupNodes(): Promise<void> {
    const strangers = unique(this.#options.startupNodes.map(({ host, port }) => `${host}:${port}`)).filter(
      (address) => !this.known.has(this.pool.get(address) as ClusterNode),
    );
    await Promise.all(
      strangers.map(async (address) => {
        const [host, port] = splitAddress(address);
        const node = this.pool.ensure(host, port);
        try {
          const view = await this.fetchView(node);
          if (!view.nodes().some((candidate) => this.nodeIds.has(candidate.id))) {
            this.foreign.add(address);
            this.listener.error(new ClusterError(`startup node ${address} belongs to another cluster: its view shares no node with the one discovered; it is ignored`));
          }
        } catch {
          // Unreachable now: the next refresh that needs it will say so.
        } finally {
          if (!this.known.has(node)) void this.pool.remove(node);
        }
      }),
    );
  }

  /** Nodes to ask, best first: startup nodes at discovery; later the table's nodes, then the startup ones. */
  private sources(discovering: boolean): ClusterNode[] {
    const startup = this.#options.startupNodes
      .filter(({ host, port }) => !this.foreign.has(`${host}:${port}`))
      .map(({ host, port }) => this.pool.ensure(host, port));
    if (discovering || !this.#options.followCluster) return unique(startup);
    const masters = shuffle(this.masters());
    const replicas = shuffle(this.shards.flatMap((shard) => shard.replicas));
    // Nodes that failed a command lately go last: a dead master would only cost a timeout.
    const recentlyFailed = (node: ClusterNode): boolean => performance.now() - node.failedAt < 5_000;
    const ordered = unique([...masters, ...replicas, ...startup]);
    return [...ordered.filter((node) => !recentlyFailed(node)), ...ordered.filter(recentlyFailed)];
  }

  private async fetchView(source: ClusterNode): Promise<SlotMap> {
    const connection = this.pool.shared(source);
    const timeout = this.refreshTimeout();
    const where = { host: source.host, port: source.port, tls: this.#options.tls !== undefined && this.#options.tls !== false };
    let reply: RespReply;
    try {
      reply = await connection.send(['CLUSTER', 'SHARDS'], { timeout });
    } catch (error) {
      // Before Redis 7 there is no CLUSTER SHARDS; every version has CLUSTER SLOTS.
      if (!(error instanceof ReplyError) || error.prefix !== 'ERR') throw error;
      return SlotMap.fromClusterSlots(await connection.send(['CLUSTER', 'SLOTS'], { timeout }), where);
    }
    return SlotMap.fromClusterShards(reply, where);
  }

  /** A refresh holds every command waiting on it: it never waits for ever, even with `connectTimeout: 0`. */
  private refreshTimeout(): number {
    return this.#options.connectTimeout === 0 ? 10_000 : this.#options.connectTimeout;
  }

  /** The node's own `cluster-require-full-coverage`; `yes` when it will not say (CONFIG may be disabled). */
  private async requiresFullCoverage(source: ClusterNode): Promise<boolean> {
    try {
      const reply = await this.pool.shared(source).send(['CONFIG', 'GET', 'cluster-require-full-coverage'], { timeout: this.refreshTimeout() });
      return !(Array.isArray(reply) && String(reply[1]) === 'no');
    } catch {
      return true;
    }
  }

  private apply(view: SlotMap, source: ClusterNode, reason: string, keepUncovered: boolean): void {
    const firstTable = !this.discovered;
    const previous = this.known;
    const known = new Set<ClusterNode>();
    const nodeIds = new Set<string>();
    const adopt = (shardNode: ShardNode): ClusterNode => {
      const address = mapAddress(this.#options.natMap, shardNode.host, shardNode.port, shardNode.ip);
      const node = this.pool.ensure(address.host, address.port, shardNode.role);
      node.id = shardNode.id;
      node.role = shardNode.role;
      node.hostname = shardNode.hostname === undefined || shardNode.hostname === '' ? undefined : shardNode.hostname;
      known.add(node);
      nodeIds.add(shardNode.id);
      return node;
    };
    const shards: ShardEntry[] = [];
    const slots = new Array<ShardEntry | undefined>(SLOT_COUNT).fill(undefined);
    for (const shard of view.shards) {
      // Redis 7.0 reports a replica `loading` until its offset passes 0, which on a master
      // without writes is for ever; a replica that really loads answers LOADING and is passed over.
      const entry: ShardEntry = {
        master: adopt(shard.master),
        replicas: shard.replicas.filter((replica) => replica.health !== 'fail').map(adopt),
      };
      for (const replica of shard.replicas) if (replica.health === 'fail') adopt(replica);
      shards.push(entry);
      for (const [start, end] of shard.slots) slots.fill(entry, start, end + 1);
    }
    if (keepUncovered) {
      for (let slot = 0; slot < SLOT_COUNT; slot++) {
        const old = this.slots[slot];
        if (slots[slot] !== undefined || old === undefined) continue;
        slots[slot] = old;
        if (!shards.includes(old)) shards.push(old);
        known.add(old.master);
        for (const replica of old.replicas) known.add(replica);
      }
    }
    let changedSlots = 0;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (this.slots[slot]?.master !== slots[slot]?.master) changedSlots++;
      this.slots[slot] = slots[slot];
    }
    this.shards = shards;
    this.known = known;
    this.nodeIds = nodeIds;
    this.movedSinceRefresh = 0;
    this.refreshCount++;
    const added = [...known].filter((node) => !previous.has(node));
    const removed = this.pool.all().filter((node) => !known.has(node));
    for (const node of removed) void this.pool.remove(node);
    for (const node of added) this.listener.nodeAdded(node);
    // Startup nodes known by another name than the table's are not "removed": they were never in it.
    for (const node of removed) if (previous.has(node)) this.listener.nodeRemoved(node);
    if (firstTable) this.listener.discovered();
    this.listener.refreshed({
      reason,
      source: source.address,
      added: added.map((node) => node.address),
      removed: removed.filter((node) => previous.has(node)).map((node) => node.address),
      changedSlots,
    });
  }
}

/**
 * Runs `attempt` on sources in order and resolves with the first success. A source that is
 * slow to answer does not hold up the rest: after `hedgeMs` the next one starts as well.
 * Resolves `undefined` when every source failed.
 */
function firstSuccess<S, T>(sources: readonly S[], hedgeMs: number, attempt: (source: S) => Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    let next = 0;
    let running = 0;
    let done = false;
    let hedge: NodeJS.Timeout | undefined;
    const startNext = (): void => {
      if (done) return;
      if (hedge !== undefined) clearTimeout(hedge);
      hedge = undefined;
      if (next >= sources.length) {
        if (running === 0) {
          done = true;
          resolve(undefined);
        }
        return;
      }
      const source = sources[next++];
      running++;
      attempt(source).then(
        (value) => {
          running--;
          if (done) return;
          done = true;
          if (hedge !== undefined) clearTimeout(hedge);
          resolve(value);
        },
        () => {
          running--;
          startNext();
        },
      );
      hedge = setTimeout(startNext, hedgeMs);
    };
    startNext();
  });
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function describeRanges(ranges: readonly (readonly [number, number])[]): string {
  const shown = ranges.slice(0, 5).map(([start, end]) => (start === end ? `${start}` : `${start}-${end}`));
  return ranges.length > 5 ? `${shown.join(', ')} and ${ranges.length - 5} more ranges` : shown.join(', ');
}
