import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@hashslot/resp';
import { type ClusterOptions, type NatMap, backoff, mapAddress, parseAddress, resolveOptions } from './options.js';

const NODES = [{ host: '127.0.0.1', port: 7000 }];

/** resolveOptions with deliberately wrong values: the casts are the point of these tests. */
function resolveLoose(options: Record<string, unknown>) {
  return resolveOptions(options as unknown as ClusterOptions);
}

/** The InvalidArgumentError that resolving these options throws. */
function refusal(options: Record<string, unknown>): InvalidArgumentError {
  try {
    resolveLoose(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error(`options were accepted: ${JSON.stringify(options)}`);
}

describe('resolveOptions defaults', () => {
  it('fills in every default when only startupNodes is given', () => {
    const resolved = resolveOptions({ startupNodes: NODES });
    expect(resolved).toEqual({
      startupNodes: [{ host: '127.0.0.1', port: 7000 }],
      decodeResponses: true,
      username: undefined,
      password: undefined,
      tls: undefined,
      connectTimeout: 10_000,
      commandTimeout: 10_000,
      maxRedirections: 16,
      reinitializeSteps: 25,
      refreshInterval: 0,
      skipFullCoverageCheck: false,
      followCluster: true,
      natMap: undefined,
      maxConnections: Infinity,
      maxConnectionsPerNode: 64,
      readFrom: 'master',
      retryDelays: { tryAgain: 50, clusterDown: 100, loading: 100, connection: 100, max: 2000 },
      clientName: undefined,
      keepAlive: undefined,
      parserLimits: undefined,
    });
  });

  it('keeps every option that is given, unchanged', () => {
    const natMap = (address: { host: string; port: number }) => address;
    const tls = { rejectUnauthorized: false };
    const parserLimits = { maxDepth: 8 };
    const resolved = resolveOptions({
      startupNodes: NODES,
      decodeResponses: false,
      username: 'app',
      password: 'secret',
      tls,
      connectTimeout: 1,
      commandTimeout: 0,
      maxRedirections: 3,
      reinitializeSteps: 1,
      refreshInterval: 5000,
      skipFullCoverageCheck: true,
      followCluster: false,
      natMap,
      maxConnections: 10,
      maxConnectionsPerNode: 2,
      readFrom: 'preferReplica',
      clientName: 'worker-1',
      keepAlive: false,
      parserLimits,
    });
    expect(resolved).toMatchObject({
      decodeResponses: false,
      username: 'app',
      password: 'secret',
      connectTimeout: 1,
      commandTimeout: 0,
      maxRedirections: 3,
      reinitializeSteps: 1,
      refreshInterval: 5000,
      skipFullCoverageCheck: true,
      followCluster: false,
      maxConnections: 10,
      maxConnectionsPerNode: 2,
      readFrom: 'preferReplica',
      clientName: 'worker-1',
      keepAlive: false,
    });
    expect(resolved.tls).toBe(tls);
    expect(resolved.natMap).toBe(natMap);
    expect(resolved.parserLimits).toBe(parserLimits);
  });

  it('accepts tls true and readFrom replica', () => {
    const resolved = resolveOptions({ startupNodes: NODES, tls: true, readFrom: 'replica' });
    expect(resolved.tls).toBe(true);
    expect(resolved.readFrom).toBe('replica');
  });

  it('accepts a password without a username (AUTH with the default user)', () => {
    const resolved = resolveOptions({ startupNodes: NODES, password: 'secret' });
    expect(resolved.password).toBe('secret');
    expect(resolved.username).toBeUndefined();
  });

  it('accepts keepAlive at its minimum, 1000 ms', () => {
    expect(resolveOptions({ startupNodes: NODES, keepAlive: 1000 }).keepAlive).toBe(1000);
  });
});

describe('resolveOptions refusals', () => {
  it('refuses something that is not an object', () => {
    expect(() => resolveOptions(null as unknown as ClusterOptions)).toThrow(InvalidArgumentError);
    expect(() => resolveOptions('redis://h' as unknown as ClusterOptions)).toThrow(/options must be an object/);
  });

  it('refuses an unknown top-level option, naming it (a typo would otherwise be ignored)', () => {
    const error = refusal({ startupNodes: NODES, maxRedirects: 3 });
    expect(error.message).toContain('maxRedirects');
    expect(error.message).toMatch(/unknown option/);
  });

  describe('startupNodes', () => {
    it('refuses a missing, empty or non-array startupNodes', () => {
      expect(refusal({}).message).toContain('startupNodes');
      expect(refusal({ startupNodes: [] }).message).toContain('startupNodes');
      expect(refusal({ startupNodes: '127.0.0.1:7000' }).message).toContain('startupNodes');
      expect(refusal({ startupNodes: { host: 'h', port: 1 } }).message).toContain('startupNodes');
    });

    it('names the index of a bad entry', () => {
      expect(refusal({ startupNodes: [{ host: 'a', port: 1 }, 42] }).message).toContain('startupNodes[1]');
      expect(refusal({ startupNodes: [{ host: 'a', port: 1 }, null] }).message).toContain('startupNodes[1]');
      expect(refusal({ startupNodes: ['a:1', 'b:1', { host: '', port: 1 }] }).message).toContain('startupNodes[2].host');
      expect(refusal({ startupNodes: [{ port: 1 }] }).message).toContain('startupNodes[0].host');
      expect(refusal({ startupNodes: [{ host: 'a', port: '7000' }] }).message).toContain('startupNodes[0].port');
    });

    it('reads host:port strings, bracketed IPv6 and bare hosts', () => {
      const resolved = resolveOptions({ startupNodes: ['h1:7000', '[::1]:7001', 'h2', { host: 'h3', port: 7002 }] });
      expect(resolved.startupNodes).toEqual([
        { host: 'h1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'h2', port: 6379 },
        { host: 'h3', port: 7002 },
      ]);
    });

    it('refuses port 0 and 65536 and accepts 1 and 65535', () => {
      expect(refusal({ startupNodes: [{ host: 'h', port: 0 }] }).message).toContain('startupNodes[0].port');
      expect(refusal({ startupNodes: [{ host: 'h', port: 65536 }] }).message).toContain('startupNodes[0].port');
      expect(refusal({ startupNodes: [{ host: 'h', port: 1.5 }] }).message).toContain('startupNodes[0].port');
      expect(refusal({ startupNodes: ['h:0'] }).message).toContain('startupNodes[0]');
      expect(refusal({ startupNodes: ['h:65536'] }).message).toContain('startupNodes[0]');
      expect(refusal({ startupNodes: ['h:abc'] }).message).toContain('startupNodes[0]');
      expect(refusal({ startupNodes: [':7000'] }).message).toContain('startupNodes[0].host');
      expect(resolveOptions({ startupNodes: ['h:1', { host: 'h', port: 65535 }] }).startupNodes).toEqual([
        { host: 'h', port: 1 },
        { host: 'h', port: 65535 },
      ]);
    });

    it('copies the nodes rather than keeping the caller\'s objects', () => {
      const node = { host: 'h', port: 1 };
      const resolved = resolveOptions({ startupNodes: [node] });
      node.port = 2;
      expect(resolved.startupNodes[0].port).toBe(1);
    });
  });

  it('refuses a non-boolean decodeResponses, skipFullCoverageCheck or followCluster', () => {
    expect(refusal({ startupNodes: NODES, decodeResponses: 'yes' }).message).toContain('decodeResponses');
    expect(refusal({ startupNodes: NODES, decodeResponses: 1 }).message).toContain('decodeResponses');
    expect(refusal({ startupNodes: NODES, skipFullCoverageCheck: 'true' }).message).toContain('skipFullCoverageCheck');
    expect(refusal({ startupNodes: NODES, followCluster: 0 }).message).toContain('followCluster');
  });

  describe('credentials', () => {
    it('refuses a username without a password', () => {
      const error = refusal({ startupNodes: NODES, username: 'app' });
      expect(error.message).toContain('username');
      expect(error.message).toContain('password');
    });

    it('refuses a password that is not a string without echoing it', () => {
      for (const password of [123456789, ['hunter2-secret'], { value: 'hunter2-secret' }, Buffer.from('hunter2-secret')]) {
        const error = refusal({ startupNodes: NODES, password });
        expect(error.message).toContain('password');
        expect(error.message).not.toContain('123456789');
        expect(error.message).not.toContain('hunter2');
      }
    });

    it('refuses a username that is not a string without echoing it', () => {
      const error = refusal({ startupNodes: NODES, username: 987654321, password: 'p' });
      expect(error.message).toContain('username');
      expect(error.message).not.toContain('987654321');
    });
  });

  it('refuses a clientName CLIENT SETNAME would refuse', () => {
    expect(refusal({ startupNodes: NODES, clientName: 'my app' }).message).toContain('clientName');
    expect(refusal({ startupNodes: NODES, clientName: 'caf\u00e9' }).message).toContain('clientName');
    expect(refusal({ startupNodes: NODES, clientName: 'a\nb' }).message).toContain('clientName');
    expect(refusal({ startupNodes: NODES, clientName: 7 }).message).toContain('clientName');
  });

  it('refuses tls that is neither a boolean nor an object', () => {
    expect(refusal({ startupNodes: NODES, tls: 1 }).message).toContain('tls');
    expect(refusal({ startupNodes: NODES, tls: 'true' }).message).toContain('tls');
    expect(refusal({ startupNodes: NODES, tls: null }).message).toContain('tls');
  });

  it('refuses readFrom slave (the old name) and anything else', () => {
    const error = refusal({ startupNodes: NODES, readFrom: 'slave' });
    expect(error.message).toContain('readFrom');
    expect(error.message).toContain('"slave"');
    expect(refusal({ startupNodes: NODES, readFrom: 'MASTER' }).message).toContain('readFrom');
  });

  describe('natMap', () => {
    it('refuses an object with a bad entry, naming its key', () => {
      expect(refusal({ startupNodes: NODES, natMap: { '10.0.0.1:7000': { host: 'localhost', port: 0 } } }).message).toContain(
        'natMap["10.0.0.1:7000"]',
      );
      expect(refusal({ startupNodes: NODES, natMap: { 'a:1': 'localhost:7000' } }).message).toContain('natMap["a:1"]');
      expect(refusal({ startupNodes: NODES, natMap: { 'a:1': { host: '', port: 7000 } } }).message).toContain('natMap["a:1"]');
      expect(refusal({ startupNodes: NODES, natMap: { 'a:1': null } }).message).toContain('natMap["a:1"]');
    });

    it('refuses a natMap that is neither an object nor a function', () => {
      expect(refusal({ startupNodes: NODES, natMap: 'a:1=b:2' }).message).toContain('natMap');
      expect(refusal({ startupNodes: NODES, natMap: null }).message).toContain('natMap');
    });

    it('accepts a well-formed object and a function', () => {
      const map = { '10.0.0.1:7000': { host: 'localhost', port: 17000 } };
      expect(resolveOptions({ startupNodes: NODES, natMap: map }).natMap).toBe(map);
      const fn = () => undefined;
      expect(resolveOptions({ startupNodes: NODES, natMap: fn }).natMap).toBe(fn);
    });
  });

  it('refuses keepAlive below 1000 ms, true, or not finite', () => {
    expect(refusal({ startupNodes: NODES, keepAlive: 500 }).message).toContain('keepAlive');
    expect(refusal({ startupNodes: NODES, keepAlive: 999 }).message).toContain('keepAlive');
    expect(refusal({ startupNodes: NODES, keepAlive: true }).message).toContain('keepAlive');
    expect(refusal({ startupNodes: NODES, keepAlive: Infinity }).message).toContain('keepAlive');
    expect(refusal({ startupNodes: NODES, keepAlive: NaN }).message).toContain('keepAlive');
  });

  it('refuses parserLimits that is not an object', () => {
    expect(refusal({ startupNodes: NODES, parserLimits: 5 }).message).toContain('parserLimits');
  });

  describe('timeouts', () => {
    for (const name of ['connectTimeout', 'commandTimeout', 'refreshInterval']) {
      it(`refuses ${name} negative, NaN, Infinity, 2^31 or a string, and accepts 0 and 2^31-1`, () => {
        for (const value of [-1, NaN, Infinity, 2 ** 31, '100']) {
          const error = refusal({ startupNodes: NODES, [name]: value });
          expect(error.message).toContain(name);
        }
        expect(resolveLoose({ startupNodes: NODES, [name]: 0 })[name as 'connectTimeout']).toBe(0);
        expect(resolveLoose({ startupNodes: NODES, [name]: 2 ** 31 - 1 })[name as 'connectTimeout']).toBe(2 ** 31 - 1);
      });
    }
  });

  describe('counts', () => {
    it('allows maxRedirections 0 and refuses -1 and 1.5', () => {
      expect(resolveOptions({ startupNodes: NODES, maxRedirections: 0 }).maxRedirections).toBe(0);
      expect(refusal({ startupNodes: NODES, maxRedirections: -1 }).message).toContain('maxRedirections');
      expect(refusal({ startupNodes: NODES, maxRedirections: 1.5 }).message).toContain('maxRedirections');
      expect(refusal({ startupNodes: NODES, maxRedirections: NaN }).message).toContain('maxRedirections');
    });

    it('refuses reinitializeSteps 0', () => {
      expect(refusal({ startupNodes: NODES, reinitializeSteps: 0 }).message).toContain('reinitializeSteps');
      expect(resolveOptions({ startupNodes: NODES, reinitializeSteps: 1 }).reinitializeSteps).toBe(1);
    });

    it('allows maxConnections Infinity and refuses 0', () => {
      expect(resolveOptions({ startupNodes: NODES, maxConnections: Infinity }).maxConnections).toBe(Infinity);
      expect(refusal({ startupNodes: NODES, maxConnections: 0 }).message).toContain('maxConnections');
      expect(refusal({ startupNodes: NODES, maxConnectionsPerNode: 0 }).message).toContain('maxConnectionsPerNode');
      expect(refusal({ startupNodes: NODES, maxConnectionsPerNode: '4' }).message).toContain('maxConnectionsPerNode');
    });
  });

  describe('retryDelays', () => {
    it('merges a partial object with the defaults', () => {
      expect(resolveOptions({ startupNodes: NODES, retryDelays: { tryAgain: 5, max: 0 } }).retryDelays).toEqual({
        tryAgain: 5,
        clusterDown: 100,
        loading: 100,
        connection: 100,
        max: 0,
      });
    });

    it('does not let one client\'s delays change another\'s defaults', () => {
      resolveOptions({ startupNodes: NODES, retryDelays: { loading: 1 } });
      const fresh = resolveOptions({ startupNodes: NODES });
      expect(fresh.retryDelays.loading).toBe(100);
    });

    it('refuses an unknown key, naming it', () => {
      const error = refusal({ startupNodes: NODES, retryDelays: { tryagain: 5 } });
      expect(error.message).toContain('retryDelays.tryagain');
    });

    it('refuses a negative, NaN or too large delay, naming it', () => {
      expect(refusal({ startupNodes: NODES, retryDelays: { clusterDown: -1 } }).message).toContain('retryDelays.clusterDown');
      expect(refusal({ startupNodes: NODES, retryDelays: { loading: NaN } }).message).toContain('retryDelays.loading');
      expect(refusal({ startupNodes: NODES, retryDelays: { max: 2 ** 31 } }).message).toContain('retryDelays.max');
      expect(refusal({ startupNodes: NODES, retryDelays: { connection: '5' } }).message).toContain('retryDelays.connection');
    });

    it('refuses retryDelays that is not an object', () => {
      expect(refusal({ startupNodes: NODES, retryDelays: 100 }).message).toContain('retryDelays');
      expect(refusal({ startupNodes: NODES, retryDelays: null }).message).toContain('retryDelays');
    });
  });
});

describe('parseAddress', () => {
  it('reads host:port', () => {
    expect(parseAddress('h:1')).toEqual({ host: 'h', port: 1 });
    expect(parseAddress('127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(parseAddress('h:65535')).toEqual({ host: 'h', port: 65535 });
  });

  it('reads a bracketed IPv6 address with or without a port', () => {
    expect(parseAddress('[::1]:6379')).toEqual({ host: '::1', port: 6379 });
    expect(parseAddress('[fe80::1]:7000')).toEqual({ host: 'fe80::1', port: 7000 });
    expect(parseAddress('[::1]')).toEqual({ host: '::1', port: 6379 });
  });

  it('reads a bare IPv6 address as a host on the default port', () => {
    expect(parseAddress('::1')).toEqual({ host: '::1', port: 6379 });
    expect(parseAddress('2001:db8::7')).toEqual({ host: '2001:db8::7', port: 6379 });
  });

  it('reads a bare host on port 6379', () => {
    expect(parseAddress('host')).toEqual({ host: 'host', port: 6379 });
  });

  it('gives undefined when the port is not a port', () => {
    expect(parseAddress('h:abc')).toBeUndefined();
    expect(parseAddress('h:70000')).toBeUndefined();
    expect(parseAddress('h:65536')).toBeUndefined();
    expect(parseAddress('h:0')).toBeUndefined();
    expect(parseAddress('h:')).toBeUndefined();
    expect(parseAddress('h:-1')).toBeUndefined();
    expect(parseAddress('h:1e3')).toBeUndefined();
    expect(parseAddress('h:123456')).toBeUndefined();
    expect(parseAddress('[::1]:70000')).toBeUndefined();
  });

  // Regression: a bracket form whose port is not digits fell through to the bare-IPv6 branch
  // and became a host on port 6379.
  it('gives undefined for a bracketed IPv6 address whose port is not digits', () => {
    expect(parseAddress('[::1]:abc')).toBeUndefined();
  });
});

describe('mapAddress', () => {
  const map: NatMap = {
    '10.0.0.1:7000': { host: 'localhost', port: 17000 },
  };

  it('returns the address itself without a natMap', () => {
    expect(mapAddress(undefined, '10.0.0.1', 7000)).toEqual({ host: '10.0.0.1', port: 7000 });
  });

  it('maps an address listed in an object, and only that host:port', () => {
    expect(mapAddress(map, '10.0.0.1', 7000)).toEqual({ host: 'localhost', port: 17000 });
    expect(mapAddress(map, '10.0.0.1', 7001)).toEqual({ host: '10.0.0.1', port: 7001 });
    expect(mapAddress(map, '10.0.0.2', 7000)).toEqual({ host: '10.0.0.2', port: 7000 });
  });

  it('never maps through Object.prototype names', () => {
    for (const host of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(mapAddress(map, host, 6379)).toEqual({ host, port: 6379 });
    }
    // Keys that look like prototype names would be 'constructor:6379', never 'constructor' alone;
    // a map literally holding those keys as own properties still works.
    const tricky = JSON.parse('{"__proto__:6379": {"host": "a", "port": 1}, "constructor:6379": {"host": "b", "port": 2}}') as NatMap;
    expect(mapAddress(tricky, '__proto__', 6379)).toEqual({ host: 'a', port: 1 });
    expect(mapAddress(tricky, 'constructor', 6379)).toEqual({ host: 'b', port: 2 });
    expect(mapAddress(tricky, 'toString', 6379)).toEqual({ host: 'toString', port: 6379 });
  });

  it('ignores a __proto__ key that a JSON natMap would turn into its prototype', () => {
    // JSON.parse makes '__proto__' an own key; an object literal would set the prototype instead.
    const withProto = JSON.parse('{"__proto__": {"x:1": {"host": "evil", "port": 1}}}') as NatMap;
    expect(mapAddress(withProto, 'x', 1)).toEqual({ host: 'x', port: 1 });
    const literal: NatMap = Object.create({ 'x:1': { host: 'inherited', port: 1 } }) as NatMap;
    expect(mapAddress(literal, 'x', 1)).toEqual({ host: 'x', port: 1 });
  });

  it('uses a function, keeping the address when it returns undefined', () => {
    const calls: { host: string; port: number }[] = [];
    const fn: NatMap = (address) => {
      calls.push(address);
      return address.port === 7000 ? { host: 'localhost', port: 17000 } : undefined;
    };
    expect(mapAddress(fn, '10.0.0.1', 7000)).toEqual({ host: 'localhost', port: 17000 });
    expect(mapAddress(fn, '10.0.0.1', 7001)).toEqual({ host: '10.0.0.1', port: 7001 });
    expect(calls).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.1', port: 7001 },
    ]);
  });
});

describe('backoff', () => {
  const DELAYS = { tryAgain: 50, clusterDown: 100, loading: 100, connection: 100, max: 2000 };

  // Regression: a timer may fire up to 1 ms before performance.now() says its delay passed, so a
  // backoff cut to a command's deadline ended before it and one more attempt went out with about
  // 1 ms left (the fault suite saw 5 requests where 4 fit in the timeout).
  it('never ends before its delay by performance.now(), the clock deadlines are kept by', async () => {
    for (let i = 0; i < 200; i++) {
      const limit = 1 + Math.floor(Math.random() * 3);
      const started = performance.now();
      await backoff(DELAYS, 'clusterDown', 1, 3, limit);
      expect(performance.now() - started).toBeGreaterThanOrEqual(limit);
    }
  });

  it('waits attempt times the base delay, at most max and the limit, and nothing after the last attempt', async () => {
    const waited = async (attempt: number, attempts: number, limit?: number): Promise<number> => {
      const started = performance.now();
      await backoff(DELAYS, 'tryAgain', attempt, attempts, limit);
      return performance.now() - started;
    };
    expect(await waited(2, 5)).toBeGreaterThanOrEqual(100);
    expect(await waited(2, 5, 20)).toBeGreaterThanOrEqual(20);
    expect(await waited(2, 5, 20)).toBeLessThan(100);
    expect(await waited(5, 5)).toBeLessThan(20);
  });
});
