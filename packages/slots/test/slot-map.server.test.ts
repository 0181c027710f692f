import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '@hashslot/resp';
import type { CommandArgs, RespReply } from '@hashslot/resp';
import { parseClusterNodes, startCluster, waitFor } from '@hashslot/test-cluster';
import type { ClusterNodesEntry, TestCluster } from '@hashslot/test-cluster';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { keySlot, SLOT_COUNT, SlotMap, SlotMapError } from '@hashslot/slots';
import type { Shard, SlotMapSource } from '@hashslot/slots';

/** `master id host:port; replica id, ...` of a shard, or `nobody`: what one slot routes to. */
function describeShard(shard: Shard | undefined): string {
  if (shard === undefined) return 'nobody';
  const replicas = shard.replicas.map((node) => node.id).sort();
  return `master ${shard.master.id} ${shard.master.host}:${shard.master.port}; replicas ${replicas.join(',')}`;
}

/** The same description from CLUSTER NODES text. */
function ownersFromClusterNodes(entries: readonly ClusterNodesEntry[]): string[] {
  const owners = new Array<string>(SLOT_COUNT).fill('nobody');
  for (const master of entries.filter((entry) => entry.role === 'master')) {
    const replicas = entries.filter((entry) => entry.masterId === master.id).map((entry) => entry.id).sort();
    const text = `master ${master.id} ${master.host}:${master.port}; replicas ${replicas.join(',')}`;
    for (const { start, end } of master.slots) owners.fill(text, start, end + 1);
  }
  return owners;
}

/** Slots on which the maps (and CLUSTER NODES) disagree, at most a few. */
function disagreements(views: Record<string, (slot: number) => string>): string[] {
  const names = Object.keys(views);
  const found: string[] = [];
  for (let slot = 0; slot < SLOT_COUNT && found.length < 5; slot++) {
    const seen = names.map((name) => views[name](slot));
    if (seen.some((text) => text !== seen[0])) found.push(`slot ${slot}: ${names.map((name, i) => `${name}=${seen[i]}`).join(' | ')}`);
  }
  return found;
}

/** id -> endpoint as the server sent it, from a RESP2 CLUSTER SHARDS reply (string mode). */
function shardsEndpoints(reply: RespReply): Map<string, RespReply> {
  const endpoints = new Map<string, RespReply>();
  for (const shard of reply as RespReply[][]) {
    const nodes = shard[shard.indexOf('nodes') + 1] as RespReply[][];
    for (const node of nodes) endpoints.set(node[node.indexOf('id') + 1] as string, node[node.indexOf('endpoint') + 1]);
  }
  return endpoints;
}

/** id -> endpoint as the server sent it, from a CLUSTER SLOTS reply. */
function slotsEndpoints(reply: RespReply): Map<string, RespReply> {
  const endpoints = new Map<string, RespReply>();
  for (const range of reply as RespReply[][]) {
    for (const node of range.slice(2) as RespReply[][]) endpoints.set(node[2] as string, node[0]);
  }
  return endpoints;
}

/** Pipelined commands whose replies must all be replies: any error fails the test with it. */
async function batch(conn: Connection, commands: readonly CommandArgs[]): Promise<RespReply[]> {
  return (await conn.sendBatch(commands)).map((reply) => {
    if (reply instanceof Error) throw reply;
    return reply;
  });
}

async function oneCommand(node: { host: string; port: number }, args: (string | number)[]): Promise<RespReply> {
  const conn = new Connection({ host: node.host, port: node.port });
  try {
    return await conn.send(args);
  } finally {
    await conn.quit();
  }
}

describe('SlotMap on the shared cluster', () => {
  const cluster = sharedCluster();

  beforeAll(async () => {
    // A replica whose replication offset is still 0 is `loading` in CLUSTER SHARDS and missing
    // from CLUSTER SLOTS. One write per master moves every offset; then wait until every node's
    // view (offsets travel by gossip) calls every replica online.
    const entries = parseClusterNodes(await oneCommand(cluster.startupNodes[0], ['CLUSTER', 'NODES']) as string);
    await Promise.all(entries.filter((entry) => entry.role === 'master').map(async (master) => {
      let n = 0;
      while (!master.slots.some(({ start, end }) => keySlot(`slot-map-test:${n}`) >= start && keySlot(`slot-map-test:${n}`) <= end)) n++;
      await oneCommand(master, ['SET', `slot-map-test:${n}`, 'x', 'PX', 10_000]);
    }));
    await waitFor(async () => {
      for (const node of cluster.nodes) {
        const map = SlotMap.fromClusterShards(await oneCommand(node, ['CLUSTER', 'SHARDS']), node);
        if (map.nodes().length !== cluster.nodes.length || map.nodes().some((each) => each.health !== 'online')) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200, description: 'every node to see every replica online' });
  });

  it('gives, on every node asked, the master and replicas CLUSTER NODES gives, from CLUSTER SHARDS and CLUSTER SLOTS alike', async () => {
    for (const node of cluster.nodes) {
      const conn = new Connection({ host: node.host, port: node.port });
      try {
        const [shardsReply, slotsReply, nodesReply] = await batch(conn, [['CLUSTER', 'SHARDS'], ['CLUSTER', 'SLOTS'], ['CLUSTER', 'NODES']]);
        const source: SlotMapSource = { host: node.host, port: node.port };
        const fromShards = SlotMap.fromClusterShards(shardsReply, source);
        const fromSlots = SlotMap.fromClusterSlots(slotsReply, source);
        const owners = ownersFromClusterNodes(parseClusterNodes(nodesReply as string));
        expect(owners.includes('nobody'), `${node.port} sees every slot served`).toBe(false);
        expect(disagreements({
          nodes: (slot) => owners[slot],
          shards: (slot) => describeShard(fromShards.shardOf(slot)),
          slots: (slot) => describeShard(fromSlots.shardOf(slot)),
        }), `asking ${node.host}:${node.port}`).toEqual([]);
        expect(fromShards.uncoveredSlots()).toEqual([]);
        expect(fromSlots.uncoveredSlots()).toEqual([]);
        expect(fromShards.shards).toHaveLength(3);
        expect(fromSlots.shards).toHaveLength(3);
        const expectedIds = cluster.nodes.map((each) => each.id).sort();
        expect(fromShards.nodes().map((each) => each.id).sort()).toEqual(expectedIds);
        expect(fromSlots.nodes().map((each) => each.id).sort()).toEqual(expectedIds);
        expect(fromShards.nodes().slice(0, 3).every((each) => each.role === 'master')).toBe(true);
        // Roles agree with the harness's own view of the cluster.
        for (const each of fromShards.nodes()) expect(each.role, each.id).toBe(cluster.nodes.find((known) => known.id === each.id)?.role);
      } finally {
        await conn.quit();
      }
    }
  });

  it('builds the same maps from the Buffers of a returnBuffers connection as from strings', async () => {
    const node = cluster.startupNodes[0];
    const strings = new Connection({ host: node.host, port: node.port });
    const buffers = new Connection({ host: node.host, port: node.port, returnBuffers: true });
    try {
      const [shardsText, slotsText] = await batch(strings, [['CLUSTER', 'SHARDS'], ['CLUSTER', 'SLOTS']]);
      const [shardsBytes, slotsBytes] = await batch(buffers, [['CLUSTER', 'SHARDS'], ['CLUSTER', 'SLOTS']]);
      expect(Buffer.isBuffer((shardsBytes as RespReply[][])[0][0])).toBe(true);
      const fromBytes = SlotMap.fromClusterShards(shardsBytes, node);
      expect(fromBytes.uncoveredSlots()).toEqual([]);
      expect(fromBytes.shards).toEqual(SlotMap.fromClusterShards(shardsText, node).shards);
      expect(SlotMap.fromClusterSlots(slotsBytes, node).shards).toEqual(SlotMap.fromClusterSlots(slotsText, node).shards);
    } finally {
      await Promise.all([strings.quit(), buffers.quit()]);
    }
  });
});

describe('SlotMap endpoints on a TLS cluster that prefers hostnames', () => {
  let cluster: TestCluster;
  /** Asked through "localhost" so that the host asked differs from every node's ip 127.0.0.1. */
  const ASKED_HOST = 'localhost';
  const HOSTNAMES = ['node-0.hashslot.test', 'node-1.hashslot.test'];

  async function ask(index: number): Promise<{ shards: RespReply; slots: RespReply; source: SlotMapSource }> {
    const node = cluster.nodes[index];
    const conn = new Connection({ host: ASKED_HOST, port: node.port, tls: { ca: cluster.tls!.ca } });
    try {
      const [shards, slots] = await batch(conn, [['CLUSTER', 'SHARDS'], ['CLUSTER', 'SLOTS']]);
      return { shards, slots, source: { host: ASKED_HOST, port: node.port, tls: true } };
    } finally {
      await conn.quit();
    }
  }

  function hostsBySlotOwner(map: SlotMap): string[] {
    return cluster.nodes.map((node) => {
      const master = map.masterOf(node.slots[0].start);
      expect(master?.id).toBe(node.id);
      expect(master?.port).toBe(node.port);
      return master!.host;
    });
  }

  beforeAll(async () => {
    cluster = await startCluster({
      masters: 3,
      replicasPerMaster: 0,
      tls: true,
      extraConfig: { 'cluster-preferred-endpoint-type': 'hostname' },
    });
    // Nodes 0 and 1 get hostnames at run time; node 2 keeps none.
    for (const [i, hostname] of HOSTNAMES.entries()) await cluster.cli(cluster.nodes[i], 'CONFIG', 'SET', 'cluster-announce-hostname', hostname);
    await waitFor(async () => {
      for (const node of cluster.nodes) {
        const text = await cluster.cli(node, 'CLUSTER', 'NODES');
        if (!HOSTNAMES.every((hostname) => text.includes(`,${hostname} `))) return false;
      }
      return true;
    }, { timeoutMs: 20_000, intervalMs: 100, description: 'every node to learn the hostnames by gossip' });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('uses hostnames where set and the ip for `?`, from CLUSTER SHARDS and CLUSTER SLOTS alike', async () => {
    for (const index of [0, 2]) {
      const { shards, slots, source } = await ask(index);
      // The server really sent `?` for the node without a hostname.
      expect(shardsEndpoints(shards).get(cluster.nodes[2].id)).toBe('?');
      expect(slotsEndpoints(slots).get(cluster.nodes[2].id)).toBe('?');
      expect(shardsEndpoints(shards).get(cluster.nodes[0].id)).toBe(HOSTNAMES[0]);
      const fromShards = SlotMap.fromClusterShards(shards, source);
      const fromSlots = SlotMap.fromClusterSlots(slots, source);
      expect(hostsBySlotOwner(fromShards), `asking node ${index}`).toEqual([...HOSTNAMES, '127.0.0.1']);
      expect(hostsBySlotOwner(fromSlots), `asking node ${index}`).toEqual([...HOSTNAMES, '127.0.0.1']);
      expect(fromShards.masterOf(0)).toMatchObject({ hostname: HOSTNAMES[0], ip: '127.0.0.1' });
      expect('hostname' in fromShards.masterOf(16383)!).toBe(false);
      expect(fromShards.uncoveredSlots()).toEqual([]);
      expect(fromSlots.uncoveredSlots()).toEqual([]);
    }
  });

  it('takes the port from tls-port (a TLS-only node sends no port field) and refuses to build a plaintext map', async () => {
    const { shards, slots, source } = await ask(2);
    const firstNode = ((shards as RespReply[][])[0][3] as RespReply[][])[0];
    expect(firstNode).toContain('tls-port');
    expect(firstNode).not.toContain('port');
    expect(SlotMap.fromClusterShards(shards, source).nodes().map((node) => node.port).sort()).toEqual(cluster.nodes.map((node) => node.port).sort());
    // CLUSTER SLOTS has one port, the TLS one under tls-cluster yes.
    expect(SlotMap.fromClusterSlots(slots, source).nodes().map((node) => node.port).sort()).toEqual(cluster.nodes.map((node) => node.port).sort());
    expect(() => SlotMap.fromClusterShards(shards, { ...source, tls: false })).toThrow(SlotMapError);
    expect(() => SlotMap.fromClusterShards(shards, { ...source, tls: false })).toThrow(/only a tls-port/);
  });

  it('gives the host asked for every node under unknown-endpoint (CLUSTER SHARDS sends "", CLUSTER SLOTS NULL)', async () => {
    const asked = cluster.nodes[2];
    await cluster.cli(asked, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'unknown-endpoint');
    try {
      const { shards, slots, source } = await ask(2);
      expect([...shardsEndpoints(shards).values()]).toEqual(['', '', '']);
      expect([...slotsEndpoints(slots).values()]).toEqual([null, null, null]);
      for (const map of [SlotMap.fromClusterShards(shards, source), SlotMap.fromClusterSlots(slots, source)]) {
        expect(hostsBySlotOwner(map)).toEqual([ASKED_HOST, ASKED_HOST, ASKED_HOST]);
        // The node's own fields survive for a client that would rather use them.
        expect(map.masterOf(0)).toMatchObject({ ip: '127.0.0.1', hostname: HOSTNAMES[0] });
      }
    } finally {
      await cluster.cli(asked, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'hostname');
    }
  });

  it('uses the ip under the ip endpoint type even where a hostname is set, keeping the hostname', async () => {
    const asked = cluster.nodes[0];
    await cluster.cli(asked, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'ip');
    try {
      const { shards, slots, source } = await ask(0);
      for (const map of [SlotMap.fromClusterShards(shards, source), SlotMap.fromClusterSlots(slots, source)]) {
        expect(hostsBySlotOwner(map)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
        expect(map.masterOf(0)?.hostname).toBe(HOSTNAMES[0]);
      }
    } finally {
      await cluster.cli(asked, 'CONFIG', 'SET', 'cluster-preferred-endpoint-type', 'hostname');
    }
  });
});
