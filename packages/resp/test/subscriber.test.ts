import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startServer } from '@hashslot/test-cluster';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { Connection, ConnectionError, InvalidArgumentError, ReplyError, Subscriber, type SubscriptionKind } from '@hashslot/resp';
import { onCommands, startFakeServer } from './fake-server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers.splice(0)) close();
});

function subscriberTo<V extends string | Buffer = string>(port: number, options: { returnBuffers?: boolean; clientName?: string; commandTimeout?: number } = {}): Subscriber<V> {
  const subscriber = new Subscriber<V>({ host: '127.0.0.1', port, ...options });
  closers.push(() => subscriber.destroy());
  return subscriber;
}

function connectionTo(port: number): Connection {
  const connection = new Connection({ host: '127.0.0.1', port });
  closers.push(() => connection.destroy());
  return connection;
}

/** Collects every event of one kind until `count` arrived. */
function collect<T extends unknown[]>(subscriber: Subscriber<string> | Subscriber<Buffer>, event: 'message' | 'pmessage' | 'smessage', count: number): Promise<T[]> {
  return new Promise((resolve) => {
    const seen: T[] = [];
    const listener = (...args: unknown[]): void => {
      seen.push(args as T);
      if (seen.length === count) {
        (subscriber as Subscriber<string>).off(event, listener);
        resolve(seen);
      }
    };
    (subscriber as Subscriber<string>).on(event, listener);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Subscriber against a real redis-server', () => {
  let server: Server;
  let publisher: Connection;
  beforeAll(async () => {
    server = await startServer();
    publisher = connectionTo(server.port);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('subscribes to channels, receives their messages in order and lists what the server confirmed', async () => {
    const sub = subscriberTo(server.port);
    await sub.subscribe(['news', 'sports']);
    expect(sub.subscriptions('channel').sort()).toEqual(['news', 'sports']);
    expect(await publisher.send(['PUBSUB', 'NUMSUB', 'news', 'sports'])).toEqual(['news', 1, 'sports', 1]);
    const received = collect<[string, string]>(sub, 'message', 3);
    await publisher.send(['PUBLISH', 'news', 'héllo ✓']);
    await publisher.send(['PUBLISH', 'sports', 'goal']);
    await publisher.send(['PUBLISH', 'weather', 'not subscribed']);
    await publisher.send(['PUBLISH', 'news', 'second']);
    expect(await received).toEqual([
      ['news', 'héllo ✓'],
      ['sports', 'goal'],
      ['news', 'second'],
    ]);
  });

  it('psubscribe delivers pmessage with the pattern, ssubscribe delivers smessage', async () => {
    const sub = subscriberTo(server.port);
    await sub.psubscribe(['user:*']);
    await sub.ssubscribe(['orders', 'payments']);
    expect(sub.subscriptions('pattern')).toEqual(['user:*']);
    expect(sub.subscriptions('shard').sort()).toEqual(['orders', 'payments']);
    expect(sub.subscriptionCount).toBe(3);
    const patterned = collect<[string, string, string]>(sub, 'pmessage', 1);
    const sharded = collect<[string, string]>(sub, 'smessage', 2);
    await publisher.send(['PUBLISH', 'user:42', 'signed in']);
    await publisher.send(['SPUBLISH', 'orders', 'o-1']);
    await publisher.send(['SPUBLISH', 'payments', 'p-1']);
    expect(await patterned).toEqual([['user:*', 'user:42', 'signed in']]);
    expect(await sharded).toEqual([
      ['orders', 'o-1'],
      ['payments', 'p-1'],
    ]);
  });

  it('gives Buffers with returnBuffers, and Buffer names that are not UTF-8 round-trip', async () => {
    const sub = subscriberTo<Buffer>(server.port, { returnBuffers: true });
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    await sub.subscribe([binary, 'text']);
    expect(sub.subscriptions('channel').every((name) => Buffer.isBuffer(name))).toBe(true);
    const received = collect<[Buffer, Buffer]>(sub, 'message', 2);
    await publisher.send(['PUBLISH', binary, Buffer.from([1, 2, 3])]);
    await publisher.send(['PUBLISH', 'text', 'plain']);
    const [[channel, message], [textChannel, textMessage]] = await received;
    expect(channel.equals(binary)).toBe(true);
    expect(message.equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(textChannel.toString()).toBe('text');
    expect(textMessage.toString()).toBe('plain');
    await sub.unsubscribe([binary]);
    expect(sub.subscriptions('channel').map(String)).toEqual(['text']);
  });

  it('unsubscribes named channels, then all of a kind, then with nothing left (one null confirmation)', async () => {
    const sub = subscriberTo(server.port);
    await sub.subscribe(['a', 'b', 'c', 'd']);
    await sub.psubscribe(['p:*', 'q:*']);
    await sub.unsubscribe(['a', 'b']);
    expect(sub.subscriptions('channel').sort()).toEqual(['c', 'd']);
    // Without names: one confirmation per channel, and the patterns are left alone.
    await sub.unsubscribe();
    expect(sub.subscriptions('channel')).toEqual([]);
    expect(sub.subscriptions('pattern').sort()).toEqual(['p:*', 'q:*']);
    await sub.unsubscribe();
    await sub.punsubscribe();
    await sub.sunsubscribe();
    expect(sub.subscriptionCount).toBe(0);
    await sub.ping();
    expect(await publisher.send(['PUBSUB', 'NUMSUB', 'c'])).toEqual(['c', 0]);
  });

  it('answers PING in subscribed mode and out of it', async () => {
    const sub = subscriberTo(server.port);
    await sub.ping();
    await sub.subscribe(['pinged']);
    await Promise.all([sub.ping(), sub.ping()]);
    const received = collect<[string, string]>(sub, 'message', 1);
    await publisher.send(['PUBLISH', 'pinged', 'still here']);
    expect(await received).toEqual([['pinged', 'still here']]);
  });

  it('does not count the handshake replies against commands issued before it finished', async () => {
    const sub = subscriberTo(server.port, { clientName: 'hashslot-subscriber' });
    expect(sub.state).toBe('idle');
    await Promise.all([sub.subscribe(['early-1']), sub.psubscribe(['early:*']), sub.subscribe(['early-2'])]);
    expect(sub.subscriptions('channel').sort()).toEqual(['early-1', 'early-2']);
    const list = (await publisher.send(['CLIENT', 'LIST'])) as string;
    expect(list).toContain('name=hashslot-subscriber');
  });

  it('stays in step under a flood of messages between confirmations', async () => {
    const sub = subscriberTo(server.port);
    await sub.subscribe(['flood']);
    let received = 0;
    sub.on('message', () => received++);
    const flooder = connectionTo(server.port);
    let stop = false;
    let published = 0;
    const flood = (async () => {
      while (!stop) {
        await flooder.sendBatch(Array.from({ length: 50 }, () => ['PUBLISH', 'flood', 'x']));
        published += 50;
      }
    })();
    const channels = Array.from({ length: 200 }, (_, i) => `flood:${i}`);
    await Promise.all(channels.map((channel, i) => (i % 2 === 0 ? sub.subscribe([channel, `${channel}:twin`]) : sub.psubscribe([`${channel}:*`]))));
    await Promise.all(channels.map((channel, i) => (i % 2 === 0 ? sub.unsubscribe([channel]) : sub.punsubscribe([`${channel}:*`]))));
    await sub.ping();
    stop = true;
    await flood;
    await sub.ping();
    await sleep(50);
    expect(sub.subscriptions('pattern')).toEqual([]);
    expect(sub.subscriptions('channel')).toHaveLength(101);
    expect(received).toBe(published);
  });

  it('emits close with a ConnectionError when the server kills it, and keeps what it had', async () => {
    const sub = subscriberTo(server.port, { clientName: 'doomed-subscriber' });
    await sub.subscribe(['kept']);
    const closed = new Promise<Error | undefined>((resolve) => sub.once('close', resolve));
    await publisher.send(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    expect(await closed).toBeInstanceOf(ConnectionError);
    expect(sub.state).toBe('closed');
    expect(sub.subscriptions('channel')).toEqual(['kept']);
    await expect(sub.subscribe(['later'])).rejects.toBeInstanceOf(ConnectionError);
  });

  it('quit() resolves after what is owed and closes without an error', async () => {
    const sub = subscriberTo(server.port);
    const subscribed = sub.subscribe(['bye']);
    const closed = new Promise<Error | undefined>((resolve) => sub.once('close', resolve));
    await subscribed;
    await sub.quit();
    expect(await closed).toBeUndefined();
  });

  it('rejects names that are not strings or Buffers before sending anything', async () => {
    const sub = subscriberTo(server.port);
    await expect(sub.subscribe([42 as unknown as string])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sub.subscribe([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sub.ssubscribe('x' as unknown as string[])).rejects.toBeInstanceOf(InvalidArgumentError);
    await sub.subscribe(['fine']);
    expect(sub.subscriptions('channel')).toEqual(['fine']);
  });

  it('refuses a connection that has commands in flight', async () => {
    const connection = connectionTo(server.port);
    const pending = connection.send(['PING']);
    expect(() => new Subscriber(connection)).toThrow(InvalidArgumentError);
    await pending;
  });
});

describe('Subscriber on a cluster node', () => {
  it('rejects SSUBSCRIBE across slots with CROSSSLOT and to another node\'s slot with MOVED, and stays usable', async () => {
    const node = sharedCluster().startupNodes[0];
    const sub = subscriberTo(node.port);
    const crossSlot = await sub.ssubscribe(['{a}x', '{b}y']).catch((error: unknown) => error);
    expect(crossSlot).toBeInstanceOf(ReplyError);
    expect(crossSlot).toMatchObject({ prefix: 'CROSSSLOT', command: 'SSUBSCRIBE', address: `127.0.0.1:${node.port}` });
    // One of these three channels (slots in each third of the table) lives on another master.
    const moved = await Promise.all(['{a}', '{b}', '{c}'].map((tag) => sub.ssubscribe([`${tag}ch`]).then(() => undefined, (error: unknown) => error)));
    const redirections = moved.filter((error) => error !== undefined);
    expect(redirections.length).toBeGreaterThan(0);
    for (const error of redirections) expect(error).toMatchObject({ prefix: 'MOVED' });
    expect(sub.subscriptions('shard')).toHaveLength(3 - redirections.length);
    await sub.ping();
  });
});

describe('Subscriber on a cluster node that drops a slot', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('SUNSUBSCRIBE overtaken by the node dropping the slot (then answered MOVED) leaves the connection in step', async () => {
    const channel = 'news';
    const asker = connectionTo(cluster.startupNodes[0].port);
    const slot = (await asker.send(['CLUSTER', 'KEYSLOT', channel])) as number;
    const owner = await cluster.slotOwner(slot);
    const other = cluster.masters().find((node) => node.id !== owner.id)!;
    const sleeper = connectionTo(owner.port);
    const admin = connectionTo(owner.port);
    await Promise.all([sleeper.send(['PING']), admin.send(['PING'])]);
    const sub = subscriberTo(owner.port);
    const closed: unknown[] = [];
    sub.on('close', (error) => closed.push(error));
    await sub.ssubscribe([channel]);
    // The node is busy while the slot is handed away and our SUNSUBSCRIBE arrives: it runs the
    // SETSLOT first (pushing `sunsubscribe news`), then answers the SUNSUBSCRIBE with MOVED.
    const sleeping = sleeper.send(['DEBUG', 'SLEEP', '0.3']);
    await sleep(50);
    const setslot = admin.send(['CLUSTER', 'SETSLOT', slot, 'NODE', other.id]);
    await sleep(20);
    const unsubscribed = sub.sunsubscribe([channel]);
    const pinged = sub.ping();
    await Promise.all([sleeping, setslot]);
    await expect(unsubscribed).resolves.toBeUndefined();
    await expect(pinged).resolves.toBeUndefined();
    await sleep(50);
    expect(closed).toEqual([]);
    expect(sub.state).toBe('ready');
    expect(sub.subscriptions('shard')).toEqual([]);
    await sub.ping();
    // Handed back, so that the other tests of this cluster see the table they started with.
    await admin.send(['CLUSTER', 'SETSLOT', slot, 'NODE', owner.id]);
  });
});

/** RESP2 encoding of a push or confirmation, for the fake server. */
function push(...items: (string | number | null)[]): string {
  return `*${items.length}\r\n${items.map((item) => (item === null ? '$-1\r\n' : typeof item === 'number' ? `:${item}\r\n` : `$${Buffer.byteLength(item)}\r\n${item}\r\n`)).join('')}`;
}

describe('Subscriber against a scripted server (what a real one rarely or never sends)', () => {
  it('reports an SUNSUBSCRIBE the server sent by itself, batched, and forgets those channels', async () => {
    let sockets: import('node:net').Socket[] = [];
    const fake = await startFakeServer((socket) => {
      sockets.push(socket);
      onCommands(socket, (commands) => {
        for (const [name, ...names] of commands) {
          if (name === 'SSUBSCRIBE') socket.write(names.map((channel, i) => push('ssubscribe', channel, i + 1)).join(''));
          if (name === 'PING') socket.write(push('pong', ''));
        }
      });
    });
    try {
      const sub = subscriberTo(fake.port);
      await sub.ssubscribe(['{s}a', '{s}b', '{t}c']);
      const events: [SubscriptionKind, string[]][] = [];
      const reported = new Promise<void>((resolve) => sub.on('server unsubscribe', (kind, channels) => (events.push([kind, channels]), resolve())));
      // The slot of {s} moved away: one push per channel, back to back, plus one for a channel never subscribed.
      sockets[0].write(push('sunsubscribe', '{s}a', 2) + push('sunsubscribe', '{s}b', 1) + push('sunsubscribe', 'never', 1));
      await reported;
      expect(events).toEqual([['shard', ['{s}a', '{s}b']]]);
      expect(sub.subscriptions('shard')).toEqual(['{t}c']);
      await sub.ping();
    } finally {
      sockets = [];
      await fake.close();
    }
  });

  // Redis 7.0 redirects SUNSUBSCRIBE like a keyed command (MOVED, or CLUSTERDOWN for a slot no
  // node serves); a server that answers it without redirecting would send a second push.
  for (const [twin, lateAnswer] of [
    ['MOVED', '-MOVED 1234 127.0.0.1:7001\r\n'],
    ['CLUSTERDOWN', '-CLUSTERDOWN Hash slot not served\r\n'],
    ['a second push', push('sunsubscribe', 'gone', 0)],
  ] as const) {
    it(`SUNSUBSCRIBE overtaken by the node's own push stays in step when the late answer is ${twin}`, async () => {
      const fake = await startFakeServer((socket) => {
        onCommands(socket, (commands) => {
          for (const [name, ...names] of commands) {
            if (name === 'SSUBSCRIBE') socket.write(names.map((channel, i) => push('ssubscribe', channel, i + 1)).join(''));
            // The slot was deleted just before the command ran: the node's push, then the command's own answer.
            if (name === 'SUNSUBSCRIBE') socket.write(push('sunsubscribe', names[0], 0) + lateAnswer);
            if (name === 'PING') socket.write(push('pong', ''));
          }
        });
      });
      try {
        const sub = subscriberTo(fake.port);
        const reported: unknown[] = [];
        const closed: unknown[] = [];
        sub.on('server unsubscribe', (...args) => reported.push(args));
        sub.on('close', (error) => closed.push(error));
        await sub.ssubscribe(['gone']);
        await sub.sunsubscribe(['gone']);
        await sub.ping();
        // A MOVED that was the late twin must not be taken for the answer to a later command.
        await sub.ssubscribe(['next']);
        await sleep(10);
        expect(reported).toEqual([]);
        expect(closed).toEqual([]);
        expect(sub.subscriptions('shard')).toEqual(['next']);
        expect(sub.state).toBe('ready');
      } finally {
        await fake.close();
      }
    });
  }

  it('delivers messages interleaved between the confirmations of one command, fed one byte at a time', async () => {
    const fake = await startFakeServer((socket) => {
      onCommands(socket, (commands) => {
        for (const [name, ...names] of commands) {
          if (name !== 'SUBSCRIBE') continue;
          const stream = push('subscribe', names[0], 1) + push('message', names[0], 'between') + push('pmessage', 'x*', 'xy', 'stray') + push('subscribe', names[1], 2);
          const bytes = Buffer.from(stream);
          // One byte per write, with no delay, so the client sees arbitrary splits.
          socket.cork();
          for (let i = 0; i < bytes.length; i++) socket.write(bytes.subarray(i, i + 1));
          socket.uncork();
        }
      });
    });
    try {
      const sub = subscriberTo(fake.port);
      const messages: unknown[] = [];
      sub.on('message', (...args) => messages.push(args));
      sub.on('pmessage', (...args) => messages.push(args));
      await sub.subscribe(['one', 'two']);
      expect(messages).toEqual([
        ['one', 'between'],
        ['x*', 'xy', 'stray'],
      ]);
      expect(sub.subscriptions('channel').sort()).toEqual(['one', 'two']);
    } finally {
      await fake.close();
    }
  });

  it('rejects a command answered with an error (MOVED) and keeps the next one in step', async () => {
    const fake = await startFakeServer((socket) => {
      onCommands(socket, (commands) => {
        for (const [name, ...names] of commands) {
          if (name === 'SSUBSCRIBE' && names[0] === 'elsewhere') socket.write('-MOVED 1234 127.0.0.1:7001\r\n');
          else if (name === 'SSUBSCRIBE') socket.write(names.map((channel, i) => push('ssubscribe', channel, i + 1)).join(''));
        }
      });
    });
    try {
      const sub = subscriberTo(fake.port);
      const [moved, fine] = await Promise.allSettled([sub.ssubscribe(['elsewhere']), sub.ssubscribe(['here', 'too'])]);
      expect(moved.status).toBe('rejected');
      expect((moved as PromiseRejectedResult).reason).toMatchObject({ prefix: 'MOVED', command: 'SSUBSCRIBE' });
      expect(fine.status).toBe('fulfilled');
      expect(sub.subscriptions('shard').sort()).toEqual(['here', 'too']);
    } finally {
      await fake.close();
    }
  });

  it('times out a confirmation that never comes, and drops it when it comes late', async () => {
    let late: (() => void) | undefined;
    const fake = await startFakeServer((socket) => {
      onCommands(socket, (commands) => {
        for (const [name, ...names] of commands) {
          if (name === 'SUBSCRIBE' && names[0] === 'slow') late = () => socket.write(push('subscribe', 'slow', 1) + push('subscribe', 'slow2', 2));
          else if (name === 'SUBSCRIBE') socket.write(names.map((channel, i) => push('subscribe', channel, i + 3)).join(''));
        }
      });
    });
    try {
      const sub = subscriberTo(fake.port, { commandTimeout: 100 });
      await expect(sub.subscribe(['slow', 'slow2'])).rejects.toMatchObject({ name: 'TimeoutError' });
      const next = sub.subscribe(['next']);
      late?.();
      await next;
      // The server did subscribe the late ones; what the subscriber lists is what the server said.
      expect(sub.subscriptions('channel').sort()).toEqual(['next', 'slow', 'slow2']);
      expect(sub.state).toBe('ready');
    } finally {
      await fake.close();
    }
  });
});
