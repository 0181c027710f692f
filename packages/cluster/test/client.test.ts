import { describe, expect, it } from 'vitest';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { keySlot } from '@hashslot/slots';
import { Connection } from '@hashslot/resp';
import {
  ClusterError,
  ConnectionError,
  TimeoutError,
  CrossSlotError,
  InvalidArgumentError,
  RedisCluster,
  ReplyError,
  type NodeSummary,
  type RefreshEvent,
} from '@hashslot/cluster';
import { newClient, trackClient } from './helpers.js';

const startupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));

/** The node that really serves `key`, per the server: CLUSTER KEYSLOT then the shared cluster's layout. */
async function ownerOf(key: string): Promise<string> {
  const node = sharedCluster().startupNodes[0];
  const conn = new Connection({ host: node.host, port: node.port });
  try {
    const shards = (await conn.send(['CLUSTER', 'SLOTS'])) as [number, number, [string, number, string]][];
    const slot = keySlot(key);
    const range = shards.find(([start, end]) => slot >= start && slot <= end);
    if (range === undefined) throw new Error(`slot ${slot} is not served`);
    return `${range[2][0]}:${range[2][1]}`;
  } finally {
    await conn.quit();
  }
}

describe('RedisCluster on a healthy cluster', () => {
  it('discovers every master and replica, emits ready and a node added per node, and routes by slot', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const added: NodeSummary[] = [];
    const refreshes: RefreshEvent[] = [];
    client.on('node added', (node) => added.push(node));
    client.on('refresh', (event) => refreshes.push(event));
    let ready = 0;
    client.on('ready', () => ready++);
    await client.connect();
    expect(client.status).toBe('ready');
    expect(ready).toBe(1);
    const shared = sharedCluster();
    expect(client.nodes('master').map((node) => node.id).sort()).toEqual(shared.nodes.filter((n) => n.role === 'master').map((n) => n.id).sort());
    expect(client.nodes('replica').map((node) => node.id).sort()).toEqual(shared.nodes.filter((n) => n.role === 'replica').map((n) => n.id).sort());
    expect(added).toHaveLength(shared.nodes.length);
    expect(refreshes).toEqual([expect.objectContaining({ reason: 'discovery', changedSlots: 16384 })]);
    // The master the client picks for a key is the one the server says serves it.
    for (const key of ['alpha', 'beta', 'gamma', '{user:1}:name', 'ünïcode']) {
      expect(client.masterOf(keySlot(key))?.address).toBe(await ownerOf(key));
    }
  });

  it('connects lazily on the first command and runs commands for keys on every master', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(client.status).toBe('idle');
    const keys = Array.from({ length: 300 }, (_, i) => `client:lazy:${i}`);
    expect(await Promise.all(keys.map((key, i) => client.call('SET', key, `v${i}`)))).toEqual(keys.map(() => 'OK'));
    expect(await Promise.all(keys.map((key) => client.call('GET', key)))).toEqual(keys.map((_, i) => `v${i}`));
    // 300 keys reach all three masters.
    expect(new Set(keys.map((key) => client.masterOf(keySlot(key))?.address)).size).toBe(3);
    expect(client.status).toBe('ready');
  });

  it('returns Buffers with decodeResponses false, strings otherwise, and keeps binary values exact', async () => {
    const client = newClient({ startupNodes: startupNodes(), decodeResponses: false });
    const binary = Buffer.from([0, 255, 13, 10, 36, 42]);
    await client.call('SET', 'client:binary', binary);
    const reply = await client.call('GET', 'client:binary');
    expect(Buffer.isBuffer(reply)).toBe(true);
    expect(reply).toEqual(binary);
    const text = newClient({ startupNodes: startupNodes() });
    expect(await text.call('GET', 'client:binary')).toBe(binary.toString());
  });

  it('rejects a multi-key command whose keys span slots and that has no client-side version, naming the keys', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const error = await client.call('ZUNION', 2, 'client:a', 'client:b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    expect((error as CrossSlotError).message).toContain('client:a');
    expect((error as CrossSlotError).message).toContain('client:b');
    // With a hashtag they share a slot and the command runs.
    expect(await client.call('MSET', '{client}:a', '1', '{client}:b', '2')).toBe('OK');
    expect(await client.call('MGET', '{client}:a', '{client}:b')).toEqual(['1', '2']);
  });

  it('gives the server error of a command as a ReplyError naming the command and node', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('SET', 'client:string', 'x');
    const error = await client.call('LPUSH', 'client:string', 'y').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplyError);
    expect(error).toMatchObject({ prefix: 'WRONGTYPE', command: 'LPUSH', address: await ownerOf('client:string') });
  });

  it('sends a keyless command to some master', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    expect(await client.call('PING')).toBe('PONG');
    expect(await client.call('ECHO', 'hi')).toBe('hi');
  });

  it('runs a blocking command on a dedicated connection, so other commands on that node do not wait', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('DEL', 'client:queue');
    const started = performance.now();
    const popped = client.call('BLPOP', 'client:queue', 2);
    // Same slot, same node: on a shared connection these would queue behind BLPOP.
    for (let i = 0; i < 5; i++) expect(await client.call('LLEN', 'client:queue')).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
    await client.call('RPUSH', 'client:queue', 'job');
    expect(await popped).toEqual(['client:queue', 'job']);
  });

  it('gives a blocking command its block time on top of commandTimeout', async () => {
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 200 });
    await client.call('DEL', 'client:empty');
    // BLPOP 1 s outlives the 200 ms command timeout, and must not be cut short by it.
    expect(await client.call('BLPOP', 'client:empty', 1)).toBeNull();
  });

  it('shapes replies with setResponseCallback and restores the default with undefined', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('SET', 'client:shaped', '41');
    client.setResponseCallback('get', (reply) => Number(reply) + 1);
    expect(await client.call('GET', 'client:shaped')).toBe(42);
    client.setResponseCallback('GET', undefined);
    expect(await client.call('GET', 'client:shaped')).toBe('41');
  });

  it('finds the cluster when only the last startup node is reachable, and names each startup node that failed when none is', async () => {
    const good = startupNodes()[0];
    const client = newClient({ startupNodes: [{ host: '127.0.0.1', port: 1 }, `127.0.0.1:${good.port}`], connectTimeout: 2000 });
    await client.connect();
    expect(await client.call('PING')).toBe('PONG');

    const broken = newClient({ startupNodes: ['127.0.0.1:1', '127.0.0.1:2'], connectTimeout: 2000 });
    const error = await broken.call('GET', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    const failures = (error as ClusterError).failures;
    expect(failures.map((failure) => failure.address)).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    for (const failure of failures) expect(failure.error).toBeInstanceOf(ConnectionError);
    expect((error as ClusterError).message).toMatch(/127\.0\.0\.1:1.*ECONNREFUSED|ECONNREFUSED.*127\.0\.0\.1:1/s);
  });

  it('names a node that is not in cluster mode among the failures', async () => {
    const { startServer } = await import('@hashslot/test-cluster');
    const lone = await startServer();
    try {
      const client = newClient({ startupNodes: [{ host: lone.host, port: lone.port }] });
      const error = await client.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterError);
      expect((error as ClusterError).failures[0].error.message).toMatch(/cluster support disabled/i);
    } finally {
      await lone.stop();
    }
  });

  it('applies natMap to every announced address, as an object and as a function', async () => {
    const shared = sharedCluster();
    // Every node announces 127.0.0.1; the client is told to reach each through "localhost".
    const asFunction = newClient({
      startupNodes: startupNodes(),
      natMap: ({ host, port }) => (host === '127.0.0.1' ? { host: 'localhost', port } : undefined),
    });
    await asFunction.connect();
    expect(asFunction.nodes().map((node) => node.host)).toEqual(shared.nodes.map(() => 'localhost'));
    expect(await asFunction.call('SET', 'client:nat', 'f')).toBe('OK');

    const table = Object.fromEntries(shared.nodes.map((node) => [`${node.host}:${node.port}`, { host: 'localhost', port: node.port }]));
    const asObject = newClient({ startupNodes: startupNodes(), natMap: table });
    expect(await asObject.call('GET', 'client:nat')).toBe('f');
    expect(new Set(asObject.nodes().map((node) => node.host))).toEqual(new Set(['localhost']));
  });

  it('holds blocking commands to maxConnectionsPerNode, the next one waiting for a free connection', async () => {
    // One multiplexed connection plus two dedicated ones per node.
    const client = newClient({ startupNodes: startupNodes(), maxConnectionsPerNode: 3 });
    const queue = '{client:pool}:q';
    await client.call('DEL', queue);
    const pops = [0, 1, 2].map(() => client.call('BLPOP', queue, 5));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const owner = client.masterOf(keySlot(queue));
    if (owner === undefined) throw new Error('no owner');
    const direct = new Connection({ host: owner.host, port: owner.port });
    const info = String(await direct.send(['INFO', 'clients']));
    await direct.quit();
    // Three BLPOPs were issued, but only two connections may block at once on that node.
    expect(Number(/blocked_clients:(\d+)/.exec(info)?.[1])).toBe(2);
    expect(await client.call('RPUSH', queue, 'a', 'b', 'c')).toBe(3);
    expect((await Promise.all(pops)).map((reply) => (reply as string[])[1]).sort()).toEqual(['a', 'b', 'c']);
  });

  it('refreshes on its own every refreshInterval, with jitter', async () => {
    const client = newClient({ startupNodes: startupNodes(), refreshInterval: 100 });
    const reasons: string[] = [];
    client.on('refresh', (event) => reasons.push(event.reason));
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(reasons[0]).toBe('discovery');
    expect(reasons.filter((reason) => reason === 'interval').length).toBeGreaterThanOrEqual(3);
    expect(reasons.filter((reason) => reason === 'interval').length).toBeLessThanOrEqual(6);
  });

  it('refuses commands that would change the state of a shared connection, and the connection keeps working', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    const refused = [['MULTI'], ['SUBSCRIBE', 'news'], ['SSUBSCRIBE', 'news'], ['MONITOR'], ['CLIENT', 'REPLY', 'OFF'], ['SELECT', '1'], ['WAIT', '1', '0'],
      ['MOVE', 'k', '1'], ['SWAPDB', '0', '1'], ['SHUTDOWN'], ['REPLICAOF', 'NO', 'ONE'], ['SENTINEL', 'masters'], ['ASKING']];
    for (const args of refused) {
      const error = await client.call(...args).catch((e: unknown) => e);
      expect(error, args.join(' ')).toBeInstanceOf(InvalidArgumentError);
    }
    expect(await Promise.all(Array.from({ length: 12 }, (_, i) => client.call('SET', `client:state:${i}`, 'v')))).toEqual(Array(12).fill('OK'));
  });

  it('waits for replicas to acknowledge the writes sent to a key\'s master', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('SET', 'client:durable', 'yes');
    expect(await client.waitForReplicas('client:durable', 1, 2000)).toBe(1);
  });

  it('moves on to a fresh connection when a command timed out on the shared one, so later commands do not queue behind it', async () => {
    const client = newClient({ startupNodes: startupNodes(), commandTimeout: 300 });
    const writeKey = '{client:hang}:w';
    const readKey = '{client:hang}:r';
    await client.call('SET', readKey, 'readable');
    const owner = client.masterOf(keySlot(writeKey));
    if (owner === undefined) throw new Error('no owner');
    const admin = new Connection({ host: owner.host, port: owner.port });
    try {
      // Writes stall on that node for 1.5 s; reads do not, unless they queue behind a write.
      await admin.send(['CLIENT', 'PAUSE', 1500, 'WRITE']);
      const stalled = await client.call('SET', writeKey, 'late').catch((e: unknown) => e);
      expect(stalled).toBeInstanceOf(TimeoutError);
      expect((stalled as TimeoutError).written).toBe(true);
      const started = performance.now();
      expect(await client.call('GET', readKey)).toBe('readable');
      expect(performance.now() - started).toBeLessThan(300);
    } finally {
      await admin.send(['CLIENT', 'UNPAUSE']);
      await admin.quit();
    }
    // The late reply of the stalled SET never reaches another command.
    expect(await client.call('GET', readKey)).toBe('readable');
  });

  it('wakes a blocking command waiting under maxConnections when another node\'s connection frees up', async () => {
    // A multiplexed connection per master, plus one connection for a blocking command.
    const client = newClient({ startupNodes: startupNodes(), maxConnections: 4, connectTimeout: 5000 });
    await client.connect();
    const masters = client.nodes('master');
    const keyOn = (address: string): string => {
      for (let i = 0; ; i++) if (client.masterOf(keySlot(`client:wake:${i}`))?.address === address) return `client:wake:${i}`;
    };
    const [a, b] = [keyOn(masters[0].address), keyOn(masters[1].address)];
    for (const master of masters) await client.call('DEL', keyOn(master.address));
    const popA = client.call('BLPOP', a, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const popB = client.call('BLPOP', b, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.call('RPUSH', a, 'x');
    expect(await popA).toEqual([a, 'x']);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.call('RPUSH', b, 'y');
    expect(await popB).toEqual([b, 'y']);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(client.connectionCount).toBeLessThanOrEqual(4);
  });

  it('never shows the password through util.inspect or JSON.stringify', async () => {
    const { inspect } = await import('node:util');
    const client = newClient({ startupNodes: startupNodes(), password: 'hunter2-secret', tls: { passphrase: 'tls-secret' } as never });
    const text = inspect(client, { depth: Infinity, showHidden: true }) + JSON.stringify(client);
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('tls-secret');
  });

  it('fails at construction on a wrong option, naming it', () => {
    expect(() => new RedisCluster({ startupNodes: [] })).toThrow(/startupNodes/);
    expect(() => new RedisCluster({ startupNodes: ['127.0.0.1:7000'], readFrom: 'slave' as 'replica' })).toThrow(InvalidArgumentError);
    expect(() => new RedisCluster({ startupNodes: ['127.0.0.1:7000'], maxRedirects: 3 } as never)).toThrow(/unknown option maxRedirects/);
  });

  it('builds from a URL with several hosts', async () => {
    const [a, b] = startupNodes();
    const client = trackClient(RedisCluster.fromUrl(`redis://${a.host}:${a.port},${b.host}:${b.port}?commandTimeout=5000&maxRedirections=4`));
    expect(await client.call('SET', 'client:url', '1')).toBe('OK');
  });

  it('refuses commands after quit, closes every connection and emits end', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.call('SET', 'client:quit', '1');
    const pending = client.call('GET', 'client:quit');
    let ended = false;
    client.on('end', () => {
      ended = true;
    });
    await client.quit();
    // A command sent before quit still gets its reply.
    expect(await pending).toBe('1');
    expect(ended).toBe(true);
    expect(client.connectionCount).toBe(0);
    await expect(client.call('GET', 'client:quit')).rejects.toBeInstanceOf(ClusterError);
    await expect(client.connect()).rejects.toThrow(/closed/);
  });
});
