import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { startServer, type TestServer } from '@hashslot/test-cluster';
import { Connection } from '@hashslot/resp';
import { ClusterError } from '@hashslot/cluster';
import { newClient } from './helpers.js';

const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));
const masterIds = () => sharedCluster().nodes.filter((node) => node.role === 'master').map((node) => node.id).sort();
const allIds = () => sharedCluster().nodes.map((node) => node.id).sort();

/** What one node answers, asked directly. */
async function direct(address: { host: string; port: number }, args: (string | number)[]) {
  const conn = new Connection({ host: address.host, port: address.port });
  try {
    return await conn.send(args);
  } finally {
    await conn.quit();
  }
}

describe('fanout commands', () => {
  it('answers DBSIZE per master, and summed with aggregate, equal to what each master says', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await Promise.all(Array.from({ length: 60 }, (_, i) => client.call('SET', `fanout:size:${i}`, 'v')));
    const perNode = await client.dbsize();
    expect([...perNode.keys()].sort()).toEqual(masterIds());
    let total = 0;
    for (const node of sharedCluster().nodes.filter((n) => n.role === 'master')) {
      const size = (await direct(node, ['DBSIZE'])) as number;
      expect(perNode.get(node.id)).toBe(size);
      total += size;
    }
    expect(await client.dbsize({ aggregate: true })).toBe(total);
    expect(await client.call('DBSIZE')).toBe(total);
  });

  it('sends CONFIG GET and CONFIG SET to every node, masters and replicas', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const before = await client.configGet('slowlog-max-len');
    expect([...before.keys()].sort()).toEqual(allIds());
    try {
      expect(await client.configSet({ 'slowlog-max-len': 321 }, { aggregate: true })).toBe('OK');
      const after = await client.configGet('slowlog-max-len');
      for (const value of after.values()) expect(value).toEqual({ 'slowlog-max-len': '321' });
      for (const node of sharedCluster().nodes) expect(await direct(node, ['CONFIG', 'GET', 'slowlog-max-len'])).toEqual(['slowlog-max-len', '321']);
    } finally {
      await client.configSet({ 'slowlog-max-len': [...before.values()][0]['slowlog-max-len'] });
    }
  });

  it('answers PING, TIME, INFO, LASTSAVE, CLIENT LIST, SLOWLOG and MEMORY STATS per node', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(await client.ping()).toBe('PONG');
    expect(await client.call('PING')).toBe('PONG');
    const time = await client.time();
    expect([...time.keys()].sort()).toEqual(masterIds());
    for (const [seconds] of time.values()) expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
    const info = await client.info('server');
    for (const text of info.values()) expect(text).toMatch(/redis_version:7\./);
    expect([...(await client.info('server', { nodes: 'all' })).keys()].sort()).toEqual(allIds());
    for (const value of (await client.lastsave()).values()) expect(typeof value).toBe('number');
    for (const list of (await client.clientList()).values()) expect(list).toMatch(/addr=/);
    expect([...(await client.slowlogLen()).keys()].sort()).toEqual(allIds());
    expect(typeof (await client.slowlogLen({ aggregate: true }))).toBe('number');
    for (const entries of (await client.slowlogGet(5)).values()) expect(Array.isArray(entries)).toBe(true);
    for (const stats of (await client.memoryStats()).values()) expect(typeof stats['total.allocated']).toBe('number');
    await expect(client.call('INFO')).rejects.toThrow(/answers per node/);
  });

  it('runs KEYS on every master and concatenates, equal to the union of every master\'s KEYS', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const keys = Array.from({ length: 50 }, (_, i) => `fanout:keys:${i}`);
    await Promise.all(keys.map((key) => client.call('SET', key, 'v')));
    expect((await client.keys('fanout:keys:*')).sort()).toEqual([...keys].sort());
    expect(((await client.call('KEYS', 'fanout:keys:*')) as string[]).sort()).toEqual([...keys].sort());
  });

  it('takes RANDOMKEY from a master that has keys', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('SET', 'fanout:random', 'v');
    const key = await client.randomkey();
    expect(typeof key).toBe('string');
    expect(await client.call('EXISTS', key as string)).toBe(1);
  });

  it('merges PUBSUB NUMSUB and NUMPAT over every node', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(await client.pubsubNumsub('fanout:nobody')).toEqual({ 'fanout:nobody': 0 });
    // A channel named like the prototype property is a field like any other, not a new prototype.
    const odd = await client.pubsubNumsub('__proto__');
    expect(Object.getPrototypeOf(odd)).toBe(Object.prototype);
    expect(Object.keys(odd)).toEqual(['__proto__']);
    expect(typeof (await client.pubsubNumpat())).toBe('number');
    expect(Array.isArray(await client.pubsubChannels())).toBe(true);
    const perNode = await client.pubsubChannels(undefined, { aggregate: false });
    expect([...perNode.keys()].sort()).toEqual(allIds());
  });

  it('rejects with every failed node named when a node refuses the command', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const error = await client.fanout(['CONFIG', 'SET', 'no-such-parameter', '1'], { nodes: 'all' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).failures).toHaveLength(sharedCluster().nodes.length);
  });
});

describe('FLUSHALL on every master', () => {
  // A cluster of its own would cost seconds; a standalone server shows the same reply shape.
  let lone: TestServer;
  beforeAll(async () => {
    lone = await startServer();
  });
  afterAll(async () => {
    await lone?.stop();
  });

  it('empties every master and answers OK like a single server does', async () => {
    const { startCluster } = await import('@hashslot/test-cluster');
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    try {
      const client = newClient({ startupNodes: cluster.startupNodes });
      await Promise.all(Array.from({ length: 30 }, (_, i) => client.call('SET', `flush:${i}`, 'v')));
      const single = new Connection({ host: lone.host, port: lone.port });
      await single.send(['SET', 'x', '1']);
      const expected = await single.send(['FLUSHALL']);
      await single.quit();
      expect(await client.flushall()).toBe(expected);
      expect(await client.dbsize({ aggregate: true })).toBe(0);
    } finally {
      await cluster.stop();
    }
  });
});

describe('call() of commands every node answers for itself', () => {
  it('merges PUBSUB NUMSUB and CHANNELS over every node, in the shape one node gives', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(await client.call('PUBSUB', 'NUMSUB', 'fanout:nobody')).toEqual(['fanout:nobody', 0]);
    expect(Array.isArray(await client.call('PUBSUB', 'CHANNELS'))).toBe(true);
    expect(typeof (await client.call('PUBSUB', 'NUMPAT'))).toBe('number');
  });

  it('gives the server\'s own error when every node refuses a one-succeeded command', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await expect(client.call('SCRIPT', 'KILL')).rejects.toMatchObject({ prefix: 'NOTBUSY' });
  });
});
