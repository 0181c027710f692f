import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { keySlot } from '@hashslot/slots';
import { Connection, type RespReply } from '@hashslot/resp';
import { ClusterError, CrossSlotError, InvalidArgumentError, ReplyError } from '@hashslot/cluster';
import { newClient } from './helpers.js';

const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));
const client = newClient({ startupNodes: startupNodes() });

/** Direct connections to each node of the shared cluster, to ask it without the client. */
const direct = new Map<string, Connection>();
function nodeConnection(address: string): Connection {
  let connection = direct.get(address);
  if (connection === undefined) {
    const colon = address.lastIndexOf(':');
    connection = new Connection({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    direct.set(address, connection);
  }
  return connection;
}

afterAll(async () => {
  await Promise.all([...direct.values()].map((connection) => connection.quit()));
});

const addresses = (role: 'master' | 'replica') =>
  sharedCluster()
    .nodes.filter((node) => node.role === role)
    .map((node) => `${node.host}:${node.port}`);

async function existsOn(address: string, sha1: string): Promise<boolean> {
  return ((await nodeConnection(address).send(['SCRIPT', 'EXISTS', sha1])) as number[])[0] === 1;
}

/** `calls` and `failed_calls` of one command on one node, from INFO commandstats. */
async function commandStats(address: string, command: string): Promise<{ calls: number; failed: number }> {
  const info = String(await nodeConnection(address).send(['INFO', 'commandstats']));
  const line = new RegExp(`^cmdstat_${command}:calls=(\\d+),.*failed_calls=(\\d+)`, 'm').exec(info);
  return line === null ? { calls: 0, failed: 0 } : { calls: Number(line[1]), failed: Number(line[2]) };
}

const sha1Of = (script: string) => createHash('sha1').update(script).digest('hex');

describe('SCRIPT LOAD, EXISTS, FLUSH on every master', () => {
  it('loads a script on every master and says it exists only where all have it', async () => {
    const script = `return 'scripts:load ${Date.now()}'`;
    const sha1 = await client.scriptLoad(script);
    expect(sha1).toBe(sha1Of(script));
    for (const address of addresses('master')) expect(await existsOn(address, sha1), address).toBe(true);
    const unknown = sha1Of('return "never loaded"');
    expect(await client.scriptExists(sha1, unknown)).toEqual([true, false]);

    // Cached on one master only: not "exists" for the cluster.
    const partial = `return 'scripts:partial ${Date.now()}'`;
    const [first, ...others] = addresses('master');
    await nodeConnection(first).send(['SCRIPT', 'LOAD', partial]);
    expect(await existsOn(first, sha1Of(partial))).toBe(true);
    for (const address of others) expect(await existsOn(address, sha1Of(partial))).toBe(false);
    expect(await client.scriptExists(sha1Of(partial))).toEqual([false]);
  });

  it('loads on replicas too with nodes: all, and flushes every node', async () => {
    const script = `return 'scripts:all ${Date.now()}'`;
    const sha1 = await client.scriptLoad(script, { nodes: 'all' });
    for (const address of [...addresses('master'), ...addresses('replica')]) expect(await existsOn(address, sha1), address).toBe(true);
    expect(await client.scriptFlush('SYNC')).toBe(true);
    for (const address of addresses('master')) expect(await existsOn(address, sha1), address).toBe(false);
    // The default flush left the replicas' caches alone; nodes: 'all' clears them.
    for (const address of addresses('replica')) expect(await existsOn(address, sha1), address).toBe(true);
    expect(await client.scriptFlush(undefined, { nodes: 'all' })).toBe(true);
    for (const address of addresses('replica')) expect(await existsOn(address, sha1), address).toBe(false);
  });

  it('rejects with a ClusterError listing each master that failed', async () => {
    const error = await client.scriptLoad('this is not lua').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    const failures = (error as ClusterError).failures;
    expect(failures.map((failure) => failure.address).sort()).toEqual(addresses('master').sort());
    for (const failure of failures) expect(failure.error).toBeInstanceOf(ReplyError);
    expect((error as ClusterError).message).toMatch(/^SCRIPT LOAD failed on 3 of 3 masters: .*Error compiling script/);
  });

  it('rejects wrong arguments with InvalidArgumentError', async () => {
    await expect(client.scriptExists()).rejects.toThrow(InvalidArgumentError);
    await expect(client.scriptFlush('NOW' as 'SYNC')).rejects.toThrow(/SCRIPT FLUSH: mode must be/);
    await expect(client.scriptLoad('return 1', { nodes: 'replicas' as 'all' })).rejects.toThrow(/option nodes/);
    await expect(client.scriptLoad(1 as unknown as string)).rejects.toThrow(InvalidArgumentError);
  });
});

describe('defineScript', () => {
  it('runs EVALSHA, and EVAL once where the script is missing, after a SCRIPT FLUSH too', async () => {
    const key = 'scripts:{define}:counter';
    await client.connect();
    const master = client.masterOf(keySlot(key))!.address;
    const incr = client.defineScript({ script: `return redis.call('INCRBY', KEYS[1], ARGV[1])`, numberOfKeys: 1 });
    expect(incr.sha1).toBe(sha1Of(`return redis.call('INCRBY', KEYS[1], ARGV[1])`));
    await client.call('DEL', key);
    await client.scriptFlush();

    const before = { evalsha: await commandStats(master, 'evalsha'), eval: await commandStats(master, 'eval') };
    expect(await incr.run([key], [5])).toBe(5);
    expect(await incr.run([key], [2])).toBe(7);
    const after = { evalsha: await commandStats(master, 'evalsha'), eval: await commandStats(master, 'eval') };
    // Two EVALSHA (the first answered NOSCRIPT) and one EVAL.
    expect(after.evalsha.calls - before.evalsha.calls).toBe(2);
    expect(after.evalsha.failed - before.evalsha.failed).toBe(1);
    expect(after.eval.calls - before.eval.calls).toBe(1);

    // A flush empties the cache again: the next run falls back once more.
    await client.scriptFlush();
    expect(await incr.run([key], [1])).toBe(8);
    const flushed = { evalsha: await commandStats(master, 'evalsha'), eval: await commandStats(master, 'eval') };
    expect(flushed.evalsha.failed - after.evalsha.failed).toBe(1);
    expect(flushed.eval.calls - after.eval.calls).toBe(1);
    expect(await client.scriptExists(incr.sha1)).toEqual([false]);
    expect(await existsOn(master, incr.sha1)).toBe(true);
  });

  it('uses EVALSHA_RO and EVAL_RO for a read-only script, where the server refuses writes', async () => {
    const key = 'scripts:{ro}:value';
    await client.call('SET', key, 'hello');
    const read = client.defineScript({ script: `return redis.call('GET', KEYS[1])`, readOnly: true });
    const master = client.masterOf(keySlot(key))!.address;
    const before = await commandStats(master, 'evalsha_ro');
    expect(await read.run([key])).toBe('hello');
    expect(await read.run([key])).toBe('hello');
    expect((await commandStats(master, 'evalsha_ro')).calls - before.calls).toBe(2);
    const write = client.defineScript({ script: `return redis.call('SET', KEYS[1], 'x')`, readOnly: true });
    await expect(write.run([key])).rejects.toThrow(/Write commands are not allowed from read-only scripts/);
  });

  it('refuses keys across slots before sending, and a wrong number of keys', async () => {
    const script = client.defineScript({ script: 'return #KEYS', numberOfKeys: 2 });
    await expect(script.run(['scripts:a', 'scripts:b'])).rejects.toThrow(CrossSlotError);
    expect(await script.run(['{scripts}:a', '{scripts}:b'])).toBe(2);
    await expect(script.run(['{scripts}:a'])).rejects.toThrow(/numberOfKeys 2/);
    expect(() => client.defineScript({ script: 'return 1', numberOfKeys: -1 })).toThrow(/option numberOfKeys/);
    expect(() => client.defineScript({ script: 42 as unknown as string })).toThrow(/option script/);
  });

  it('runs a keyless script on some master', async () => {
    const role = client.defineScript({ script: `return redis.call('INFO', 'replication')` });
    const reply = String(await role.run());
    expect(reply).toContain('role:master');
  });
});

describe('EVAL through the typed methods', () => {
  it('refuses keys in different slots with a CrossSlotError naming them', async () => {
    const error = await client.eval('return 1', ['scripts:x', 'scripts:y']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    expect((error as Error).message).toContain('scripts:x');
  });

  it('runs a script without keys on a master', async () => {
    expect(String(await client.eval(`return redis.call('INFO', 'replication')`, []))).toContain('role:master');
    expect(await client.eval('return ARGV[1]', [], ['hi'])).toBe('hi');
  });

  it('runs a script on the node of its keys', async () => {
    const keys = ['scripts:{slot}:a', 'scripts:{slot}:b'];
    await client.call('MSET', keys[0], '1', keys[1], '2');
    expect(await client.eval(`return redis.call('MGET', KEYS[1], KEYS[2])`, keys)).toEqual(['1', '2']);
  });
});

describe('FUNCTION LOAD, DELETE, FLUSH on every master', () => {
  const library = `#!lua name=hashslot_scripts_test
redis.register_function('hs_echo', function(keys, args) return args[1] end)
redis.register_function{function_name='hs_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`;

  it('loads a library on every master, so FCALL works for keys on any of them', async () => {
    await client.functionFlush('SYNC');
    expect(await client.functionLoad(library)).toBe('hashslot_scripts_test');
    for (const address of addresses('master')) {
      const list = (await nodeConnection(address).send(['FUNCTION', 'LIST', 'LIBRARYNAME', 'hashslot_scripts_test'])) as RespReply[];
      expect(list, address).toHaveLength(1);
    }
    // One key per master.
    const keys = ['scripts:fn:a', 'scripts:fn:b', 'scripts:fn:c', 'scripts:fn:d', 'scripts:fn:e', 'scripts:fn:f'];
    for (const key of keys) await client.call('SET', key, `value of ${key}`);
    expect(new Set(keys.map((key) => client.masterOf(keySlot(key))?.address)).size).toBe(3);
    for (const key of keys) expect(await client.fcall('hs_get', [key])).toBe(`value of ${key}`);
    expect(await client.fcallRo('hs_get', [keys[0]])).toBe(`value of ${keys[0]}`);
    expect(await client.fcall('hs_echo', [], ['hi'])).toBe('hi');
  });

  it('refuses a second load without replace on every master, and replaces with it', async () => {
    const error = await client.functionLoad(library).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).failures).toHaveLength(3);
    expect((error as ClusterError).message).toContain("Library 'hashslot_scripts_test' already exists");
    expect(await client.functionLoad(library, { replace: true })).toBe('hashslot_scripts_test');
    await expect(client.functionLoad(library, { replace: 'yes' as unknown as boolean })).rejects.toThrow(/option replace/);
  });

  it('deletes and flushes on every master', async () => {
    expect(await client.functionDelete('hashslot_scripts_test')).toBe(true);
    await expect(client.fcall('hs_echo', [], ['x'])).rejects.toThrow(/Function not found/);
    await expect(client.functionDelete('hashslot_scripts_test')).rejects.toThrow(ClusterError);
    await client.functionLoad(library);
    expect(await client.functionFlush()).toBe(true);
    for (const address of addresses('master')) expect(await nodeConnection(address).send(['FUNCTION', 'LIST'])).toEqual([]);
    await expect(client.functionFlush('LATER' as 'SYNC')).rejects.toThrow(/FUNCTION FLUSH: mode must be/);
  });
});
