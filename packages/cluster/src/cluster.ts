import { EventEmitter } from 'node:events';
import { checkArguments, commandName, InvalidArgumentError, type BatchReply, type CommandArgument, type RespReply } from '@hashslot/resp';
import { commandKeys, commandSlot, keyBytes, keySlot, lookupCommand, type CommandInfo } from '@hashslot/slots';
import { blockingDeadline, blockTime } from './blocking.js';
import { type ClientCommands, installCommands } from './commands/index.js';
import { asRedisError, ClusterError, slotNotServed } from './errors.js';
import { CORE, type ClusterCore, type NodeReply, type NodeSelection, type NodeSummary } from './core.js';
import { type ClusterNode, NodePool } from './node-pool.js';
import { type ClusterOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type RoutedCommand, Router } from './router.js';
import { type RefreshEvent, Topology } from './topology.js';
import { type AdminMethods, installAdminMethods } from './admin/index.js';
import { type FanoutMethods, fanoutHandler, installFanoutMethods } from './fanout/index.js';
import { type MultiKeyMethods, crossSlotHandler, installMultiKeyMethods } from './multi-key/index.js';
import { type PubSubMethods, installPubSubMethods } from './pubsub/index.js';
import { type ScanMethods, installScanMethods } from './scan/index.js';
import { type ScriptMethods, installScriptMethods } from './scripts/index.js';
import { type TransactionMethods, installTransactionMethods } from './transaction/index.js';
import { optionsFromUrl } from './url.js';

export interface ClusterEvents {
  /** The first slot table is loaded. */
  ready: [];
  /** The slot table was reloaded; says what changed. */
  refresh: [event: RefreshEvent];
  'node added': [node: NodeSummary];
  'node removed': [node: NodeSummary];
  /**
   * A background failure nobody awaits: a refresh that failed on every node. Emitted only when
   * someone listens, so that an unobserved client never crashes the process.
   */
  error: [error: Error];
  /** `quit()` or `disconnect()` finished; every connection is closed. */
  end: [];
}

/** Per-call options. */
export interface CommandOptions {
  /** Reply timeout in ms for this call, overriding `commandTimeout` (0: none). */
  timeout?: number;
}

export type ClusterStatus = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed';

type Transform = (reply: RespReply) => unknown;

const SHARED = 'changes the state of the connection it runs on, and connections are shared by every caller';
/**
 * Commands that would change the state of a shared connection (or stop it answering one reply
 * per command) for every other caller on it. Each names what to use instead.
 */
const CONNECTION_STATE_COMMANDS = new Map<string, string>([
  ...['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'].map(
    (name): [string, string] => [name, `${SHARED}: pub/sub needs a dedicated subscriber connection`],
  ),
  ...['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH'].map((name): [string, string] => [name, `${SHARED}: a transaction needs a dedicated connection`]),
  ['MONITOR', `${SHARED}: MONITOR streams replies for ever; use a Connection of @hashslot/resp`],
  ['CLIENT|REPLY', `${SHARED}: the replies of other callers would be lost`],
  ['CLIENT|TRACKING', `${SHARED}: tracking needs a connection of its own`],
  ['SELECT', 'makes no sense on a cluster: it has database 0 only'],
  ['READONLY', `${SHARED}: use the readFrom option`],
  ['READWRITE', `${SHARED}: use the readFrom option`],
  ['RESET', `${SHARED}`],
  ['AUTH', `${SHARED}: use the username and password options`],
  ['HELLO', `${SHARED}: the client speaks RESP2`],
  ['QUIT', 'would close a shared connection: use quit() of the client'],
  ['WAIT', 'waits for the writes of the connection it runs on: use waitForReplicas(key, numReplicas, timeoutMs)'],
  ['ASKING', `${SHARED}: the client sends ASKING itself when a node answers ASK`],
  // Commands that make no sense on a cluster, refused before anything is sent.
  ['MOVE', 'makes no sense on a cluster: it has database 0 only'],
  ['SWAPDB', 'makes no sense on a cluster: it has database 0 only'],
  ['SHUTDOWN', 'would stop whichever node the client picked: send it to a node you choose with a Connection of @hashslot/resp'],
  ['REPLICAOF', 'is not how a cluster node replicates: use CLUSTER REPLICATE on the node (clusterReplicate)'],
  ['SLAVEOF', 'is not how a cluster node replicates: use CLUSTER REPLICATE on the node (clusterReplicate)'],
  ['FAILOVER', 'is for standalone replication: a cluster fails over with CLUSTER FAILOVER on a replica (clusterFailover)'],
  ['SENTINEL', 'is for Redis Sentinel, not a cluster'],
  ['SYNC', 'is the replication protocol, not a client command'],
  ['PSYNC', 'is the replication protocol, not a client command'],
]);

/**
 * The Redis Cluster client. Commands are routed by the slot of their keys, follow MOVED and
 * ASK, and survive failovers; see the README for every option and the guarantees.
 *
 * `D` is `decodeResponses`: bulk replies are strings when it is `true` (the default), Buffers
 * when it is `false`; the typed command methods follow it.
 */
export class RedisCluster<D extends boolean = true> extends EventEmitter<ClusterEvents> {
  readonly #options: ResolvedOptions;
  private readonly pool: NodePool;
  private readonly topology: Topology;
  private readonly router: Router;
  private readonly responseCallbacks = new Map<string, Transform>();
  private connecting: Promise<void> | undefined;
  private currentStatus: ClusterStatus = 'idle';
  private closing: Promise<void> | undefined;
  private readonly upperNames = new Map<string, string>();
  /** Run when a graceful close starts (pub/sub unsubscribes); quit() awaits them. */
  private readonly closeListeners = new Set<() => Promise<void>>();
  /** Commands accepted and not yet settled; a graceful close waits for them. */
  private active = 0;
  private onDrained: (() => void) | undefined;

  constructor(options: ClusterOptions<D>) {
    super();
    this.#options = resolveOptions(options);
    this.pool = new NodePool(this.#options);
    this.topology = new Topology(this.#options, this.pool, {
      discovered: () => this.onDiscovered(),
      refreshed: (event) => this.emit('refresh', event),
      nodeAdded: (node) => this.emit('node added', summarize(node)),
      nodeRemoved: (node) => this.emit('node removed', summarize(node)),
      error: (error) => this.emitError(error),
    });
    this.router = new Router(this.#options, this.pool, this.topology, () => this.connect());
    this[CORE] = this.makeCore();
  }

  /**
   * A client from `redis://[user:password@]host:port[,host:port...][?option=value...]`
   * (`rediss://` for TLS). `options` adds or overrides what the URL says.
   */
  static fromUrl<D extends boolean = true>(url: string, options?: Omit<ClusterOptions<D>, 'startupNodes'> & { startupNodes?: ClusterOptions<D>['startupNodes'] }): RedisCluster<D> {
    return new RedisCluster<D>({ ...(optionsFromUrl(url) as ClusterOptions<D>), ...options });
  }

  /** Whether bulk replies are strings (`decodeResponses`). */
  get decodesResponses(): boolean {
    return this.#options.decodeResponses;
  }

  /** quit() or disconnect() has begun: new commands are refused. */
  private get closingOrClosed(): boolean {
    return this.currentStatus === 'closing' || this.currentStatus === 'closed';
  }

  get status(): ClusterStatus {
    return this.currentStatus;
  }

  /**
   * Discovers the cluster from the startup nodes. Optional: the first command connects too.
   * Concurrent calls share one attempt; a failed attempt rejects with a `ClusterError` naming
   * every startup node's own failure, and the next call tries again.
   */
  connect(): Promise<void> {
    if (this.closingOrClosed) {
      return Promise.reject(new ClusterError('the client is closed'));
    }
    if (this.topology.discovered) return Promise.resolve();
    if (this.connecting === undefined) {
      this.currentStatus = 'connecting';
      this.connecting = this.topology.refresh('discovery').then(
        () => {
          this.connecting = undefined;
          if (this.closingOrClosed) throw new ClusterError('the client was closed while it connected');
        },
        (error: unknown) => {
          this.connecting = undefined;
          if (this.currentStatus === 'connecting') this.currentStatus = 'idle';
          throw error;
        },
      );
    }
    return this.connecting;
  }

  /**
   * Waits until `numReplicas` replicas of the master serving `key` have every write this client
   * sent to that master so far (WAIT, on the connection that carried the writes). Resolves with
   * the number of replicas that acknowledged within `timeoutMs` (0: wait for ever). The shared
   * connection of that master waits too, so keep the timeout short.
   */
  async waitForReplicas(key: string | Buffer, numReplicas: number, timeoutMs: number): Promise<number> {
    if (!Number.isInteger(numReplicas) || numReplicas < 0) throw new InvalidArgumentError(`numReplicas must be an integer >= 0; got ${String(numReplicas)}`);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new InvalidArgumentError(`timeoutMs must be an integer >= 0; got ${String(timeoutMs)}`);
    if (!this.topology.discovered) await this.connect();
    const shard = this.topology.shardOf(keySlot(key));
    if (shard === undefined) throw slotNotServed(keySlot(key), 'WAIT');
    const timeout = blockingDeadline(timeoutMs, this.#options.commandTimeout);
    return (await this.pool.shared(shard.master).send(['WAIT', numReplicas, timeoutMs], { timeout })) as number;
  }

  /**
   * Sends any command, routed by its keys. Resolves with the reply as the server gave it (or as
   * a `setResponseCallback` shapes it); rejects with the server's error or a client-side one.
   */
  call(...args: CommandArgument[]): Promise<RespReply> {
    return this.sendCommand(args) as Promise<RespReply>;
  }

  /**
   * Sends a command with an optional reply transform (what the typed methods use). A response
   * callback set for the command replaces the transform.
   */
  async sendCommand(args: readonly CommandArgument[], transform?: Transform, options?: CommandOptions): Promise<unknown> {
    // A command issued after a client-side composite (RENAME across slots...) on the same keys
    // waits for it, so that the client never reorders its own caller's writes.
    if (this.barriers.size > 0 && Array.isArray(args)) {
      const earlier = this.barrierOn(args);
      if (earlier !== undefined) await earlier;
    }
    const info = Array.isArray(args) ? lookupCommand(args) : undefined;
    // Before the fanout and split handlers too: they would send a short command to every node.
    if (info !== undefined) checkArity(info, args);
    // Commands done over several nodes: sent to all, or split by slot when keys span slots.
    // Checked before routing so that a split command never builds a CrossSlotError to throw.
    const fanout = info === undefined ? undefined : fanoutHandler(info);
    const split = fanout === undefined && info !== undefined ? this.splitHandler(info, args) : undefined;
    const multiNode = fanout ?? split;
    if (multiNode !== undefined) {
      if (this.closingOrClosed) throw new ClusterError('the client is closed');
      // Its parts go out separately: an argument that cannot be sent must fail the whole
      // command first, not one part after the others ran (an MSET partly written).
      checkArguments(args);
      const work = multiNode(this[CORE], args);
      // A blocking composite waits for other commands (the push it waits for may be ours).
      if (split !== undefined && info?.blocking !== true) this.raiseBarrier(args, work);
      const reply = await this.track(work);
      const callback = info === undefined ? transform : (this.responseCallbacks.get(this.upperName(info)) ?? transform);
      return callback === undefined ? reply : callback(reply);
    }
    // Keys across slots of a command without a client-side version: route throws CrossSlotError.
    const routed = this.route(args, options, info);
    this.active++;
    try {
      const reply = await this.router.execute(routed);
      const callback = this.responseCallbacks.size === 0 ? transform : (this.responseCallbacks.get(routed.name) ?? transform);
      return callback === undefined ? reply : callback(reply);
    } finally {
      if (--this.active === 0 && this.onDrained !== undefined) this.onDrained();
    }
  }

  /**
   * Runs commands grouped per node: every node's batch is written before any reply is awaited,
   * results come back in call order, and redirections are followed per command. Each command's
   * keys must share a slot. Never rejects: a failed command holds its error in its position.
   */
  async sendBatch(commands: readonly (readonly CommandArgument[])[]): Promise<BatchReply[]> {
    if (this.closingOrClosed) return commands.map(() => new ClusterError('the client is closed'));
    return this.runBatch(commands, false);
  }

  /** `internal`: a step of an operation accepted before quit(), which quit() waits for, so it may still run. */
  private async runBatch(commands: readonly (readonly CommandArgument[])[], internal: boolean): Promise<BatchReply[]> {
    const results = new Array<BatchReply>(commands.length);
    const routed: RoutedCommand[] = [];
    const positions: number[] = [];
    for (let i = 0; i < commands.length; i++) {
      const args = commands[i];
      try {
        routed.push(this.route(args, undefined, undefined, internal));
        positions.push(i);
      } catch (error) {
        results[i] = asRedisError(error);
      }
    }
    this.active++;
    try {
      const replies = await this.router.executeBatch(routed);
      for (let k = 0; k < positions.length; k++) results[positions[k]] = replies[k];
      return results;
    } finally {
      if (--this.active === 0 && this.onDrained !== undefined) this.onDrained();
    }
  }

  /** The primitives the command families are built on; see `ClusterCore`. */
  readonly [CORE]: ClusterCore;

  // Built in the constructor, once the options are resolved.
  private makeCore(): ClusterCore {
    return ((client: RedisCluster<boolean>): ClusterCore => ({
    get decodeResponses(): boolean {
      return client.decodesResponses;
    },
    maxRedirections: this.#options.maxRedirections,
    retryDelays: this.#options.retryDelays,
    commandTimeout: this.#options.commandTimeout,
    // Raw replies: internal callers must not see a user's response callbacks.
    send: (args) => this.track(this.router.execute(this.route(args, undefined, undefined, true))),
    batch: (commands) => this.runBatch(commands, true),
    onEachNode: (args, nodes) => this.onEachNode(args, nodes),
    sendToNode: async (address, args) => {
      if (!this.topology.discovered) await this.connect();
      const node = this.pool.get(address);
      if (node === undefined) throw new ClusterError(`${address} is not a node of the cluster`);
      return this.track(this.router.executeOn(node, this.route(args, undefined, undefined, true)));
    },
    masters: async () => {
      if (!this.topology.discovered) await this.connect();
      return this.nodes('master');
    },
    masterOf: (slot) => this.masterOf(slot),
    acquireDedicated: async (address, command) => {
      const node = this.pool.get(address);
      if (node === undefined) throw new ClusterError(`${address} is not a node of the cluster`, { command });
      // Named so that a pool limit or a failed connect says which operation it stopped.
      return this.pool.acquire(node, command);
    },
    releaseDedicated: (address, connection, reusable) => {
      const node = this.pool.get(address);
      if (node === undefined) connection.destroy();
      else this.pool.release(node, connection, reusable);
    },
    onRefresh: (listener) => {
      this.on('refresh', listener);
      return () => this.off('refresh', listener);
    },
    onClose: (listener) => {
      this.closeListeners.add(listener);
      return () => {
        this.closeListeners.delete(listener);
      };
    },
  }))(this as RedisCluster<boolean>);
  }

  private async onEachNode(args: readonly CommandArgument[], selection: NodeSelection): Promise<NodeReply[]> {
    if (!this.topology.discovered) await this.connect();
    const command = this.route(args, undefined, undefined, true);
    const shards = this.topology.allShards();
    const targets = [
      ...(selection === 'replicas' ? [] : shards.map((shard) => shard.master)),
      ...(selection === 'masters' ? [] : shards.flatMap((shard) => shard.replicas)),
    ];
    return this.track(
      Promise.all(
        targets.map(async (node): Promise<NodeReply> => {
          try {
            return { node: summarize(node), reply: await this.router.executeOn(node, command) };
          } catch (error) {
            return { node: summarize(node), reply: asRedisError(error) };
          }
        }),
      ),
    );
  }

  /** Counts a command as in flight, so that quit() waits for it. */
  private async track<T>(work: Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work;
    } finally {
      if (--this.active === 0 && this.onDrained !== undefined) this.onDrained();
    }
  }

  /**
   * Changes how a command's reply is shaped, for its typed method and `call()` alike; `undefined`
   * restores the default. The name is the command's (`'HGETALL'`, or `'CLIENT|LIST'` for a
   * subcommand), in any case.
   */
  setResponseCallback(command: string, callback: ((reply: RespReply) => unknown) | undefined): void {
    if (typeof command !== 'string' || command === '') throw new InvalidArgumentError('setResponseCallback needs a command name');
    if (callback !== undefined && typeof callback !== 'function') throw new InvalidArgumentError('setResponseCallback needs a function or undefined');
    const name = command.toUpperCase();
    if (callback === undefined) this.responseCallbacks.delete(name);
    else this.responseCallbacks.set(name, callback);
  }

  /** Reloads the slot table now (shared with a refresh in flight). */
  async refresh(): Promise<void> {
    if (!this.topology.discovered) return this.connect();
    return this.topology.refresh('manual');
  }

  /** The nodes in the slot table, masters first. */
  nodes(role: 'master' | 'replica' | 'all' = 'all'): NodeSummary[] {
    const shards = this.topology.allShards();
    const masters = shards.map((shard) => summarize(shard.master));
    const replicas = shards.flatMap((shard) => shard.replicas.map(summarize));
    if (role === 'master') return masters;
    if (role === 'replica') return replicas;
    return [...masters, ...replicas];
  }

  /** The master the client would send a command for `slot` to, if it knows one. */
  masterOf(slot: number): NodeSummary | undefined {
    const shard = this.topology.shardOf(slot);
    return shard === undefined ? undefined : summarize(shard.master);
  }

  /** Refreshes done so far, discovery included (for monitoring). */
  get refreshCount(): number {
    return this.topology.refreshCount;
  }

  /** Open connections across all nodes. */
  get connectionCount(): number {
    return this.pool.connectionCount;
  }

  /**
   * Closes gracefully: commands already sent get their replies, blocking commands are cut off,
   * new commands are refused.
   */
  quit(): Promise<void> {
    return this.close(true);
  }

  /** Closes at once: every pending command fails with a `ConnectionError`. */
  disconnect(): void {
    void this.close(false);
  }

  private close(graceful: boolean): Promise<void> {
    if (this.closing === undefined) {
      this.currentStatus = 'closing';
      this.topology.stop();
      this.closing = (async () => {
        if (graceful) {
          // Subscribers unsubscribe first, so that every message the nodes sent reaches its listeners.
          await Promise.allSettled([...this.closeListeners].map((listener) => listener()));
          // Blocking commands could wait for ever; everything else sent before quit() finishes.
          this.pool.cutOffDedicated();
          if (this.active > 0) await new Promise<void>((resolve) => (this.onDrained = resolve));
        }
        await this.pool.close(graceful);
        this.currentStatus = 'closed';
        this.emit('end');
      })();
    }
    return this.closing;
  }

  private route(args: readonly CommandArgument[], options: CommandOptions | undefined, known?: CommandInfo, internal = false): RoutedCommand {
    if (!Array.isArray(args) || args.length === 0) throw new InvalidArgumentError('a command needs at least its name');
    // Steps of an operation accepted before quit() still run: quit() waits for that operation.
    if (!internal && this.closingOrClosed) throw new ClusterError('the client is closed');
    const info = known ?? lookupCommand(args);
    const name = info === undefined ? commandName(args) : this.upperName(info);
    const refusal = CONNECTION_STATE_COMMANDS.get(name);
    if (refusal !== undefined) throw new InvalidArgumentError(`${name} ${refusal}`);
    if (info !== undefined) checkArity(info, args);
    const slot = commandSlot(args);
    const blockMs = info?.blocking === true ? blockTime(name, args) : undefined;
    // XREAD without BLOCK is flagged blocking but answers at once.
    const blocking = info?.blocking === true && (blockMs !== undefined || !(name === 'XREAD' || name === 'XREADGROUP'));
    let timeout = options?.timeout;
    if (timeout === undefined && blocking) timeout = blockingDeadline(blockMs, this.#options.commandTimeout);
    return { args, name, slot, readOnly: info?.readonly === true, blocking, timeout };
  }

  /** Keys of client-side composite commands in flight, with their completion. */
  private readonly barriers = new Map<string, Promise<unknown>>();

  private raiseBarrier(args: readonly CommandArgument[], work: Promise<unknown>): void {
    const keys = commandKeys(args).map(barrierKey);
    const done = work.then(noop, noop);
    for (const key of keys) this.barriers.set(key, done);
    void done.then(() => {
      for (const key of keys) if (this.barriers.get(key) === done) this.barriers.delete(key);
    });
  }

  private barrierOn(args: readonly CommandArgument[]): Promise<unknown> | undefined {
    const waits: Promise<unknown>[] = [];
    for (const key of commandKeys(args)) {
      const barrier = this.barriers.get(barrierKey(key));
      if (barrier !== undefined) waits.push(barrier);
    }
    return waits.length === 0 ? undefined : Promise.all(waits);
  }

  /** `GET`, `CLIENT|LIST`: computed once per command, not once per call, on the hot path. */
  private upperName(info: CommandInfo): string {
    let name = this.upperNames.get(info.name);
    if (name === undefined) {
      name = info.name.toUpperCase();
      this.upperNames.set(info.name, name);
    }
    return name;
  }

  /** The client-side version of a command whose keys span slots; undefined when they share one. */
  private splitHandler(info: CommandInfo, args: readonly CommandArgument[]): ReturnType<typeof crossSlotHandler> {
    const handler = crossSlotHandler(this.upperName(info));
    if (handler === undefined) return undefined;
    const keys = commandKeys(args);
    if (keys.length < 2) return undefined;
    const first = keySlot(keyBytes(keys[0]));
    for (let i = 1; i < keys.length; i++) if (keySlot(keyBytes(keys[i])) !== first) return handler;
    return undefined;
  }

  private onDiscovered(): void {
    if (this.currentStatus !== 'idle' && this.currentStatus !== 'connecting') return;
    this.currentStatus = 'ready';
    this.emit('ready');
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

// The command families that are more than one command on one node; each lives in its own
// directory and installs its methods before the generic ones, so that its versions win.
installFanoutMethods(RedisCluster.prototype);
installMultiKeyMethods(RedisCluster.prototype);
installScanMethods(RedisCluster.prototype);
installScriptMethods(RedisCluster.prototype);
installPubSubMethods(RedisCluster.prototype);
installAdminMethods(RedisCluster.prototype);
installTransactionMethods(RedisCluster.prototype);

// Each typed method builds its arguments and shapes its reply from one definition that the
// pipeline shares; the interface merge gives the methods their precise types.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface RedisCluster<D extends boolean = true>
  extends ClientCommands<D>,
    FanoutMethods<D>,
    MultiKeyMethods<D>,
    ScanMethods<D>,
    ScriptMethods<D>,
    PubSubMethods<D>,
    AdminMethods<D>,
    TransactionMethods<D> {}
installCommands(
  RedisCluster.prototype,
  (self, args, transform) => (self as RedisCluster<boolean>).sendCommand(args, transform),
  // A wrong argument is a rejected promise like every other failure of a command method.
  (_self, error) => Promise.reject(error),
);

function noop(): void {}

/**
 * Refuses a command with fewer arguments than the server's table requires (MGET or DEL without
 * a key, GET without its key). The server would refuse it as well, but only once sent, and with
 * no key to route by it would go to whichever node. Only the minimum is checked: a newer server
 * may take more arguments than the table knows.
 */
function checkArity(info: CommandInfo, args: readonly CommandArgument[]): void {
  const least = Math.abs(info.arity);
  if (args.length >= least) return;
  const [command, subcommand] = info.name.toUpperCase().split('|');
  const name = subcommand === undefined ? command : `${command} ${subcommand}`;
  throw new InvalidArgumentError(`${name}: wrong number of arguments: at least ${least - 1} after ${command}, got ${args.length - 1}`);
}

/** A key as barriers compare it: Buffers by their UTF-8 text (a string key has no other bytes). */
function barrierKey(key: CommandArgument): string {
  return typeof key === 'string' ? key : Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
}

function summarize(node: ClusterNode): NodeSummary {
  return { address: node.address, host: node.host, port: node.port, id: node.id, role: node.role };
}
