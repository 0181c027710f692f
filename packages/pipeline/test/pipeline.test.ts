import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { keySlot, CrossSlotError } from '@hashslot/slots';
import { ConnectionError, RedisCluster, ReplyError, TimeoutError, type ClusterOptions } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';

const clients: RedisCluster<boolean>[] = [];
function newClient<D extends boolean = true>(options: ClusterOptions<D>): RedisCluster<D> {
  const client = new RedisCluster<D>(options);
  clients.push(client as RedisCluster<boolean>);
  return client;
}
afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

const shared = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));

describe('pipelines on a healthy cluster', () => {
  it('gives results in queue order across nodes, shaped by each command, with error replies in place', async () => {
    const client = newClient({ startupNodes: shared() });
    const results = await pipeline(client)
      .set('pipe:a', '1')
      .hset('pipe:h', { f: 'v' })
      .incr('pipe:a')
      .lpush('pipe:h', 'x')
      .hgetall('pipe:h')
      .get('pipe:a')
      .call('ECHO', 'raw')
      .zadd('pipe:z', [{ score: 2.5, member: 'm' }])
      .zscore('pipe:z', 'm')
      .exec();
    expect(results.slice(0, 3)).toEqual(['OK', expect.any(Number), 2]);
    expect(results[3]).toBeInstanceOf(ReplyError);
    expect((results[3] as ReplyError).prefix).toBe('WRONGTYPE');
    expect(results.slice(4)).toEqual([{ f: 'v' }, '2', 'raw', expect.any(Number), 2.5]);
    // The keys really were on different masters.
    expect(new Set(['pipe:a', 'pipe:h', 'pipe:z'].map((key) => client.masterOf(keySlot(key))?.address)).size).toBeGreaterThan(1);
  });

  it('runs a 10,000-command pipeline over all masters with every result in its position', async () => {
    const client = newClient({ startupNodes: shared() });
    const p = pipeline(client);
    for (let i = 0; i < 5_000; i++) p.set(`pipe:big:${i}`, `v${i}`);
    for (let i = 0; i < 5_000; i++) p.get(`pipe:big:${4_999 - i}`);
    expect(p.length).toBe(10_000);
    const results = await p.exec();
    expect(results.slice(0, 5_000)).toEqual(Array(5_000).fill('OK'));
    expect(results.slice(5_000)).toEqual(Array.from({ length: 5_000 }, (_, i) => `v${4_999 - i}`));
    expect(p.length).toBe(0);
  });

  it('refuses at once a multi-key command whose keys span slots, naming the keys', () => {
    const client = newClient({ startupNodes: shared() });
    const p = pipeline(client).set('pipe:x', '1');
    expect(() => p.mget('pipe:one', 'pipe:two')).toThrow(CrossSlotError);
    expect(() => p.call('DEL', 'pipe:one', 'pipe:two')).toThrow(/pipe:one/);
    // Same slot is fine.
    p.mget('{pipe}:one', '{pipe}:two');
    expect(p.length).toBe(2);
  });

  it('runs a transaction from the pipeline on the slot\'s master', async () => {
    const client = newClient({ startupNodes: shared() });
    const results = await pipeline(client).multi().set('{pipe:tx}:a', '1').incr('{pipe:tx}:a').hgetall('{pipe:tx}:none').exec();
    expect(results).toEqual(['OK', 2, {}]);
  });

  it('throws the first error after every command ran with raiseOnError', async () => {
    const client = newClient({ startupNodes: shared() });
    await client.del('pipe:raise:list');
    const p = pipeline(client).set('pipe:raise', 'x').lpush('pipe:raise', 'y').rpush('pipe:raise:list', 'z');
    await expect(p.exec({ raiseOnError: true })).rejects.toMatchObject({ prefix: 'WRONGTYPE' });
    // The command after the failing one ran too.
    expect(await client.lrange('pipe:raise:list', 0, -1)).toEqual(['z']);
  });

  it('sends read-only commands to replicas with readFrom replica', async () => {
    const client = newClient({ startupNodes: shared(), readFrom: 'replica' });
    await client.set('pipe:read', 'v');
    await client.waitForReplicas('pipe:read', 1, 1000);
    const replicaAddresses = new Set(client.nodes('replica').map((node) => node.address));
    const before = await getCalls(client, replicaAddresses);
    const p = pipeline(client);
    for (let i = 0; i < 50; i++) p.get('pipe:read');
    expect(await p.exec()).toEqual(Array(50).fill('v'));
    expect((await getCalls(client, replicaAddresses)) - before).toBe(50);
  });
});

/** GET calls on the given nodes, from INFO commandstats. */
async function getCalls(client: RedisCluster<boolean>, addresses: Set<string>): Promise<number> {
  const info = await client.info('commandstats', { nodes: 'all' });
  let total = 0;
  for (const node of client.nodes()) {
    if (!addresses.has(node.address) || node.id === undefined) continue;
    const match = /cmdstat_get:calls=(\d+)/.exec(String(info.get(node.id)));
    total += match === null ? 0 : Number(match[1]);
  }
  return total;
}

describe('pipelines through a changing cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

  it('puts every result in place while a slot is half migrated (ASK) and after it moved (MOVED)', async () => {
    const client = newClient({ startupNodes: startupNodes(), reinitializeSteps: 1000 });
    const keys = Array.from({ length: 40 }, (_, i) => `{pipe:mig}:${i}`);
    const slot = keySlot(keys[0]);
    for (const key of keys) await client.set(key, `${key}=0`);
    const owner = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== owner.id) ?? owner;
    const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: keys.slice(0, 20) });
    const during = pipeline(client);
    for (const key of keys) during.get(key).set(key, `${key}=1`).get(key);
    const halfway = await during.exec();
    expect(halfway).toEqual(keys.flatMap((key) => [`${key}=0`, 'OK', `${key}=1`]));
    await migration.finish();
    const after = pipeline(client);
    for (const key of keys) after.get(key).set('pipe:elsewhere', key);
    expect(await after.exec()).toEqual(keys.flatMap((key) => [`${key}=1`, 'OK']));
    expect(client.masterOf(slot)?.id).toBe(target.id);
  });

  it('counts MOVED replies of pipelines toward reinitializeSteps', async () => {
    const client = newClient({ startupNodes: startupNodes(), reinitializeSteps: 3 });
    await client.connect();
    const keys = ['pipe:steps:a', 'pipe:steps:b', 'pipe:steps:c'];
    for (const key of keys) await client.set(key, key);
    const refreshes = client.refreshCount;
    for (const key of keys) {
      const owner = await cluster.slotOwner(keySlot(key));
      await cluster.moveSlot(keySlot(key), cluster.masters().find((node) => node.id !== owner.id) ?? owner);
    }
    const p = pipeline(client);
    for (const key of keys) p.get(key);
    expect(await p.exec()).toEqual(keys);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.refreshCount).toBe(refreshes + 1);
  });

  it('gives TimeoutError in the positions of a node paused past the timeout, and the others their replies', async () => {
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 500 });
    await client.connect();
    const keys = Array.from({ length: 60 }, (_, i) => `pipe:pause:${i}`);
    for (const key of keys) await client.set(key, key);
    const paused = await cluster.slotOwner(keySlot(keys[0]));
    await cluster.pause(paused);
    try {
      const p = pipeline(client);
      for (const key of keys) p.get(key);
      const results = await p.exec();
      for (const [i, key] of keys.entries()) {
        const onPaused = client.masterOf(keySlot(key))?.id === paused.id;
        if (onPaused) {
          expect(results[i]).toBeInstanceOf(TimeoutError);
        } else {
          expect(results[i]).toBe(key);
        }
      }
      expect(results.some((result) => result instanceof TimeoutError)).toBe(true);
    } finally {
      await cluster.resume(paused);
      await cluster.waitForHealthy();
    }
  });

  it('completes a pipeline during a forced failover with every position a reply or a typed error', async () => {
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 3000 });
    const keys = Array.from({ length: 300 }, (_, i) => `pipe:fo:${i}`);
    for (const key of keys) await client.set(key, '0');
    const victim = await cluster.slotOwner(keySlot(keys[0]));
    const [heir] = cluster.replicasOf(victim);
    const failover = cluster.failover(heir, 'force');
    const outcomes: unknown[] = [];
    for (let round = 0; round < 5; round++) {
      const p = pipeline(client);
      for (const key of keys) p.incr(key);
      outcomes.push(...(await p.exec()));
    }
    await failover;
    for (const outcome of outcomes) {
      if (typeof outcome !== 'number') expect(outcome, String(outcome)).toBeInstanceOf(ConnectionError);
    }
    // After the failover every key answers from the new owner.
    const check = pipeline(client);
    for (const key of keys) check.get(key);
    const values = await check.exec();
    for (const value of values) expect(typeof value).toBe('string');
    expect(client.masterOf(keySlot(keys[0]))?.id).toBe(heir.id);
  });
});
