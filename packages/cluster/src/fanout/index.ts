import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import { lookupCommand, type CommandInfo } from '@hashslot/slots';
import type { BulkString } from '../commands/index.js';
import { setField } from '../commands/replies.js';
import { CORE, type ClusterCore, type HasCore, type NodeSelection, defineMethods } from '../core.js';
import { ClusterError } from '../errors.js';
import { aggregateReplies, perNode } from './aggregate.js';

/** Replies per node, keyed by cluster node id. */
export type PerNode<T> = Map<string, T>;

/** `{ aggregate: true }` asks for the one value the command's response policy combines. */
export interface Aggregate {
  aggregate: true;
}

/** `{ aggregate: false }` asks for the replies per node instead of the merged value. */
export interface PerNodeOption {
  aggregate: false;
}

/** One SLOWLOG GET entry. */
export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds. */
  timestamp: number;
  durationMicros: number;
  args: string[];
  clientAddress: string;
  clientName: string;
}

/** Which connections CLIENT KILL closes: the filters of the command, all of which must match. */
export interface ClientKillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  user?: string;
  type?: 'normal' | 'master' | 'replica' | 'pubsub';
  skipme?: boolean;
}

/**
 * Commands that concern every node rather than a key. By default they answer with one reply per
 * node (`Map<nodeId, reply>`); where the server's response policy says how to combine them,
 * `{ aggregate: true }` gives the combined value. A node that fails makes the whole call reject
 * with a `ClusterError` listing every failed node.
 */
export interface FanoutMethods<D extends boolean> {
  /** Any command on every master (default), every replica or every node; the replies per node. */
  fanout(args: readonly CommandArgument[], options?: { nodes?: NodeSelection }): Promise<PerNode<RespReply>>;
  /** PING on every master: `'PONG'` once all answered (the policy is all-succeeded). */
  ping(): Promise<'PONG'>;
  /** DBSIZE per master; `{ aggregate: true }`: the keys of the whole cluster. */
  dbsize(): Promise<PerNode<number>>;
  dbsize(options: Aggregate): Promise<number>;
  /** INFO per master (every node with `{ nodes: 'all' }`). */
  info(section?: string, options?: { nodes?: NodeSelection }): Promise<PerNode<BulkString<D>>>;
  /** TIME per master: `[unixSeconds, microseconds]`. */
  time(): Promise<PerNode<[number, number]>>;
  /** LASTSAVE per master: unix seconds. */
  lastsave(): Promise<PerNode<number>>;
  save(): Promise<PerNode<'OK'>>;
  bgsave(): Promise<PerNode<string>>;
  bgrewriteaof(): Promise<PerNode<string>>;
  /** CONFIG GET on every node: parameter -> value, per node. */
  configGet(pattern: string): Promise<PerNode<Record<string, string>>>;
  /** CONFIG SET on every node; `{ aggregate: true }`: `'OK'` once all succeeded. */
  configSet(parameters: Readonly<Record<string, string | number>>): Promise<PerNode<'OK'>>;
  configSet(parameters: Readonly<Record<string, string | number>>, options: Aggregate): Promise<'OK'>;
  configResetStat(): Promise<PerNode<'OK'>>;
  configRewrite(): Promise<PerNode<'OK'>>;
  /** CLIENT LIST per node (every node by default: clients connect to replicas too). */
  clientList(options?: { nodes?: NodeSelection }): Promise<PerNode<string>>;
  /** CLIENT GETNAME of this client's connection to each master. */
  clientGetName(): Promise<PerNode<string | null>>;
  /** CLIENT SETNAME on this client's connection to each master. */
  clientSetName(name: string): Promise<PerNode<'OK'>>;
  /** CLIENT KILL with filters on every node: how many connections each closed. */
  clientKill(filter: ClientKillFilter): Promise<PerNode<number>>;
  clientKill(filter: ClientKillFilter, options: Aggregate): Promise<number>;
  /** SLOWLOG GET on every node. */
  slowlogGet(count?: number): Promise<PerNode<SlowlogEntry[]>>;
  slowlogLen(): Promise<PerNode<number>>;
  slowlogLen(options: Aggregate): Promise<number>;
  slowlogReset(): Promise<PerNode<'OK'>>;
  /** MEMORY STATS per master, as field -> value. */
  memoryStats(): Promise<PerNode<Record<string, RespReply>>>;
  /** LATENCY LATEST per node, as the server gives it. */
  latencyLatest(): Promise<PerNode<RespReply>>;
  latencyReset(...events: string[]): Promise<PerNode<number>>;
  /** PUBSUB CHANNELS merged over every node (no duplicates); per node with `{ aggregate: false }`. */
  pubsubChannels(pattern?: string): Promise<BulkString<D>[]>;
  pubsubChannels(pattern: string | undefined, options: PerNodeOption): Promise<PerNode<BulkString<D>[]>>;
  /** PUBSUB NUMSUB summed over every node, channel -> subscribers. */
  pubsubNumsub(...channels: string[]): Promise<Record<string, number>>;
  /** PUBSUB NUMPAT summed over every node. */
  pubsubNumpat(): Promise<number>;
  /** PUBSUB SHARDCHANNELS merged over every node. */
  pubsubShardchannels(pattern?: string): Promise<BulkString<D>[]>;
  /** PUBSUB SHARDNUMSUB summed over every node. */
  pubsubShardnumsub(...channels: string[]): Promise<Record<string, number>>;
  /** KEYS on every master, concatenated (in no particular order). Scans whole keyspaces: prefer scanIterator. */
  keys(pattern: string): Promise<BulkString<D>[]>;
  /** FLUSHALL on every master: `'OK'` once all succeeded. */
  flushall(options?: { async?: boolean }): Promise<'OK'>;
  /** FLUSHDB on every master: `'OK'` once all succeeded. */
  flushdb(options?: { async?: boolean }): Promise<'OK'>;
  /** RANDOMKEY from a random master (the next one when that one is empty); null when all are. */
  randomkey(): Promise<BulkString<D> | null>;
}

type Method = (this: HasCore, ...args: never[]) => Promise<unknown>;

async function replies(self: HasCore, args: readonly CommandArgument[], nodes: NodeSelection): Promise<Map<string, RespReply>> {
  return perNode(commandLabel(args), await self[CORE].onEachNode(args, nodes));
}

async function combined(self: HasCore, args: readonly CommandArgument[], nodes: NodeSelection): Promise<RespReply> {
  const info = lookupCommand(args);
  return aggregateReplies(commandLabel(args), info?.responsePolicy, await self[CORE].onEachNode(args, nodes));
}

function commandLabel(args: readonly CommandArgument[]): string {
  const info = lookupCommand(args);
  return info === undefined ? String(args[0]).toUpperCase() : info.name.toUpperCase().replace('|', ' ');
}

function mapValues<T>(map: Map<string, RespReply>, shape: (reply: RespReply) => T): Map<string, T> {
  return new Map([...map].map(([id, reply]) => [id, shape(reply)]));
}

function pairs(reply: RespReply): Record<string, RespReply> {
  const record: Record<string, RespReply> = {};
  if (!Array.isArray(reply)) return record;
  // setField: a `__proto__` name from a node (a config or pub/sub channel name) stays a field.
  for (let i = 0; i + 1 < reply.length; i += 2) setField(record, String(reply[i]), reply[i + 1]);
  return record;
}

function flag(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { aggregate?: unknown }).aggregate === true;
}

function selection(options: { nodes?: NodeSelection } | undefined, fallback: NodeSelection): NodeSelection {
  const nodes = options?.nodes ?? fallback;
  if (nodes !== 'masters' && nodes !== 'replicas' && nodes !== 'all') {
    throw new InvalidArgumentError(`option nodes must be 'masters', 'replicas' or 'all'; got ${String(nodes)}`);
  }
  return nodes;
}

function asyncFlag(options: { async?: boolean } | undefined): CommandArgument[] {
  return options?.async === true ? ['ASYNC'] : [];
}

function sumPerChannel(map: Map<string, RespReply>): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const reply of map.values()) {
    for (const [channel, count] of Object.entries(pairs(reply))) setField(totals, channel, (Object.hasOwn(totals, channel) ? totals[channel] : 0) + Number(count));
  }
  return totals;
}

function mergeUnique(map: Map<string, RespReply>): RespReply[] {
  const seen = new Map<string, RespReply>();
  for (const reply of map.values()) if (Array.isArray(reply)) for (const item of reply) seen.set(String(item), item);
  return [...seen.values()];
}

const methods: Record<keyof FanoutMethods<boolean>, Method> = {
  async fanout(this: HasCore, args: readonly CommandArgument[], options?: { nodes?: NodeSelection }) {
    if (!Array.isArray(args) || args.length === 0) throw new InvalidArgumentError('fanout needs a command');
    return replies(this, args, selection(options, 'masters'));
  },
  async ping(this: HasCore) {
    return combined(this, ['PING'], 'masters');
  },
  async dbsize(this: HasCore, options?: Aggregate) {
    return flag(options) ? combined(this, ['DBSIZE'], 'masters') : replies(this, ['DBSIZE'], 'masters');
  },
  async info(this: HasCore, section?: string, options?: { nodes?: NodeSelection }) {
    return replies(this, section === undefined ? ['INFO'] : ['INFO', section], selection(options, 'masters'));
  },
  async time(this: HasCore) {
    return mapValues(await replies(this, ['TIME'], 'masters'), (reply) => (Array.isArray(reply) ? [Number(reply[0]), Number(reply[1])] : [0, 0]));
  },
  async lastsave(this: HasCore) {
    return replies(this, ['LASTSAVE'], 'masters');
  },
  async save(this: HasCore) {
    return replies(this, ['SAVE'], 'masters');
  },
  async bgsave(this: HasCore) {
    return replies(this, ['BGSAVE'], 'masters');
  },
  async bgrewriteaof(this: HasCore) {
    return replies(this, ['BGREWRITEAOF'], 'masters');
  },
  async configGet(this: HasCore, pattern: string) {
    return mapValues(await replies(this, ['CONFIG', 'GET', pattern], 'all'), (reply) => {
      const record: Record<string, string> = {};
      for (const [name, value] of Object.entries(pairs(reply))) setField(record, name, String(value));
      return record;
    });
  },
  async configSet(this: HasCore, parameters: Readonly<Record<string, string | number>>, options?: Aggregate) {
    const entries = Object.entries(parameters ?? {});
    if (entries.length === 0) throw new InvalidArgumentError('configSet needs at least one parameter');
    const args = ['CONFIG', 'SET', ...entries.flat()];
    return flag(options) ? combined(this, args, 'all') : replies(this, args, 'all');
  },
  async configResetStat(this: HasCore) {
    return replies(this, ['CONFIG', 'RESETSTAT'], 'all');
  },
  async configRewrite(this: HasCore) {
    return replies(this, ['CONFIG', 'REWRITE'], 'all');
  },
  async clientList(this: HasCore, options?: { nodes?: NodeSelection }) {
    return mapValues(await replies(this, ['CLIENT', 'LIST'], selection(options, 'all')), String);
  },
  async clientGetName(this: HasCore) {
    return mapValues(await replies(this, ['CLIENT', 'GETNAME'], 'masters'), (reply) => (reply === null ? null : String(reply)));
  },
  async clientSetName(this: HasCore, name: string) {
    if (typeof name !== 'string' || !/^[\x21-\x7e]*$/.test(name)) throw new InvalidArgumentError('clientSetName needs printable ASCII without spaces');
    return replies(this, ['CLIENT', 'SETNAME', name], 'masters');
  },
  async clientKill(this: HasCore, filter: ClientKillFilter, options?: Aggregate) {
    const args: CommandArgument[] = ['CLIENT', 'KILL'];
    for (const [name, value] of Object.entries(filter ?? {})) {
      if (value === undefined) continue;
      if (!['id', 'addr', 'laddr', 'user', 'type', 'skipme'].includes(name)) throw new InvalidArgumentError(`unknown clientKill filter ${name}`);
      args.push(name.toUpperCase(), name === 'skipme' ? (value === true ? 'yes' : 'no') : (value as string | number));
    }
    if (args.length === 2) throw new InvalidArgumentError('clientKill needs at least one filter: without one it would close every connection, this client\'s included');
    // CLIENT KILL has no response policy; its counts add up over the nodes.
    if (flag(options)) return [...(await replies(this, args, 'all')).values()].reduce<number>((sum, count) => sum + Number(count), 0);
    return replies(this, args, 'all');
  },
  async slowlogGet(this: HasCore, count?: number) {
    const args: CommandArgument[] = count === undefined ? ['SLOWLOG', 'GET'] : ['SLOWLOG', 'GET', count];
    return mapValues(await replies(this, args, 'all'), (reply) =>
      (Array.isArray(reply) ? reply : []).map((entry): SlowlogEntry => {
        const fields = Array.isArray(entry) ? entry : [];
        return {
          id: Number(fields[0]),
          timestamp: Number(fields[1]),
          durationMicros: Number(fields[2]),
          args: Array.isArray(fields[3]) ? fields[3].map(String) : [],
          clientAddress: String(fields[4] ?? ''),
          clientName: String(fields[5] ?? ''),
        };
      }),
    );
  },
  async slowlogLen(this: HasCore, options?: Aggregate) {
    return flag(options) ? combined(this, ['SLOWLOG', 'LEN'], 'all') : replies(this, ['SLOWLOG', 'LEN'], 'all');
  },
  async slowlogReset(this: HasCore) {
    return replies(this, ['SLOWLOG', 'RESET'], 'all');
  },
  async memoryStats(this: HasCore) {
    return mapValues(await replies(this, ['MEMORY', 'STATS'], 'masters'), pairs);
  },
  async latencyLatest(this: HasCore) {
    return replies(this, ['LATENCY', 'LATEST'], 'all');
  },
  async latencyReset(this: HasCore, ...events: string[]) {
    return replies(this, ['LATENCY', 'RESET', ...events], 'all');
  },
  async pubsubChannels(this: HasCore, pattern?: string, options?: PerNodeOption) {
    const map = await replies(this, pattern === undefined ? ['PUBSUB', 'CHANNELS'] : ['PUBSUB', 'CHANNELS', pattern], 'all');
    return options?.aggregate === false ? map : mergeUnique(map);
  },
  async pubsubNumsub(this: HasCore, ...channels: string[]) {
    return sumPerChannel(await replies(this, ['PUBSUB', 'NUMSUB', ...channels], 'all'));
  },
  async pubsubNumpat(this: HasCore) {
    return [...(await replies(this, ['PUBSUB', 'NUMPAT'], 'all')).values()].reduce<number>((sum, count) => sum + Number(count), 0);
  },
  async pubsubShardchannels(this: HasCore, pattern?: string) {
    return mergeUnique(await replies(this, pattern === undefined ? ['PUBSUB', 'SHARDCHANNELS'] : ['PUBSUB', 'SHARDCHANNELS', pattern], 'all'));
  },
  async pubsubShardnumsub(this: HasCore, ...channels: string[]) {
    return sumPerChannel(await replies(this, ['PUBSUB', 'SHARDNUMSUB', ...channels], 'all'));
  },
  async keys(this: HasCore, pattern: string) {
    if (typeof pattern !== 'string' && !Buffer.isBuffer(pattern)) throw new InvalidArgumentError('keys needs a pattern');
    return combined(this, ['KEYS', pattern], 'masters');
  },
  async flushall(this: HasCore, options?: { async?: boolean }) {
    return combined(this, ['FLUSHALL', ...asyncFlag(options)], 'masters');
  },
  async flushdb(this: HasCore, options?: { async?: boolean }) {
    return combined(this, ['FLUSHDB', ...asyncFlag(options)], 'masters');
  },
  async randomkey(this: HasCore) {
    return randomKey(this[CORE]);
  },
};

async function randomKey(core: ClusterCore): Promise<RespReply> {
  const masters = await core.masters();
  // Random order: one empty master must not make the whole cluster look empty.
  for (let i = masters.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [masters[i], masters[j]] = [masters[j], masters[i]];
  }
  for (const master of masters) {
    const key = await core.sendToNode(master.address, ['RANDOMKEY']);
    if (key !== null) return key;
  }
  return null;
}

/** How PUBSUB's answers of every node make the cluster's, in the shape one node gives. */
const PUBSUB_MERGES = new Map<string, (replies: Map<string, RespReply>) => RespReply>([
  ['pubsub|channels', mergeUnique],
  ['pubsub|shardchannels', mergeUnique],
  ['pubsub|numsub', (replies) => Object.entries(sumPerChannel(replies)).flat()],
  ['pubsub|shardnumsub', (replies) => Object.entries(sumPerChannel(replies)).flat()],
  ['pubsub|numpat', (replies) => [...replies.values()].reduce<number>((sum, count) => sum + Number(count), 0)],
]);

/**
 * How `call()` runs a keyless command the server says goes to every master or every node:
 * sent to all of them and combined per its response policy. Commands whose replies cannot be
 * combined (INFO, MEMORY STATS...) are refused with the method that gives them per node.
 */
export function fanoutHandler(info: CommandInfo): ((core: ClusterCore, args: readonly CommandArgument[]) => Promise<RespReply>) | undefined {
  // PUBSUB has no policy in the table, yet every node knows only its own subscribers.
  const pubsub = PUBSUB_MERGES.get(info.name);
  if (pubsub !== undefined) return async (core, args) => pubsub(perNode(info.name.toUpperCase().replace('|', ' '), await core.onEachNode(args, 'all')));
  // WAIT only means something on the connection that carried the writes: see waitForReplicas.
  if ((info.requestPolicy !== 'all_shards' && info.requestPolicy !== 'all_nodes') || info.name === 'wait') return undefined;
  const nodes: NodeSelection = info.requestPolicy === 'all_nodes' ? 'all' : 'masters';
  const label = info.name.toUpperCase().replace('|', ' ');
  if (info.name === 'randomkey') return (core) => randomKey(core);
  if (info.responsePolicy === 'special' || (info.responsePolicy === undefined && info.name !== 'keys' && info.name !== 'slowlog|get')) {
    return () =>
      Promise.reject(
        new ClusterError(`${label} answers per node on a cluster: use the client's method for it or fanout(args), which give a Map per node`, { command: label }),
      );
  }
  return async (core, args) => aggregateReplies(label, info.responsePolicy, await core.onEachNode(args, nodes));
}

export function installFanoutMethods(prototype: object): void {
  defineMethods(prototype, methods);
}
