import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { InvalidArgumentError, type RedisCluster } from '@hashslot/cluster';
import { newClient, watchUnhandled } from './helpers.js';

// The last test kills a master: this file boots its own cluster, with a replica per master.
let cluster: TestCluster;
let client: RedisCluster;

const KEY_COUNT = 100_000;
const keyName = (i: number): string => `scan:${i}`;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  client = newClient({ startupNodes: startupNodes() });
  for (let start = 0; start < KEY_COUNT; start += 10_000) {
    const batch = Array.from({ length: 10_000 }, (_, i) => ['SET', keyName(start + i), String(start + i)]);
    const replies = await client.sendBatch(batch);
    expect(replies.every((reply) => reply === 'OK')).toBe(true);
  }
});

afterAll(async () => {
  await cluster?.stop();
});

const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

/** Seen count per key: how many keys came more than once, and which expected ones never came. */
function tally(seen: readonly string[], expected: readonly string[]): { duplicates: number; missing: string[] } {
  const counts = new Map<string, number>();
  for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  let duplicates = 0;
  for (const count of counts.values()) if (count > 1) duplicates += count - 1;
  return { duplicates, missing: expected.filter((key) => !counts.has(key)) };
}

describe('scanIterator', () => {
  it('returns every one of 100,000 keys exactly once, from masters only', async () => {
    const expected = Array.from({ length: KEY_COUNT }, (_, i) => keyName(i));
    const seen = await collect(client.scanIterator({ match: 'scan:*', count: 1000 }));
    const { duplicates, missing } = tally(seen, expected);
    expect({ duplicates, missing: missing.length, total: seen.length }).toEqual({ duplicates: 0, missing: 0, total: KEY_COUNT });
  });

  it('filters by match and type, and works with the server default count', async () => {
    await client.call('HSET', 'scantype:{a}:hash', 'f', 'v');
    await client.call('SADD', 'scantype:{b}:set', 'm');
    await client.call('SET', 'scantype:{c}:string', 'x');
    await client.call('ZADD', 'scantype:{d}:zset', 1, 'm');
    expect((await collect(client.scanIterator({ match: 'scantype:*', type: 'hash', count: 1000 }))).sort()).toEqual(['scantype:{a}:hash']);
    expect((await collect(client.scanIterator({ match: 'scantype:*', type: 'string', count: 1000 }))).sort()).toEqual(['scantype:{c}:string']);
    expect((await collect(client.scanIterator({ match: 'scantype:*' }))).sort()).toEqual([
      'scantype:{a}:hash',
      'scantype:{b}:set',
      'scantype:{c}:string',
      'scantype:{d}:zset',
    ]);
    // A narrower pattern: scan:1234 and scan:12340..12349.
    const narrow = await collect(client.scanIterator({ match: 'scan:1234?', count: 500 }));
    expect(narrow.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `scan:1234${i}`).sort());
  });

  it('yields Buffers with decodeResponses false', async () => {
    const buffers = newClient({ startupNodes: startupNodes(), decodeResponses: false });
    const binary = Buffer.from([0x73, 0x63, 0x61, 0x6e, 0x62, 0x3a, 0xff, 0x00]);
    await buffers.call('SET', binary, 'v');
    const seen = await collect(buffers.scanIterator({ match: Buffer.from('scanb:*'), count: 1000 }));
    expect(seen).toEqual([binary]);
    expect(Buffer.isBuffer(seen[0])).toBe(true);
  });

  it('rejects wrong options at once, naming the option', () => {
    expect(() => client.scanIterator({ count: 0 })).toThrow(InvalidArgumentError);
    expect(() => client.scanIterator({ count: 1.5 })).toThrow(/option count/);
    expect(() => client.scanIterator({ match: 3 as unknown as string })).toThrow(/option match/);
    expect(() => client.scanIterator({ type: '' })).toThrow(/option type/);
    expect(() => client.scanIterator({ matches: 'x' } as never)).toThrow(/unknown option matches/);
    expect(() => client.scanIterator({ failoverTimeout: -1 })).toThrow(/option failoverTimeout/);
    expect(() => client.hscanIterator('h', { type: 'hash' } as never)).toThrow(/HSCAN: unknown option type/);
    expect(() => client.sscanIterator(42 as unknown as string)).toThrow(/SSCAN: key must be/);
  });

  it('stops cleanly when the loop breaks early, leaving nothing pending', async () => {
    const unhandled = watchUnhandled();
    try {
      const own = newClient({ startupNodes: startupNodes() });
      let taken = 0;
      for await (const key of own.scanIterator({ match: 'scan:*', count: 100 })) {
        expect(key.startsWith('scan:')).toBe(true);
        if (++taken === 250) break;
      }
      expect(taken).toBe(250);
      // An iterator abandoned before its first page, and one whose page fails after the client closed.
      const abandoned = own.scanIterator();
      await abandoned.return();
      const afterClose = own.scanIterator({ count: 10 });
      await afterClose.next();
      await own.quit();
      // What was fetched before the close is still given; then the next page fails, saying why.
      await expect(collect(afterClose)).rejects.toThrow('SCAN stopped: the client is closed');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

describe('hscanIterator, sscanIterator, zscanIterator', () => {
  it('return what HGETALL, SMEMBERS and ZRANGE WITHSCORES return, on big and small collections', async () => {
    for (const size of [5, 20_000]) {
      const hash = `scanc:{${size}}:hash`;
      const set = `scanc:{${size}}:set`;
      const zset = `scanc:{${size}}:zset`;
      const fields = Array.from({ length: size }, (_, i) => [`f${i}`, `v${i}`]).flat();
      const members = Array.from({ length: size }, (_, i) => `m${i}`);
      const scored = Array.from({ length: size }, (_, i) => [i === 0 ? '-inf' : String(i / 4), `m${i}`]).flat();
      await client.call('HSET', hash, ...fields);
      await client.call('SADD', set, ...members);
      await client.call('ZADD', zset, ...scored);

      const entries = await collect(client.hscanIterator(hash, { count: 1000 }));
      expect(Object.fromEntries(entries)).toEqual(await client.hgetall(hash));
      expect(entries).toHaveLength(size);

      const setMembers = await collect(client.sscanIterator(set));
      expect(setMembers.sort()).toEqual(((await client.call('SMEMBERS', set)) as string[]).sort());
      expect(setMembers).toHaveLength(size);

      const zmembers = await collect(client.zscanIterator(zset, { count: 500 }));
      const byMember = (a: { member: string }, b: { member: string }) => (a.member < b.member ? -1 : 1);
      expect(zmembers.sort(byMember)).toEqual((await client.zrangeWithScores(zset, 0, -1)).sort(byMember));
      expect(zmembers.find((entry) => entry.member === 'm0')?.score).toBe(-Infinity);
    }
  });

  it('apply match, and give the server error of a key of another type', async () => {
    const hash = 'scanc:matched';
    await client.call('HSET', hash, 'keep:1', 'a', 'keep:2', 'b', 'drop:1', 'c');
    expect((await collect(client.hscanIterator(hash, { match: 'keep:*' }))).sort()).toEqual([
      ['keep:1', 'a'],
      ['keep:2', 'b'],
    ]);
    expect(await collect(client.sscanIterator('scanc:none'))).toEqual([]);
    await expect(collect(client.zscanIterator(hash))).rejects.toMatchObject({ prefix: 'WRONGTYPE' });
  });

  it('yield Buffers with decodeResponses false', async () => {
    const buffers = newClient({ startupNodes: startupNodes(), decodeResponses: false });
    await buffers.call('HSET', 'scanc:binary', Buffer.from([0xff]), Buffer.from([0x00, 0x01]));
    expect(await collect(buffers.hscanIterator('scanc:binary'))).toEqual([[Buffer.from([0xff]), Buffer.from([0x00, 0x01])]]);
  });
});

describe('scanIterator across a failover', () => {
  it('sees every key present before a master was killed mid-scan, starting its shard over on the promoted replica', async () => {
    const unhandled = watchUnhandled();
    try {
      const scanner = newClient({ startupNodes: startupNodes(), commandTimeout: 2000 });
      const expected = Array.from({ length: KEY_COUNT }, (_, i) => keyName(i));
      const seen: string[] = [];
      let victim: string | undefined;
      let killedAfter = -1;
      let killedAt = 0;
      for await (const key of scanner.scanIterator({ match: 'scan:*', count: 200 })) {
        seen.push(key);
        if (victim === undefined) {
          // The shard being scanned now is the one whose master dies, after its first page.
          victim = scanner.masterOf(keySlot(key))?.address;
        } else if (killedAfter === -1 && seen.length >= 100) {
          killedAfter = seen.length;
          const node = cluster.masters().find((master) => `${master.host}:${master.port}` === victim);
          expect(node).toBeDefined();
          killedAt = performance.now();
          await cluster.kill(node!, 'SIGKILL');
        }
      }
      const finishedAfterKill = performance.now() - killedAt;
      expect(killedAfter).toBeGreaterThan(0);
      const { duplicates, missing } = tally(seen, expected);
      expect(missing, `missing ${missing.length} keys; ${duplicates} duplicates; killed after ${killedAfter} keys`).toEqual([]);
      // The victim's shard was scanned again from the start on its new master: its keys seen before the kill came twice.
      expect(duplicates, `${duplicates} duplicates`).toBeGreaterThanOrEqual(killedAfter);
      expect(duplicates, `${duplicates} duplicates`).toBeLessThanOrEqual(killedAfter + 2000);
      expect(scanner.masterOf(keySlot(seen[0]))?.address).not.toBe(victim);
      // The promotion takes a few seconds (node timeout 1 s); the scan follows it at once rather
      // than waiting out the retries of a refused connection to the dead node.
      expect(finishedAfterKill).toBeLessThan(10_000);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

describe('collection scans when the key moves', () => {
  it('hscanIterator starts over at the new owner when its slot moves mid-scan (MOVED)', async () => {
    const key = 'scanmove:{hash}';
    const fields = Array.from({ length: 20_000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    await client.call('HSET', key, ...fields);
    const slot = keySlot(key);
    await client.connect();
    const source = client.masterOf(slot)!.address;
    const target = cluster.masters().find((master) => `${master.host}:${master.port}` !== source)!;
    const seen = new Set<string>();
    let moved = false;
    for await (const [field] of client.hscanIterator(key, { count: 100 })) {
      seen.add(field);
      if (!moved && seen.size >= 300) {
        moved = true;
        await cluster.moveSlot(slot, target);
      }
    }
    expect(moved).toBe(true);
    expect(seen.size).toBe(20_000);
    expect(client.masterOf(slot)?.address).toBe(`${target.host}:${target.port}`);
  });

  it('hscanIterator, sscanIterator and zscanIterator follow ASK to the importing node during a live reshard', async () => {
    const unhandled = watchUnhandled();
    try {
      const [hash, set, zset, stays] = ['h', 's', 'z', 'other'].map((name) => `scanask:{ask}${name}`);
      const size = 5_000;
      await client.call('HSET', hash, ...Array.from({ length: size }, (_, i) => [`f${i}`, `v${i}`]).flat());
      await client.call('SADD', set, ...Array.from({ length: size }, (_, i) => `m${i}`));
      await client.call('ZADD', zset, ...Array.from({ length: size }, (_, i) => [i, `z${i}`]).flat());
      await client.call('SET', stays, 'x');
      const slot = keySlot(hash);
      const source = await cluster.slotOwner(slot);
      const target = cluster.masters().find((master) => master.id !== source.id)!;
      // The set and the sorted set move before their scans start; the hash moves mid-scan.
      const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: [set, zset] });
      try {
        const fields = new Set<string>();
        let moved = false;
        for await (const [field] of client.hscanIterator(hash, { count: 100, failoverTimeout: 2000 })) {
          fields.add(field);
          if (!moved && fields.size >= 300) {
            moved = true;
            await client.call('MIGRATE', target.host, target.port, '', 0, 5000, 'KEYS', hash);
          }
        }
        expect(moved).toBe(true);
        expect(fields.size).toBe(size);
        const members = new Set(await collect(client.sscanIterator(set, { count: 100, failoverTimeout: 2000 })));
        expect(members.size).toBe(size);
        const scored = await collect(client.zscanIterator(zset, { count: 100, failoverTimeout: 2000 }));
        expect(new Set(scored.map(({ member }) => member)).size).toBe(size);
        // Still mid-migration: the slot is the source's, the keys are the target's.
        expect(client.masterOf(slot)?.address).toBe(`${source.host}:${source.port}`);
      } finally {
        await migration.finish();
      }
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it("sscanIterator sees every member when the key's master is killed mid-scan", async () => {
    const unhandled = watchUnhandled();
    try {
      const scanner = newClient({ startupNodes: startupNodes(), commandTimeout: 2000 });
      await scanner.connect();
      // A key on a master that still has a live replica to promote (an earlier test killed one).
      const masterWithReplica = (key: string) => {
        const address = scanner.masterOf(keySlot(key))?.address;
        const master = cluster.masters().find((m) => `${m.host}:${m.port}` === address);
        return master !== undefined && cluster.replicasOf(master).some((replica) => replica.status === 'running');
      };
      let key = '';
      for (let i = 0; !masterWithReplica((key = `scanfail:{${i}}`)); i++);
      const members = Array.from({ length: 20_000 }, (_, i) => `m${i}`);
      await scanner.call('SADD', key, ...members);
      const victim = cluster.masters().find((m) => `${m.host}:${m.port}` === scanner.masterOf(keySlot(key))!.address)!;
      // The set must reach the replica before its master dies.
      expect(await scanner.waitForReplicas(key, 1, 5000)).toBe(1);
      const seen = new Set<string>();
      let killed = false;
      for await (const member of scanner.sscanIterator(key, { count: 100 })) {
        seen.add(member);
        if (!killed && seen.size >= 300) {
          killed = true;
          await cluster.kill(victim, 'SIGKILL');
        }
      }
      expect(killed).toBe(true);
      expect(seen.size).toBe(members.length);
      expect(scanner.masterOf(keySlot(key))?.address).not.toBe(`${victim.host}:${victim.port}`);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
