import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ClusterError, TryAgainError, type RefreshEvent } from '@hashslot/cluster';
import { newClient, watchUnhandled } from './helpers.js';

// Resharding changes which node owns what: this file boots its own cluster.
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
});

afterAll(async () => {
  await cluster?.stop();
});

const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

/** A master other than the one serving `slot` now. */
async function otherMaster(slot: number) {
  const owner = await cluster.slotOwner(slot);
  const target = cluster.masters().find((node) => node.id !== owner.id);
  if (target === undefined) throw new Error('no other master');
  return { owner, target };
}

async function commandCalls(node: { host: string; port: number }, command: string): Promise<number> {
  const info = await cluster.cli(node, 'INFO', 'commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe('routing through a changing cluster', () => {
  it('follows MOVED after a slot moved away, retries on the new owner and patches the table', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const key = 'routing:moved';
    const slot = keySlot(key);
    await client.call('SET', key, 'before');
    const refreshes: RefreshEvent[] = [];
    client.on('refresh', (event) => refreshes.push(event));
    const { target } = await otherMaster(slot);
    await cluster.moveSlot(slot, target);
    expect(await client.call('GET', key)).toBe('before');
    expect(client.masterOf(slot)?.address).toBe(`${target.host}:${target.port}`);
    expect(await client.call('SET', key, 'after')).toBe('OK');
    expect(await cluster.cli(target, 'GET', key)).toBe('after');
    // One MOVED is far from reinitializeSteps: the table was patched, not reloaded.
    expect(refreshes).toEqual([]);
  });

  it('follows ASK for a key already migrated, asks the old owner for the rest, and leaves the table alone', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const moved = '{routing:ask}:moved';
    const stayed = '{routing:ask}:stayed';
    const slot = keySlot(moved);
    await client.call('SET', moved, 'm');
    await client.call('SET', stayed, 's');
    const { owner, target } = await otherMaster(slot);
    const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: [moved] });
    try {
      const askingBefore = await commandCalls(target, 'asking');
      expect(await client.call('GET', moved)).toBe('m');
      expect(await client.call('GET', stayed)).toBe('s');
      // A key created during migration goes where ASK sends it, and is readable again.
      expect(await client.call('SET', '{routing:ask}:new', 'n')).toBe('OK');
      expect(await client.call('GET', '{routing:ask}:new')).toBe('n');
      expect(await commandCalls(target, 'asking')).toBeGreaterThanOrEqual(askingBefore + 1);
      expect(client.masterOf(slot)?.address).toBe(`${owner.host}:${owner.port}`);
    } finally {
      await migration.finish();
    }
    expect(await client.call('GET', stayed)).toBe('s');
    expect(client.masterOf(slot)?.address).toBe(`${target.host}:${target.port}`);
  });

  it('retries TRYAGAIN with backoff until the migration ends, or fails after maxRedirections with the TRYAGAIN as cause', async () => {
    const a = '{routing:try}:a';
    const b = '{routing:try}:b';
    const slot = keySlot(a);
    const setup = newClient({ startupNodes: startupNodes() });
    await setup.call('MSET', a, '1', b, '2');
    const { target } = await otherMaster(slot);
    const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: [a] });

    const impatient = newClient({ startupNodes: startupNodes(), maxRedirections: 2, retryDelays: { tryAgain: 5 } });
    const error = await impatient.call('MGET', a, b).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).message).toMatch(/TTL exhausted: MGET was sent 3 times/);
    expect((error as ClusterError).cause).toBeInstanceOf(TryAgainError);

    const patient = newClient({ startupNodes: startupNodes(), retryDelays: { tryAgain: 50 } });
    const pending = patient.call('MGET', a, b);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await migration.finish();
    expect(await pending).toEqual(['1', '2']);
  });

  it('reloads the table exactly once after reinitializeSteps MOVED replies', async () => {
    const steps = 3;
    const client = newClient({ startupNodes: startupNodes(), reinitializeSteps: steps });
    const keys = ['routing:steps:a', 'routing:steps:b', 'routing:steps:c'];
    const slots = keys.map(keySlot);
    expect(new Set(slots).size).toBe(steps);
    for (const key of keys) await client.call('SET', key, key);
    const refreshes: RefreshEvent[] = [];
    client.on('refresh', (event) => refreshes.push(event));
    for (const slot of slots) {
      const { target } = await otherMaster(slot);
      await cluster.moveSlot(slot, target);
    }
    for (const [i, key] of keys.entries()) {
      expect(await client.call('GET', key)).toBe(key);
      if (i < steps - 1) expect(refreshes).toEqual([]);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0].reason).toBe('MOVED');
    for (const slot of slots) expect(client.masterOf(slot)?.address).toBe(`${(await cluster.slotOwner(slot)).host}:${(await cluster.slotOwner(slot)).port}`);
  });

  it('sees a node join and leave, and closes its connections once it left', async () => {
    // Refreshes from the first startup node only, so that no refresh opens a connection elsewhere.
    const client = newClient({ startupNodes: startupNodes(), followCluster: false });
    await client.connect();
    const added: string[] = [];
    const removed: string[] = [];
    client.on('node added', (node) => added.push(node.address));
    client.on('node removed', (node) => removed.push(node.address));
    const joined = await cluster.addNode();
    const address = `${joined.host}:${joined.port}`;
    // A slot of its own makes the client talk to it.
    const key = 'routing:newcomer';
    await cluster.moveSlot(keySlot(key), joined);
    await client.refresh();
    expect(added).toEqual([address]);
    expect(await client.call('SET', key, 'here')).toBe('OK');
    const connectionsWithIt = client.connectionCount;
    // Otherwise a master that gives away its last slot turns into a replica of the taker
    // halfway through the move, and the harness's SETSLOT to it is refused.
    await cluster.cli(joined, 'CONFIG', 'SET', 'cluster-allow-replica-migration', 'no');
    await cluster.moveSlot(keySlot(key), cluster.masters().find((node) => node.id !== joined.id) ?? joined);
    await cluster.removeNode(joined);
    await client.refresh();
    expect(removed).toEqual([address]);
    expect(client.nodes().map((node) => node.address)).not.toContain(address);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.connectionCount).toBe(connectionsWithIt - 1);
    expect(await client.call('GET', key)).toBe('here');
  });

  it('resolves 1,000 concurrent commands while 100 slots migrate, and every acknowledged write reads back', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes() });
      await client.connect();
      await cluster.refreshNodes();
      const [source, target] = cluster.masters();
      const owned = source.slots.flatMap(({ start, end }) => Array.from({ length: end - start + 1 }, (_, i) => start + i));
      const slots = owned.slice(1000, 1100);
      expect(slots).toHaveLength(100);
      const keysBySlot = new Map<number, string[]>();
      for (let i = 0; keysBySlot.size < 100 || [...keysBySlot.values()].some((keys) => keys.length < 10); i++) {
        const key = `routing:load:${i}`;
        const slot = keySlot(key);
        if (!slots.includes(slot)) continue;
        const keys = keysBySlot.get(slot) ?? [];
        if (keys.length < 10) keys.push(key);
        keysBySlot.set(slot, keys);
      }
      const keys = [...keysBySlot.values()].flat();
      expect(keys).toHaveLength(1000);
      let migrating = true;
      const migration = (async () => {
        try {
          for (const slot of slots) await cluster.moveSlot(slot, target);
        } finally {
          migrating = false;
        }
      })();
      const acknowledged = new Map<string, string>();
      const failures: unknown[] = [];
      let round = 0;
      // Writers keep going until the migration is over, so commands meet every stage of it.
      while (migrating || round < 2) {
        const results = await Promise.allSettled(keys.map((key) => client.call('SET', key, `${key}#${round}`)));
        for (const [i, result] of results.entries()) {
          if (result.status === 'fulfilled') acknowledged.set(keys[i], `${keys[i]}#${round}`);
          else failures.push(result.reason);
        }
        round++;
      }
      await migration;
      expect(failures).toEqual([]);
      const values = await Promise.all(keys.map((key) => client.call('GET', key)));
      expect(values).toEqual(keys.map((key) => acknowledged.get(key)));
      for (const slot of slots) expect(client.masterOf(slot)?.address).toBe(`${target.host}:${target.port}`);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
