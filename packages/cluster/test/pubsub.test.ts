import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '@hashslot/test-cluster';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { keySlot } from '@hashslot/slots';
import { Connection } from '@hashslot/resp';
import { InvalidArgumentError, type RedisCluster, type RefreshEvent } from '@hashslot/cluster';
// The subscriber alone, on a core the last test writes: the package does not export it by name.
import { ClusterSubscriber } from '../src/pubsub/subscriber.js';
import type { ClusterCore } from '../src/core.js';
import { newClient, watchUnhandled } from './helpers.js';

type Subscriber<D extends boolean> = ReturnType<RedisCluster<D>['subscriber']>;
/** What a `resubscribed` event carries (the type is not exported by name yet). */
interface Resubscribed {
  readonly kind: string;
  readonly channel: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

const sharedStartupNodes = () => sharedCluster().startupNodes.map(({ host, port }) => ({ host, port }));

/** Names `prefix:0`, `prefix:1`... until each master of the client's table serves `perMaster` of them. */
function namesOnEveryMaster(client: RedisCluster<boolean>, prefix: string, perMaster: number): Map<string, string[]> {
  const masters = client.nodes('master').map((node) => node.address);
  const byMaster = new Map<string, string[]>(masters.map((address) => [address, []]));
  for (let i = 0; [...byMaster.values()].some((names) => names.length < perMaster); i++) {
    const name = `${prefix}:${i}`;
    const names = byMaster.get(client.masterOf(keySlot(name))?.address ?? '');
    if (names !== undefined && names.length < perMaster) names.push(name);
  }
  return byMaster;
}

/** Resolves with the first `count` events of a kind. */
function nextEvents<A extends unknown[]>(subscriber: { on(event: string, listener: (...args: A) => void): unknown; off(event: string, listener: (...args: A) => void): unknown }, event: string, count: number, timeoutMs = 10_000): Promise<A[]> {
  return new Promise((resolve, reject) => {
    const seen: A[] = [];
    const timer = setTimeout(() => {
      subscriber.off(event, listener);
      reject(new Error(`only ${seen.length} of ${count} ${event} events within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: A): void => {
      seen.push(args);
      if (seen.length === count) {
        clearTimeout(timer);
        subscriber.off(event, listener);
        resolve(seen);
      }
    };
    subscriber.on(event, listener);
  });
}

async function numsub(host: string, port: number, channel: string, shard = false): Promise<number> {
  const connection = new Connection({ host, port });
  try {
    const reply = (await connection.send(['PUBSUB', shard ? 'SHARDNUMSUB' : 'NUMSUB', channel])) as [string, number];
    return reply[1];
  } finally {
    await connection.quit();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pub/sub on a healthy cluster', () => {
  it('subscribes each channel on its slot\'s master with one connection per node, and receives what any node publishes', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const byMaster = namesOnEveryMaster(client, 'classic', 4);
    const channels = [...byMaster.values()].flat();
    const subscriber = client.subscriber();
    expect(client.subscriber()).toBe(subscriber);
    const received = nextEvents<[string, string]>(subscriber, 'message', channels.length * 2);
    await client.subscribe(...channels);
    expect(subscriber.subscriptions('channel')).toHaveLength(channels.length);
    expect(subscriber.nodes().sort()).toEqual([...byMaster.keys()].sort());
    for (const [master, names] of byMaster) for (const name of names) expect(subscriber.nodeOf('channel', name)).toBe(master);

    for (const channel of channels) expect(await client.publish(channel, `via client ${channel}`)).toBe(1);
    // The cluster bus brings a PUBLISH to every node: one sent to a node that is not the
    // channel's master reaches the subscriber all the same.
    const masters = client.nodes('master');
    for (const channel of channels) {
      const other = masters.find((node) => node.address !== client.masterOf(keySlot(channel))?.address);
      const connection = new Connection({ host: other!.host, port: other!.port });
      await connection.send(['PUBLISH', channel, `via ${other!.address}`]);
      await connection.quit();
    }
    const messages = await received;
    expect(messages.map(([channel, message]) => `${channel}=${message}`).sort()).toEqual(
      channels.flatMap((channel) => [`${channel}=via client ${channel}`, `${channel}=via ${masters.find((node) => node.address !== client.masterOf(keySlot(channel))?.address)!.address}`]).sort(),
    );
  });

  it('psubscribe puts every pattern on one node and gets pmessage for channels of every master', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const subscriber = client.subscriber();
    await subscriber.psubscribe('pat:news:*', 'pat:sport:*');
    expect(subscriber.nodes()).toHaveLength(1);
    const channels = [...namesOnEveryMaster(client, 'pat:news', 2).values()].flat();
    const received = nextEvents<[string, string, string]>(subscriber, 'pmessage', channels.length);
    for (const channel of channels) await client.publish(channel, 'm');
    await client.publish('unmatched:channel', 'm');
    const messages = await received;
    expect(messages.map(([pattern, channel]) => `${pattern} ${channel}`).sort()).toEqual(channels.map((channel) => `pat:news:* ${channel}`).sort());
    // A second call lands on the node already in use.
    await subscriber.psubscribe('pat:third:*');
    expect(subscriber.nodes()).toHaveLength(1);
  });

  it('ssubscribe groups shard channels of all three masters by slot and receives SPUBLISH on each', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const byMaster = namesOnEveryMaster(client, 'shard', 3);
    // Two channels sharing a slot through a hashtag, in the same call.
    const tagged = ['{orders}eu', '{orders}us'];
    const channels = [...[...byMaster.values()].flat(), ...tagged];
    const subscriber = client.subscriber();
    const received = nextEvents<[string, string]>(subscriber, 'smessage', channels.length);
    await subscriber.ssubscribe(...channels);
    for (const channel of channels) expect(subscriber.nodeOf('shard', channel)).toBe(client.masterOf(keySlot(channel))?.address);
    expect(subscriber.nodes()).toHaveLength(3);
    for (const channel of channels) expect(await client.spublish(channel, `s-${channel}`)).toBe(1);
    expect((await received).map(([channel, message]) => `${channel}=${message}`).sort()).toEqual(channels.map((channel) => `${channel}=s-${channel}`).sort());
    const owner = client.masterOf(keySlot('{orders}eu'))!;
    expect(await numsub(owner.host, owner.port, '{orders}eu', true)).toBe(1);
  });

  it('gives Buffers with decodeResponses false, binary channel names included', async () => {
    const client = newClient<false>({ startupNodes: sharedStartupNodes(), decodeResponses: false });
    const subscriber = client.subscriber();
    const binary = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff]);
    const classic = nextEvents<[Buffer, Buffer]>(subscriber, 'message', 1);
    const sharded = nextEvents<[Buffer, Buffer]>(subscriber, 'smessage', 1);
    const patterned = nextEvents<[Buffer, Buffer, Buffer]>(subscriber, 'pmessage', 1);
    await subscriber.subscribe(binary);
    await subscriber.ssubscribe('bin:shard');
    await subscriber.psubscribe('bin:pat:*');
    await client.publish(binary, Buffer.from([0, 1, 2]));
    await client.spublish('bin:shard', 'text');
    await client.publish('bin:pat:x', 'p');
    const [[channel, message]] = await classic;
    expect(Buffer.isBuffer(channel) && channel.equals(binary)).toBe(true);
    expect(message.equals(Buffer.from([0, 1, 2]))).toBe(true);
    const [[shardChannel, shardMessage]] = await sharded;
    expect(Buffer.isBuffer(shardChannel) && shardChannel.toString()).toBe('bin:shard');
    expect(Buffer.isBuffer(shardMessage) && shardMessage.toString()).toBe('text');
    const [[pattern, patternChannel]] = await patterned;
    expect(Buffer.isBuffer(pattern) && pattern.toString()).toBe('bin:pat:*');
    expect(patternChannel.toString()).toBe('bin:pat:x');
    // The Buffer and its UTF-8 string are the same channel.
    await subscriber.sunsubscribe(Buffer.from('bin:shard'));
    expect(subscriber.subscriptions('shard')).toEqual([]);
  });

  it('unsubscribes named channels, then everything, and gives the connections back', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const channels = [...namesOnEveryMaster(client, 'unsub', 2).values()].flat();
    const subscriber = client.subscriber();
    // Every master's shared connection is open before counting: publishing uses them.
    for (const channel of channels) await client.publish(channel, 'warm-up');
    const before = client.connectionCount;
    await client.subscribe(...channels);
    await client.ssubscribe('unsub:shard');
    await client.psubscribe('unsub:pattern:*');
    expect(client.connectionCount).toBeGreaterThan(before);
    const seen: string[] = [];
    subscriber.on('message', (channel) => seen.push(channel));
    const [gone, ...kept] = channels;
    await client.unsubscribe(gone);
    expect(subscriber.subscriptions('channel')).not.toContain(gone);
    const owner = client.masterOf(keySlot(gone))!;
    expect(await numsub(owner.host, owner.port, gone)).toBe(0);
    await client.publish(gone, 'nobody listens');
    await client.publish(kept[0], 'still here');
    await waitFor(() => seen.includes(kept[0]), { description: 'the message to a channel still subscribed' });
    expect(seen).not.toContain(gone);

    await client.unsubscribe();
    await client.sunsubscribe();
    await client.punsubscribe();
    expect(subscriber.subscriptions('channel')).toEqual([]);
    expect(subscriber.nodes()).toEqual([]);
    await waitFor(() => client.connectionCount === before, { description: 'the subscriber connections to be closed' });
    for (const channel of kept) {
      const master = client.masterOf(keySlot(channel))!;
      expect(await numsub(master.host, master.port, channel)).toBe(0);
    }
    // Unsubscribing what is not subscribed is a no-op.
    await client.unsubscribe('never-subscribed');
  });

  it('sunsubscribe of shard channels in different slots of one node ends them all (no CROSSSLOT, no zombie)', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const [[master, names]] = [...namesOnEveryMaster(client, 'cross', 3)];
    const [x, y, z] = names;
    expect(new Set(names.map((name) => keySlot(name))).size).toBe(3);
    const subscriber = client.subscriber();
    const got: string[] = [];
    subscriber.on('smessage', (channel) => got.push(channel));
    await subscriber.ssubscribe(x, y, z);
    await subscriber.sunsubscribe(x, y);
    expect(subscriber.subscriptions('shard')).toEqual([z]);
    const [host, port] = [master.slice(0, master.lastIndexOf(':')), Number(master.slice(master.lastIndexOf(':') + 1))];
    expect(await numsub(host, port, x, true)).toBe(0);
    expect(await numsub(host, port, y, true)).toBe(0);
    expect(await numsub(host, port, z, true)).toBe(1);
    await client.spublish(x, 'gone');
    await client.spublish(z, 'here');
    await waitFor(() => got.includes(z), { description: 'the message on the channel still subscribed' });
    expect(got).toEqual([z]);
    await subscriber.close();
  });

  it('yields messages through an async iterator, and break detaches it without unsubscribing', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    const subscriber = client.subscriber();
    await subscriber.subscribe('iter:classic');
    await subscriber.ssubscribe('iter:shard');
    const publishing = (async () => {
      for (let i = 0; i < 3; i++) {
        await client.publish('iter:classic', `c${i}`);
        await client.spublish('iter:shard', `s${i}`);
      }
    })();
    const got: string[] = [];
    for await (const { kind, channel, message, pattern } of subscriber.messages()) {
      expect(pattern).toBeUndefined();
      got.push(`${kind} ${channel} ${message}`);
      if (got.length === 4) break;
    }
    await publishing;
    expect(got).toEqual(['message iter:classic c0', 'smessage iter:shard s0', 'message iter:classic c1', 'smessage iter:shard s1']);
    // Still subscribed: a new iterator gets what is published next.
    const iterator = subscriber.messages();
    await client.publish('iter:classic', 'after break');
    const rest: string[] = [];
    for (;;) {
      const { value } = await iterator.next();
      rest.push(value!.message);
      if (value!.message === 'after break') break;
    }
    // The last two published before the break may still have been on their way.
    expect(rest.filter((message) => message !== 'c2' && message !== 's2')).toEqual(['after break']);
    await iterator.return?.();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('quit() ends the subscriber: iterators finish, end is emitted, the nodes forget the subscriptions', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: sharedStartupNodes() });
      const subscriber = client.subscriber();
      await client.subscribe('quit:classic');
      await client.ssubscribe('quit:shard');
      await client.psubscribe('quit:*');
      const classicOwner = client.masterOf(keySlot('quit:classic'))!;
      const shardOwner = client.masterOf(keySlot('quit:shard'))!;
      const ended = new Promise<void>((resolve) => subscriber.once('end', resolve));
      const drained = (async () => {
        const got: string[] = [];
        for await (const { message } of subscriber.messages()) got.push(message);
        return got;
      })();
      await client.publish('quit:classic', 'last words');
      await waitFor(async () => (await numsub(classicOwner.host, classicOwner.port, 'quit:classic')) === 1);
      await client.quit();
      await ended;
      expect(subscriber.closed).toBe(true);
      expect(await drained).toContain('last words');
      await waitFor(async () => (await numsub(classicOwner.host, classicOwner.port, 'quit:classic')) === 0, { description: 'the classic subscription to end' });
      await waitFor(async () => (await numsub(shardOwner.host, shardOwner.port, 'quit:shard', true)) === 0, { description: 'the shard subscription to end' });
      await expect(client.subscribe('after-quit')).rejects.toThrow(/closed/);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('close() of the subscriber unsubscribes and a new one takes its place; bad arguments are refused', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    const first = client.subscriber();
    await first.subscribe('close:one');
    await first.close();
    expect(first.closed).toBe(true);
    expect(first.nodes()).toEqual([]);
    await expect(first.subscribe('close:two')).rejects.toThrow(/subscriber is closed/);
    const second = client.subscriber();
    expect(second).not.toBe(first);
    const received = nextEvents<[string, string]>(second, 'message', 1);
    await client.subscribe('close:two');
    await client.publish('close:two', 'hi');
    expect(await received).toEqual([['close:two', 'hi']]);
    await expect(second.subscribe()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(second.subscribe(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.publish('c', {} as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('SUBSCRIBE', 'c')).rejects.toBeInstanceOf(InvalidArgumentError);
    // Subscribing twice to a name, even in one call, is one subscription.
    await Promise.all([second.ssubscribe('close:dup', 'close:dup'), second.ssubscribe('close:dup')]);
    expect(second.subscriptions('shard')).toEqual(['close:dup']);
  });
});

// Failovers and resharding: this part boots its own cluster.
describe('sharded subscriptions follow their slot', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

  /** Publishes `count` numbered messages with SPUBLISH and waits until the subscriber got them all. */
  async function publishAndReceive(client: RedisCluster, subscriber: Subscriber<true>, channel: string, tag: string, count: number): Promise<void> {
    const got: string[] = [];
    const listener = (name: string, message: string): void => {
      if (name === channel && message.startsWith(`${tag}:`)) got.push(message);
    };
    subscriber.on('smessage', listener);
    try {
      for (let i = 0; i < count; i++) await client.spublish(channel, `${tag}:${i}`);
      await waitFor(() => got.length >= count, { timeoutMs: 5_000, description: `${count} messages tagged ${tag}` });
      expect(got).toEqual(Array.from({ length: count }, (_, i) => `${tag}:${i}`));
    } finally {
      subscriber.off('smessage', listener);
    }
  }

  function resubscribedEvents(subscriber: Subscriber<true>): Resubscribed[] {
    const events: Resubscribed[] = [];
    subscriber.on('resubscribed', (event) => events.push(event));
    return events;
  }

  it('follows MOVED when the client\'s slot table is behind', async () => {
    const client = newClient({ startupNodes: startupNodes() });
    await client.connect();
    const channel = 'moved:{m}';
    const slot = keySlot(channel);
    const source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    await cluster.moveSlot(slot, target);
    // The client has not refreshed: it still names the source.
    expect(client.masterOf(slot)?.port).toBe(source.port);
    const subscriber = client.subscriber();
    await subscriber.ssubscribe(channel);
    expect(subscriber.nodeOf('shard', channel)).toBe(`${target.host}:${target.port}`);
    await publishAndReceive(client, subscriber, channel, 'moved', 5);
  });

  it('keeps receiving across a slot migration of its channel, and says where it went', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes() });
      await client.connect();
      const channel = 'migrating:{chan}';
      const slot = keySlot(channel);
      const subscriber = client.subscriber();
      const events = resubscribedEvents(subscriber);
      await subscriber.ssubscribe(channel);
      const source = await cluster.slotOwner(slot);
      expect(subscriber.nodeOf('shard', channel)).toBe(`${source.host}:${source.port}`);
      await publishAndReceive(client, subscriber, channel, 'before', 10);

      const target = cluster.masters().find((node) => node.id !== source.id)!;
      const told = nextEvents<[Resubscribed]>(subscriber, 'resubscribed', 1);
      await cluster.moveSlot(slot, target);
      const [[event]] = await told;
      expect(event).toEqual({ kind: 'shard', channel, from: `${source.host}:${source.port}`, to: `${target.host}:${target.port}`, reason: 'server unsubscribe' });
      expect(subscriber.nodeOf('shard', channel)).toBe(`${target.host}:${target.port}`);
      await publishAndReceive(client, subscriber, channel, 'after', 20);
      expect(await numsub(target.host, target.port, channel, true)).toBe(1);
      expect(await numsub(source.host, source.port, channel, true)).toBe(0);
      await sleep(200);
      expect(events).toHaveLength(1);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  /** Two connections to a node: one to keep it busy with DEBUG SLEEP, one whose command waits behind it. */
  async function busyNode(node: { host: string; port: number }): Promise<{ sleep(seconds: number): Promise<unknown>; send(args: (string | number)[]): Promise<unknown>; close(): void }> {
    const sleeper = new Connection({ host: node.host, port: node.port });
    const admin = new Connection({ host: node.host, port: node.port });
    await Promise.all([sleeper.send(['PING']), admin.send(['PING'])]);
    return {
      sleep: (seconds) => sleeper.send(['DEBUG', 'SLEEP', seconds]),
      send: (args) => admin.send(args),
      close: () => (sleeper.destroy(), admin.destroy()),
    };
  }

  it('re-places a shard subscription its node drops in the same read as the confirmation (not silently dead)', async () => {
    const unhandled = watchUnhandled();
    const client = newClient({ startupNodes: startupNodes() });
    await client.connect();
    const channel = 'dropped-at-once:{d5}';
    const slot = keySlot(channel);
    const source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    const busy = await busyNode(source);
    const importer = new Connection({ host: target.host, port: target.port });
    try {
      await cluster.moveSlot(slot, target, { stopAt: 'migrating' });
      const subscriber = client.subscriber();
      // A channel already on the source, so that the SSUBSCRIBE goes out on an open connection.
      let neighbour = '';
      for (let i = 0; neighbour === ''; i++) {
        const name = `neighbour:${i}`;
        if (keySlot(name) !== slot && (await cluster.slotOwner(keySlot(name))).id === source.id) neighbour = name;
      }
      await subscriber.ssubscribe(neighbour);
      const sleeping = busy.sleep(0.5);
      await sleep(50);
      const subscribing = subscriber.ssubscribe(channel);
      await sleep(50);
      // The end of the migration: the source hands the slot over just after confirming our
      // SSUBSCRIBE (the confirmation and its own `sunsubscribe` push leave in one write when it
      // wakes up), then the target takes it. Had the target claimed it first, the source would
      // learn that by gossip as it wakes and answer MOVED instead.
      const handedOver = busy.send(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
      await Promise.all([sleeping, handedOver]);
      await importer.send(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
      await subscribing;
      expect(subscriber.nodeOf('shard', channel)).toBe(`${target.host}:${target.port}`);
      expect(await numsub(target.host, target.port, channel, true)).toBe(1);
      await publishAndReceive(client, subscriber, channel, 'after', 3);
      expect(unhandled.errors).toEqual([]);
    } finally {
      busy.close();
      importer.destroy();
      unhandled.stop();
    }
  });

  it('keeps an unrelated channel on the old node when its SUNSUBSCRIBE (make before break) meets the node dropping the slot', async () => {
    const unhandled = watchUnhandled();
    let source = cluster.masters()[0];
    const names: string[] = [];
    for (let i = 0; names.length < 2; i++) {
      const name = `mbb:${i}`;
      if ((await cluster.slotOwner(keySlot(name))).id === source.id && (names.length === 0 || keySlot(name) !== keySlot(names[0]))) names.push(name);
    }
    const [moving, staying] = names;
    const slot = keySlot(moving);
    source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    // Asks only the target for the table, which then names it before the source let go.
    const client = newClient({ startupNodes: [{ host: target.host, port: target.port }], followCluster: false });
    const busy = await busyNode(source);
    const importer = new Connection({ host: target.host, port: target.port });
    try {
      const subscriber = client.subscriber();
      const events = resubscribedEvents(subscriber);
      await subscriber.ssubscribe(moving, staying);
      await cluster.moveSlot(slot, target, { stopAt: 'migrating' });
      const sleeping = busy.sleep(0.5);
      await sleep(50);
      await importer.send(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
      const handedOver = busy.send(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
      // The refresh moves `moving` to the target and sends SUNSUBSCRIBE to the sleeping source,
      // behind the SETSLOT: the node's own push overtakes the answer, which is MOVED.
      await client.refresh();
      await Promise.all([sleeping, handedOver]);
      await waitFor(() => subscriber.nodeOf('shard', moving) === `${target.host}:${target.port}`, { description: 'the moved channel on the target' });
      await sleep(200);
      expect(events.filter((event) => event.channel === staying)).toEqual([]);
      expect(subscriber.nodeOf('shard', staying)).toBe(`${source.host}:${source.port}`);
      await publishAndReceive(client, subscriber, staying, 'staying', 5);
      await publishAndReceive(client, subscriber, moving, 'moving', 5);
      expect(unhandled.errors).toEqual([]);
    } finally {
      busy.close();
      importer.destroy();
      unhandled.stop();
    }
  });

  it('keeps receiving across a forced failover of its master, and says where it went', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes() });
      await client.connect();
      const channel = 'failover:{forced}';
      const slot = keySlot(channel);
      const subscriber = client.subscriber();
      const events = resubscribedEvents(subscriber);
      await subscriber.ssubscribe(channel);
      const master = await cluster.slotOwner(slot);
      const [heir] = cluster.replicasOf(master);
      await publishAndReceive(client, subscriber, channel, 'before', 10);

      await cluster.failover(heir, 'force');
      await waitFor(() => subscriber.nodeOf('shard', channel) === `${heir.host}:${heir.port}`, {
        timeoutMs: 15_000,
        description: 'the subscription to move to the promoted replica',
      });
      expect(events.length).toBeGreaterThan(0);
      expect(events[0]).toMatchObject({ kind: 'shard', channel, from: `${master.host}:${master.port}` });
      expect(events.at(-1)).toMatchObject({ to: `${heir.host}:${heir.port}` });
      await publishAndReceive(client, subscriber, channel, 'after', 20);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('moves shard and classic subscriptions off a killed master once its replica takes over', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes(), commandTimeout: 2000 });
      await client.connect();
      // A master that still has a replica (the previous tests promoted some).
      const victim = cluster.masters().find((node) => cluster.replicasOf(node).length > 0)!;
      const [heir] = cluster.replicasOf(victim);
      const victimAddress = `${victim.host}:${victim.port}`;
      const onVictim = (prefix: string): string => {
        for (let i = 0; ; i++) if (client.masterOf(keySlot(`${prefix}:${i}`))?.address === victimAddress) return `${prefix}:${i}`;
      };
      const shardChannel = onVictim('killed:shard');
      const classicChannel = onVictim('killed:classic');
      const subscriber = client.subscriber();
      const events = resubscribedEvents(subscriber);
      const errors: Error[] = [];
      subscriber.on('error', (error) => errors.push(error));
      await subscriber.ssubscribe(shardChannel);
      await subscriber.subscribe(classicChannel);
      expect(subscriber.nodes()).toEqual([victimAddress]);
      await publishAndReceive(client, subscriber, shardChannel, 'before', 5);

      await cluster.kill(victim, 'SIGKILL');
      const heirAddress = `${heir.host}:${heir.port}`;
      await waitFor(() => subscriber.nodeOf('shard', shardChannel) === heirAddress && subscriber.nodeOf('channel', classicChannel) === heirAddress, {
        timeoutMs: 30_000,
        description: 'both subscriptions to move to the promoted replica',
      });
      expect(events.map(({ kind, from, to, reason }) => `${kind} ${from} ${to} ${reason}`).sort()).toEqual([
        `channel ${victimAddress} ${heirAddress} connection`,
        `shard ${victimAddress} ${heirAddress} connection`,
      ]);
      await publishAndReceive(client, subscriber, shardChannel, 'after', 20);
      const classic = nextEvents<[string, string]>(subscriber, 'message', 1);
      await client.publish(classicChannel, 'classic after');
      expect(await classic).toEqual([[classicChannel, 'classic after']]);
      // Attempts against the dead node were reported, never thrown.
      for (const error of errors) expect(error).toBeInstanceOf(Error);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

// The refresh path: a server that does not push SUNSUBSCRIBE (or a table that learns of a move
// first) must still move a shard subscription. A real cluster always pushes, so the subscriber
// runs here on a core whose slot table the test writes.
describe('ClusterSubscriber on a slot table the test controls', () => {
  it('moves a shard subscription that a refresh places elsewhere: retries an unreachable node, stays subscribed until the move is made', async () => {
    const client = newClient({ startupNodes: sharedStartupNodes() });
    await client.connect();
    const channel = 'refresh:{moving}';
    const slot = keySlot(channel);
    const master = client.masterOf(slot)!;
    const replica = sharedCluster().nodes.find((node) => node.masterId === master.id)!;
    const replicaAddress = `${replica.host}:${replica.port}`;
    let owner = master.address;
    const refreshListeners: ((event: RefreshEvent) => void)[] = [];
    const closeListeners: (() => Promise<void>)[] = [];
    const connections: Connection[] = [];
    const core = {
      decodeResponses: true,
      masterOf: (asked: number) => (asked === slot ? { ...master, address: owner } : client.masterOf(asked)),
      masters: async () => client.nodes('master'),
      acquireDedicated: async (address: string) => {
        const colon = address.lastIndexOf(':');
        const connection = new Connection({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), connectTimeout: 500 });
        connections.push(connection);
        await connection.connect();
        return connection;
      },
      releaseDedicated: (_address: string, connection: Connection) => connection.destroy(),
      onRefresh: (listener: (event: RefreshEvent) => void) => {
        refreshListeners.push(listener);
        return () => refreshListeners.splice(refreshListeners.indexOf(listener), 1);
      },
      // The hook proposed for quit(): the client would await it before cutting connections off.
      onClose: (listener: () => Promise<void>) => {
        closeListeners.push(listener);
        return () => closeListeners.splice(closeListeners.indexOf(listener), 1);
      },
    } as unknown as ClusterCore;
    const host = { status: 'ready', refresh: async () => {}, once: () => {}, off: () => {} };
    const subscriber = new ClusterSubscriber<true>(core, host);
    try {
      const messages: string[] = [];
      subscriber.on('smessage', (_channel, message) => messages.push(message));
      const errors: Error[] = [];
      const firstError = new Promise<void>((resolve) => subscriber.on('error', (error) => (errors.push(error), resolve())));
      await subscriber.ssubscribe(channel);
      expect(subscriber.nodeOf('shard', channel)).toBe(master.address);

      // The table names a node that cannot be reached: the subscriber keeps trying, and stays
      // subscribed where it was meanwhile.
      owner = '127.0.0.1:1';
      for (const listener of refreshListeners) listener({ reason: 'manual', source: master.address, added: [], removed: [], changedSlots: 1 });
      await firstError;
      // The source's own ClusterError class (this test loads the subscriber from src).
      expect(errors[0]).toMatchObject({ name: 'ClusterError', message: expect.stringContaining('retrying') });
      await client.spublish(channel, 'while moving');
      await waitFor(() => messages.includes('while moving'), { description: 'a message on the old node while the move is retried' });

      const told = nextEvents<[Resubscribed]>(subscriber, 'resubscribed', 1);
      // A replica of the slot's master serves SSUBSCRIBE for it too: a node the move can reach.
      owner = replicaAddress;
      const [[event]] = await told;
      expect(event).toEqual({ kind: 'shard', channel, from: master.address, to: replicaAddress, reason: 'refresh' });
      expect(subscriber.nodeOf('shard', channel)).toBe(replicaAddress);
      await waitFor(async () => (await numsub(master.host, master.port, channel, true)) === 0, { description: 'the old node to be left' });
      expect(await numsub(replica.host, replica.port, channel, true)).toBe(1);
      expect(subscriber.nodes()).toEqual([replicaAddress]);
      // The master propagates SPUBLISH to its replicas: the moved subscription still hears it.
      await client.spublish(channel, 'after move');
      await waitFor(() => messages.includes('after move'), { description: 'the message through the replica' });
      expect(messages.filter((message) => message === 'while moving')).toHaveLength(1);
      // quit() of the client, through the proposed hook: unsubscribed gracefully, then ended.
      expect(closeListeners).toHaveLength(1);
      const ended = new Promise<void>((resolve) => subscriber.once('end', resolve));
      await Promise.all(closeListeners.map((listener) => listener()));
      await ended;
      expect(subscriber.closed).toBe(true);
      expect(subscriber.nodes()).toEqual([]);
      expect(closeListeners).toHaveLength(0);
      expect(await numsub(replica.host, replica.port, channel, true)).toBe(0);
    } finally {
      subscriber.removeAllListeners();
      for (const connection of connections) connection.destroy();
    }
  });
});
