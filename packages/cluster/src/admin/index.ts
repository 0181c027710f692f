/**
 * CLUSTER subcommands as methods. Each asks one node, because each node answers for itself:
 *
 * - Questions about the cluster (INFO, NODES, SHARDS, SLOTS, KEYSLOT) go to the node given as
 *   `{ node: 'host:port' }`, or else to a master the client picks.
 * - Questions about a slot's keys (COUNTKEYSINSLOT, GETKEYSINSLOT) go to the slot's master per
 *   the client's table, or to `node`; every other node counts only its own keys, so answers 0.
 * - Changes (ADDSLOTS, FAILOVER, REPLICATE, RESET, SETSLOT) change the node they are sent to, so
 *   `node` is required; nothing guesses which node an operator meant. DELSLOTS without `node`
 *   goes to each slot's current master; FORGET without `node` goes to every node (a node
 *   forgotten by only some comes back through gossip); MEET without `node` to some master.
 *
 * `node` is an address as the client names nodes (`client.nodes()`, after any `natMap`), and
 * must be a node of the client's table. Nothing here refreshes the table: after a change, call
 * `client.refresh()` (or let the next MOVED do it).
 */
import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { BulkString, Ok, RedisKey } from '../commands/index.js';
import { text } from '../commands/replies.js';
import { CORE, type ClusterCore, type HasCore, defineMethods } from '../core.js';
import { ClusterError, type NodeFailure } from '../errors.js';
import { checkOptions, integerIn, nodeAddress, nonEmptyString, slotList, slotNumber, token } from './arguments.js';
import { parseClusterNodes, type ClusterNodeEntry } from './cluster-nodes.js';
import { toClusterInfo, toClusterShards, toClusterSlots, type ClusterInfo, type ClusterShard, type ClusterSlotRange } from './replies.js';

export { parseClusterNodes } from './cluster-nodes.js';
export type { ClusterNodeEntry, SlotMove } from './cluster-nodes.js';
export type { ClusterInfo, ClusterShard, ClusterShardNode, ClusterSlotNode, ClusterSlotRange } from './replies.js';

/** Which node a command goes to: `host:port`, as `client.nodes()` names it. */
export interface NodeOption {
  node?: string;
}

/** For commands that change the node they run on: `node` is required. */
export interface NodeTarget {
  node: string;
}

export type ClusterFailoverMode = 'FORCE' | 'TAKEOVER';
export type ClusterResetMode = 'HARD' | 'SOFT';
export type ClusterSetSlotState = 'IMPORTING' | 'MIGRATING' | 'NODE' | 'STABLE';

export interface AdminMethods<D extends boolean> {
  /** CLUSTER INFO of `node` (or of a master the client picks), integers as numbers. */
  clusterInfo(options?: NodeOption): Promise<ClusterInfo>;
  /** CLUSTER NODES of `node` (or of a master the client picks), as the server wrote it. */
  clusterNodes(options?: NodeOption): Promise<string>;
  /** CLUSTER NODES parsed, one entry per node; see `ClusterNodeEntry`. */
  clusterNodesParsed(options?: NodeOption): Promise<ClusterNodeEntry[]>;
  /** CLUSTER SHARDS of `node` (or of a master the client picks). */
  clusterShards(options?: NodeOption): Promise<ClusterShard[]>;
  /** CLUSTER SLOTS of `node` (or of a master the client picks). */
  clusterSlots(options?: NodeOption): Promise<ClusterSlotRange[]>;
  /** CLUSTER MYID of `node`. */
  clusterMyId(options: NodeTarget): Promise<string>;
  /** CLUSTER MYID of every node in the client's table: address -> node id. Rejects when a node cannot answer. */
  clusterMyIds(): Promise<Map<string, string>>;
  /** CLUSTER KEYSLOT, as the server computes it (`keySlot` of @hashslot/slots computes it locally). */
  clusterKeySlot(key: RedisKey, options?: NodeOption): Promise<number>;
  /** CLUSTER COUNTKEYSINSLOT on the slot's master (or `node`). */
  clusterCountKeysInSlot(slot: number, options?: NodeOption): Promise<number>;
  /** CLUSTER GETKEYSINSLOT on the slot's master (or `node`): up to `count` key names. */
  clusterGetKeysInSlot(slot: number, count: number, options?: NodeOption): Promise<BulkString<D>[]>;
  /** CLUSTER ADDSLOTS on `node`: it claims the slots, which must be unassigned in its view. */
  clusterAddSlots(slots: readonly number[], options: NodeTarget): Promise<Ok>;
  /**
   * CLUSTER DELSLOTS: on `node`, or, without it, on each slot's master per the client's table
   * (one command per master, at once). Rejects with a `ClusterError` listing the masters that
   * failed; the others did unassign their slots.
   */
  clusterDelSlots(slots: readonly number[], options?: NodeOption): Promise<Ok>;
  /** CLUSTER FAILOVER on `node`, which must be a replica: it becomes its shard's master. */
  clusterFailover(options: NodeTarget & { mode?: ClusterFailoverMode }): Promise<Ok>;
  /**
   * CLUSTER FORGET `nodeId` on `node`, or, without it, on every node of the client's table but
   * the forgotten one (within 60 s, or gossip brings it back). Rejects with a `ClusterError`
   * listing the nodes that failed.
   */
  clusterForget(nodeId: string, options?: NodeOption): Promise<Ok>;
  /**
   * CLUSTER MEET from `node` (or from a master the client picks) to `host:port`. `busPort` is the
   * met node's cluster bus port; without it the server assumes `port + 10000`, and a node whose
   * bus listens elsewhere is never met (the handshake times out silently).
   */
  clusterMeet(host: string, port: number, options?: NodeOption & { busPort?: number }): Promise<Ok>;
  /** CLUSTER REPLICATE on `node`: it becomes a replica of `masterId`. */
  clusterReplicate(masterId: string, options: NodeTarget): Promise<Ok>;
  /** CLUSTER RESET on `node` (SOFT by default): it forgets the cluster. A master must hold no keys. */
  clusterReset(options: NodeTarget & { mode?: ClusterResetMode }): Promise<Ok>;
  /**
   * CLUSTER SETSLOT on `node`: IMPORTING / MIGRATING / NODE need `nodeId` (the source, the
   * target, the new owner); STABLE takes none.
   */
  clusterSetSlot(slot: number, state: ClusterSetSlotState, options: NodeTarget & { nodeId?: string }): Promise<Ok>;
}

const NODE = ['node'] as const;

const methods = {
  async clusterInfo(this: HasCore, options?: NodeOption): Promise<ClusterInfo> {
    return toClusterInfo(await ask(this[CORE], 'CLUSTER INFO', options, ['CLUSTER', 'INFO']));
  },
  async clusterNodes(this: HasCore, options?: NodeOption): Promise<string> {
    return text(await ask(this[CORE], 'CLUSTER NODES', options, ['CLUSTER', 'NODES']));
  },
  async clusterNodesParsed(this: HasCore, options?: NodeOption): Promise<ClusterNodeEntry[]> {
    return parseClusterNodes(text(await ask(this[CORE], 'CLUSTER NODES', options, ['CLUSTER', 'NODES'])));
  },
  async clusterShards(this: HasCore, options?: NodeOption): Promise<ClusterShard[]> {
    return toClusterShards(await ask(this[CORE], 'CLUSTER SHARDS', options, ['CLUSTER', 'SHARDS']));
  },
  async clusterSlots(this: HasCore, options?: NodeOption): Promise<ClusterSlotRange[]> {
    return toClusterSlots(await ask(this[CORE], 'CLUSTER SLOTS', options, ['CLUSTER', 'SLOTS']));
  },
  async clusterMyId(this: HasCore, options: NodeTarget): Promise<string> {
    const node = nodeAddress('CLUSTER MYID', checkOptions('CLUSTER MYID', options, NODE, true).node, true);
    return text(await onNode(this[CORE], node, ['CLUSTER', 'MYID']));
  },
  async clusterMyIds(this: HasCore): Promise<Map<string, string>> {
    const replies = await this[CORE].onEachNode(['CLUSTER', 'MYID'], 'all');
    failIfAny('CLUSTER MYID', replies.length, replies.flatMap(({ node, reply }) => (reply instanceof Error ? [{ address: node.address, error: reply }] : [])));
    return new Map(replies.map(({ node, reply }) => [node.address, text(reply as RespReply)]));
  },
  async clusterKeySlot(this: HasCore, key: RedisKey, options?: NodeOption): Promise<number> {
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) throw invalid('CLUSTER KEYSLOT: key must be a string or a Buffer');
    return (await ask(this[CORE], 'CLUSTER KEYSLOT', options, ['CLUSTER', 'KEYSLOT', key])) as number;
  },
  async clusterCountKeysInSlot(this: HasCore, slot: number, options?: NodeOption): Promise<number> {
    const command = 'CLUSTER COUNTKEYSINSLOT';
    slotNumber(command, 'slot', slot);
    const node = nodeAddress(command, checkOptions(command, options, NODE, false).node, false) ?? (await masterAddress(this[CORE], command, slot));
    return (await onNode(this[CORE], node, ['CLUSTER', 'COUNTKEYSINSLOT', slot])) as number;
  },
  async clusterGetKeysInSlot(this: HasCore, slot: number, count: number, options?: NodeOption): Promise<RespReply[]> {
    const command = 'CLUSTER GETKEYSINSLOT';
    slotNumber(command, 'slot', slot);
    integerIn(command, 'count', count, 0, 2 ** 31 - 1);
    const node = nodeAddress(command, checkOptions(command, options, NODE, false).node, false) ?? (await masterAddress(this[CORE], command, slot));
    return (await onNode(this[CORE], node, ['CLUSTER', 'GETKEYSINSLOT', slot, count])) as RespReply[];
  },
  async clusterAddSlots(this: HasCore, slots: readonly number[], options: NodeTarget): Promise<Ok> {
    const command = 'CLUSTER ADDSLOTS';
    const list = slotList(command, slots);
    const node = nodeAddress(command, checkOptions(command, options, NODE, true).node, true);
    return (await onNode(this[CORE], node, ['CLUSTER', 'ADDSLOTS', ...list])) as Ok;
  },
  async clusterDelSlots(this: HasCore, slots: readonly number[], options?: NodeOption): Promise<Ok> {
    const command = 'CLUSTER DELSLOTS';
    const list = slotList(command, slots);
    const given = nodeAddress(command, checkOptions(command, options, NODE, false).node, false);
    const core = this[CORE];
    if (given !== undefined) return (await onNode(core, given, ['CLUSTER', 'DELSLOTS', ...list])) as Ok;
    await core.masters();
    const byOwner = new Map<string, number[]>();
    for (const slot of list) {
      const owner = core.masterOf(slot)?.address;
      if (owner === undefined) throw invalid(`${command}: slot ${slot} has no master in the client's slot table; pass option node to say which node to ask`);
      const owned = byOwner.get(owner);
      if (owned === undefined) byOwner.set(owner, [slot]);
      else owned.push(slot);
    }
    const outcomes = await Promise.all(
      [...byOwner].map(([address, owned]) =>
        onNode(core, address, ['CLUSTER', 'DELSLOTS', ...owned]).then(
          () => undefined,
          (error: unknown): NodeFailure => ({ address, error: error as Error }),
        ),
      ),
    );
    failIfAny(command, byOwner.size, outcomes.filter((outcome) => outcome !== undefined));
    return 'OK';
  },
  async clusterFailover(this: HasCore, options: NodeTarget & { mode?: ClusterFailoverMode }): Promise<Ok> {
    const command = 'CLUSTER FAILOVER';
    const checked = checkOptions(command, options, ['node', 'mode'], true);
    const node = nodeAddress(command, checked.node, true);
    const mode = token(command, 'mode', checked.mode, ['FORCE', 'TAKEOVER'] as const);
    return (await onNode(this[CORE], node, mode === undefined ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', mode])) as Ok;
  },
  async clusterForget(this: HasCore, nodeId: string, options?: NodeOption): Promise<Ok> {
    const command = 'CLUSTER FORGET';
    nonEmptyString(command, 'nodeId', nodeId);
    const node = nodeAddress(command, checkOptions(command, options, NODE, false).node, false);
    const core = this[CORE];
    if (node !== undefined) return (await onNode(core, node, ['CLUSTER', 'FORGET', nodeId])) as Ok;
    // The forgotten node itself refuses ("can't forget myself"), and a node that never knew it
    // (one just reset) answers "Unknown node": neither keeps the node known, so neither counts.
    const replies = (await core.onEachNode(['CLUSTER', 'FORGET', nodeId], 'all')).filter(
      ({ node: n, reply }) => n.id !== nodeId && !(reply instanceof Error && /^ERR Unknown node/.test(reply.message)),
    );
    failIfAny(command, replies.length, replies.flatMap(({ node: n, reply }) => (reply instanceof Error ? [{ address: n.address, error: reply }] : [])));
    return 'OK';
  },
  async clusterMeet(this: HasCore, host: string, port: number, options?: NodeOption & { busPort?: number }): Promise<Ok> {
    const command = 'CLUSTER MEET';
    nonEmptyString(command, 'host', host);
    integerIn(command, 'port', port, 1, 65535);
    const checked = checkOptions(command, options, ['node', 'busPort'], false);
    const busPort = checked.busPort === undefined ? undefined : integerIn(command, 'option busPort', checked.busPort, 1, 65535);
    const args: CommandArgument[] = ['CLUSTER', 'MEET', host, port];
    if (busPort !== undefined) args.push(busPort);
    return (await ask(this[CORE], command, { node: checked.node as string | undefined }, args)) as Ok;
  },
  async clusterReplicate(this: HasCore, masterId: string, options: NodeTarget): Promise<Ok> {
    const command = 'CLUSTER REPLICATE';
    nonEmptyString(command, 'masterId', masterId);
    const node = nodeAddress(command, checkOptions(command, options, NODE, true).node, true);
    return (await onNode(this[CORE], node, ['CLUSTER', 'REPLICATE', masterId])) as Ok;
  },
  async clusterReset(this: HasCore, options: NodeTarget & { mode?: ClusterResetMode }): Promise<Ok> {
    const command = 'CLUSTER RESET';
    const checked = checkOptions(command, options, ['node', 'mode'], true);
    const node = nodeAddress(command, checked.node, true);
    const mode = token(command, 'mode', checked.mode, ['HARD', 'SOFT'] as const);
    return (await onNode(this[CORE], node, mode === undefined ? ['CLUSTER', 'RESET'] : ['CLUSTER', 'RESET', mode])) as Ok;
  },
  async clusterSetSlot(this: HasCore, slot: number, state: ClusterSetSlotState, options: NodeTarget & { nodeId?: string }): Promise<Ok> {
    const command = 'CLUSTER SETSLOT';
    slotNumber(command, 'slot', slot);
    if (!['IMPORTING', 'MIGRATING', 'NODE', 'STABLE'].includes(state)) {
      throw invalid(`${command}: state must be one of IMPORTING, MIGRATING, NODE, STABLE; got ${JSON.stringify(state)}`);
    }
    const checked = checkOptions(command, options, ['node', 'nodeId'], true);
    const node = nodeAddress(command, checked.node, true);
    const args: CommandArgument[] = ['CLUSTER', 'SETSLOT', slot, state];
    if (state === 'STABLE') {
      if (checked.nodeId !== undefined) throw invalid(`${command}: option nodeId is not taken by STABLE`);
    } else {
      args.push(nonEmptyString(command, `option nodeId (needed by ${state})`, checked.nodeId));
    }
    return (await onNode(this[CORE], node, args)) as Ok;
  },
};

export function installAdminMethods(prototype: object): void {
  defineMethods(prototype, methods);
}

/** A question for `options.node`, or for a master the router picks (the command has no key). */
async function ask(core: ClusterCore, command: string, options: NodeOption | undefined, args: readonly CommandArgument[]): Promise<RespReply> {
  const node = nodeAddress(command, checkOptions(command, options, NODE, false).node, false);
  return node === undefined ? core.send(args) : onNode(core, node, args);
}

/**
 * One command on the node at `address`, not redirected. The client learns its nodes on discovery,
 * which a first call may have to wait for.
 */
async function onNode(core: ClusterCore, address: string, args: readonly CommandArgument[]): Promise<RespReply> {
  await core.masters();
  return core.sendToNode(address, args);
}

/** The master serving `slot` per the client's table, discovering the cluster first if needed. */
async function masterAddress(core: ClusterCore, command: string, slot: number): Promise<string> {
  await core.masters();
  const master = core.masterOf(slot);
  if (master === undefined) throw new ClusterError(`${command}: slot ${slot} is not served by any master in the client's slot table`, { command });
  return master.address;
}

function failIfAny(command: string, total: number, failures: readonly NodeFailure[]): void {
  if (failures.length > 0) throw new ClusterError(`${command} failed on ${failures.length} of ${total} nodes`, { command, failures });
}

function invalid(message: string): Error {
  return new InvalidArgumentError(message);
}
