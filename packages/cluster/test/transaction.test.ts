import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { startCluster, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ClusterError, CrossSlotError, InvalidArgumentError, MovedError, ReplyError, TimeoutError, TryAgainError, type RedisCluster } from '@hashslot/cluster';
import { keyInSlot, newClient, watchUnhandled } from './helpers.js';

const sharedNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));

/** Every test promises no unhandled rejection, whatever its transactions did. */
let unhandled: ReturnType<typeof watchUnhandled>;
beforeEach(() => {
  unhandled = watchUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

/** One transaction per master, so that each has the dedicated connection it will reuse. */
async function warmUp(client: RedisCluster, prefix: string): Promise<void> {
  await client.connect();
  const slots = client.nodes('master').map((master) => {
    for (let slot = 0; ; slot++) if (client.masterOf(slot)?.address === master.address) return slot;
  });
  for (const slot of slots) await client.multi().incr(keyInSlot(slot, keySlot, prefix)).exec();
}

describe('transactions on a healthy cluster', () => {
  it('commits: results in order, each shaped as its typed method shapes it', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const results = await client
      .multi()
      .set('{tx:commit}:name', 'ada')
      .incr('{tx:commit}:visits')
      .hset('{tx:commit}:profile', { lang: 'en', role: 'admin' })
      .hgetall('{tx:commit}:profile')
      .call('GET', '{tx:commit}:name')
      .exists('{tx:commit}:name', '{tx:commit}:missing')
      .exec();
    expect(results).toEqual(['OK', 1, 2, { lang: 'en', role: 'admin' }, 'ada', 1]);
    expect(await client.get('{tx:commit}:name')).toBe('ada');
    expect(await client.hgetall('{tx:commit}:profile')).toEqual({ lang: 'en', role: 'admin' });
    await client.del('{tx:commit}:name', '{tx:commit}:visits', '{tx:commit}:profile');
  });

  it('runs on the master of the slot, inside MULTI', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const key = '{tx:where}:k';
    const [, id, info] = (await client.multi().set(key, 'x').call('CLUSTER', 'MYID').call('CLIENT', 'INFO').exec()) as [string, string, string];
    const owner = client.masterOf(keySlot(key));
    expect(id).toBe(owner?.id);
    // CLIENT INFO run by EXEC: the connection is flagged as in MULTI (x).
    expect(info).toMatch(/ flags=[A-Za-z]*x/);
    await client.del(key);
  });

  it('returns Buffers with decodeResponses false, through the transforms too', async () => {
    const client = newClient({ startupNodes: sharedNodes(), decodeResponses: false });
    const binary = Buffer.from([0, 255, 13, 10]);
    const results = await client.multi().set('{tx:bin}:v', binary).get('{tx:bin}:v').hset('{tx:bin}:h', { f: binary }).hgetall('{tx:bin}:h').exec();
    expect(results).toEqual(['OK', binary, 1, { f: binary }]);
    await client.del('{tx:bin}:v', '{tx:bin}:h');
  });

  it('keeps an error reply of one command in its position, as the server does; the others ran', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await client.set('{tx:err}:text', 'not a number');
    const results = await client.multi().set('{tx:err}:a', '1').incr('{tx:err}:text').lpush('{tx:err}:text', 'x').incr('{tx:err}:a').exec();
    expect(results).toHaveLength(4);
    expect(results?.[0]).toBe('OK');
    expect(results?.[1]).toBeInstanceOf(ReplyError);
    expect(results?.[1]).toMatchObject({ prefix: 'ERR', command: 'INCR', message: expect.stringContaining('not an integer') });
    expect(results?.[2]).toBeInstanceOf(ReplyError);
    expect(results?.[2]).toMatchObject({ prefix: 'WRONGTYPE', command: 'LPUSH' });
    expect(results?.[3]).toBe(2);
    expect(await client.get('{tx:err}:a')).toBe('2');
    await client.del('{tx:err}:a', '{tx:err}:text');
  });

  it('rejects with EXECABORT naming the command the server refused when queued, and runs nothing', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const transaction = client.multi().set('{tx:abort}:a', '1').call('SET', '{tx:abort}:b').incr('{tx:abort}:c');
    const error = await transaction.exec().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ReplyError);
    expect(error).toMatchObject({ prefix: 'EXECABORT', command: 'EXEC' });
    expect((error as Error).message).toMatch(/^EXECABORT Transaction discarded because of previous errors: SET \(command 2 of 3\) was refused: ERR wrong number of arguments/);
    expect(await client.exists('{tx:abort}:a', '{tx:abort}:c')).toBe(0);
    // An unknown command is refused the same way.
    await expect(client.multi().incr('{tx:abort}:a').call('NOSUCHCOMMAND', 'x').exec()).rejects.toMatchObject({ prefix: 'EXECABORT' });
    expect(await client.exists('{tx:abort}:a')).toBe(0);
  });

  it('throws a CrossSlotError at once for a command outside the slot of the commands before, naming the keys', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const transaction = client.multi().set('{tx:a}:1', 'x');
    let error: unknown;
    try {
      transaction.get('{tx:b}:1');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CrossSlotError);
    expect(error).toMatchObject({ command: 'MULTI', keys: ['{tx:a}:1', '{tx:b}:1'], slots: [keySlot('{tx:a}:1'), keySlot('{tx:b}:1')] });
    // A multi-key command spanning slots by itself names its own keys.
    expect(() => transaction.mset({ '{tx:a}:2': 'y', '{tx:c}:2': 'z' })).toThrow(CrossSlotError);
    expect(() => transaction.call('DEL', '{tx:a}:3', '{tx:d}:3')).toThrow(/DEL got "\{tx:a\}:3"/);
    // Keyless commands fit anywhere; the refused commands were not queued.
    expect(transaction.ping().length).toBe(2);
    expect(await transaction.exec()).toEqual(['OK', 'PONG']);
    await client.del('{tx:a}:1');
  });

  it('refuses at once what cannot run inside MULTI or would spoil the pooled connection, and wrong arguments', () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const transaction = client.multi();
    expect(() => transaction.call('MULTI')).toThrow(InvalidArgumentError);
    expect(() => transaction.call('exec')).toThrow(/EXEC is sent by the transaction itself/);
    expect(() => transaction.call('WATCH', 'k')).toThrow(/client\.watch/);
    expect(() => transaction.call('SUBSCRIBE', 'c')).toThrow(/client\.subscriber\(\)/);
    expect(() => transaction.call('CLIENT', 'REPLY', 'OFF')).toThrow(InvalidArgumentError);
    expect(() => transaction.call('SAVE')).toThrow(/not allowed inside a transaction/);
    expect(() => transaction.call()).toThrow(InvalidArgumentError);
    // Would be dropped alone by the connection while EXEC commits the rest.
    expect(() => transaction.call('SET', 'k', Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => transaction.set('k', undefined as unknown as string)).toThrow(InvalidArgumentError);
    expect(transaction.length).toBe(0);
    expect(() => client.multi({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => client.multi({ timeout: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => client.multi({ timout: 10 } as never)).toThrow(/no option "timout"/);
  });

  it('runs a keyless transaction on a master, and an empty one without asking any node', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const results = await client.multi().ping().echo('hi').call('TIME').call('CLUSTER', 'MYID').exec();
    expect(results?.slice(0, 2)).toEqual(['PONG', 'hi']);
    expect(results?.[2]).toEqual([expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/)]);
    expect(client.nodes('master').map((master) => master.id)).toContain(results?.[3]);
    const idle = newClient({ startupNodes: sharedNodes() });
    expect(await idle.multi().exec()).toEqual([]);
    expect(idle.status).toBe('idle');
    expect(idle.connectionCount).toBe(0);
  });

  it('runs once: exec() again and queuing after it fail; discard() sends nothing', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const transaction = client.multi().incr('{tx:once}:n');
    expect(await transaction.exec()).toEqual([1]);
    await expect(transaction.exec()).rejects.toThrow(InvalidArgumentError);
    expect(() => transaction.incr('{tx:once}:n')).toThrow(/already executed or discarded/);
    const dropped = client.multi().incr('{tx:once}:n');
    await dropped.discard();
    await dropped.discard();
    await expect(dropped.exec()).rejects.toThrow(InvalidArgumentError);
    expect(await client.get('{tx:once}:n')).toBe('1');
    await client.del('{tx:once}:n');
  });

  it('gives every dedicated connection back: the count stays flat over many transactions, failed ones included', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await warmUp(client, 'tx:count');
    const before = client.connectionCount;
    for (let i = 0; i < 60; i++) {
      const key = `{tx:count}:${i % 7}`;
      await client.multi().incr(key).get(key).exec();
      await expect(client.multi().incr(key).call('SET', key).exec()).rejects.toMatchObject({ prefix: 'EXECABORT' });
      await client.multi().call('LPUSH', key, 'x').exec();
    }
    expect(client.connectionCount).toBe(before);
    // Concurrent transactions take one connection each, given back for the next round to reuse.
    const round = () => Promise.all(Array.from({ length: 20 }, (_, i) => client.multi().incr(`{tx:count}:c${i}`).exec()));
    await round();
    const afterFirstRound = client.connectionCount;
    for (let i = 0; i < 5; i++) await round();
    expect(client.connectionCount).toBe(afterFirstRound);
    await client.del(...Array.from({ length: 7 }, (_, i) => `{tx:count}:${i}`), ...Array.from({ length: 20 }, (_, i) => `{tx:count}:c${i}`));
  });

  it('rejects with a TimeoutError saying EXEC may have run when it outlives the timeout option', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const key = '{tx:slow}:k';
    const error = await client
      .multi({ timeout: 50 })
      .set(key, 'v')
      .call('DEBUG', 'SLEEP', '0.3')
      .exec()
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ command: 'EXEC', written: true });
    // It did run: the timeout only stopped the wait.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await client.get(key)).toBe('v');
    expect(await client.multi().get(key).exec()).toEqual(['v']);
    await client.del(key);
  });

  it('lets a graceful quit() wait for a transaction in flight', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await client.connect();
    const pending = client.multi().set('{tx:quit}:k', 'v').call('DEBUG', 'SLEEP', '0.2').get('{tx:quit}:k').exec();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.quit();
    expect(await pending).toEqual(['OK', 'OK', 'v']);
    await expect(client.multi().incr('{tx:quit}:k').exec()).rejects.toThrow(/closed/);
    const other = newClient({ startupNodes: sharedNodes() });
    await other.del('{tx:quit}:k');
  });
});

describe('WATCH sessions on a healthy cluster', () => {
  it('commits when no watched key changed, reading through the session first', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await client.set('{tx:w1}:balance', '100');
    const session = await client.watch('{tx:w1}:balance');
    expect(session.slot).toBe(keySlot('{tx:w1}:balance'));
    expect(session.address).toBe(client.masterOf(session.slot)?.address);
    const balance = Number(await session.get('{tx:w1}:balance'));
    expect(await session.call('EXISTS', '{tx:w1}:other')).toBe(0);
    const results = await session.multi().set('{tx:w1}:balance', String(balance - 30)).incr('{tx:w1}:ops').exec();
    expect(results).toEqual(['OK', 1]);
    expect(session.active).toBe(false);
    expect(await client.get('{tx:w1}:balance')).toBe('70');
    await client.del('{tx:w1}:balance', '{tx:w1}:ops');
  });

  it('resolves null when another client wrote a watched key between WATCH and EXEC; nothing is applied, nothing retried', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const other = newClient({ startupNodes: sharedNodes() });
    await client.set('{tx:w2}:balance', '100');
    const session = await client.watch('{tx:w2}:balance', '{tx:w2}:limit');
    const balance = Number(await session.get('{tx:w2}:balance'));
    await other.set('{tx:w2}:balance', '5');
    const transaction = session.multi().set('{tx:w2}:balance', String(balance - 30)).incr('{tx:w2}:ops');
    expect(await transaction.exec()).toBeNull();
    expect(await client.get('{tx:w2}:balance')).toBe('5');
    expect(await client.exists('{tx:w2}:ops')).toBe(0);
    expect(session.active).toBe(false);
    await expect(session.get('{tx:w2}:balance')).rejects.toThrow(/was executed/);
    await client.del('{tx:w2}:balance');
  });

  it('counts a write through the session itself as a change, as Redis does', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    const session = await client.watch('{tx:w3}:k');
    await session.set('{tx:w3}:k', 'mine');
    expect(await session.multi().get('{tx:w3}:k').exec()).toBeNull();
    await client.del('{tx:w3}:k');
  });

  it('keeps the session in its slot and refuses what would break it, with the right errors', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await expect(client.watch()).rejects.toThrow(InvalidArgumentError);
    await expect(client.watch('{tx:w4}:a', '{tx:other}:b')).rejects.toThrow(CrossSlotError);
    await expect(client.watch(42 as unknown as string)).rejects.toThrow(InvalidArgumentError);
    const session = await client.watch('{tx:w4}:a');
    await expect(session.get('{tx:elsewhere}:x')).rejects.toMatchObject({ name: 'CrossSlotError', keys: ['{tx:w4}:a', '{tx:elsewhere}:x'] });
    await expect(session.call('MULTI')).rejects.toThrow(/session\.multi\(\)/);
    await expect(session.call('UNWATCH')).rejects.toThrow(/session\.unwatch\(\)/);
    await expect(session.set('{tx:w4}:a', Number.NaN)).rejects.toThrow(InvalidArgumentError);
    // A server error on a read leaves the session usable.
    await expect(session.call('NOSUCHCOMMAND')).rejects.toBeInstanceOf(ReplyError);
    expect(session.active).toBe(true);
    expect(() => session.multi().get('{tx:elsewhere}:x')).toThrow(CrossSlotError);
    expect(await session.multi().get('{tx:w4}:a').exec()).toEqual([null]);
  });

  it('gives its connection back on unwatch(), discard() and exec(): the count stays flat', async () => {
    const client = newClient({ startupNodes: sharedNodes() });
    await warmUp(client, 'tx:w5');
    const before = client.connectionCount;
    for (let i = 0; i < 30; i++) {
      const key = `{tx:w5}:${i % 5}`;
      const a = await client.watch(key);
      await a.get(key);
      await a.unwatch();
      await a.unwatch();
      expect(a.active).toBe(false);
      await expect(a.get(key)).rejects.toThrow(/unwatched/);
      const b = await client.watch(key);
      await b.multi().incr(key).discard();
      expect(b.active).toBe(false);
      const c = await client.watch(key);
      await c.multi().incr(key).exec();
      const d = await client.watch(key);
      await expect(d.multi().call('SET', key).exec()).rejects.toMatchObject({ prefix: 'EXECABORT' });
      expect(d.active).toBe(false);
    }
    expect(client.connectionCount).toBe(before);
    // A connection that was given back after UNWATCH watches nothing: a later transaction on it commits.
    await client.set('{tx:w5}:0', 'x');
    expect(await client.multi().set('{tx:w5}:0', 'y').exec()).toEqual(['OK']);
    await client.del(...Array.from({ length: 5 }, (_, i) => `{tx:w5}:${i}`));
  });
});

// Resharding changes which node owns what: these tests boot their own cluster.
describe('transactions while slots move', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));
  const address = (node: ClusterNode) => `${node.host}:${node.port}`;

  async function commandCalls(node: ClusterNode, command: string): Promise<number> {
    const info = await cluster.cli(node, 'INFO', 'commandstats');
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
    return match === null ? 0 : Number(match[1]);
  }

  async function otherMaster(slot: number): Promise<{ owner: ClusterNode; target: ClusterNode }> {
    const owner = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== owner.id);
    if (target === undefined) throw new Error('no other master');
    return { owner, target };
  }

  /**
   * `{tag}:moved` and `{tag}:stayed` set to '1', then their slot's move to another master
   * stopped half way: `moved` already on the target, `stayed` still on the owner.
   */
  async function halfMigrated(client: RedisCluster, tag: string) {
    const moved = `{${tag}}:moved`;
    const stayed = `{${tag}}:stayed`;
    const slot = keySlot(moved);
    await client.set(moved, '1');
    await client.set(stayed, '1');
    const { owner, target } = await otherMaster(slot);
    const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: [moved] });
    return { moved, stayed, slot, owner, target, migration };
  }

  it('sends the whole transaction again on the new owner after the slot moved (MOVED inside MULTI)', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const key = '{tx:moved}:n';
    const slot = keySlot(key);
    await client.set(key, '10');
    const { owner, target } = await otherMaster(slot);
    expect(client.masterOf(slot)?.address).toBe(address(owner));
    await cluster.moveSlot(slot, target);
    // The client's table still names the old owner: MULTI goes there and is answered MOVED.
    expect(client.masterOf(slot)?.address).toBe(address(owner));
    const results = await client.multi().incr(key).get(key).hset('{tx:moved}:h', { f: 'v' }).hgetall('{tx:moved}:h').exec();
    expect(results).toEqual([11, '11', 1, { f: 'v' }]);
    expect(client.masterOf(slot)?.address).toBe(address(target));
    expect(await cluster.cli(target, 'GET', key)).toBe('11');
    await client.del(key, '{tx:moved}:h');
  });

  it('runs on the importing node with ASKING before MULTI when its key was already migrated (ASK)', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const { moved, stayed, slot, owner, target, migration } = await halfMigrated(client, 'tx:ask');
    try {
      const asking = await commandCalls(target, 'asking');
      const execs = await commandCalls(target, 'exec');
      expect(await client.multi().incr(moved).incrby(moved, 5).get(moved).exec()).toEqual([2, 7, '7']);
      // One ASKING for the whole transaction, which the importing node ran.
      expect(await commandCalls(target, 'asking')).toBe(asking + 1);
      expect(await commandCalls(target, 'exec')).toBe(execs + 1);
      // The key still on the old owner runs there, without a redirection.
      expect(await client.multi().incr(stayed).get(stayed).exec()).toEqual([2, '2']);
      // ASK leaves the table alone: the slot is still the old owner's until the migration ends.
      expect(client.masterOf(slot)?.address).toBe(address(owner));
      await migration.finish();
      expect(await client.mget(moved, stayed)).toEqual(['7', '2']);
    } finally {
      if (migration.state !== 'finished') await migration.cancel();
    }
    await client.del(moved, stayed);
  });

  it('waits out a half-migrated slot when its keys are on both sides (TRYAGAIN), then commits on the new owner', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const { moved, stayed, target, migration } = await halfMigrated(client, 'tx:half');
    try {
      const pending = client.multi().incr(moved).incr(stayed).mget(moved, stayed).exec();
      // When it settled, taken apart from the test's own wait: it must not commit before the move ends.
      const settledAt = pending.then(() => performance.now(), () => performance.now());
      await new Promise((resolve) => setTimeout(resolve, 300));
      const finishing = performance.now();
      await migration.finish();
      expect(await pending).toEqual([2, 2, ['2', '2']]);
      expect(await settledAt).toBeGreaterThanOrEqual(finishing);
      expect(await cluster.cli(target, 'GET', stayed)).toBe('2');
    } finally {
      if (migration.state !== 'finished') await migration.cancel();
    }
    await client.del(moved, stayed);
  });

  it('gives up with TTL exhausted when the slot stays half-migrated, having run nothing', async () => {
    // A timeout longer than the 17 attempts and their backoffs: the redirections run out first.
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 20_000 });
    const { moved, stayed, migration } = await halfMigrated(client, 'tx:stuck');
    const before = client.connectionCount;
    try {
      const error = await client.multi().incr(moved).incr(stayed).exec().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(ClusterError);
      expect((error as Error).message).toMatch(/^TTL exhausted: the transaction \(2 commands\) was sent 17 times \(maxRedirections 16\); last reply: TRYAGAIN/);
      expect(client.connectionCount).toBeLessThanOrEqual(before + 2);
    } finally {
      await migration.cancel();
    }
    expect(await client.mget(moved, stayed)).toEqual(['1', '1']);
    await client.del(moved, stayed);
  }, 30_000);

  it('settles within its timeout when the slot stays half-migrated, with the TRYAGAIN, having run nothing', async () => {
    // Regression: the attempts and backoffs of a transaction were not bounded by its timeout,
    // so during a failover or a stuck migration exec() took many times as long.
    const client = newClient({ startupNodes: startupNodes() });
    const { moved, stayed, migration } = await halfMigrated(client, 'tx:overdue');
    try {
      const started = performance.now();
      const error = await client.multi({ timeout: 500 }).incr(moved).incr(stayed).exec().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(TryAgainError);
      expect(took).toBeGreaterThanOrEqual(450);
      expect(took).toBeLessThan(1_500);
    } finally {
      await migration.cancel();
    }
    expect(await client.mget(moved, stayed)).toEqual(['1', '1']);
    await client.del(moved, stayed);
  });

  it('opens a watch session within commandTimeout when the slot stays half-migrated, failing with the TRYAGAIN', async () => {
    // WATCH of keys split across a migration is refused with TRYAGAIN until it ends; the
    // client's commandTimeout bounds all of its attempts and backoffs together.
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 500 });
    const { moved, stayed, migration } = await halfMigrated(client, 'tx:woverdue');
    try {
      const started = performance.now();
      const error = await client.watch(moved, stayed).then(
        async (session) => {
          await session.unwatch();
          return undefined;
        },
        (reason: unknown) => reason,
      );
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(TryAgainError);
      expect(took).toBeGreaterThanOrEqual(450);
      expect(took).toBeLessThan(1_500);
    } finally {
      await migration.cancel();
    }
  });

  it('rejects a watch session EXEC after the slot moved while watched, telling to run it again; nothing ran', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const key = '{tx:wmoved}:k';
    const slot = keySlot(key);
    await client.set(key, 'before');
    const session = await client.watch(key);
    expect(await session.get(key)).toBe('before');
    const { target } = await otherMaster(slot);
    await cluster.moveSlot(slot, target);
    const error = await session.multi().set(key, 'after').exec().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as Error).message).toMatch(/moved from .* while its keys were watched.*run it all again/);
    expect((error as Error).cause).toBeInstanceOf(MovedError);
    expect(session.active).toBe(false);
    expect(await client.get(key)).toBe('before');
    // The next session follows the slot to its new owner.
    const again = await client.watch(key);
    expect(again.address).toBe(address(target));
    expect(await again.multi().set(key, 'after').exec()).toEqual(['OK']);
    // Both sessions gave their connection back: more sessions reuse them.
    const settled = client.connectionCount;
    for (let i = 0; i < 5; i++) await (await client.watch(key)).unwatch();
    expect(client.connectionCount).toBe(settled);
    await client.del(key);
  });

  it('ends a watch session whose read is redirected, with the same advice', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const key = '{tx:wread}:k';
    const slot = keySlot(key);
    await client.set(key, 'v');
    const session = await client.watch(key);
    const { target } = await otherMaster(slot);
    await cluster.moveSlot(slot, target);
    await expect(session.get(key)).rejects.toThrow(/run it all again/);
    expect(session.active).toBe(false);
    await expect(session.multi().set(key, 'w').exec()).rejects.toThrow(/run it all again/);
    expect(await client.get(key)).toBe('v');
    await client.del(key);
  });

  it('waits for a migration to end before watching a key that already left (ASK on WATCH)', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const { moved, stayed, target, migration } = await halfMigrated(client, 'tx:wask');
    const watching = client.watch(moved);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await migration.finish();
    const session = await watching;
    expect(session.address).toBe(address(target));
    expect(await session.get(moved)).toBe('1');
    expect(await session.multi().incr(moved).exec()).toEqual([2]);
    await client.del(moved, stayed);
  });
});
