import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliCommandError, InvalidOperationError, parseInfo, startCluster } from '../src/index.js';
import type { ClusterNode, TestCluster } from '../src/index.js';
import { expectGone, knownIds, slotsOwnerPort } from './helpers.js';

// One cluster for this file: each test leaves it healthy for the next one.
let cluster: TestCluster;
let stopped = false;

beforeAll(async () => {
  cluster = await startCluster();
});

// A test that fails half way must not take the following ones down with it.
beforeEach(async () => {
  if (cluster && !stopped) await cluster.waitForHealthy();
});

afterAll(async () => {
  await cluster?.stop();
});

async function slotOf(key: string): Promise<number> {
  return Number(await cluster.cli(cluster.masters()[0], 'CLUSTER', 'KEYSLOT', key));
}

async function otherMaster(than: ClusterNode): Promise<ClusterNode> {
  const other = cluster.masters().find((node) => node.id !== than.id);
  if (!other) throw new Error('need two masters');
  return other;
}

async function markers(node: ClusterNode): Promise<string[]> {
  const nodes = await cluster.cli(node, 'CLUSTER', 'NODES');
  return nodes.match(/\[[^\]]+\]/g) ?? [];
}

describe('startCluster', () => {
  it('boots 3 masters with 1 replica each, every node healthy and covering all 16384 slots', async () => {
    expect(cluster.masters()).toHaveLength(3);
    expect(cluster.replicas()).toHaveLength(3);
    for (const master of cluster.masters()) expect(cluster.replicasOf(master)).toHaveLength(1);
    expect(new Set(cluster.nodes.map((node) => node.port)).size).toBe(6);
    expect(cluster.startupNodes).toHaveLength(6);
    for (const node of cluster.nodes) {
      const info = parseInfo(await cluster.cli(node, 'CLUSTER', 'INFO'));
      expect(info.get('cluster_state')).toBe('ok');
      expect(info.get('cluster_slots_assigned')).toBe('16384');
      expect(info.get('cluster_slots_ok')).toBe('16384');
      expect(info.get('cluster_known_nodes')).toBe('6');
      expect(existsSync(join(node.dir, 'nodes.conf'))).toBe(true);
    }
  });

  it('has every replica in sync with its master', async () => {
    for (const replica of cluster.replicas()) {
      const info = parseInfo(await cluster.cli(replica, 'INFO', 'replication'));
      const master = cluster.node(replica.masterId ?? '');
      expect(info.get('master_link_status')).toBe('up');
      expect(info.get('master_port')).toBe(String(master.port));
      expect(await cluster.cli(master, 'INFO', 'replication')).toMatch(new RegExp(`port=${replica.port},state=online`));
    }
  });

  it('writes the config the tests rely on: own bus port, short node timeout, DEBUG enabled', async () => {
    const node = cluster.nodes[0];
    const conf = readFileSync(join(node.dir, 'redis.conf'), 'utf8');
    expect(conf).toContain(`cluster-port ${node.busPort}`);
    expect(conf).toContain('cluster-node-timeout 1000');
    await expect(cluster.cli(node, 'DEBUG', 'SLEEP', 0)).resolves.toBe('OK');
  });

  it('knows which master serves a slot, and other masters answer MOVED', async () => {
    const slot = await slotOf('owner-check');
    const owner = await cluster.slotOwner(slot);
    expect(owner.role).toBe('master');
    expect(await slotsOwnerPort(cluster, cluster.nodes[3], slot)).toBe(owner.port);
    await expect(cluster.cli(owner, 'SET', 'owner-check', 'v')).resolves.toBe('OK');
    const other = await otherMaster(owner);
    const error = await cluster.cli(other, 'GET', 'owner-check').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliCommandError);
    expect((error as CliCommandError).reply).toBe(`MOVED ${slot} 127.0.0.1:${owner.port}`);
  });

  it('cliWith times out with a typed error instead of hanging', async () => {
    // On a replica and shorter than the node timeout, so no failover is triggered.
    const error = await cluster.cliWith(cluster.replicas()[0], { timeoutMs: 200 }, 'DEBUG', 'SLEEP', 0.6).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CliCommandError', timedOut: true });
  });
});

describe('moveSlot', () => {
  it('moves a slot with all its keys (more than one MIGRATE batch); every node then routes it to the target', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `{full}:${i}`);
    const slot = await slotOf(keys[0]);
    const source = await cluster.slotOwner(slot);
    const target = await otherMaster(source);
    await cluster.cli(source, 'MSET', ...keys.flatMap((key) => [key, `v-${key}`]));

    const migration = await cluster.moveSlot(slot, target);

    expect(migration.state).toBe('finished');
    expect(migration.migratedKeys).toHaveLength(250);
    expect(await cluster.cli(target, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe('250');
    expect(await cluster.cli(source, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe('0');
    expect(await cluster.cli(target, 'GET', '{full}:249')).toBe('v-{full}:249');
    for (const node of cluster.nodes) expect(await slotsOwnerPort(cluster, node, slot)).toBe(target.port);
    expect((await cluster.slotOwner(slot)).id).toBe(target.id);
    await cluster.waitForHealthy();
  });

  it("stopAt 'migrating' leaves both sides marked with no key moved; cancel() makes them stable", async () => {
    const slot = await slotOf('{mig}:a');
    const source = await cluster.slotOwner(slot);
    await cluster.cli(source, 'SET', '{mig}:a', '1');
    const migration = await cluster.moveSlot(slot, await otherMaster(source), { stopAt: 'migrating' });
    const target = migration.target;

    expect(migration.state).toBe('migrating');
    expect(await markers(source)).toEqual([`[${slot}->-${target.id}]`]);
    expect(await markers(target)).toEqual([`[${slot}-<-${source.id}]`]);
    // Existing keys are still served by the source; a key it does not have is someone else's now.
    expect(await cluster.cli(source, 'GET', '{mig}:a')).toBe('1');
    await expect(cluster.cli(source, 'GET', '{mig}:absent')).rejects.toMatchObject({
      reply: `ASK ${slot} 127.0.0.1:${target.port}`,
    });

    await migration.cancel();
    expect(migration.state).toBe('cancelled');
    expect(await markers(source)).toEqual([]);
    expect(await markers(target)).toEqual([]);
    expect((await cluster.slotOwner(slot)).id).toBe(source.id);
    await expect(cluster.cli(source, 'GET', '{mig}:absent')).resolves.toBe('');
  });

  it("stopAt 'partial': moved keys answer ASK from the source, the others are still served there; finish() completes", async () => {
    const slot = await slotOf('{part}:moved');
    const source = await cluster.slotOwner(slot);
    const target = await otherMaster(source);
    await cluster.cli(source, 'MSET', '{part}:moved', 'm', '{part}:stays', 's');

    const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: ['{part}:moved'] });

    expect(migration.state).toBe('partial');
    expect(migration.migratedKeys).toEqual(['{part}:moved']);
    await expect(cluster.cli(source, 'GET', '{part}:moved')).rejects.toMatchObject({
      reply: `ASK ${slot} 127.0.0.1:${target.port}`,
    });
    expect(await cluster.cli(source, 'GET', '{part}:stays')).toBe('s');
    expect(await cluster.cli(target, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe('1');
    // Without ASKING the target does not serve a slot it is only importing.
    await expect(cluster.cli(target, 'GET', '{part}:moved')).rejects.toMatchObject({ reply: expect.stringMatching(/^MOVED /) });

    await migration.finish();
    expect(migration.state).toBe('finished');
    for (const node of cluster.nodes) expect(await slotsOwnerPort(cluster, node, slot)).toBe(target.port);
    expect(await cluster.cli(target, 'MGET', '{part}:moved', '{part}:stays')).toBe('m\ns');
    expect(await markers(source)).toEqual([]);
    await cluster.waitForHealthy();
  });

  it('cancel() after a partial move brings the moved keys back to the source', async () => {
    const slot = await slotOf('{undo}:1');
    const source = await cluster.slotOwner(slot);
    const keys = ['{undo}:1', '{undo}:2', '{undo}:3', '{undo}:4'];
    await cluster.cli(source, 'MSET', ...keys.flatMap((key) => [key, key]));
    const migration = await cluster.moveSlot(slot, await otherMaster(source), { stopAt: 'partial' });
    expect(migration.migratedKeys).toHaveLength(2);
    expect(await cluster.cli(migration.target, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe('2');

    await migration.cancel();

    expect(await cluster.cli(migration.target, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe('0');
    expect(await cluster.cli(source, 'MGET', ...keys)).toBe(keys.join('\n'));
    expect(await markers(source)).toEqual([]);
    expect(await markers(migration.target)).toEqual([]);
  });

  it('refuses impossible moves with a clear error', async () => {
    const owner = await cluster.slotOwner(0);
    await expect(cluster.moveSlot(0, owner)).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(cluster.moveSlot(0, cluster.replicasOf(owner)[0])).rejects.toThrow(/replica/);
  });

  it('checks keys against the slot and refuses a partial move that would leave one side empty, changing nothing', async () => {
    const slot = await slotOf('{check}:a');
    const source = await cluster.slotOwner(slot);
    const target = await otherMaster(source);
    await cluster.cli(source, 'SET', '{check}:a', '1');
    await expect(cluster.moveSlot(slot, target, { stopAt: 'partial', keys: ['{check}:a', 'elsewhere'] }))
      .rejects.toThrow(/keys must all be in slot \d+; 1 are not: "elsewhere" \(slot \d+\)/);
    await expect(cluster.moveSlot(slot, target, { stopAt: 'partial' }))
      .rejects.toThrow(/stopAt 'partial' needs keys on both sides, but slot \d+ holds 1 key/);
    expect(await markers(source)).toEqual([]);
    expect(await markers(target)).toEqual([]);
    expect((await cluster.slotOwner(slot)).id).toBe(source.id);
  });

  it('rolls a move back when it fails half way (the target refuses the keys), leaving the slot stable at the source', async () => {
    const slot = await slotOf('{fail}:a');
    const source = await cluster.slotOwner(slot);
    const target = await otherMaster(source);
    await cluster.cli(source, 'MSET', '{fail}:a', '1', '{fail}:b', '2');
    // MIGRATE writes on the target with RESTORE-ASKING; without it, the move fails after SETSLOT.
    await cluster.cli(target, 'ACL', 'SETUSER', 'default', '-restore-asking');
    try {
      await expect(cluster.moveSlot(slot, target)).rejects.toThrow(/MIGRATE .* failed: .*(NOPERM|no permissions)/i);
    } finally {
      await cluster.cli(target, 'ACL', 'SETUSER', 'default', '+restore-asking');
    }
    expect(await markers(source)).toEqual([]);
    expect(await markers(target)).toEqual([]);
    expect((await cluster.slotOwner(slot)).id).toBe(source.id);
    expect(await cluster.cli(source, 'MGET', '{fail}:a', '{fail}:b')).toBe('1\n2');
  });
});

describe('addNode / removeNode', () => {
  it('a failed addNode takes the half-added node back out: process, node list and dir', async () => {
    const introducer = cluster.nodes.find((node) => node.status === 'running')!;
    const before = cluster.nodes.map((node) => node.id);
    const runDirEntries = (): string[] => readdirSync(cluster.runDir).sort();
    const dirsBefore = runDirEntries();
    await cluster.cli(introducer, 'ACL', 'SETUSER', 'default', '-cluster|meet');
    try {
      await expect(cluster.addNode()).rejects.toThrow(/NOPERM|no permissions/i);
    } finally {
      await cluster.cli(introducer, 'ACL', 'SETUSER', 'default', '+cluster|meet');
    }
    expect(cluster.nodes.map((node) => node.id)).toEqual(before);
    expect(runDirEntries()).toEqual(dirsBefore);
    await cluster.waitForHealthy();
  });

  it('adds a master without slots and a replica of an existing master, then removes both', async () => {
    const before = cluster.nodes.map((node) => node.id);
    const master = await cluster.addNode();
    expect(master).toMatchObject({ role: 'master', status: 'running', slots: [] });
    for (const ids of await knownIds(cluster)) expect(ids).toContain(master.id);

    const existing = cluster.masters()[0];
    const replica = await cluster.addNode({ replicaOf: existing });
    expect(replica).toMatchObject({ role: 'replica', masterId: existing.id });
    expect(cluster.replicasOf(existing).map((node) => node.id)).toContain(replica.id);
    expect(parseInfo(await cluster.cli(replica, 'INFO', 'replication')).get('master_link_status')).toBe('up');
    for (const ids of await knownIds(cluster)) expect(ids).toHaveLength(8);

    await expect(cluster.removeNode(existing)).rejects.toThrow(/still serves slots/);

    await cluster.removeNode(replica);
    await cluster.removeNode(master);
    for (const ids of await knownIds(cluster)) expect(ids).toEqual([...before].sort());
    await expectGone([replica.pid, master.pid], master.dir);
    expect(existsSync(replica.dir)).toBe(false);
  });
});

describe('stop', () => {
  it('kills every process and removes the run dir, and can be called again', async () => {
    const pids = cluster.nodes.map((node) => node.pid);
    const dir = cluster.runDir;
    stopped = true;
    await cluster.stop();
    await expectGone(pids, dir, 0);
    await expect(cluster.stop()).resolves.toBeUndefined();
  });
});
