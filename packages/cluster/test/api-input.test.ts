import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { Connection } from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import { CrossSlotError, InvalidArgumentError, RedisCluster, type ClusterOptions } from '@hashslot/cluster';
import { keyInSlot, newClient, watchUnhandled } from './helpers.js';

// The fault suite's "bad input" part for the API: wrong argument types, empty key lists, keys
// across slots where one slot is required, options out of range. Each must be a typed error
// with a message that names what is wrong, raised before anything is sent. "Nothing sent" is
// what the nodes say: every node's INFO commandstats and connection count, read before and after
// each call on connections of the test's own, must not have moved.

type Untyped = (...args: unknown[]) => unknown;

/** A view of the client without its types, to make the calls TypeScript would refuse. */
function loose(target: object): Record<string, Untyped> {
  return target as Record<string, Untyped>;
}

/** What the nodes do by themselves (replication pings and acks) and what the probes send. */
const BACKGROUND = new Set(['info', 'ping', 'replconf']);

let probes: Connection[] = [];
let client: RedisCluster;

beforeAll(async () => {
  probes = sharedCluster().nodes.map((node) => new Connection({ host: node.host, port: node.port }));
  await Promise.all(probes.map((probe) => probe.connect()));
  client = newClient({ startupNodes: sharedCluster().startupNodes.map(({ host, port }) => ({ host, port })) });
  await client.connect();
  // Every master has its connection open: later calls could not hide behind a first connect.
  await Promise.all(client.nodes('master').map((node) => client.get(keyInSlot(slotServedBy(node.address), keySlot, 'api'))));
});

afterAll(() => {
  for (const probe of probes) probe.destroy();
});

function slotServedBy(address: string): number {
  for (let slot = 0; slot < 16384; slot++) if (client.masterOf(slot)?.address === address) return slot;
  throw new Error(`${address} serves no slot`);
}

/** Per node, commands run or rejected by name, and connections accepted. */
async function nodeCounters(): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  await Promise.all(
    probes.map(async (probe) => {
      const info = String(await probe.send(['INFO', 'commandstats', 'stats']));
      for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),.*?rejected_calls=(\d+)/gm)) {
        if (!BACKGROUND.has(match[1])) counters.set(`${probe.address} ${match[1]}`, Number(match[2]) + Number(match[3]));
      }
      const connections = /^total_connections_received:(\d+)/m.exec(info);
      counters.set(`${probe.address} connections`, Number(connections?.[1]));
      // A command the server does not know has no cmdstat line, but its refusal counts here.
      const errors = /^total_error_replies:(\d+)/m.exec(info);
      counters.set(`${probe.address} error replies`, Number(errors?.[1]));
    }),
  );
  return counters;
}

function changes(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [name, count] of after) if (count !== (before.get(name) ?? 0)) changed[name] = count - (before.get(name) ?? 0);
  return changed;
}

/**
 * Runs `action` (which may throw or reject), checks that no node saw a command or a connection
 * meanwhile, and gives what it threw.
 */
async function refusedUnsent(action: () => unknown): Promise<Error> {
  const before = await nodeCounters();
  let thrown: unknown;
  try {
    await action();
  } catch (error) {
    thrown = error;
  }
  // A stray command would reach its node within a few milliseconds on loopback.
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(changes(before, await nodeCounters())).toEqual({});
  expect(thrown).toBeInstanceOf(Error);
  return thrown as Error;
}

interface Refusal {
  name: string;
  run: () => unknown;
  message: RegExp;
}

function expectRefused(cases: readonly Refusal[], type: new (...args: never[]) => Error): void {
  for (const refusal of cases) {
    it(`${refusal.name}: ${type.name}, nothing sent`, async () => {
      const error = await refusedUnsent(refusal.run);
      expect(error).toBeInstanceOf(type);
      expect(error.message).toMatch(refusal.message);
    });
  }
}

describe('wrong argument types', () => {
  expectRefused(
    [
      { name: 'get({})', run: () => loose(client).get({}), message: /^argument 1 of GET is object; arguments must be strings, Buffers, finite numbers or bigints$/ },
      { name: 'get(undefined)', run: () => loose(client).get(undefined), message: /^argument 1 of GET is undefined;/ },
      { name: "set('k', undefined)", run: () => loose(client).set('api:k', undefined), message: /^argument 2 of SET is undefined;/ },
      { name: "set(null, 'v')", run: () => loose(client).set(null, 'v'), message: /^argument 1 of SET is null;/ },
      { name: "hset('h', { f: {} })", run: () => loose(client).hset('api:h', { f: {} }), message: /^argument 3 of HSET is object;/ },
      { name: "lpush('l', NaN)", run: () => loose(client).lpush('api:l', NaN), message: /^argument 2 of LPUSH is NaN;/ },
      { name: "incrby('k', '5')", run: () => loose(client).incrby('api:k', '5'), message: /^INCRBY: increment must be an integer; got "5"$/ },
      { name: "expire('k', NaN)", run: () => loose(client).expire('api:k', NaN), message: /^EXPIRE: seconds must be an integer; got NaN$/ },
      { name: "incrbyfloat('k', Infinity)", run: () => client.incrbyfloat('api:k', Infinity), message: /^INCRBYFLOAT: increment must be a finite number; got Infinity$/ },
      { name: "hincrbyfloat('h', 'f', -Infinity)", run: () => client.hincrbyfloat('api:h', 'f', -Infinity), message: /^HINCRBYFLOAT: increment must be a finite number; got -Infinity$/ },
      { name: "getrange('k', 0.5, 1)", run: () => client.getrange('api:k', 0.5, 1), message: /^GETRANGE: start must be an integer; got 0\.5$/ },
      { name: "del(['a'])", run: () => loose(client).del(['api:a']), message: /^argument 1 of DEL is object;/ },
      // Split by slot into one command per node: the bad argument must fail the whole command
      // before any part is sent (an MSET partly written, a DEL partly run).
      { name: "mset({ a: '1', b: {} }) across slots", run: () => loose(client).mset({ 'api:a': '1', 'api:b': {} }), message: /^argument 4 of MSET is object;/ },
      { name: "del('a', undefined) across slots", run: () => loose(client).del('api:a', 'api:b', undefined), message: /^argument 3 of DEL is undefined;/ },
      { name: "mget('a', 'b', {}) across slots", run: () => loose(client).mget('api:a', 'api:b', {}), message: /^argument 3 of MGET is object;/ },
      { name: "call('SET', {}, 'v')", run: () => client.call('SET', {} as string, 'v'), message: /^argument 1 of SET is object;/ },
      { name: "call('GET', undefined)", run: () => client.call('GET', undefined as unknown as string), message: /^argument 1 of GET is undefined;/ },
      { name: "call('SET', 'k', NaN)", run: () => client.call('SET', 'api:k', NaN), message: /^argument 2 of SET is NaN;/ },
      { name: "call('SET', 'k', true)", run: () => client.call('SET', 'api:k', true as unknown as string), message: /^argument 2 of SET is boolean;/ },
      { name: "call('SET', 'k', Symbol())", run: () => client.call('SET', 'api:k', Symbol('v') as unknown as string), message: /^argument 2 of SET is symbol;/ },
      { name: 'call({}, ...) as the command name', run: () => client.call({} as string, 'api:k'), message: /^argument 0 of a command is object;/ },
      { name: 'call() without a command', run: () => client.call(), message: /^a command needs at least its name$/ },
      { name: "call('MSET', ...) across slots with a bad value", run: () => client.call('MSET', 'api:a', '1', 'api:b', [] as unknown as string), message: /^argument 4 of MSET is object;/ },
      { name: "call('RENAME', 'a', {}) across slots", run: () => client.call('RENAME', 'api:a', {} as string), message: /^argument 2 of RENAME is object;/ },
      { name: "call('DBSIZE', {}) sent to every master", run: () => client.call('DBSIZE', {} as string), message: /^argument 1 of DBSIZE is object;/ },
      {
        name: 'a transaction with a bad argument',
        run: () => loose(client.multi().set('{api}:a', '1')).set('{api}:b', {}),
        message: /^argument 2 of SET is object;/,
      },
      { name: "eval('return 1', ['k'], [{}])", run: () => loose(client).eval('return 1', ['api:k'], [{}]), message: /^argument 4 of EVAL is object;/ },
    ],
    InvalidArgumentError,
  );

  it('sendBatch: each position holds its own InvalidArgumentError, nothing sent', async () => {
    let replies: unknown[] = [];
    await refusedUnsent(async () => {
      replies = await client.sendBatch([
        ['GET', {} as string],
        ['SET', 'api:k', undefined as unknown as string],
        [],
      ]);
      throw new Error('sendBatch resolves');
    });
    expect(replies).toHaveLength(3);
    for (const reply of replies) expect(reply).toBeInstanceOf(InvalidArgumentError);
    expect((replies[0] as Error).message).toMatch(/^argument 1 of GET is object;/);
    expect((replies[1] as Error).message).toMatch(/^argument 2 of SET is undefined;/);
    expect((replies[2] as Error).message).toBe('a command needs at least its name');
  });
});

describe('empty key lists', () => {
  expectRefused(
    [
      ...(['mget', 'del', 'exists', 'unlink', 'touch', 'sinter', 'sunion', 'sdiff', 'pfcount'] as const).map((method) => ({
        name: `${method}()`,
        run: () => loose(client)[method](),
        message: new RegExp(`^${method.toUpperCase()}: needs at least one key$`),
      })),
      { name: "sinterstore('dest')", run: () => loose(client).sinterstore('api:dest'), message: /^SINTERSTORE: needs at least one key$/ },
      { name: 'zunion([])', run: () => client.zunion([]), message: /^ZUNION: needs at least one key$/ },
      { name: 'blpop([], 1)', run: () => client.blpop([], 1), message: /^BLPOP: needs at least one key$/ },
      { name: 'xread([])', run: () => client.xread([]), message: /^XREAD: needs at least one stream$/ },
      { name: 'mset({})', run: () => client.mset({}), message: /^MSET: needs at least one name\/value pair$/ },
      { name: 'msetnx({})', run: () => client.msetnx({}), message: /^MSETNX: needs at least one name\/value pair$/ },
      { name: 'watch()', run: () => client.watch(), message: /^watch\(\) needs at least one key$/ },
      { name: "lpush('l') without elements", run: () => loose(client).lpush('api:l'), message: /^LPUSH: needs at least one element$/ },
      { name: "hset('h', {})", run: () => client.hset('api:h', {}), message: /^HSET: needs at least one name\/value pair$/ },
      // call() passes commands through, but one the server's table says is short is refused
      // here: without a key it would not even have a node to go to.
      ...['MGET', 'DEL', 'EXISTS', 'UNLINK', 'GET'].map((name) => ({
        name: `call('${name}')`,
        run: () => client.call(name),
        message: new RegExp(`^${name}: wrong number of arguments: at least 1 after ${name}, got 0$`),
      })),
      { name: "call('XINFO', 'STREAM')", run: () => client.call('XINFO', 'STREAM'), message: /^XINFO STREAM: wrong number of arguments: at least 2 after XINFO, got 1$/ },
      { name: "call('EVAL', 'return 1')", run: () => client.call('EVAL', 'return 1'), message: /^EVAL: wrong number of arguments: at least 2 after EVAL, got 1$/ },
    ],
    InvalidArgumentError,
  );
});

describe('keys across slots where one slot is required', () => {
  // Different slots on different masters: a and b hash to 15495 and 3300.
  const a = 'a';
  const b = 'b';
  const slots = [keySlot(a), keySlot(b)];

  const cases: { name: string; command: string; run: () => unknown }[] = [
    { name: 'eval with keys in two slots', command: 'EVAL', run: () => client.eval('return 1', [a, b]) },
    { name: 'evalRo with keys in two slots', command: 'EVAL_RO', run: () => client.evalRo('return 1', [a, b]) },
    { name: "call('EVAL', ...) with keys in two slots", command: 'EVAL', run: () => client.call('EVAL', 'return 1', 2, a, b) },
    { name: 'a script defined for two keys', command: 'EVALSHA', run: () => client.defineScript({ script: 'return 1', numberOfKeys: 2 }).run([a, b]) },
    { name: 'blpop on keys in two slots', command: 'BLPOP', run: () => client.blpop([a, b], 1) },
    { name: "call('BRPOP', ...) on keys in two slots", command: 'BRPOP', run: () => client.call('BRPOP', a, b, 1) },
    { name: "call('BLMPOP', ...) on keys in two slots", command: 'BLMPOP', run: () => client.call('BLMPOP', 1, 2, a, b, 'LEFT') },
    { name: "call('XREAD', ...) on streams in two slots", command: 'XREAD', run: () => client.call('XREAD', 'STREAMS', a, b, '0', '0') },
    { name: "call('SINTERCARD', ...) on keys in two slots", command: 'SINTERCARD', run: () => client.call('SINTERCARD', 2, a, b) },
    { name: 'a transaction queuing commands in two slots', command: 'MULTI', run: () => client.multi().set(a, '1').set(b, '2') },
    { name: 'a transaction queuing one command across two slots', command: 'MSET', run: () => client.multi().mset({ [a]: '1', [b]: '2' }) },
    { name: 'watch on keys in two slots', command: 'WATCH', run: () => client.watch(a, b) },
  ];

  for (const refusal of cases) {
    it(`${refusal.name}: CrossSlotError naming the keys and their slots, nothing sent`, async () => {
      const error = (await refusedUnsent(refusal.run)) as CrossSlotError;
      expect(error).toBeInstanceOf(CrossSlotError);
      expect(error).toMatchObject({ command: refusal.command, keys: [a, b], slots, prefix: 'CROSSSLOT' });
      expect(error.message).toContain(`${refusal.command} got "${a}" (slot ${slots[0]}), "${b}" (slot ${slots[1]})`);
      expect(error.message).toContain('hash tag');
    });
  }

  it('sendBatch: a command across slots holds a CrossSlotError in its position, nothing sent', async () => {
    let replies: unknown[] = [];
    await refusedUnsent(async () => {
      replies = await client.sendBatch([['MSET', a, '1', b, '2']]);
      throw new Error('sendBatch resolves');
    });
    expect(replies[0]).toBeInstanceOf(CrossSlotError);
    expect(replies[0]).toMatchObject({ command: 'MSET', keys: [a, b], slots });
  });
});

describe('options out of range', () => {
  const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));
  const construct = (options: Record<string, unknown>) => () => new RedisCluster({ startupNodes: startupNodes(), ...options } as ClusterOptions);
  const { host, port } = sharedCluster().startupNodes[0];

  expectRefused(
    [
      { name: 'connectTimeout: -1', run: construct({ connectTimeout: -1 }), message: /^option connectTimeout must be milliseconds from 0 to 2147483647; got -1$/ },
      { name: 'commandTimeout: NaN', run: construct({ commandTimeout: NaN }), message: /^option commandTimeout must be milliseconds .*; got NaN$/ },
      { name: 'commandTimeout past the largest timer', run: construct({ commandTimeout: 2 ** 31 }), message: /^option commandTimeout must be milliseconds from 0 to 2147483647; got 2147483648$/ },
      { name: 'refreshInterval: -1', run: construct({ refreshInterval: -1 }), message: /^option refreshInterval must be milliseconds/ },
      { name: 'maxRedirections: NaN', run: construct({ maxRedirections: NaN }), message: /^option maxRedirections must be an integer >= 0; got NaN$/ },
      { name: 'maxRedirections: -1', run: construct({ maxRedirections: -1 }), message: /^option maxRedirections must be an integer >= 0; got -1$/ },
      { name: 'maxRedirections: Infinity', run: construct({ maxRedirections: Infinity }), message: /^option maxRedirections must be an integer >= 0; got Infinity$/ },
      { name: 'maxRedirections: 2.5', run: construct({ maxRedirections: 2.5 }), message: /^option maxRedirections must be an integer >= 0; got 2\.5$/ },
      { name: 'reinitializeSteps: 0', run: construct({ reinitializeSteps: 0 }), message: /^option reinitializeSteps must be Infinity or an integer >= 1; got 0$/ },
      { name: 'maxConnections: 0', run: construct({ maxConnections: 0 }), message: /^option maxConnections must be Infinity or an integer >= 1; got 0$/ },
      { name: 'maxConnectionsPerNode: 1', run: construct({ maxConnectionsPerNode: 1 }), message: /^option maxConnectionsPerNode must be Infinity or an integer >= 2; got 1$/ },
      { name: 'keepAlive: 10', run: construct({ keepAlive: 10 }), message: /^option keepAlive must be false or milliseconds >= 1000; got 10$/ },
      { name: 'retryDelays.connection: -1', run: construct({ retryDelays: { connection: -1 } }), message: /^option retryDelays\.connection must be milliseconds/ },
      { name: 'an unknown retryDelays name', run: construct({ retryDelays: { conection: 5 } }), message: /^unknown option retryDelays\.conection; known: / },
      { name: 'parserLimits.maxDepth: 0', run: construct({ parserLimits: { maxDepth: 0 } }), message: /^option parserLimits\.maxDepth must be an integer >= 1; got 0$/ },
      { name: 'parserLimits.maxBulkLength: NaN', run: construct({ parserLimits: { maxBulkLength: NaN } }), message: /^option parserLimits\.maxBulkLength must be an integer >= 1; got NaN$/ },
      { name: 'an unknown parserLimits name', run: construct({ parserLimits: { maxDeph: 3 } }), message: /^unknown option parserLimits\.maxDeph; known: maxBulkLength, maxArrayLength, maxDepth$/ },
      { name: 'readFrom: slave', run: construct({ readFrom: 'slave' }), message: /^option readFrom must be 'master', 'replica' or 'preferReplica'; got "slave"$/ },
      { name: 'decodeResponses: "yes"', run: construct({ decodeResponses: 'yes' }), message: /^option decodeResponses must be a boolean; got "yes"$/ },
      { name: 'an unknown option name', run: construct({ maxRedirects: 3 }), message: /^unknown option maxRedirects$/ },
      { name: 'startupNodes: []', run: () => new RedisCluster({ startupNodes: [] }), message: /^option startupNodes must be a non-empty array/ },
      { name: 'a startup node with port 99999', run: () => new RedisCluster({ startupNodes: [`${host}:99999`] }), message: /^option startupNodes\[0\] must be 'host:port' or \{ host, port \}; got "127\.0\.0\.1:99999"$/ },
      { name: 'a startup node with port 0', run: () => new RedisCluster({ startupNodes: [{ host, port: 0 }] }), message: /^option startupNodes\[0\]\.port must be an integer from 1 to 65535; got 0$/ },
      { name: 'a URL that is not redis://', run: () => RedisCluster.fromUrl(`http://${host}:${port}`), message: /^a cluster URL must start with redis:\/\/ or rediss:\/\/$/ },
      { name: 'a URL with a port that is not a number', run: () => RedisCluster.fromUrl(`redis://${host}:port`), message: /^the URL's host "127\.0\.0\.1:port" is not host\[:port\]$/ },
      { name: 'a URL asking for database 2', run: () => RedisCluster.fromUrl(`redis://${host}:${port}/2`), message: /^a cluster has database 0 only/ },
      { name: 'a URL parameter that is not a number', run: () => RedisCluster.fromUrl(`redis://${host}:${port}?maxRedirections=abc`), message: /^URL parameter maxRedirections must be a number; got "abc"$/ },
      { name: 'a URL parameter out of range', run: () => RedisCluster.fromUrl(`redis://${host}:${port}?commandTimeout=-1`), message: /^option commandTimeout must be milliseconds/ },
      { name: 'an unknown URL parameter', run: () => RedisCluster.fromUrl(`redis://${host}:${port}?maxRedirects=3`), message: /^unknown URL parameter maxRedirects$/ },
      // Per call.
      { name: 'a command timeout of -1', run: () => client.sendCommand(['GET', 'api:k'], undefined, { timeout: -1 }), message: /^option timeout must be milliseconds/ },
      { name: 'multi({ timeout: -1 })', run: () => client.multi({ timeout: -1 }), message: /^multi\(\) option timeout must be an integer >= 0/ },
      { name: 'an unknown multi() option', run: () => client.multi({ timout: 5 } as never), message: /^multi\(\) has no option "timout"; it knows timeout$/ },
      { name: 'set with ex: 0', run: () => client.set('api:k', 'v', { ex: 0 }), message: /^SET: ex must be an integer >= 1; got 0$/ },
      { name: 'set with both ex and px', run: () => client.set('api:k', 'v', { ex: 1, px: 1 }), message: /^SET: options ex and px cannot be used together$/ },
      { name: 'expire with both nx and xx', run: () => client.expire('api:k', 10, { nx: true, xx: true }), message: /^EXPIRE: options nx and xx cannot be used together$/ },
      { name: 'scanIterator({ count: 0 })', run: () => client.scanIterator({ count: 0 }).next(), message: /^SCAN: option count must be an integer >= 1; got 0$/ },
      { name: 'an unknown scanIterator option', run: () => client.scanIterator({ cont: 5 } as never).next(), message: /^SCAN: unknown option cont; known: / },
      { name: 'waitForReplicas with -1 replicas', run: () => client.waitForReplicas('api:k', -1, 0), message: /^numReplicas must be an integer >= 0; got -1$/ },
    ],
    InvalidArgumentError,
  );
});

describe('after every refusal', () => {
  it('the client still serves commands, and no rejection went unhandled', async () => {
    const unhandled = watchUnhandled();
    try {
      const failures = await Promise.allSettled([client.get(undefined as unknown as string), client.mget(), client.call('DEL')]);
      expect(failures.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(await client.set('{api}:after', 'ok')).toBe('OK');
      expect(await client.mget('{api}:after', 'api:missing')).toEqual(['ok', null]);
      expect(await client.del('{api}:after')).toBe(1);
      expect(client.status).toBe('ready');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      unhandled.stop();
    }
    expect(unhandled.errors).toEqual([]);
  });
});
