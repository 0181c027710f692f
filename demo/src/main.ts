/**
 * The hashslot tour: boots a real Redis Cluster on this machine and shows each finished layer
 * talking to it, while the cluster changes under the client.
 */
import { inspect } from 'node:util';
import { RespParser, type RespReply } from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import { CrossSlotError, RedisCluster, type RefreshEvent } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { startCluster, waitFor, type TestCluster } from '@hashslot/test-cluster';

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function line(text: string): void {
  console.log(`  ${text}`);
}

async function tour(cluster: TestCluster): Promise<void> {
  section('The cluster test-cluster booted');
  for (const node of cluster.nodes) {
    const slots = node.slots.map((range) => `${range.start}-${range.end}`).join(',');
    line(`${node.role.padEnd(7)} ${node.host}:${node.port}  ${node.id.slice(0, 8)}  ${slots}`);
  }

  // One startup node is enough: the client discovers the rest.
  const client = new RedisCluster({ startupNodes: [cluster.startupNodes[0]], commandTimeout: 2000 });
  client.on('refresh', (event: RefreshEvent) =>
    line(`[refresh: ${event.reason}, from ${event.source}, ${event.changedSlots} slots changed${event.added.length > 0 ? `, +${event.added.length} nodes` : ''}]`),
  );
  try {
    section('Discovery from one startup node');
    await client.connect();
    line(`masters: ${client.nodes('master').map((node) => node.address).join(', ')}`);
    line(`replicas: ${client.nodes('replica').map((node) => node.address).join(', ')}`);

    section('Typed commands, each routed to the master of its key\'s slot');
    await client.set('user:1000', 'Ada', { ex: 3600 });
    await client.hset('user:1000:profile', { language: 'en', born: '1815' });
    await client.zadd('scores', [{ score: 31.5, member: 'ada' }, { score: 12, member: 'alan' }]);
    for (const key of ['user:1000', 'user:1000:profile', 'scores']) line(`${key.padEnd(18)} slot ${String(keySlot(key)).padStart(5)} -> ${client.masterOf(keySlot(key))?.address}`);
    line(`get -> ${inspect(await client.get('user:1000'))}`);
    line(`hgetall -> ${inspect(await client.hgetall('user:1000:profile'), { breakLength: Infinity })}`);
    line(`zrangeWithScores -> ${inspect(await client.zrangeWithScores('scores', 0, -1), { breakLength: Infinity })}`);

    section('Multi-key commands across slots: split per node, answered in the caller\'s order');
    const spread = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    await client.mset(Object.fromEntries(spread.map((key, i) => [key, `v${i}`])));
    line(`keys on ${new Set(spread.map((key) => client.masterOf(keySlot(key))?.address)).size} masters; mget -> ${inspect(await client.mget(...spread), { breakLength: Infinity })}`);
    line(`del of 3 of them across slots -> ${await client.del('alpha', 'charlie', 'echo')}`);
    const crossSlot = await client.call('ZUNION', 2, 'alpha', 'bravo').catch((error: unknown) => error);
    if (crossSlot instanceof CrossSlotError) line(`ZUNION has no client-side version: ${crossSlot.message.slice(0, 110)}...`);

    section('Commands for every node: per node, or combined as the server says');
    const sizes = await client.dbsize();
    line(`dbsize per master: ${inspect(Object.fromEntries([...sizes].map(([id, size]) => [id.slice(0, 8), size])), { breakLength: Infinity })}`);
    line(`dbsize({ aggregate: true }) -> ${await client.dbsize({ aggregate: true })}; ping -> ${await client.ping()}`);

    section('A script, loaded where its keys live');
    const incrementBy = client.defineScript({ script: 'return redis.call("INCRBY", KEYS[1], ARGV[1])', numberOfKeys: 1 });
    line(`EVALSHA (EVAL once on NOSCRIPT) -> ${inspect(await incrementBy.run(['visits'], [5]))}, then ${inspect(await incrementBy.run(['visits'], [5]))}`);

    section('A slot moves while the client writes: MOVED is followed, the table patched');
    const key = 'user:1000';
    const slot = keySlot(key);
    const before = client.masterOf(slot)?.address;
    const target = cluster.masters().find((node) => `${node.host}:${node.port}` !== before) ?? cluster.masters()[0];
    await cluster.moveSlot(slot, target);
    line(`slot ${slot} moved from ${before} to ${target.host}:${target.port} behind the client's back`);
    line(`get -> ${inspect(await client.get(key))} (after one MOVED); the client now routes slot ${slot} to ${client.masterOf(slot)?.address}`);

    section('Half a migration: ASK for a key already moved, the old owner for the rest');
    const moved = '{order:7}:lines';
    const stayed = '{order:7}:total';
    await client.set(moved, 'three lines');
    await client.set(stayed, '42');
    const orderSlot = keySlot(moved);
    const orderOwner = client.masterOf(orderSlot)?.address;
    const orderTarget = cluster.masters().find((node) => `${node.host}:${node.port}` !== orderOwner) ?? cluster.masters()[0];
    const migration = await cluster.moveSlot(orderSlot, orderTarget, { stopAt: 'partial', keys: [moved] });
    line(`get ${moved} -> ${inspect(await client.get(moved))} (ASKING + GET on ${orderTarget.host}:${orderTarget.port})`);
    line(`get ${stayed} -> ${inspect(await client.get(stayed))} (still on ${orderOwner}); table unchanged: ${client.masterOf(orderSlot)?.address}`);
    await migration.finish();

    section('Automatic pipelining: 10,000 concurrent INCRs over all masters');
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => client.incr(`counter:${i % 100}`)));
    const elapsed = performance.now() - started;
    line(`${replies.length} INCRs in ${elapsed.toFixed(1)} ms (${Math.round(replies.length / (elapsed / 1000)).toLocaleString('en-US')} commands/s)`);

    section('A pipeline over every master, and a transaction on one slot');
    const batch = pipeline(client);
    for (let i = 0; i < 1_000; i++) batch.set(`pipe:${i}`, String(i));
    batch.get('pipe:999').hgetall('user:1000:profile').incr('visits');
    const batchReplies = await batch.exec();
    line(`1,003 commands, one write per master; the last three: ${inspect(batchReplies.slice(-3), { breakLength: Infinity })}`);
    const committed = await client.multi().set('{cart:7}:items', '3').incrby('{cart:7}:total', 42).exec();
    line(`multi().set().incrby().exec() on ${client.masterOf(keySlot('{cart:7}'))?.address} -> ${inspect(committed)}`);
    const session = await client.watch('{cart:7}:total');
    await client.incr('{cart:7}:total'); // someone else changes the watched key
    line(`a watched key changed before exec -> ${inspect(await session.multi().set('{cart:7}:total', '0').exec())} (nothing applied)`);

    section('A scan over every master');
    const seen: string[] = [];
    for await (const key of client.scanIterator({ match: 'counter:*', count: 500 })) seen.push(key);
    line(`scanIterator({ match: 'counter:*' }) saw ${seen.length} keys, ${new Set(seen).size} distinct`);

    section('Sharded pub/sub: the subscription lives on its slot\'s master');
    const subscriber = client.subscriber();
    const received = new Promise<string>((resolve) => subscriber.once('smessage', (channel, message) => resolve(`${channel}: ${message}`)));
    await subscriber.ssubscribe('orders:{eu}');
    line(`ssubscribe orders:{eu} on ${subscriber.nodeOf('shard', 'orders:{eu}')}; spublish reached ${await client.spublish('orders:{eu}', 'order #1')} subscriber`);
    line(`received ${await received}`);
    await subscriber.close();

    section('A master is killed: its replica takes over and the client follows');
    const victim = await cluster.slotOwner(keySlot('counter:0'));
    await cluster.kill(victim, 'SIGKILL');
    const killedAt = performance.now();
    line(`killed ${victim.host}:${victim.port} (kill -9); writing to one of its keys until it works again...`);
    const value = await waitFor(() => client.incr('counter:0').catch(() => undefined), { timeoutMs: 30_000, description: 'writes after the failover' });
    line(`incr counter:0 -> ${value}, ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill, on ${client.masterOf(keySlot('counter:0'))?.address}`);

    section('Reads from replicas, writes to masters');
    const reader = new RedisCluster({ startupNodes: cluster.startupNodes, readFrom: 'replica' });
    try {
      await reader.set('greeting', 'hello from a replica');
      await waitFor(async () => (await reader.get('greeting')) !== null);
      line(`get greeting -> ${inspect(await reader.get('greeting'))} (served by a replica of ${reader.masterOf(keySlot('greeting'))?.address})`);
    } finally {
      await reader.quit();
    }
  } finally {
    await client.quit();
  }

  section('The parser alone, fed one byte at a time');
  const parsed: RespReply[] = [];
  const parser = new RespParser({ onReply: (reply) => parsed.push(reply) });
  for (const byte of Buffer.from('*3\r\n$5\r\nhello\r\n:42\r\n-ERR nope\r\n')) parser.feed(Buffer.from([byte]));
  line(inspect(parsed, { breakLength: Infinity }));
}

async function main(): Promise<void> {
  console.log('Booting a Redis Cluster (3 masters, 3 replicas) on loopback ports...');
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    await tour(cluster);
  } finally {
    await cluster.stop();
    console.log('\nCluster stopped; no process or temp dir left behind.');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
