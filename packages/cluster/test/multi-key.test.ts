import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { startServer, type TestServer } from '@hashslot/test-cluster';
import { Connection, type CommandArgument, type RespReply } from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import { CrossSlotError, InvalidArgumentError, ReplyError, type RedisCluster } from '@hashslot/cluster';
import { newClient } from './helpers.js';

/**
 * Every cross-slot command against a standalone redis-server given the same data: same replies,
 * same resulting data. Keys are spread over all three masters (checked), and the same commands
 * run with hash-tagged keys, where they must stay native.
 */

const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));
/** Unique per run, so that keys left by an earlier run never meet this one. */
const RUN = `mk:${randomBytes(4).toString('hex')}`;

let client: RedisCluster;
let binaryClient: RedisCluster<false>;
let lone: TestServer;
let single: Connection;
let singleBinary: Connection;
let masters: string[];

beforeAll(async () => {
  client = newClient({ startupNodes: startupNodes() });
  binaryClient = newClient({ startupNodes: startupNodes(), decodeResponses: false });
  await Promise.all([client.connect(), binaryClient.connect()]);
  masters = client.nodes('master').map((node) => node.address);
  expect(masters).toHaveLength(3);
  lone = await startServer();
  single = new Connection({ host: lone.host, port: lone.port });
  singleBinary = new Connection({ host: lone.host, port: lone.port, returnBuffers: true });
});

afterAll(async () => {
  await Promise.allSettled([single?.quit(), singleBinary?.quit()]);
  await lone?.stop();
});

function masterOf(key: string): string {
  const master = client.masterOf(keySlot(key));
  if (master === undefined) throw new Error(`no master for ${key}`);
  return master.address;
}

/** `count` keys named `${RUN}:${name}:...`, the i-th on master i % 3, so that every master gets some. */
function spread(name: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `${RUN}:${name}:${i}`;
    if (masterOf(key) === masters[keys.length % masters.length]) keys.push(key);
  }
  return keys;
}

/** `count` keys sharing one hash tag. */
function tagged(name: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${RUN}:{${name}}:${i}`);
}

function onEveryMaster(keys: readonly string[]): void {
  expect(new Set(keys.map(masterOf)).size).toBe(3);
}

/** Runs commands on the cluster and on the standalone server, one after the other. */
async function onBoth(...commands: CommandArgument[][]): Promise<void> {
  for (const command of commands) {
    await client.call(...command);
    await single.send(command);
  }
}

type Outcome = { reply: RespReply } | { error: string };

async function outcome(work: Promise<unknown>): Promise<Outcome> {
  try {
    return { reply: (await work) as RespReply };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Sorts an array reply (set members come in no order). */
function sorted(reply: RespReply): RespReply {
  return Array.isArray(reply) ? [...reply].sort((a, b) => String(a).localeCompare(String(b))) : reply;
}

/** `command` through call() on the cluster and on the standalone server: same reply or same error message. */
async function sameReply(command: CommandArgument[], normalize: (reply: RespReply) => RespReply = (reply) => reply): Promise<Outcome> {
  const cluster = await outcome(client.call(...command));
  const alone = await outcome(single.send(command));
  const shaped = (result: Outcome): Outcome => ('reply' in result ? { reply: normalize(result.reply) } : result);
  expect(shaped(cluster), String(command[0])).toEqual(shaped(alone));
  return cluster;
}

/** The same inspection commands give the same replies on both. */
async function sameData(...commands: CommandArgument[][]): Promise<void> {
  for (const command of commands) {
    const normalize = ['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF'].includes(String(command[0]).toUpperCase()) ? sorted : (reply: RespReply) => reply;
    expect(normalize(await client.call(...command)), command.join(' ')).toEqual(normalize(await single.send(command)));
  }
}

/**
 * A key's type and content, compared across servers: a DUMP would differ for a set, whose
 * order follows each server's own hash seed.
 */
async function contentOf(send: (...args: CommandArgument[]) => Promise<RespReply>, key: string): Promise<RespReply[]> {
  const type = String(await send('TYPE', key));
  switch (type) {
    case 'string':
      return [type, await send('GET', key)];
    case 'hash':
      return [type, await send('HGETALL', key)];
    case 'list':
      return [type, await send('LRANGE', key, 0, -1)];
    case 'set':
      return [type, sorted(await send('SMEMBERS', key))];
    case 'zset':
      return [type, await send('ZRANGE', key, 0, -1, 'WITHSCORES')];
    default:
      return [type];
  }
}

/** KEYS on every master, so that leftovers anywhere are seen. */
async function keysOnMasters(pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const address of masters) {
    const [host, port] = address.split(':');
    const connection = new Connection({ host, port: Number(port) });
    try {
      found.push(...((await connection.send(['KEYS', pattern])) as string[]));
    } finally {
      await connection.quit();
    }
  }
  return found;
}

/** The commands a node has run, from INFO commandstats. */
async function commandCalls(address: string, name: string): Promise<number> {
  const [host, port] = address.split(':');
  const connection = new Connection({ host, port: Number(port) });
  try {
    const info = String(await connection.send(['INFO', 'commandstats']));
    const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info);
    return match === null ? 0 : Number(match[1]);
  } finally {
    await connection.quit();
  }
}

describe('MGET, MSET, DEL, UNLINK, EXISTS, TOUCH across slots', () => {
  it('MGET of 100 keys over all masters gives the values in order, missing keys as null', async () => {
    const keys = spread('mget', 100);
    onEveryMaster(keys);
    const present = keys.filter((_, i) => i % 3 !== 1);
    await onBoth(['MSET', ...present.flatMap((key) => [key, `value of ${key}`])]);
    const values = await client.mget(...keys);
    expect(values).toEqual(keys.map((key, i) => (i % 3 === 1 ? null : `value of ${key}`)));
    await sameReply(['MGET', ...keys]);
    // The reverse order and a key named twice come back as asked.
    const asked = [...keys].reverse().concat(keys[0]);
    expect(await client.mget(...asked)).toEqual(await single.send(['MGET', ...asked]));
  });

  it("call('MGET', a, b) across slots works like the method", async () => {
    const [a, b] = spread('call-mget', 2);
    expect(masterOf(a)).not.toBe(masterOf(b));
    await onBoth(['SET', a, 'A'], ['SET', b, 'B']);
    expect(await client.call('MGET', a, b)).toEqual(['A', 'B']);
    expect(await client.call('mget', b, 'missing:' + a, a)).toEqual(['B', null, 'A']);
    await sameReply(['MGET', a, b]);
  });

  it('MSET across slots sets every key, the last value of a key named twice winning', async () => {
    const keys = spread('mset', 9);
    const command = ['MSET', ...keys.flatMap((key, i) => [key, `v${i}`]), keys[4], 'again'];
    await sameReply(command);
    await sameData(['MGET', ...keys]);
    expect(await client.mset(new Map(keys.map((key) => [key, `m:${key}`])))).toBe('OK');
    expect(await client.mget(...keys)).toEqual(keys.map((key) => `m:${key}`));
  });

  it('DEL and UNLINK count what they removed, across slots, a key named twice once', async () => {
    const keys = spread('del', 12);
    await onBoth(['MSET', ...keys.slice(0, 8).flatMap((key) => [key, 'x'])]);
    await sameReply(['DEL', keys[0], keys[1], keys[0], keys[9], keys[2], keys[3]]);
    await sameReply(['UNLINK', ...keys.slice(3, 12)]);
    await sameData(['EXISTS', ...keys]);
    await onBoth(['MSET', ...keys.flatMap((key) => [key, 'y'])]);
    expect(await client.del(...keys)).toBe(12);
    expect(await client.del(...keys)).toBe(0);
  });

  it('EXISTS counts a key named twice twice; TOUCH counts keys that exist', async () => {
    const keys = spread('exists', 6);
    await onBoth(['MSET', keys[0], 'a', keys[1], 'b', keys[2], 'c']);
    const command = ['EXISTS', keys[0], keys[0], keys[1], keys[3], keys[2], keys[2], keys[5]];
    expect((await sameReply(command)) as { reply: RespReply }).toEqual({ reply: 5 });
    expect(await client.exists(keys[0], keys[0], keys[4])).toBe(2);
    await sameReply(['TOUCH', ...keys, keys[1]]);
    expect(await client.touch(...keys)).toBe(3);
  });

  it('MSETNX sets nothing when one key exists, and every key when none does', async () => {
    const keys = spread('msetnx', 6);
    await onBoth(['SET', keys[4], 'already']);
    const command = ['MSETNX', ...keys.flatMap((key) => [key, `new:${key}`])];
    expect((await sameReply(command)) as { reply: RespReply }).toEqual({ reply: 0 });
    await sameData(['MGET', ...keys]);
    expect(await client.mget(...keys)).toEqual(keys.map((key, i) => (i === 4 ? 'already' : null)));
    await onBoth(['DEL', keys[4]]);
    expect((await sameReply(command)) as { reply: RespReply }).toEqual({ reply: 1 });
    await sameData(['MGET', ...keys]);
    expect(await client.msetnx({ [keys[0]]: 'x', [`${RUN}:msetnx:fresh`]: 'y' })).toBe(0);
  });

  it('keeps a single-slot call one plain command on one node', async () => {
    const keys = tagged('one-slot', 5);
    const node = masterOf(keys[0]);
    await client.mset(Object.fromEntries(keys.map((key) => [key, key])));
    const [mgets, evals] = await Promise.all([commandCalls(node, 'mget'), commandCalls(node, 'eval')]);
    expect(await client.mget(...keys)).toEqual(keys);
    expect(await client.msetnx(Object.fromEntries(keys.map((key) => [key, 'z'])))).toBe(0);
    expect(await commandCalls(node, 'mget')).toBe(mgets + 1);
    expect(await commandCalls(node, 'eval')).toBe(evals);
  });

  it('rejects a wrong argument as an InvalidArgumentError, before sending anything', async () => {
    const [a, b] = spread('invalid', 2);
    await expect(client.mget()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('MSET', a, 1, b)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('LMOVE', a, b, 'UP', 'LEFT')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('ZUNIONSTORE', a, 2, a, b, 'WEIGHTS', 1, 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('ZUNIONSTORE', a, 2, a, b, 'AGGREGATE', 'AVG')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('still refuses other multi-key commands across slots with a CrossSlotError that suggests a hash tag', async () => {
    const [a, b] = spread('refused', 2);
    const error = await client.call('ZUNION', 2, a, b).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    expect((error as CrossSlotError).message).toContain(a);
    expect((error as CrossSlotError).message).toMatch(/hash tag/);
    await expect(client.copy(a, b)).rejects.toBeInstanceOf(CrossSlotError);
  });
});

describe('RENAME and RENAMENX across slots', () => {
  it('moves the value, its type and its exact expiry time, for every type', async () => {
    const [source, destination] = spread('rename', 2);
    const setups: CommandArgument[][][] = [
      [['SET', source, 'plain'], ['PEXPIRE', source, 600_000]],
      [['HSET', source, 'f', 'v', 'g', 'w']],
      [['RPUSH', source, 'a', 'b', 'c'], ['PEXPIREAT', source, Date.now() + 900_000]],
      [['ZADD', source, 1.5, 'x', -2, 'y']],
      [['SADD', source, 'p', 'q']],
    ];
    for (const setup of setups) {
      await onBoth(['DEL', source, destination], ...setup);
      const expiry = await client.call('PEXPIRETIME', source);
      await sameReply(['RENAME', source, destination]);
      await sameData(['EXISTS', source]);
      expect(await contentOf(client.call.bind(client), destination)).toEqual(await contentOf((...args) => single.send(args), destination));
      expect(await client.call('PEXPIRETIME', destination)).toBe(expiry);
    }
  });

  it('replaces a destination of another type and answers ERR no such key for a missing source', async () => {
    const [source, destination] = spread('rename-replace', 2);
    await onBoth(['SET', source, 'new'], ['SADD', destination, 'old'], ['EXPIRE', destination, 100]);
    await sameReply(['RENAME', source, destination]);
    await sameData(['GET', destination], ['TTL', destination]);
    const missing = await sameReply(['RENAME', `${RUN}:rename:none`, destination]);
    expect(missing).toEqual({ error: 'ERR no such key' });
    await expect(client.rename(`${RUN}:rename:none`, destination)).rejects.toBeInstanceOf(ReplyError);
  });

  it('RENAMENX leaves both keys alone when the destination exists', async () => {
    const [source, destination] = spread('renamenx', 2);
    await onBoth(['SET', source, 's'], ['SET', destination, 'd']);
    expect(await sameReply(['RENAMENX', source, destination])).toEqual({ reply: 0 });
    await sameData(['MGET', source, destination]);
    await onBoth(['DEL', destination]);
    expect(await sameReply(['RENAMENX', source, destination])).toEqual({ reply: 1 });
    await sameData(['MGET', source, destination]);
  });

  it('is the native command with hash-tagged keys', async () => {
    const [source, destination] = tagged('rename', 2);
    await onBoth(['SET', source, 'v'], ['EXPIRE', source, 50]);
    await sameReply(['RENAME', source, destination]);
    await sameData(['GET', destination], ['TTL', destination], ['EXISTS', source]);
  });
});

describe('list moves across slots', () => {
  it('LMOVE in every direction and RPOPLPUSH give what a single server gives', async () => {
    const [source, destination] = spread('lmove', 2);
    await onBoth(['RPUSH', source, 'a', 'b', 'c', 'd', 'e', 'f'], ['RPUSH', destination, 'x']);
    for (const [from, to] of [['LEFT', 'LEFT'], ['LEFT', 'RIGHT'], ['RIGHT', 'LEFT'], ['RIGHT', 'RIGHT']]) {
      await sameReply(['LMOVE', source, destination, from, to]);
      await sameData(['LRANGE', source, 0, -1], ['LRANGE', destination, 0, -1]);
    }
    await sameReply(['RPOPLPUSH', source, destination]);
    expect(await client.lmove(destination, source, 'LEFT', 'LEFT')).toBe(await single.send(['LMOVE', destination, source, 'LEFT', 'LEFT']));
    await sameData(['LRANGE', source, 0, -1], ['LRANGE', destination, 0, -1]);
    // The transit keys are gone.
    expect(await keysOnMasters(`*${RUN}*hashslot:transit*`)).toEqual([]);
  });

  it('answers null for an empty source and WRONGTYPE for a destination of another type, leaving the source as it was', async () => {
    const [source, destination, other] = spread('lmove-edge', 3);
    await sameReply(['LMOVE', `${RUN}:lmove-edge:none`, destination, 'LEFT', 'LEFT']);
    await onBoth(['RPUSH', source, '1', '2', '3'], ['SET', other, 'string']);
    const refused = await sameReply(['LMOVE', source, other, 'LEFT', 'RIGHT']);
    expect(refused).toEqual({ error: expect.stringMatching(/^WRONGTYPE/) });
    await sameData(['LRANGE', source, 0, -1], ['GET', other]);
    await sameReply(['RPOPLPUSH', other, source]);
  });

  it('BLMOVE across slots blocks on the source, then receives and pushes', async () => {
    const [source, destination] = spread('blmove', 2);
    await onBoth(['RPUSH', destination, 'old']);
    const pusher = newClient({ startupNodes: startupNodes() });
    const moved = client.blmove(source, destination, 'LEFT', 'RIGHT', 10);
    let settled = false;
    void moved.then(() => (settled = true), () => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    // The destination's node is not held by the wait.
    expect(await client.call('LRANGE', destination, 0, -1)).toEqual(['old']);
    await pusher.call('RPUSH', source, 'first', 'second');
    expect(await moved).toBe('first');
    await single.send(['RPUSH', source, 'first', 'second']);
    expect(await single.send(['BLMOVE', source, destination, 'LEFT', 'RIGHT', 10])).toBe('first');
    await sameData(['LRANGE', source, 0, -1], ['LRANGE', destination, 0, -1]);
    await sameReply(['BRPOPLPUSH', source, destination, 1]);
    await sameData(['LRANGE', source, 0, -1], ['LRANGE', destination, 0, -1]);
  });

  it('BRPOPLPUSH and BLMOVE across slots answer null on timeout', async () => {
    const [source, destination] = spread('blmove-timeout', 2);
    const started = Date.now();
    expect(await client.brpoplpush(source, destination, 0.3)).toBeNull();
    expect(await client.call('BLMOVE', source, destination, 'RIGHT', 'LEFT', 0.2)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    await sameData(['EXISTS', source, destination]);
  });

  it('is the native command with hash-tagged keys', async () => {
    const [source, destination] = tagged('lmove', 2);
    await onBoth(['RPUSH', source, 'a', 'b']);
    await sameReply(['LMOVE', source, destination, 'RIGHT', 'LEFT']);
    await sameReply(['BLMOVE', source, destination, 'LEFT', 'LEFT', 1]);
    await sameData(['LRANGE', source, 0, -1], ['LRANGE', destination, 0, -1]);
  });
});

describe('set commands across slots', () => {
  it('SMOVE moves a member, and answers as the server does for a non-member, a missing source and a wrong type', async () => {
    const [source, destination, text] = spread('smove', 3);
    await onBoth(['SADD', source, 'a', 'b', 'c'], ['SADD', destination, 'z'], ['SET', text, 't']);
    expect(await sameReply(['SMOVE', source, destination, 'b'])).toEqual({ reply: 1 });
    expect(await sameReply(['SMOVE', source, destination, 'nope'])).toEqual({ reply: 0 });
    expect(await sameReply(['SMOVE', `${RUN}:smove:none`, text, 'a'])).toEqual({ reply: 0 });
    await sameReply(['SMOVE', source, text, 'nope']);
    await sameReply(['SMOVE', text, destination, 'a']);
    expect(await client.smove(source, destination, 'a')).toBe(1);
    await single.send(['SMOVE', source, destination, 'a']);
    await sameData(['SMEMBERS', source], ['SMEMBERS', destination]);
  });

  it('SINTER, SUNION, SDIFF and their STORE forms equal a single server, keys over all masters', async () => {
    const keys = spread('sets', 4);
    onEveryMaster(keys);
    const destination = spread('sets-destination', 1)[0];
    await onBoth(
      ['SADD', keys[0], 'a', 'b', 'c', 'd', '1', '2'],
      ['SADD', keys[1], 'b', 'c', 'd', 'e', '2'],
      ['SADD', keys[2], 'c', 'd', 'f', '2', '3'],
    );
    for (const operation of ['SINTER', 'SUNION', 'SDIFF']) {
      await sameReply([operation, keys[0], keys[1], keys[2]], sorted);
      await sameReply([operation, keys[2], keys[0], keys[3]], sorted);
      await sameReply([`${operation}STORE`, destination, keys[0], keys[1], keys[2]]);
      await sameData(['SMEMBERS', destination], ['TYPE', destination]);
    }
    expect([...(await client.sinter(keys[0], keys[1], keys[2]))].sort()).toEqual(['2', 'c', 'd']);
    expect(await client.sunionstore(destination, keys[0], keys[2])).toBe(8);
    // An empty result deletes the destination.
    await sameReply(['SINTERSTORE', destination, keys[0], keys[3]]);
    await sameData(['EXISTS', destination]);
    // A key of another type is WRONGTYPE, as on the server, wherever it is.
    await onBoth(['SET', keys[3], 'text']);
    await sameReply(['SINTER', keys[0], keys[3]]);
    await sameReply(['SUNIONSTORE', destination, keys[3], keys[0]]);
  });

  it('SINTERSTORE into an existing key of another type replaces it, TTL included', async () => {
    const [a, b, destination] = spread('sinterstore', 3);
    await onBoth(['SADD', a, 'x', 'y', 'z'], ['SADD', b, 'y', 'z', 'w'], ['RPUSH', destination, 'list'], ['EXPIRE', destination, 1000]);
    await sameReply(['SINTERSTORE', destination, a, b]);
    await sameData(['TYPE', destination], ['SMEMBERS', destination], ['TTL', destination]);
    await onBoth(['DEL', destination], ['HSET', destination, 'f', 'v']);
    expect(await client.sinterstore(destination, a, b)).toBe(2);
    expect([...(await client.smembers(destination))].sort()).toEqual(['y', 'z']);
  });

  it('is the native command with hash-tagged keys', async () => {
    const keys = tagged('sets', 3);
    await onBoth(['SADD', keys[0], 'a', 'b'], ['SADD', keys[1], 'b', 'c']);
    await sameReply(['SUNIONSTORE', keys[2], keys[0], keys[1]]);
    await sameReply(['SINTER', keys[0], keys[1]], sorted);
    await sameReply(['SMOVE', keys[0], keys[1], 'a']);
    await sameData(['SMEMBERS', keys[0]], ['SMEMBERS', keys[1]], ['SMEMBERS', keys[2]]);
  });
});

describe('sorted-set stores across slots', () => {
  const seed = (keys: string[], set: string): CommandArgument[][] => [
    ['ZADD', keys[0], 1, 'a', 2, 'b', 0.1, 'c', '-inf', 'd', 5, 'e', 0, 'zero'],
    ['ZADD', keys[1], 10, 'b', 0.2, 'c', '+inf', 'd', -3, 'f', 0, 'zero'],
    ['ZADD', keys[2], 0.3, 'c', 7, 'b', 1e-300, 'e', 4, 'g', '-0', 'zero', 1.7976931348623157e308, 'huge'],
    ['SADD', set, 'a', 'c', 'h'],
  ];

  it('ZUNIONSTORE with WEIGHTS and AGGREGATE MIN equals a single server', async () => {
    const keys = spread('zunion', 3);
    onEveryMaster(keys);
    const [set, destination] = spread('zunion-more', 2);
    await onBoth(...seed(keys, set));
    const command = ['ZUNIONSTORE', destination, 4, keys[0], keys[1], set, keys[2], 'WEIGHTS', 2, -1.5, 3, 0.1, 'AGGREGATE', 'MIN'];
    await sameReply(command);
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
    expect(await client.zunionstore(destination, [keys[0], keys[1]], { weights: [2, 0.5], aggregate: 'MIN' })).toBe(
      await single.send(['ZUNIONSTORE', destination, 2, keys[0], keys[1], 'WEIGHTS', 2, 0.5, 'AGGREGATE', 'MIN']),
    );
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
  });

  it('ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE with every aggregate, sets as inputs and infinities, equal a single server', async () => {
    const keys = spread('zcombine', 3);
    const [set, destination] = spread('zcombine-more', 2);
    await onBoth(...seed(keys, set));
    const inputs = [keys[0], keys[1], set, keys[2]];
    for (const operation of ['ZUNIONSTORE', 'ZINTERSTORE']) {
      for (const aggregate of ['SUM', 'MIN', 'MAX']) {
        for (const weights of [[], ['WEIGHTS', 1, 1, 1, 1], ['WEIGHTS', 0, -1, 2.5, 'inf'], ['WEIGHTS', -1, 0.1, 3, 10]]) {
          await sameReply([operation, destination, 4, ...inputs, ...weights, 'AGGREGATE', aggregate]);
          await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
        }
      }
      await sameReply([operation, destination, 2, keys[0], keys[2]]);
      await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
    }
    await sameReply(['ZINTERSTORE', destination, 3, keys[0], set, keys[1]]);
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
    await sameReply(['ZDIFFSTORE', destination, 3, keys[0], keys[1], set]);
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
    expect(await client.zdiffstore(destination, [set, keys[2]])).toBe(await single.send(['ZDIFFSTORE', destination, 2, set, keys[2]]));
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES'], ['TYPE', destination]);
    expect(await client.zinterstore(destination, [keys[0], keys[2]], { aggregate: 'MAX' })).toBe(
      await single.send(['ZINTERSTORE', destination, 2, keys[0], keys[2], 'AGGREGATE', 'MAX']),
    );
    await sameData(['ZRANGE', destination, 0, -1, 'WITHSCORES']);
    // Empty results delete the destination; a wrong type anywhere is WRONGTYPE.
    await sameReply(['ZINTERSTORE', destination, 2, keys[0], `${RUN}:zcombine:none`]);
    await sameData(['EXISTS', destination]);
    await onBoth(['SET', destination, 'text']);
    await sameReply(['ZUNIONSTORE', keys[0], 2, keys[1], destination]);
    await sameData(['ZRANGE', keys[0], 0, -1, 'WITHSCORES']);
  });

  it('is the native command with hash-tagged keys', async () => {
    const keys = tagged('zsets', 4);
    await onBoth(...seed(keys, keys[3]));
    await sameReply(['ZUNIONSTORE', keys[3], 3, keys[0], keys[1], keys[2], 'WEIGHTS', 1, 2, 3]);
    await sameData(['ZRANGE', keys[3], 0, -1, 'WITHSCORES']);
  });
});

describe('HyperLogLogs across slots', () => {
  it('PFCOUNT across slots gives the same estimate as one server', async () => {
    const keys = spread('hll', 3);
    onEveryMaster(keys);
    for (const [i, key] of keys.entries()) {
      const elements = Array.from({ length: 400 + i * 300 }, (_, k) => `e${(k * 7 + i * 131) % 1000}`);
      await onBoth(['PFADD', key, ...elements]);
    }
    await sameReply(['PFCOUNT', ...keys]);
    await sameReply(['PFCOUNT', keys[2], keys[0], `${RUN}:hll:none`]);
    expect(await client.pfcount(...keys)).toBe(await single.send(['PFCOUNT', ...keys]));
    expect(await keysOnMasters(`*${RUN}*hashslot:copy*`)).toEqual([]);
  });

  it('PFMERGE across slots gives the same HyperLogLog, byte for byte', async () => {
    const keys = spread('pfmerge', 3);
    const destination = spread('pfmerge-destination', 1)[0];
    await onBoth(['PFADD', keys[0], 'a', 'b', 'c'], ['PFADD', keys[1], 'c', 'd'], ['PFADD', keys[2], ...Array.from({ length: 3000 }, (_, i) => `x${i}`)]);
    await sameReply(['PFMERGE', destination, keys[0], keys[1]]);
    expect(await binaryClient.call('GET', destination)).toEqual(await singleBinary.send(['GET', destination]));
    expect(await client.pfmerge(destination, keys[2])).toBe('OK');
    await single.send(['PFMERGE', destination, keys[2]]);
    await sameData(['PFCOUNT', destination]);
    expect(await binaryClient.call('GET', destination)).toEqual(await singleBinary.send(['GET', destination]));
    // A key that is not a HyperLogLog is refused as the server refuses it.
    await onBoth(['SET', keys[0], 'not a hll']);
    await sameReply(['PFCOUNT', keys[1], keys[0]]);
  });
});

describe('SORT ... STORE across slots', () => {
  it('stores what SORT ... STORE stores on one server', async () => {
    const [list, set, destination] = spread('sort', 3);
    await onBoth(['RPUSH', list, '3', '10', '1', '2.5', '-4'], ['SADD', set, 'pear', 'apple', 'fig', 'kiwi']);
    const cases: CommandArgument[][] = [
      ['SORT', list, 'STORE', destination],
      ['SORT', list, 'DESC', 'LIMIT', 1, 3, 'STORE', destination],
      ['SORT', set, 'ALPHA', 'STORE', destination],
      ['SORT', set, 'BY', 'nosort', 'STORE', destination],
      ['SORT', set, 'STORE', destination, 'ALPHA', 'DESC'],
    ];
    for (const command of cases) {
      await sameReply(command);
      await sameData(['LRANGE', destination, 0, -1]);
    }
    expect(await client.sortStore(list, destination, { order: 'DESC' })).toBe(5);
    await sameReply(['SORT', `${RUN}:sort:none`, 'STORE', destination]);
    await sameData(['EXISTS', destination]);
  });
});

describe('binary data through a client that decodes replies', () => {
  const binary = (...bytes: number[]): Buffer => Buffer.from(bytes);

  it('keeps bytes that are not UTF-8 exact in set stores, renames and list moves', async () => {
    const [a, b, destination, list, target] = spread('binary', 5);
    const members = [binary(0xff), binary(0xfe), binary(0xff, 0xfe), Buffer.from('text'), Buffer.from('\uFFFD')];
    await onBoth(['SADD', a, ...members], ['SADD', b, members[0], members[1], members[3]]);
    await sameReply(['SDIFFSTORE', destination, a, b]);
    const stored = ((await binaryClient.call('SMEMBERS', destination)) as Buffer[]).map((m) => m.toString('hex')).sort();
    expect(stored).toEqual(((await singleBinary.send(['SMEMBERS', destination])) as Buffer[]).map((m) => m.toString('hex')).sort());
    expect(stored).toEqual(['efbfbd', 'fffe']);
    expect(await client.sunion(a, b)).toHaveLength(5);

    await onBoth(['SET', a, binary(0, 0xc3, 0x28, 0xff)], ['DEL', b]);
    expect(await client.rename(a, b)).toBe('OK');
    expect(await binaryClient.call('GET', b)).toEqual(binary(0, 0xc3, 0x28, 0xff));

    await onBoth(['RPUSH', list, binary(0x80, 0x81), 'plain']);
    expect(await client.lmove(list, target, 'LEFT', 'LEFT')).toBe(binary(0x80, 0x81).toString());
    expect(await binaryClient.call('LRANGE', target, 0, -1)).toEqual([binary(0x80, 0x81)]);

    const [z1, z2] = spread('binary-zsets', 2);
    await onBoth(['ZADD', z1, 1, binary(0xff), 2, binary(0xfe)], ['ZADD', z2, 3, binary(0xff)]);
    await client.zunionstore(destination, [z1, z2]);
    expect(await binaryClient.call('ZRANGE', destination, 0, -1, 'WITHSCORES')).toEqual([binary(0xfe), Buffer.from('2'), binary(0xff), Buffer.from('4')]);
  });

  it('gives Buffers from a client with decodeResponses false', async () => {
    const [a, b] = spread('buffers', 2);
    await onBoth(['SADD', a, binary(1, 2), 'x'], ['SADD', b, 'x']);
    expect(await binaryClient.sdiff(a, b)).toEqual([binary(1, 2)]);
    await onBoth(['MSET', a, binary(0xff), b, 'y']);
    expect(await binaryClient.mget(a, b)).toEqual([binary(0xff), Buffer.from('y')]);
  });
});

describe('the caller\'s own commands around a client-side composite', () => {
  it('keeps a write issued right after a cross-slot RENAME after it, as a single Redis would', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const [from, to] = ['mk:order:log', 'mk:order:archived'];
    expect(keySlot(from)).not.toBe(keySlot(to));
    await client.set(from, 'old');
    // Same tick: the SET must land after the RENAME's DEL of the source, not between its steps.
    const [renamed, written] = await Promise.all([client.rename(from, to), client.set(from, 'fresh')]);
    expect([renamed, written]).toEqual(['OK', 'OK']);
    expect(await client.get(from)).toBe('fresh');
    expect(await client.get(to)).toBe('old');
  });

  it('finishes a cross-slot LMOVE accepted before quit(), instead of stranding the element', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const [source, destination] = ['mk:quit:src', 'mk:quit:dst'];
    expect(keySlot(source)).not.toBe(keySlot(destination));
    await client.del(source, destination);
    await client.rpush(source, 'job');
    const moved = client.lmove(source, destination, 'LEFT', 'RIGHT');
    await client.quit();
    expect(await moved).toBe('job');
    const check = newClient({ startupNodes: startupNodes() });
    expect(await check.lrange(destination, 0, -1)).toEqual(['job']);
    expect(await check.llen(source)).toBe(0);
  });
});

describe('cross-slot moves whose step timed out after it was written', () => {
  async function pauseWrites(client: RedisCluster<boolean>, key: string, ms: number): Promise<void> {
    const owner = client.masterOf(keySlot(key));
    if (owner === undefined) throw new Error('no owner');
    const admin = new Connection({ host: owner.host, port: owner.port });
    await admin.send(['CLIENT', 'PAUSE', ms, 'WRITE']);
    await admin.quit();
  }

  for (const kind of ['SMOVE', 'LMOVE'] as const) {
    it(`${kind}: never loses the element, and names the transit key when a move step may have run`, async () => {
      const client = newClient({ startupNodes: startupNodes(), commandTimeout: 200 });
      const [source, destination] = [`mk:stuck:${kind}:src`, `mk:stuck:${kind}:dst`];
      expect(keySlot(source)).not.toBe(keySlot(destination));
      await client.del(source, destination);
      if (kind === 'SMOVE') await client.sadd(source, 'member');
      else await client.rpush(source, 'member');
      await pauseWrites(client, source, 700);
      const error = await (kind === 'SMOVE' ? client.smove(source, destination, 'member') : client.lmove(source, destination, 'LEFT', 'RIGHT')).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      await new Promise((resolve) => setTimeout(resolve, 900));
      const transit = /"([^"]*hashslot:transit:[0-9a-f]+)"/.exec((error as Error).message)?.[1];
      const holders = [source, destination, ...(transit === undefined ? [] : [transit])];
      const held = await Promise.all(holders.map((key) => (kind === 'SMOVE' ? client.smembers(key) : client.lrange(key, 0, -1))));
      // Wherever the timed-out step left it (the node may have dropped the retired connection's
      // paused command, or run it), the element is in exactly one place the caller can find.
      expect(held.flat(), (error as Error).message).toEqual(['member']);
      if (transit !== undefined) await client.del(transit);
    });
  }
});
