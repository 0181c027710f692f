import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { parseClusterNodes, parseInfo, startCluster, waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { Connection, type RespReply } from '@hashslot/resp';
import { ClusterError, InvalidArgumentError } from '@hashslot/cluster';
import { newClient } from './helpers.js';

const sharedStartupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));
const sharedNodes = () => sharedCluster().nodes.map((node) => ({ ...node, address: `${node.host}:${node.port}` }));

/** Asks a node directly, without the client. */
async function direct(address: string, ...args: (string | number)[]): Promise<RespReply> {
  const colon = address.lastIndexOf(':');
  const connection = new Connection({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
  try {
    return await connection.send(args);
  } finally {
    await connection.quit();
  }
}

describe('CLUSTER questions, on the shared cluster', () => {
  const client = newClient({ startupNodes: sharedStartupNodes() });

  it('clusterInfo gives each node its own CLUSTER INFO, integers as numbers', async () => {
    for (const node of sharedNodes()) {
      const info = await client.clusterInfo({ node: node.address });
      const expected = parseInfo(String(await direct(node.address, 'CLUSTER', 'INFO')));
      for (const name of ['cluster_state', 'cluster_slots_assigned', 'cluster_known_nodes', 'cluster_size', 'cluster_my_epoch']) {
        const value = expected.get(name)!;
        expect(info[name], `${node.address} ${name}`).toBe(/^\d+$/.test(value) ? Number(value) : value);
      }
    }
    expect(await client.clusterInfo()).toMatchObject({ cluster_state: 'ok', cluster_slots_assigned: 16384, cluster_size: 3 });
  });

  it('clusterNodes and clusterNodesParsed agree with what the node says', async () => {
    for (const node of sharedNodes()) {
      const raw = await client.clusterNodes({ node: node.address });
      const own = String(await direct(node.address, 'CLUSTER', 'NODES'));
      // Ping times move; the rest of each line does not.
      const stable = (text: string) => text.trim().split('\n').map((line) => { const f = line.split(' '); return [f[0], f[1], f[2], f[3], f[6], f[7], ...f.slice(8)].join(' '); }).sort();
      expect(stable(raw)).toEqual(stable(own));

      const parsed = await client.clusterNodesParsed({ node: node.address });
      const harness = parseClusterNodes(own);
      expect(parsed).toHaveLength(6);
      for (const entry of parsed) {
        const other = harness.find((candidate) => candidate.id === entry.id)!;
        expect(entry).toMatchObject({
          host: other.host,
          port: other.port,
          busPort: other.busPort,
          flags: other.flags,
          myself: other.myself,
          role: other.role,
          masterId: other.masterId,
          linkState: 'connected',
          slots: other.slots.map(({ start, end }) => [start, end]),
        });
      }
      expect(parsed.find((entry) => entry.myself)?.id).toBe(node.id);
    }
    // Without a node: a master the client picks.
    const some = await client.clusterNodesParsed();
    expect(some.filter((entry) => entry.role === 'master').map((entry) => entry.id).sort()).toEqual(
      sharedNodes().filter((node) => node.role === 'master').map((node) => node.id).sort(),
    );
  });

  it('clusterShards and clusterSlots describe the table the client routes by', async () => {
    await client.connect();
    const shards = await client.clusterShards({ node: sharedNodes()[0].address });
    expect(shards).toHaveLength(3);
    for (const shard of shards) {
      const master = shard.nodes.find((node) => node.role === 'master')!;
      expect(shard.nodes).toHaveLength(2);
      expect(master).toMatchObject({ ip: '127.0.0.1', endpoint: '127.0.0.1', health: 'online' });
      expect(typeof master.replicationOffset).toBe('number');
      for (const [start, end] of shard.slots) {
        expect(client.masterOf(start)?.id).toBe(master.id);
        expect(client.masterOf(end)?.address).toBe(`${master.ip}:${master.port}`);
      }
    }
    const slots = await client.clusterSlots();
    expect(slots.reduce((sum, range) => sum + range.end - range.start + 1, 0)).toBe(16384);
    for (const range of slots) {
      expect(client.masterOf(range.start)?.address).toBe(`${range.master.host}:${range.master.port}`);
      expect(client.masterOf(range.start)?.id).toBe(range.master.id);
    }
    // The same node asked directly gives the same ranges and nodes.
    const node = sharedNodes()[1].address;
    const own = (await direct(node, 'CLUSTER', 'SLOTS')) as [number, number, ...[string, number, string][]][];
    const endpoint = ([host, port, id]: [string, number, string]) => ({ host, port, id });
    expect(
      (await client.clusterSlots({ node })).map(({ start, end, master, replicas }) => ({
        start,
        end,
        nodes: [master, ...replicas].map(({ host, port, id }) => ({ host, port, id })),
      })),
    ).toEqual(own.map(([start, end, ...nodes]) => ({ start, end, nodes: nodes.map(endpoint) })));
  });

  it('clusterMyId and clusterMyIds give each node its id', async () => {
    for (const node of sharedNodes()) expect(await client.clusterMyId({ node: node.address })).toBe(node.id);
    const ids = await client.clusterMyIds();
    expect(new Map([...ids].sort())).toEqual(new Map(sharedNodes().map((node) => [node.address, node.id] as [string, string]).sort()));
  });

  it('clusterKeySlot answers what keySlot computes', async () => {
    for (const key of ['foo', '{user:1}:name', 'ünïcode', '{}empty']) expect(await client.clusterKeySlot(key)).toBe(keySlot(key));
    const binary = Buffer.from([0xff, 0x00, 0x7b, 0x61, 0x7d]);
    expect(await client.clusterKeySlot(binary, { node: sharedNodes()[3].address })).toBe(keySlot(binary));
  });

  it('clusterCountKeysInSlot and clusterGetKeysInSlot ask the slot master', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `{admin:slot}:${i}`);
    const slot = keySlot(keys[0]);
    await client.call('DEL', ...keys);
    // Other files share this cluster: a key of theirs may hash to the same slot.
    const others = await client.clusterCountKeysInSlot(slot);
    for (const key of keys) await client.call('SET', key, 'v');
    expect(await client.clusterCountKeysInSlot(slot)).toBe(others + 5);
    expect((await client.clusterGetKeysInSlot(slot, 1000)) as string[]).toEqual(expect.arrayContaining(keys));
    expect(await client.clusterGetKeysInSlot(slot, 2)).toHaveLength(2);
    // Another master has none of them: asking it directly says so.
    const other = sharedNodes().find((node) => node.role === 'master' && node.address !== client.masterOf(slot)?.address)!;
    expect(await client.clusterCountKeysInSlot(slot, { node: other.address })).toBe(0);
    const buffers = newClient({ startupNodes: sharedStartupNodes(), decodeResponses: false });
    const names = await buffers.clusterGetKeysInSlot(slot, 1);
    expect(Buffer.isBuffer(names[0])).toBe(true);
    expect(await buffers.clusterNodes()).toEqual(expect.any(String));
  });

  it('rejects wrong arguments with InvalidArgumentError naming them, and unknown nodes with a ClusterError', async () => {
    await expect(client.clusterFailover(undefined as never)).rejects.toThrow(InvalidArgumentError);
    await expect(client.clusterFailover({} as never)).rejects.toThrow(/CLUSTER FAILOVER: option node is required/);
    await expect(client.clusterFailover({ node: 'localhost' })).rejects.toThrow(/option node/);
    await expect(client.clusterFailover({ node: '127.0.0.1:1', mode: 'SOFT' as 'FORCE' })).rejects.toThrow(/option mode must be one of FORCE, TAKEOVER/);
    await expect(client.clusterInfo({ nodes: 'x' } as never)).rejects.toThrow(/unknown option nodes/);
    await expect(client.clusterCountKeysInSlot(16384)).rejects.toThrow(/slot must be an integer from 0 to 16383/);
    await expect(client.clusterGetKeysInSlot(1, -1)).rejects.toThrow(/count must be/);
    await expect(client.clusterAddSlots([], { node: '127.0.0.1:1' })).rejects.toThrow(/slots must be a non-empty array/);
    await expect(client.clusterDelSlots([1, 1.5])).rejects.toThrow(/each slot must be/);
    await expect(client.clusterSetSlot(1, 'STABLE', { node: '127.0.0.1:1', nodeId: 'x' })).rejects.toThrow(/nodeId is not taken by STABLE/);
    await expect(client.clusterSetSlot(1, 'IMPORTING', { node: '127.0.0.1:1' })).rejects.toThrow(/option nodeId \(needed by IMPORTING\)/);
    await expect(client.clusterSetSlot(1, 'OPEN' as 'STABLE', { node: '127.0.0.1:1' })).rejects.toThrow(/state must be one of/);
    await expect(client.clusterMeet('127.0.0.1', 70000)).rejects.toThrow(/port must be an integer from 1 to 65535/);
    await expect(client.clusterForget('')).rejects.toThrow(/nodeId must be a non-empty string/);
    await expect(client.clusterKeySlot(5 as unknown as string)).rejects.toThrow(/key must be/);
    const unknown = await client.clusterMyId({ node: '127.0.0.1:1' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ClusterError);
    expect((unknown as Error).message).toContain('127.0.0.1:1 is not a node of the cluster');
    // A replica refuses to fail over a master: the server's own error.
    const master = sharedNodes().find((node) => node.role === 'master')!;
    await expect(client.clusterFailover({ node: master.address })).rejects.toThrow(/You should send CLUSTER FAILOVER to a replica/);
  });
});

describe('CLUSTER changes, on a cluster of this file', () => {
  let cluster: TestCluster;
  const address = (node: ClusterNode) => `${node.host}:${node.port}`;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const ownClient = () => newClient({ startupNodes: cluster.startupNodes.map(({ host, port }) => ({ host, port })) });

  it('clusterDelSlots unassigns each slot on its master, and clusterAddSlots assigns it back', async () => {
    const client = ownClient();
    await client.connect();
    const slots = [1, 6000, 12000];
    const owners = slots.map((slot) => client.masterOf(slot)!);
    expect(new Set(owners.map((owner) => owner.address)).size).toBe(3);
    expect(await client.clusterDelSlots(slots)).toBe('OK');
    for (const [i, owner] of owners.entries()) {
      const myself = (await client.clusterNodesParsed({ node: owner.address })).find((entry) => entry.myself)!;
      expect(myself.slots.some(([start, end]) => slots[i] >= start && slots[i] <= end), owner.address).toBe(false);
    }
    // Unassigned now: nothing to group by, so node is needed, and the owner takes them back.
    for (const [i, owner] of owners.entries()) expect(await client.clusterAddSlots([slots[i]], { node: owner.address })).toBe('OK');
    for (const [i, owner] of owners.entries()) {
      const myself = (await client.clusterNodesParsed({ node: owner.address })).find((entry) => entry.myself)!;
      expect(myself.slots.some(([start, end]) => slots[i] >= start && slots[i] <= end)).toBe(true);
    }
    await cluster.waitForHealthy();
    // Assigned slots cannot be added again: the server's error, from that node.
    await expect(client.clusterAddSlots([1], { node: owners[0].address })).rejects.toThrow(/Slot 1 is already busy/);
  });

  it('clusterSetSlot moves an empty slot: IMPORTING, MIGRATING, then NODE on both sides', async () => {
    const client = ownClient();
    await client.connect();
    const slot = 100;
    const source = client.masterOf(slot)!;
    const target = client.nodes('master').find((node) => node.address !== source.address)!;
    expect(await client.clusterCountKeysInSlot(slot)).toBe(0);
    expect(await client.clusterSetSlot(slot, 'IMPORTING', { node: target.address, nodeId: source.id! })).toBe('OK');
    expect(await client.clusterSetSlot(slot, 'MIGRATING', { node: source.address, nodeId: target.id! })).toBe('OK');
    const sourceView = (await client.clusterNodesParsed({ node: source.address })).find((entry) => entry.myself)!;
    const targetView = (await client.clusterNodesParsed({ node: target.address })).find((entry) => entry.myself)!;
    expect(sourceView.migrating).toEqual([{ slot, nodeId: target.id }]);
    expect(targetView.importing).toEqual([{ slot, nodeId: source.id }]);
    expect(await client.clusterSetSlot(slot, 'NODE', { node: target.address, nodeId: target.id! })).toBe('OK');
    expect(await client.clusterSetSlot(slot, 'NODE', { node: source.address, nodeId: target.id! })).toBe('OK');
    await cluster.waitForHealthy();
    await client.refresh();
    expect(client.masterOf(slot)?.address).toBe(target.address);
    // A slot that is stable stays so.
    expect(await client.clusterSetSlot(slot, 'STABLE', { node: target.address })).toBe('OK');
  });

  it('clusterFailover on a replica makes it the master of its shard', async () => {
    const client = ownClient();
    await client.connect();
    const replica = client.nodes('replica')[0];
    expect(await client.clusterFailover({ node: replica.address })).toBe('OK');
    await waitFor(
      async () => (await client.clusterNodesParsed({ node: replica.address })).find((entry) => entry.myself)?.role === 'master',
      { timeoutMs: 20_000, description: 'the replica to be promoted' },
    );
    await cluster.waitForHealthy();
    await client.refresh();
    expect(client.nodes('master').map((node) => node.address)).toContain(replica.address);
  });

  it('clusterReplicate moves a replica to another master, and clusterReset makes it forget the cluster', async () => {
    const client = ownClient();
    await client.connect();
    const replica = client.nodes('replica')[0];
    const currentMaster = (await client.clusterNodesParsed({ node: replica.address })).find((entry) => entry.myself)!.masterId;
    const otherMaster = client.nodes('master').find((node) => node.id !== currentMaster)!;
    expect(await client.clusterReplicate(otherMaster.id!, { node: replica.address })).toBe('OK');
    expect((await client.clusterNodesParsed({ node: replica.address })).find((entry) => entry.myself)?.masterId).toBe(otherMaster.id);

    expect(await client.clusterReset({ node: replica.address, mode: 'SOFT' })).toBe('OK');
    const alone = await client.clusterNodesParsed({ node: replica.address });
    expect(alone).toHaveLength(1);
    expect(alone[0]).toMatchObject({ myself: true, role: 'master', id: replica.id, slots: [] });
    // A master with keys refuses: the server's own rule.
    const withKeys = client.masterOf(keySlot('admin:reset'))!;
    await client.call('SET', 'admin:reset', 'x');
    await expect(client.clusterReset({ node: withKeys.address })).rejects.toThrow(/containing keys/);
  });

  it('clusterForget removes a node from every other node, and clusterMeet brings it back', async () => {
    const client = ownClient();
    await client.connect();
    const forgotten = client.nodes('replica')[0];
    // Its bus port, which CLUSTER MEET needs: the harness does not use port + 10000.
    const { busPort } = (await client.clusterNodesParsed({ node: forgotten.address })).find((entry) => entry.myself)!;
    expect(await client.clusterForget(forgotten.id!)).toBe('OK');
    const others = client.nodes('all').filter((node) => node.id !== forgotten.id);
    for (const node of others) {
      const ids = (await client.clusterNodesParsed({ node: node.address })).map((entry) => entry.id);
      expect(ids, node.address).not.toContain(forgotten.id);
    }
    // The forgotten node cannot forget itself, so asking only it fails with its own reason.
    await expect(client.clusterForget(forgotten.id!, { node: forgotten.address })).rejects.toThrow(/can't forget myself/);

    const meeter = others.find((node) => node.role === 'master')!;
    expect(await client.clusterMeet(forgotten.host, forgotten.port, { node: meeter.address, busPort })).toBe('OK');
    await waitFor(
      async () => (await client.clusterNodesParsed({ node: meeter.address })).some((entry) => entry.id === forgotten.id && !entry.flags.includes('handshake')),
      { timeoutMs: 20_000, description: 'the forgotten node to be met again' },
    );
  });
});
