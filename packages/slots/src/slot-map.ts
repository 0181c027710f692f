import type { RespReply } from '@hashslot/resp';
import { SlotMapError } from './errors.js';
import { SLOT_COUNT } from './key-slot.js';

/** One node of a shard, with the address clients should use. */
export interface ShardNode {
  /** The node's 40-character cluster id. */
  readonly id: string;
  /** Where to connect: the preferred endpoint, resolved as the spec says (see `SlotMap`). */
  readonly host: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** `online`, `fail` or `loading`, from CLUSTER SHARDS; `online` from CLUSTER SLOTS. */
  readonly health: string;
  /** The node's own fields, as the server gave them, where it gave them. */
  readonly ip?: string;
  readonly hostname?: string;
}

/** A master and its replicas, with the slot ranges they serve. */
export interface Shard {
  readonly master: ShardNode;
  readonly replicas: readonly ShardNode[];
  /** Inclusive `[start, end]` ranges. */
  readonly slots: readonly (readonly [number, number])[];
}

/** Which reply was asked and of which node: endpoints the node does not know resolve to it. */
export interface SlotMapSource {
  /** The host the CLUSTER SHARDS / CLUSTER SLOTS command was sent to. */
  readonly host: string;
  readonly port: number;
  /** Whether clients connect with TLS: CLUSTER SHARDS then gives `tls-port`. */
  readonly tls?: boolean;
}

/**
 * Slot -> shard, for all 16384 slots; a lookup is an array index.
 *
 * Endpoints follow the CLUSTER SLOTS documentation: a NULL endpoint (the node's endpoint is
 * unknown, `cluster-preferred-endpoint-type unknown-endpoint`) and an empty one (the node does
 * not know its own address yet) mean "the host you asked, with this port"; `?` (hostnames
 * preferred but none set) falls back to the node's `ip` when the reply has it, otherwise also
 * to the host asked.
 */
export class SlotMap {
  readonly shards: readonly Shard[];
  private readonly bySlot: (Shard | undefined)[];

  private constructor(shards: Shard[]) {
    this.shards = shards;
    this.bySlot = new Array<Shard | undefined>(SLOT_COUNT).fill(undefined);
    for (const shard of shards) {
      for (const [start, end] of shard.slots) for (let slot = start; slot <= end; slot++) this.bySlot[slot] = shard;
    }
  }

  /** Builds the map from a CLUSTER SHARDS reply (Redis 7 and later). */
  static fromClusterShards(reply: RespReply, source: SlotMapSource): SlotMap {
    const address = `${source.host}:${source.port}`;
    const shards: Shard[] = [];
    for (const entry of expectArray(reply, 'the reply', address)) {
      const fields = flatMap(entry, 'a shard', address);
      const slots = rangesFromFlatList(fields.get('slots'), address);
      const nodes = expectArray(fields.get('nodes') ?? null, 'the nodes of a shard', address).map((node) =>
        shardNodeFromShards(flatMap(node, 'a node', address), source, address),
      );
      const master = nodes.find((node) => node.role === 'master');
      // A shard whose master is gone (failed, not yet replaced) serves no slot until it is.
      if (master === undefined || slots.length === 0) continue;
      shards.push({ master, replicas: nodes.filter((node) => node !== master), slots });
    }
    return new SlotMap(shards);
  }

  /** Builds the map from a CLUSTER SLOTS reply (any Redis with cluster support). */
  static fromClusterSlots(reply: RespReply, source: SlotMapSource): SlotMap {
    const address = `${source.host}:${source.port}`;
    const byMaster = new Map<string, { master: ShardNode; replicas: ShardNode[]; slots: [number, number][] }>();
    for (const entry of expectArray(reply, 'the reply', address)) {
      const range = expectArray(entry, 'a slot range', address);
      const start = slotNumber(range[0], address);
      const end = slotNumber(range[1], address);
      if (end < start || range.length < 3) throw new SlotMapError(`malformed slot range ${start}-${end}`, address);
      const nodes = range.slice(2).map((node, i) => shardNodeFromSlots(node, i === 0 ? 'master' : 'replica', source, address));
      const master = nodes[0];
      const shard = byMaster.get(master.id) ?? { master, replicas: nodes.slice(1), slots: [] };
      shard.slots.push([start, end]);
      byMaster.set(master.id, shard);
    }
    return new SlotMap([...byMaster.values()]);
  }

  /** The shard serving `slot`, or `undefined` when no master serves it. */
  shardOf(slot: number): Shard | undefined {
    return this.bySlot[slot];
  }

  /** The master serving `slot`. */
  masterOf(slot: number): ShardNode | undefined {
    return this.bySlot[slot]?.master;
  }

  /** Slots no master serves, as inclusive ranges; empty when the cluster covers every slot. */
  uncoveredSlots(): [number, number][] {
    const ranges: [number, number][] = [];
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (this.bySlot[slot] !== undefined) continue;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[1] === slot - 1) last[1] = slot;
      else ranges.push([slot, slot]);
    }
    return ranges;
  }

  /** Every node of every shard, masters first. */
  nodes(): ShardNode[] {
    return [...this.shards.map((shard) => shard.master), ...this.shards.flatMap((shard) => shard.replicas)];
  }
}

function shardNodeFromShards(fields: Map<string, RespReply>, source: SlotMapSource, address: string): ShardNode {
  const id = expectString(fields.get('id'), 'node id', address);
  // A TLS-only node (tls-cluster yes, port 0) gives `tls-port` and no `port` at all.
  if (!source.tls && fields.get('port') === undefined && fields.get('tls-port') !== undefined) {
    throw new SlotMapError(`node ${id} has only a tls-port: build the map with tls: true`, address);
  }
  const port = portNumber(source.tls ? (fields.get('tls-port') ?? fields.get('port')) : fields.get('port'), id, address);
  const role = nodeRole(fields.get('role'), id, address);
  const ip = optionalString(fields.get('ip'));
  const hostname = optionalString(fields.get('hostname'));
  return {
    id,
    host: resolveEndpoint(endpointOf(fields.get('endpoint'), id, address), ip, source),
    port,
    role,
    health: optionalString(fields.get('health')) ?? 'online',
    ...(ip === undefined ? {} : { ip }),
    ...(hostname === undefined ? {} : { hostname }),
  };
}

function shardNodeFromSlots(reply: RespReply, role: 'master' | 'replica', source: SlotMapSource, address: string): ShardNode {
  const node = expectArray(reply, 'a node of a slot range', address);
  const id = expectString(node[2], 'node id', address);
  const endpoint = endpointOf(node[0], id, address);
  const port = portNumber(node[1], id, address);
  // Redis 7 appends a map of other networking metadata: hostname, ip.
  const metadata = node[3] === undefined ? new Map<string, RespReply>() : flatMap(node[3], 'node metadata', address);
  const ip = optionalString(metadata.get('ip'));
  const hostname = optionalString(metadata.get('hostname'));
  return {
    id,
    host: resolveEndpoint(endpoint, ip, source),
    port,
    role,
    health: 'online',
    ...(ip === undefined ? {} : { ip }),
    ...(hostname === undefined ? {} : { hostname }),
  };
}

/** A bulk string (a Buffer when the client returns Buffers) or NULL; anything else is malformed. */
function endpointOf(reply: RespReply | undefined, id: string, address: string): string | null {
  if (reply === null || reply === undefined) return null;
  const endpoint = optionalString(reply);
  if (endpoint === undefined) throw new SlotMapError(`endpoint of node ${id} is not a string`, address);
  return endpoint;
}

/** Only `master` and `replica` exist; guessing would silently drop a shard whose master is misread. */
function nodeRole(reply: RespReply | undefined, id: string, address: string): 'master' | 'replica' {
  const role = optionalString(reply);
  if (role === 'master' || role === 'replica') return role;
  throw new SlotMapError(`role ${String(role)} of node ${id} is neither master nor replica`, address);
}

function resolveEndpoint(endpoint: string | null, ip: string | undefined, source: SlotMapSource): string {
  if (endpoint === '?') return ip !== undefined && ip !== '' && ip !== '?' ? ip : source.host;
  if (endpoint === null || endpoint === '') return source.host;
  return endpoint;
}

/** RESP2 sends maps as flat arrays of key, value, key, value. */
function flatMap(reply: RespReply, what: string, address: string): Map<string, RespReply> {
  const items = expectArray(reply, what, address);
  if (items.length % 2 !== 0) throw new SlotMapError(`${what} has an odd number of map entries`, address);
  const map = new Map<string, RespReply>();
  for (let i = 0; i < items.length; i += 2) map.set(String(items[i]), items[i + 1]);
  return map;
}

function rangesFromFlatList(reply: RespReply | undefined, address: string): [number, number][] {
  const bounds = expectArray(reply ?? null, 'the slots of a shard', address);
  if (bounds.length % 2 !== 0) throw new SlotMapError('a shard lists an odd number of slot bounds', address);
  const ranges: [number, number][] = [];
  for (let i = 0; i < bounds.length; i += 2) {
    const start = slotNumber(bounds[i], address);
    const end = slotNumber(bounds[i + 1], address);
    if (end < start) throw new SlotMapError(`slot range ${start}-${end} ends before it starts`, address);
    ranges.push([start, end]);
  }
  return ranges;
}

function expectArray(reply: RespReply, what: string, address: string): RespReply[] {
  if (!Array.isArray(reply)) throw new SlotMapError(`${what} is not an array`, address);
  return reply;
}

function expectString(reply: RespReply | undefined, what: string, address: string): string {
  if (typeof reply === 'string' && reply.length > 0) return reply;
  if (Buffer.isBuffer(reply) && reply.length > 0) return reply.toString();
  throw new SlotMapError(`${what} is missing`, address);
}

function optionalString(reply: RespReply | undefined): string | undefined {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString();
  return undefined;
}

function slotNumber(reply: RespReply | undefined, address: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply) && reply >= 0 && reply < SLOT_COUNT) return reply;
  throw new SlotMapError(`slot ${String(reply)} is not in 0..${SLOT_COUNT - 1}`, address);
}

function portNumber(reply: RespReply | undefined, id: string, address: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply) && reply >= 1 && reply <= 65535) return reply;
  throw new SlotMapError(`port ${String(reply)} of node ${id} is not in 1..65535`, address);
}
