import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyError } from '@hashslot/resp';
import type { RespReply } from '@hashslot/resp';
import { SlotMapError } from './errors.js';
import { SLOT_COUNT } from './key-slot.js';
import { SlotMap } from './slot-map.js';
import type { Shard, ShardNode, SlotMapSource } from './slot-map.js';

// Fixtures follow the RESP2 replies of redis-server 7.0.15, field for field and in its order:
// CLUSTER SHARDS nodes are flat maps `id port|tls-port ip endpoint [hostname] role
// replication-offset health`; CLUSTER SLOTS nodes are `[endpoint, port, id, {metadata}]`, the
// metadata map being empty when the endpoint already says everything.
// https://redis.io/docs/latest/commands/cluster-shards/ and /cluster-slots/

const SOURCE: SlotMapSource = { host: 'seed.example', port: 7000 };
const ASKED = 'seed.example:7000';

const A = 'a'.repeat(40);
const A1 = 'a1'.repeat(20);
const B = 'b'.repeat(40);
const B1 = 'b1'.repeat(20);
const C = 'c'.repeat(40);
const C1 = 'c1'.repeat(20);
const D = 'd'.repeat(40);
const D1 = 'd1'.repeat(20);

interface NodeSpec {
  id: string;
  port?: number;
  tlsPort?: number;
  ip?: string;
  endpoint: string | null;
  hostname?: string;
  role: 'master' | 'replica';
  offset?: number;
  health?: string;
}

/** One node of a CLUSTER SHARDS shard, as Redis 7.0 writes it. */
function shardsNode(spec: NodeSpec): RespReply[] {
  const fields: RespReply[] = ['id', spec.id];
  if (spec.port !== undefined) fields.push('port', spec.port);
  if (spec.tlsPort !== undefined) fields.push('tls-port', spec.tlsPort);
  if (spec.ip !== undefined) fields.push('ip', spec.ip);
  fields.push('endpoint', spec.endpoint);
  if (spec.hostname !== undefined) fields.push('hostname', spec.hostname);
  fields.push('role', spec.role, 'replication-offset', spec.offset ?? 1234, 'health', spec.health ?? 'online');
  return fields;
}

function shard(slots: number[], nodes: NodeSpec[]): RespReply[] {
  return ['slots', slots, 'nodes', nodes.map(shardsNode)];
}

/**
 * 3 masters with a replica each; A serves two ranges; B's replica has not synced yet
 * (`loading`), C's replica is down (`fail`). Shards come in the server's dict order, not by slot.
 */
const masterA: NodeSpec = { id: A, port: 7000, ip: '10.0.0.1', endpoint: '10.0.0.1', role: 'master' };
const replicaA: NodeSpec = { id: A1, port: 7003, ip: '10.0.0.4', endpoint: '10.0.0.4', role: 'replica' };
const masterB: NodeSpec = { id: B, port: 7001, ip: '10.0.0.2', endpoint: '10.0.0.2', role: 'master' };
const replicaB: NodeSpec = { id: B1, port: 7004, ip: '10.0.0.5', endpoint: '10.0.0.5', role: 'replica', offset: 0, health: 'loading' };
const masterC: NodeSpec = { id: C, port: 7002, ip: '10.0.0.3', endpoint: '10.0.0.3', role: 'master' };
const replicaC: NodeSpec = { id: C1, port: 7005, ip: '10.0.0.6', endpoint: '10.0.0.6', role: 'replica', health: 'fail' };

const CLUSTER_SHARDS: RespReply = [
  shard([11000, 16383], [masterC, replicaC]),
  shard([0, 5460, 10923, 10999], [masterA, replicaA]),
  shard([5461, 10922], [masterB, replicaB]),
];

/** The same cluster as CLUSTER SLOTS gives it: by slot, and without the loading and failed replicas. */
const CLUSTER_SLOTS: RespReply = [
  [0, 5460, ['10.0.0.1', 7000, A, []], ['10.0.0.4', 7003, A1, []]],
  [5461, 10922, ['10.0.0.2', 7001, B, []]],
  [10923, 10999, ['10.0.0.1', 7000, A, []], ['10.0.0.4', 7003, A1, []]],
  [11000, 16383, ['10.0.0.3', 7002, C, []]],
];

/** Bulk strings become Buffers, integers stay numbers: what a client with returnBuffers gets. */
function asBuffers(reply: RespReply): RespReply {
  if (typeof reply === 'string') return Buffer.from(reply);
  if (Array.isArray(reply)) return reply.map(asBuffers);
  return reply;
}

function expectSlotMapError(build: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SlotMapError);
  const error = thrown as SlotMapError;
  expect(error.code).toBe('ERR_HASHSLOT_SLOT_MAP');
  expect(error.address).toBe(ASKED);
  expect(error.message).toContain(`(in the reply of ${ASKED})`);
  expect(error.message).toMatch(message);
}

/** Replaces one field of the first node of the first shard of a one-shard reply. */
function oneNodeShards(fields: RespReply[]): RespReply {
  return [['slots', [0, 16383], 'nodes', [fields]]];
}

function endpointOfShards(spec: Partial<NodeSpec>, source: SlotMapSource = SOURCE): ShardNode {
  const map = SlotMap.fromClusterShards([shard([0, 16383], [{ ...masterA, ...spec }])], source);
  return map.masterOf(0)!;
}

describe('SlotMap.fromClusterShards on a 3-master, 3-replica cluster', () => {
  const map = SlotMap.fromClusterShards(CLUSTER_SHARDS, SOURCE);

  it('finds the right master on both sides of every range edge', () => {
    const edges: [number, string][] = [
      [0, A], [5460, A], [5461, B], [10922, B], [10923, A], [10999, A], [11000, C], [16383, C],
    ];
    for (const [slot, id] of edges) {
      expect(map.masterOf(slot)?.id, `slot ${slot}`).toBe(id);
      expect(map.shardOf(slot)?.master.id, `slot ${slot}`).toBe(id);
    }
    expect(map.uncoveredSlots()).toEqual([]);
  });

  it('keeps a shard with several ranges as one shard, ranges in the order given', () => {
    expect(map.shards).toHaveLength(3);
    const shardA = map.shardOf(0)!;
    expect(shardA.slots).toEqual([[0, 5460], [10923, 10999]]);
    expect(map.shardOf(10950)).toBe(shardA);
    expect(map.shardOf(5461)).not.toBe(shardA);
  });

  it('resolves each node to its endpoint and port, and keeps its ip', () => {
    expect(map.masterOf(0)).toEqual({ id: A, host: '10.0.0.1', port: 7000, role: 'master', health: 'online', ip: '10.0.0.1' });
    expect(map.shardOf(0)!.replicas).toEqual([
      { id: A1, host: '10.0.0.4', port: 7003, role: 'replica', health: 'online', ip: '10.0.0.4' },
    ]);
  });

  it('keeps replicas that are loading or failed, with their health', () => {
    expect(map.shardOf(5461)!.replicas.map((node) => [node.id, node.health])).toEqual([[B1, 'loading']]);
    expect(map.shardOf(16383)!.replicas.map((node) => [node.id, node.health])).toEqual([[C1, 'fail']]);
  });

  it('lists nodes() masters first, each group in shard order', () => {
    expect(map.nodes().map((node) => node.id)).toEqual([C, A, B, C1, A1, B1]);
    expect(map.nodes().map((node) => node.role)).toEqual(['master', 'master', 'master', 'replica', 'replica', 'replica']);
  });

  it('answers undefined for numbers that are not slots', () => {
    for (const slot of [-1, SLOT_COUNT, 1.5, Number.NaN]) {
      expect(map.shardOf(slot), String(slot)).toBeUndefined();
      expect(map.masterOf(slot), String(slot)).toBeUndefined();
    }
  });
});

describe('SlotMap.fromClusterShards: shards that serve nothing', () => {
  it('skips a shard whose master is missing (failed, no replica promoted yet) and leaves its slots uncovered', () => {
    const failed: NodeSpec = { ...replicaC, id: D1, health: 'fail' };
    const map = SlotMap.fromClusterShards([
      shard([0, 8191, 8201, 8999], [masterA]),
      shard([8192, 8200, 9000, 16383], [failed]),
    ], SOURCE);
    expect(map.shards.map((entry) => entry.master.id)).toEqual([A]);
    expect(map.masterOf(8192)).toBeUndefined();
    expect(map.masterOf(8191)?.id).toBe(A);
    expect(map.masterOf(8201)?.id).toBe(A);
    expect(map.uncoveredSlots()).toEqual([[8192, 8200], [9000, 16383]]);
    expect(map.nodes().map((node) => node.id)).toEqual([A]);
  });

  it('skips a shard without slots (a master just added), as CLUSTER SLOTS never lists it', () => {
    const map = SlotMap.fromClusterShards([
      shard([], [{ ...masterA, id: D, port: 7010 }, { ...replicaA, id: D1, port: 7011 }]),
      shard([0, 16383], [masterB]),
    ], SOURCE);
    expect(map.shards).toHaveLength(1);
    expect(map.nodes().map((node) => node.id)).toEqual([B]);
    expect(map.uncoveredSlots()).toEqual([]);
  });

  it('gives an empty reply every slot uncovered', () => {
    const map = SlotMap.fromClusterShards([], SOURCE);
    expect(map.shards).toEqual([]);
    expect(map.nodes()).toEqual([]);
    expect(map.uncoveredSlots()).toEqual([[0, 16383]]);
  });
});

describe('SlotMap.fromClusterShards endpoints', () => {
  it('uses a hostname endpoint and keeps both hostname and ip', () => {
    const node = endpointOfShards({ endpoint: 'redis-a.example', hostname: 'redis-a.example' });
    expect(node).toMatchObject({ host: 'redis-a.example', ip: '10.0.0.1', hostname: 'redis-a.example' });
  });

  it('uses an ip endpoint even when the node also has a hostname', () => {
    expect(endpointOfShards({ endpoint: '10.0.0.1', hostname: 'redis-a.example' })).toMatchObject({ host: '10.0.0.1', hostname: 'redis-a.example' });
  });

  it('has no hostname property when the server sends none', () => {
    const node = endpointOfShards({ endpoint: '10.0.0.1' });
    expect('hostname' in node).toBe(false);
  });

  it('resolves `?` (hostnames preferred, none set) to the node ip', () => {
    expect(endpointOfShards({ endpoint: '?' }).host).toBe('10.0.0.1');
  });

  it('resolves `?` to the host asked when the node has no usable ip', () => {
    expect(endpointOfShards({ endpoint: '?', ip: undefined }).host).toBe('seed.example');
    expect(endpointOfShards({ endpoint: '?', ip: '' }).host).toBe('seed.example');
  });

  it('resolves an empty endpoint (unknown-endpoint in 7.0, or an unknown own address) to the host asked, with the node port', () => {
    const node = endpointOfShards({ endpoint: '', hostname: 'redis-a.example' });
    expect(node).toMatchObject({ host: 'seed.example', port: 7000, ip: '10.0.0.1', hostname: 'redis-a.example' });
  });

  it('resolves a NULL endpoint to the host asked', () => {
    expect(endpointOfShards({ endpoint: null, port: 7005 })).toMatchObject({ host: 'seed.example', port: 7005 });
  });
});

describe('SlotMap.fromClusterShards ports and TLS', () => {
  it('picks tls-port with tls: true and port without, when the node has both', () => {
    expect(endpointOfShards({ port: 7000, tlsPort: 8000 }, { ...SOURCE, tls: true }).port).toBe(8000);
    expect(endpointOfShards({ port: 7000, tlsPort: 8000 }, { ...SOURCE, tls: false }).port).toBe(7000);
    expect(endpointOfShards({ port: 7000, tlsPort: 8000 }).port).toBe(7000);
  });

  it('uses tls-port of a TLS-only node (tls-cluster yes, port 0 sends no port field)', () => {
    expect(endpointOfShards({ port: undefined, tlsPort: 8000 }, { ...SOURCE, tls: true }).port).toBe(8000);
  });

  it('names the node and tls when a TLS-only node is read without tls', () => {
    expectSlotMapError(() => endpointOfShards({ port: undefined, tlsPort: 8000 }), new RegExp(`node ${A} has only a tls-port.*tls: true`));
  });

  it('falls back to port with tls: true when the node gives no tls-port', () => {
    expect(endpointOfShards({ port: 7000 }, { ...SOURCE, tls: true }).port).toBe(7000);
  });
});

describe('SlotMap.fromClusterShards with Buffers (returnBuffers)', () => {
  it('regression: a Buffer role and endpoint kept their masters and hostnames (roles compared to strings dropped every shard)', () => {
    const reply = [
      shard([0, 8191], [{ ...masterA, endpoint: 'redis-a.example', hostname: 'redis-a.example' }, replicaA]),
      shard([8192, 16383], [{ ...masterB, endpoint: '?' }, { ...replicaB, endpoint: '' }]),
    ];
    const fromStrings = SlotMap.fromClusterShards(reply, SOURCE);
    const fromBuffers = SlotMap.fromClusterShards(asBuffers(reply), SOURCE);
    expect(fromBuffers.uncoveredSlots()).toEqual([]);
    expect(fromBuffers.masterOf(0)).toMatchObject({ id: A, host: 'redis-a.example', hostname: 'redis-a.example', role: 'master' });
    expect(fromBuffers.masterOf(16383)).toMatchObject({ id: B, host: '10.0.0.2', role: 'master' });
    expect(fromBuffers.shardOf(16383)!.replicas[0]).toMatchObject({ id: B1, host: 'seed.example', health: 'loading' });
    expect(fromBuffers.shards).toEqual(fromStrings.shards);
  });

  it('reads the whole 3-master fixture the same from Buffers as from strings', () => {
    expect(SlotMap.fromClusterShards(asBuffers(CLUSTER_SHARDS), SOURCE).shards).toEqual(SlotMap.fromClusterShards(CLUSTER_SHARDS, SOURCE).shards);
  });
});

describe('SlotMap.fromClusterShards rejects malformed replies', () => {
  const node = shardsNode(masterA);
  const withField = (name: string, value: RespReply): RespReply[] => {
    const fields = [...node];
    const at = fields.indexOf(name);
    if (at === -1) fields.push(name, value);
    else fields[at + 1] = value;
    return fields;
  };
  const withoutField = (name: string): RespReply[] => {
    const fields = [...node];
    fields.splice(fields.indexOf(name), 2);
    return fields;
  };

  it.each<[string, RespReply, RegExp]>([
    ['a string', 'OK', /the reply is not an array/],
    ['NULL', null, /the reply is not an array/],
    ['an integer', 3, /the reply is not an array/],
    ['an error reply', new ReplyError('ERR This instance has cluster support disabled'), /the reply is not an array/],
    ['a shard that is not an array', ['slots'], /a shard is not an array/],
    ['a shard map with an odd number of items', [['slots', [0, 1], 'nodes']], /a shard has an odd number of map entries/],
    ['a shard without nodes', [['slots', [0, 1]]], /the nodes of a shard is not an array/],
    ['a shard without slots', [['nodes', [node]]], /the slots of a shard is not an array/],
    ['an odd list of slot bounds', [['slots', [0, 5, 9], 'nodes', [node]]], /odd number of slot bounds/],
    ['slot 16384', [['slots', [0, 16384], 'nodes', [node]]], /slot 16384 is not in 0\.\.16383/],
    ['slot -1', [['slots', [-1, 5], 'nodes', [node]]], /slot -1 is not in 0\.\.16383/],
    ['a fractional slot', [['slots', [0, 1.5], 'nodes', [node]]], /slot 1\.5 is not in/],
    ['a slot number as a string', [['slots', ['0', '16383'], 'nodes', [node]]], /slot 0 is not in/],
    ['a slot number as a Buffer', [['slots', [Buffer.from('0'), 16383], 'nodes', [node]]], /slot 0 is not in/],
    ['a range that ends before it starts', [['slots', [100, 99], 'nodes', [node]]], /slot range 100-99 ends before it starts/],
    ['a node that is not an array', [['slots', [0, 1], 'nodes', ['id']]], /a node is not an array/],
    ['a node map with an odd number of items', oneNodeShards([...node, 'extra']), /a node has an odd number of map entries/],
    ['a node without id', oneNodeShards(withoutField('id')), /node id is missing/],
    ['an empty node id', oneNodeShards(withField('id', '')), /node id is missing/],
    ['a node without port', oneNodeShards(withoutField('port')), new RegExp(`port undefined of node ${A}`)],
    ['port 0', oneNodeShards(withField('port', 0)), new RegExp(`port 0 of node ${A} is not in 1\\.\\.65535`)],
    ['port 65536', oneNodeShards(withField('port', 65536)), new RegExp(`port 65536 of node ${A} is not in 1\\.\\.65535`)],
    ['a port as a string', oneNodeShards(withField('port', '7000')), new RegExp(`port 7000 of node ${A} is not in`)],
    ['a node without role', oneNodeShards(withoutField('role')), new RegExp(`role undefined of node ${A} is neither master nor replica`)],
    ['an unknown role', oneNodeShards(withField('role', 'slave')), new RegExp(`role slave of node ${A} is neither`)],
    ['an endpoint that is an integer', oneNodeShards(withField('endpoint', 7)), new RegExp(`endpoint of node ${A} is not a string`)],
    ['an endpoint that is an array', oneNodeShards(withField('endpoint', ['10.0.0.1'])), new RegExp(`endpoint of node ${A} is not a string`)],
  ])('throws SlotMapError naming the node asked for %s', (_name, reply, message) => {
    expectSlotMapError(() => SlotMap.fromClusterShards(reply, SOURCE), message);
  });

  it('checks tls-port with tls: true', () => {
    expectSlotMapError(() => SlotMap.fromClusterShards(oneNodeShards(withField('tls-port', 0)), { ...SOURCE, tls: true }), /port 0 of node/);
    expectSlotMapError(() => SlotMap.fromClusterShards(oneNodeShards(withField('tls-port', 65536)), { ...SOURCE, tls: true }), /port 65536 of node/);
  });

  it('treats a `__proto__` field name as data: no prototype change, the other fields intact', () => {
    const fields = [...node.slice(0, 2), '__proto__', ['polluted', 'yes'], ...node.slice(2), 'constructor', 'x'];
    const map = SlotMap.fromClusterShards([['__proto__', ['polluted', 'yes'], 'slots', [0, 16383], 'nodes', [fields]]], SOURCE);
    expect(map.masterOf(0)).toEqual({ id: A, host: '10.0.0.1', port: 7000, role: 'master', health: 'online', ip: '10.0.0.1' });
    expect(Object.keys(map.masterOf(0)!).sort()).toEqual(['health', 'host', 'id', 'ip', 'port', 'role']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(map.masterOf(0))).toBe(Object.prototype);
  });

  it('does not take a `__proto__` field for a missing one', () => {
    expectSlotMapError(() => SlotMap.fromClusterShards(oneNodeShards(['__proto__', A, ...withoutField('id')]), SOURCE), /node id is missing/);
  });
});

describe('SlotMap.fromClusterSlots', () => {
  it('groups the ranges of one master into one shard and finds the master at every range edge', () => {
    const map = SlotMap.fromClusterSlots(CLUSTER_SLOTS, SOURCE);
    expect(map.shards.map((entry) => [entry.master.id, entry.slots])).toEqual([
      [A, [[0, 5460], [10923, 10999]]],
      [B, [[5461, 10922]]],
      [C, [[11000, 16383]]],
    ]);
    for (const [slot, id] of [[0, A], [5460, A], [5461, B], [10922, B], [10923, A], [10999, A], [11000, C], [16383, C]] as const) {
      expect(map.masterOf(slot)?.id, `slot ${slot}`).toBe(id);
    }
    expect(map.uncoveredSlots()).toEqual([]);
  });

  it('takes the first node as master and the rest as online replicas', () => {
    const map = SlotMap.fromClusterSlots(CLUSTER_SLOTS, SOURCE);
    expect(map.shardOf(0)).toEqual({
      master: { id: A, host: '10.0.0.1', port: 7000, role: 'master', health: 'online' },
      replicas: [{ id: A1, host: '10.0.0.4', port: 7003, role: 'replica', health: 'online' }],
      slots: [[0, 5460], [10923, 10999]],
    });
    expect(map.nodes().map((node) => node.id)).toEqual([A, B, C, A1]);
  });

  it('reads the pre-7 shape without the metadata map', () => {
    const map = SlotMap.fromClusterSlots([[0, 16383, ['10.0.0.1', 7000, A], ['10.0.0.4', 7003, A1]]], SOURCE);
    expect(map.masterOf(16383)).toEqual({ id: A, host: '10.0.0.1', port: 7000, role: 'master', health: 'online' });
    expect(map.shardOf(0)!.replicas.map((node) => node.id)).toEqual([A1]);
  });

  it('resolves endpoints with the metadata map: hostname, `?` to ip or the host asked, NULL and empty to the host asked', () => {
    const map = SlotMap.fromClusterSlots([
      [0, 99, ['redis-a.example', 7000, A, ['ip', '10.0.0.1']]],
      [100, 199, ['?', 7001, B, ['ip', '10.0.0.2']]],
      [200, 299, ['?', 7002, C, []]],
      [300, 399, [null, 7003, D, ['ip', '10.0.0.4', 'hostname', 'redis-d.example']]],
      [400, 16383, ['', 7004, D1, []]],
    ], SOURCE);
    expect(map.masterOf(0)).toEqual({ id: A, host: 'redis-a.example', port: 7000, role: 'master', health: 'online', ip: '10.0.0.1' });
    expect(map.masterOf(100)).toMatchObject({ host: '10.0.0.2', port: 7001 });
    expect(map.masterOf(200)).toMatchObject({ host: 'seed.example', port: 7002 });
    expect(map.masterOf(300)).toEqual({ id: D, host: 'seed.example', port: 7003, role: 'master', health: 'online', ip: '10.0.0.4', hostname: 'redis-d.example' });
    expect(map.masterOf(16383)).toMatchObject({ host: 'seed.example', port: 7004 });
  });

  it('regression: a Buffer endpoint was replaced by the host asked', () => {
    const reply = [[0, 16383, ['redis-a.example', 7000, A, ['ip', '10.0.0.1']], ['?', 7003, A1, ['ip', '10.0.0.4']]]];
    const map = SlotMap.fromClusterSlots(asBuffers(reply), SOURCE);
    expect(map.masterOf(0)).toEqual({ id: A, host: 'redis-a.example', port: 7000, role: 'master', health: 'online', ip: '10.0.0.1' });
    expect(map.shardOf(0)!.replicas[0]).toMatchObject({ id: A1, host: '10.0.0.4' });
    expect(map.shards).toEqual(SlotMap.fromClusterSlots(reply, SOURCE).shards);
    expect(SlotMap.fromClusterSlots(asBuffers(CLUSTER_SLOTS), SOURCE).shards).toEqual(SlotMap.fromClusterSlots(CLUSTER_SLOTS, SOURCE).shards);
  });

  it('leaves gaps uncovered, at the start, in the middle and at the end', () => {
    const map = SlotMap.fromClusterSlots([
      [1, 100, ['10.0.0.1', 7000, A, []]],
      [102, 16382, ['10.0.0.2', 7001, B, []]],
    ], SOURCE);
    expect(map.uncoveredSlots()).toEqual([[0, 0], [101, 101], [16383, 16383]]);
    expect(map.masterOf(0)).toBeUndefined();
    expect(map.masterOf(1)?.id).toBe(A);
    expect(map.masterOf(101)).toBeUndefined();
    expect(map.masterOf(102)?.id).toBe(B);
  });

  const node = ['10.0.0.1', 7000, A, []];
  it.each<[string, RespReply, RegExp]>([
    ['a string', 'OK', /the reply is not an array/],
    ['NULL', null, /the reply is not an array/],
    ['an error reply', new ReplyError('ERR This instance has cluster support disabled'), /the reply is not an array/],
    ['a range that is not an array', [5], /a slot range is not an array/],
    ['a range without nodes', [[0, 16383]], /malformed slot range 0-16383/],
    ['a range that ends before it starts', [[10, 9, node]], /malformed slot range 10-9/],
    ['slot 16384', [[0, 16384, node]], /slot 16384 is not in 0\.\.16383/],
    ['slot -1', [[-1, 16383, node]], /slot -1 is not in/],
    ['slot numbers as strings', [['0', '16383', node]], /slot 0 is not in/],
    ['a node that is not an array', [[0, 16383, '10.0.0.1']], /a node of a slot range is not an array/],
    ['a node without id', [[0, 16383, ['10.0.0.1', 7000]]], /node id is missing/],
    ['an empty node id', [[0, 16383, ['10.0.0.1', 7000, '']]], /node id is missing/],
    ['port 0', [[0, 16383, ['10.0.0.1', 0, A]]], new RegExp(`port 0 of node ${A} is not in 1\\.\\.65535`)],
    ['port 65536', [[0, 16383, ['10.0.0.1', 65536, A]]], new RegExp(`port 65536 of node ${A}`)],
    ['a port as a string', [[0, 16383, ['10.0.0.1', '7000', A]]], new RegExp(`port 7000 of node ${A}`)],
    ['an endpoint that is an integer', [[0, 16383, [1, 7000, A]]], new RegExp(`endpoint of node ${A} is not a string`)],
    ['metadata that is not a map', [[0, 16383, ['10.0.0.1', 7000, A, 'ip']]], /node metadata is not an array/],
    ['metadata with an odd number of items', [[0, 16383, ['10.0.0.1', 7000, A, ['ip']]]], /node metadata has an odd number of map entries/],
    ['a bad replica after a good master', [[0, 16383, node, ['10.0.0.4', 0, A1]]], new RegExp(`port 0 of node ${A1}`)],
  ])('throws SlotMapError naming the node asked for %s', (_name, reply, message) => {
    expectSlotMapError(() => SlotMap.fromClusterSlots(reply, SOURCE), message);
  });

  it('treats a `__proto__` metadata key as data', () => {
    const map = SlotMap.fromClusterSlots([[0, 16383, ['?', 7000, A, ['__proto__', ['x'], 'ip', '10.0.0.1']]]], SOURCE);
    expect(map.masterOf(0)).toEqual({ id: A, host: '10.0.0.1', port: 7000, role: 'master', health: 'online', ip: '10.0.0.1' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

/** What must match, slot by slot, between two maps of one cluster read at one moment. */
function expectSameRouting(shards: SlotMap, slots: SlotMap): void {
  // CLUSTER SLOTS leaves out replicas that are loading or failed; CLUSTER SHARDS lists them with their health.
  const describe = (shard: Shard | undefined, onlineOnly: boolean): string => {
    if (shard === undefined) return 'nobody';
    const replicas = shard.replicas.filter((node) => !onlineOnly || node.health === 'online');
    return [shard.master, ...replicas].map((node) => `${node.role} ${node.id} ${node.host}:${node.port}`).join(', ');
  };
  const left = new Map(shards.shards.map((shard) => [shard, describe(shard, true)]));
  const right = new Map(slots.shards.map((shard) => [shard, describe(shard, false)]));
  const differences: string[] = [];
  for (let slot = 0; slot < SLOT_COUNT && differences.length < 5; slot++) {
    const a = shards.shardOf(slot);
    const b = slots.shardOf(slot);
    const l = a === undefined ? 'nobody' : left.get(a);
    const r = b === undefined ? 'nobody' : right.get(b);
    if (l !== r) differences.push(`slot ${slot}: ${l} vs ${r}`);
  }
  expect(differences).toEqual([]);
}

describe('CLUSTER SHARDS and CLUSTER SLOTS of one cluster agree', () => {
  it('on the 3-master cluster: same master for every slot, same online replicas', () => {
    expectSameRouting(SlotMap.fromClusterShards(CLUSTER_SHARDS, SOURCE), SlotMap.fromClusterSlots(CLUSTER_SLOTS, SOURCE));
  });

  it('with hostnames preferred: hostnames where set, `?` resolved to the ip', () => {
    const shards = [
      shard([0, 8191], [{ ...masterA, endpoint: 'redis-a.example', hostname: 'redis-a.example' }, { ...replicaA, endpoint: '?' }]),
      shard([8192, 16383], [{ ...masterB, endpoint: '?' }]),
    ];
    const slots = [
      [0, 8191, ['redis-a.example', 7000, A, ['ip', '10.0.0.1']], ['?', 7003, A1, ['ip', '10.0.0.4']]],
      [8192, 16383, ['?', 7001, B, ['ip', '10.0.0.2']]],
    ];
    const fromShards = SlotMap.fromClusterShards(shards, SOURCE);
    expectSameRouting(fromShards, SlotMap.fromClusterSlots(slots, SOURCE));
    expect(fromShards.nodes().map((node) => node.host)).toEqual(['redis-a.example', '10.0.0.2', '10.0.0.4']);
  });

  it('with unknown-endpoint: the empty endpoint of CLUSTER SHARDS and the NULL of CLUSTER SLOTS both give the host asked', () => {
    const shards = [shard([0, 16383], [{ ...masterA, endpoint: '' }, { ...replicaA, endpoint: '' }])];
    const slots = [[0, 16383, [null, 7000, A, ['ip', '10.0.0.1']], [null, 7003, A1, ['ip', '10.0.0.4']]]];
    const fromShards = SlotMap.fromClusterShards(shards, SOURCE);
    expectSameRouting(fromShards, SlotMap.fromClusterSlots(slots, SOURCE));
    expect(fromShards.nodes().map((node) => `${node.host}:${node.port}`)).toEqual(['seed.example:7000', 'seed.example:7003']);
  });

  it('for random layouts: both replies give the slot owner of the model, range by range', () => {
    const layout = fc
      .uniqueArray(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 30 })
      .chain((cuts) => {
        const bounds = [0, ...cuts.sort((x, y) => x - y), SLOT_COUNT];
        const ranges = bounds.slice(0, -1).map((start, i) => [start, bounds[i + 1] - 1] as const);
        // Each range goes to one of 4 masters, or to nobody (-1).
        return fc.tuple(fc.constant(ranges), fc.array(fc.integer({ min: -1, max: 3 }), { minLength: ranges.length, maxLength: ranges.length }));
      });
    fc.assert(
      fc.property(layout, ([ranges, owners]) => {
        const ids = [A, B, C, D];
        const shardsReply: RespReply[] = ids.flatMap((id, owner) => {
          const slots = ranges.flatMap((range, i) => (owners[i] === owner ? [...range] : []));
          return slots.length === 0 ? [] : [shard(slots, [{ ...masterA, id, port: 7000 + owner, endpoint: `node-${owner}.example` }])];
        });
        const slotsReply: RespReply[] = ranges.flatMap(([start, end], i) =>
          owners[i] === -1 ? [] : [[start, end, [`node-${owners[i]}.example`, 7000 + owners[i], ids[owners[i]], []]]],
        );
        const fromShards = SlotMap.fromClusterShards(shardsReply, SOURCE);
        const fromSlots = SlotMap.fromClusterSlots(slotsReply, SOURCE);
        expectSameRouting(fromShards, fromSlots);
        const uncovered: [number, number][] = [];
        for (const [i, [start, end]] of ranges.entries()) {
          const owner = owners[i];
          for (const slot of [start, end]) expect(fromShards.masterOf(slot)?.id).toBe(owner === -1 ? undefined : ids[owner]);
          if (owner !== -1) continue;
          const last = uncovered[uncovered.length - 1];
          if (last !== undefined && last[1] === start - 1) last[1] = end;
          else uncovered.push([start, end]);
        }
        expect(fromShards.uncoveredSlots()).toEqual(uncovered);
        expect(fromSlots.uncoveredSlots()).toEqual(uncovered);
      }),
      { numRuns: 200 },
    );
  });
});
