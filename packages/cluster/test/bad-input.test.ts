import { afterEach, describe, expect, it } from 'vitest';
import type * as net from 'node:net';
import { keySlot } from '@hashslot/slots';
import { ConnectionError, ProtocolError, type ClusterOptions, type RedisCluster } from '@hashslot/cluster';
import { encodeReply, onCommands, startFakeServer, type FakeServer, type ReplyValue } from '../../resp/test/fake-server.js';
import { keyInSlot, newClient, watchUnhandled } from './helpers.js';

// The fault suite's "bad input" promise for the whole client: when a node sends bytes that are
// not RESP, that node's connection is replaced, exactly the commands waiting on it fail (with
// the ProtocolError as their cause, and are not sent again: the node would likely answer the
// same), and the client goes on serving every other command. A real server never sends such
// bytes, so the cluster here is two scripted nodes that answer discovery and a tiny GET/SET.


interface FakeNode {
  readonly server: FakeServer;
  readonly id: string;
  readonly slots: readonly [number, number];
  /** Every command received, with the index of the connection it came on. */
  readonly log: { connection: number; args: string[] }[];
}

interface FakeCluster {
  readonly nodes: readonly [FakeNode, FakeNode];
  readonly startupNodes: { host: string; port: number }[];
  close(): Promise<void>;
}

/**
 * Two nodes sharing the 16384 slots, each master of half. They answer CLUSTER SHARDS (the
 * client's discovery) as Redis 7 does in RESP2, PING, SET and GET from one store per node, and
 * GET of a key in `garbage` with those raw bytes instead of a reply.
 */
async function startFakeCluster(garbage: ReadonlyMap<string, string>): Promise<FakeCluster> {
  const halves: [number, number][] = [
    [0, 8191],
    [8192, 16383],
  ];
  const nodes: FakeNode[] = [];
  let shards: ReplyValue = [];
  for (let n = 0; n < 2; n++) {
    const store = new Map<string, string>();
    const log: FakeNode['log'] = [];
    const reply = (args: string[]): string => {
      const name = args.map((arg) => arg.toUpperCase()).slice(0, 2);
      if (name[0] === 'CLUSTER' && name[1] === 'SHARDS') return encodeReply(shards);
      if (name[0] === 'PING') return '+PONG\r\n';
      if (name[0] === 'SET' && args.length === 3) {
        store.set(args[1], args[2]);
        return '+OK\r\n';
      }
      if (name[0] === 'GET' && args.length === 2) return garbage.get(args[1]) ?? encodeReply(store.get(args[1]) ?? null);
      return `-ERR unknown command '${args[0]}'\r\n`;
    };
    const server = await startFakeServer((socket: net.Socket, connection: number) =>
      onCommands(socket, (commands) => {
        for (const args of commands) log.push({ connection, args });
        socket.write(commands.map(reply).join(''));
      }),
    );
    nodes.push({ server, id: String(n + 1).repeat(40), slots: halves[n], log });
  }
  shards = nodes.map((node) => [
    'slots',
    [node.slots[0], node.slots[1]],
    'nodes',
    [
      [
        'id', node.id,
        'port', node.server.port,
        'ip', '127.0.0.1',
        'endpoint', '127.0.0.1',
        'role', 'master',
        'replication-offset', 0,
        'health', 'online',
      ],
    ],
  ]);
  return {
    nodes: nodes as [FakeNode, FakeNode],
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.server.port })),
    close: async () => {
      await Promise.all(nodes.map((node) => node.server.close()));
    },
  };
}

const fakes: FakeCluster[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakeCluster(garbage: ReadonlyMap<string, string>): Promise<FakeCluster> {
  const fake = await startFakeCluster(garbage);
  fakes.push(fake);
  return fake;
}

// Keys on the first node (slots 0..8191) and on the second (8192..16383).
const onFirst = (n: number): string => keyInSlot(100 + n, keySlot, 'first');
const onSecond = (n: number): string => keyInSlot(9000 + n, keySlot, 'second');
const BAD = onFirst(0);

interface Malformed {
  name: string;
  /** What the node answers `GET BAD` with. */
  bytes: string;
  /** In the ProtocolError's message. */
  message: string;
  parserLimits?: ClusterOptions['parserLimits'];
}

const MALFORMED: Malformed[] = [
  { name: 'garbage instead of a reply', bytes: '?garbage\r\n', message: 'unknown RESP type byte' },
  { name: 'bytes after a bulk payload that are not CRLF', bytes: '$3\r\nabcXY\r\n', message: 'expected CR after bulk string' },
  { name: 'a negative bulk length other than -1', bytes: '$-5\r\n', message: 'negative bulk string length' },
  { name: 'an LF inside a simple string', bytes: '+O\nK\r\n', message: 'LF inside a simple string' },
  {
    // CLUSTER SHARDS itself nests 4 deep: the limit leaves it room and no more.
    name: 'arrays nested past the parserLimits.maxDepth option',
    bytes: `${'*1\r\n'.repeat(5)}:1\r\n`,
    message: 'arrays nested deeper than the limit of 4',
    parserLimits: { maxDepth: 4 },
  },
  {
    name: 'a bulk length past the parserLimits.maxBulkLength option',
    bytes: `$1025\r\n${'x'.repeat(1025)}\r\n`,
    message: 'bulk string length over the limit of 1024',
    parserLimits: { maxBulkLength: 1024 },
  },
];

/** The error a command got when its connection closed on a protocol error. */
function expectProtocolFailure(outcome: PromiseSettledResult<unknown> | undefined, command: string, message: string): void {
  expect(outcome?.status).toBe('rejected');
  const error = (outcome as PromiseRejectedResult).reason as ConnectionError;
  expect(error).toBeInstanceOf(ConnectionError);
  expect(error).toMatchObject({ command, written: true });
  expect(error.cause).toBeInstanceOf(ProtocolError);
  expect((error.cause as ProtocolError).message).toContain(message);
  expect(error.message).toContain(message);
}

/** How many times a node received `args`, on any connection. */
function received(node: FakeNode, ...args: string[]): number {
  return node.log.filter((entry) => entry.args.length === args.length && entry.args.every((arg, i) => arg === args[i])).length;
}

async function discoveredClient(fake: FakeCluster, parserLimits?: ClusterOptions['parserLimits']): Promise<RedisCluster> {
  const client = newClient({ startupNodes: fake.startupNodes, ...(parserLimits === undefined ? {} : { parserLimits }) });
  await client.connect();
  // Discovery asked the first startup node, over the connection later commands share.
  expect(fake.nodes[0].server.received).toHaveLength(1);
  expect(client.masterOf(keySlot(BAD))?.address).toBe(`127.0.0.1:${fake.nodes[0].server.port}`);
  expect(client.masterOf(keySlot(onSecond(0)))?.address).toBe(`127.0.0.1:${fake.nodes[1].server.port}`);
  return client;
}

describe('RedisCluster when a node sends bytes that are not RESP', () => {
  for (const malformed of MALFORMED) {
    it(`${malformed.name}: fails exactly the commands waiting on that connection, replaces it, and keeps serving`, async () => {
      const unhandled = watchUnhandled();
      try {
        const fake = await fakeCluster(new Map([[BAD, malformed.bytes]]));
        const [first, second] = fake.nodes;
        const client = await discoveredClient(fake, malformed.parserLimits);

        // One tick, so one write per node: on the first node the bad reply comes third, with
        // a read-only and a write command behind it; the second node is busy at the same time.
        const results = await Promise.allSettled([
          client.set(onFirst(1), 'one'),
          client.get(onFirst(1)),
          client.get(BAD),
          client.get(onFirst(2)),
          client.set(onFirst(3), 'three'),
          client.set(onSecond(1), 'uno'),
          client.get(onSecond(1)),
        ]);

        expect(results[0]).toEqual({ status: 'fulfilled', value: 'OK' });
        expect(results[1]).toEqual({ status: 'fulfilled', value: 'one' });
        expectProtocolFailure(results[2], 'GET', malformed.message);
        expectProtocolFailure(results[3], 'GET', malformed.message);
        expectProtocolFailure(results[4], 'SET', malformed.message);
        expect(results[5]).toEqual({ status: 'fulfilled', value: 'OK' });
        expect(results[6]).toEqual({ status: 'fulfilled', value: 'uno' });
        // Failed, not sent again: neither the read that got garbage nor the commands behind it.
        expect(received(first, 'GET', BAD)).toBe(1);
        expect(received(first, 'GET', onFirst(2))).toBe(1);
        expect(received(first, 'SET', onFirst(3), 'three')).toBe(1);

        // The client goes on: the next command for the first node runs on a new connection.
        expect(await client.get(onFirst(1))).toBe('one');
        expect(await client.set(onFirst(2), 'two')).toBe('OK');
        expect(first.server.received).toHaveLength(2);
        expect(first.log.filter((entry) => entry.connection === 1).map((entry) => entry.args)).toEqual([
          ['GET', onFirst(1)],
          ['SET', onFirst(2), 'two'],
        ]);
        // The other node's connection never noticed.
        expect(await client.get(onSecond(1))).toBe('uno');
        expect(second.server.received).toHaveLength(1);
        expect(client.status).toBe('ready');
        expect(client.connectionCount).toBe(2);
      } finally {
        unhandled.stop();
      }
      expect(unhandled.errors).toEqual([]);
    });
  }

  it('in a batch: the positions waiting on the broken connection hold the failure, the others their replies', async () => {
    const unhandled = watchUnhandled();
    try {
      const fake = await fakeCluster(new Map([[BAD, '$3\r\nabc\rX']]));
      const [first, second] = fake.nodes;
      const client = await discoveredClient(fake);

      const replies = await client.sendBatch([
        ['SET', onFirst(1), 'one'],
        ['SET', onSecond(1), 'uno'],
        ['GET', BAD],
        ['GET', onSecond(1)],
        ['GET', onFirst(1)],
      ]);

      expect(replies[0]).toBe('OK');
      expect(replies[1]).toBe('OK');
      expect(replies[3]).toBe('uno');
      for (const position of [2, 4]) {
        expectProtocolFailure({ status: 'rejected', reason: replies[position] }, 'GET', 'expected LF after bulk string');
      }
      expect(received(first, 'GET', BAD)).toBe(1);
      expect(received(first, 'GET', onFirst(1))).toBe(1);

      expect(await client.sendBatch([['GET', onFirst(1)], ['GET', onSecond(1)]])).toEqual(['one', 'uno']);
      expect(first.server.received).toHaveLength(2);
      expect(second.server.received).toHaveLength(1);
    } finally {
      unhandled.stop();
    }
    expect(unhandled.errors).toEqual([]);
  });
});
