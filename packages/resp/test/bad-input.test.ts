import { afterEach, describe, expect, it, vi } from 'vitest';
import * as net from 'node:net';
import { Connection, ConnectionError, ProtocolError, RespParser, type ConnectionOptions, type RespReply } from '@hashslot/resp';
import { afterCommands, dripBytes, startFakeServer, type FakeServer } from './fake-server.js';

// The fault suite's "bad input" part for one connection: a scripted server answers the first
// commands of a pipeline properly, then sends bytes that are not RESP. Whatever the violation,
// the replies that came before it are delivered, exactly the commands still waiting fail with
// the ProtocolError as their cause, and the connection is closed; never a hang, never an
// unhandled rejection. Each violation is delivered whole and one byte per read.

const CR = 0x0d;
const LF = 0x0a;
const code = (char: string): number => char.charCodeAt(0);

/** Answers the first two commands of every scenario: SET gets OK, INCR gets 42. */
const VALID_PREFIX = '+OK\r\n:42\r\n';
/** A well-formed reply after the violation: it must never reach a command. */
const AFTER = '+late\r\n';

interface Malformed {
  name: string;
  /** What follows the valid prefix. */
  bytes: string;
  /** The start of the ProtocolError's message. */
  message: string;
  /** Offset of the violation in the stream, the prefix included. */
  offset: number;
  /** The offending byte; none for a length or a limit. */
  byte: number | undefined;
  parserLimits?: ConnectionOptions['parserLimits'];
}

const MALFORMED: Malformed[] = [
  { name: 'garbage after a valid prefix', bytes: '?garbage\r\n', message: 'unknown RESP type byte', offset: 10, byte: code('?') },
  { name: 'garbage inside an array reply', bytes: '*2\r\n:1\r\n!\r\n', message: 'unknown RESP type byte', offset: 18, byte: code('!') },
  {
    name: 'arrays nested one past the default depth limit (1024)',
    bytes: `${'*1\r\n'.repeat(1025)}:1\r\n`,
    message: 'arrays nested deeper than the limit of 1024',
    offset: 10 + 1024 * 4,
    byte: undefined,
  },
  {
    name: 'arrays nested one past a configured maxDepth of 3',
    bytes: `${'*1\r\n'.repeat(4)}:1\r\n`,
    message: 'arrays nested deeper than the limit of 3',
    offset: 22,
    byte: undefined,
    parserLimits: { maxDepth: 3 },
  },
  {
    name: 'a bulk length one past the default limit (512 MiB)',
    bytes: `$${512 * 1024 * 1024 + 1}\r\n`,
    message: 'bulk string length over the limit of 536870912',
    offset: 10,
    byte: undefined,
  },
  {
    name: 'a bulk length one past a configured maxBulkLength of 8',
    bytes: '$9\r\n123456789\r\n',
    message: 'bulk string length over the limit of 8',
    offset: 10,
    byte: undefined,
    parserLimits: { maxBulkLength: 8 },
  },
  {
    name: 'an array length one past a configured maxArrayLength of 2',
    bytes: '*3\r\n:1\r\n:2\r\n:3\r\n',
    message: 'array length over the limit of 2',
    offset: 10,
    byte: undefined,
    parserLimits: { maxArrayLength: 2 },
  },
  { name: 'a negative bulk length other than -1 ($-2)', bytes: '$-2\r\n', message: 'negative bulk string length', offset: 12, byte: code('2') },
  { name: 'a negative bulk length other than -1 ($-10)', bytes: '$-10\r\n', message: 'negative bulk string length', offset: 13, byte: code('0') },
  { name: 'a bulk length of minus zero ($-0)', bytes: '$-0\r\n', message: 'negative bulk string length', offset: 12, byte: code('0') },
  { name: 'a negative array length other than -1 (*-5)', bytes: '*-5\r\n', message: 'negative array length', offset: 12, byte: code('5') },
  { name: 'a CR inside a simple string', bytes: '+OK\rNOT\r\n', message: 'CR inside a simple string', offset: 13, byte: CR },
  { name: 'an LF inside a simple string', bytes: '+O\nK\r\n', message: 'LF inside a simple string', offset: 12, byte: LF },
  { name: 'bytes after a bulk payload that are not CRLF', bytes: '$3\r\nabcXY\r\n', message: 'expected CR after bulk string', offset: 17, byte: code('X') },
  { name: 'a CR after a bulk payload not followed by LF', bytes: '$3\r\nabc\rX\r\n', message: 'expected LF after bulk string', offset: 18, byte: code('X') },
  { name: 'a bulk payload longer than its declared length', bytes: '$3\r\nabcd\r\n', message: 'expected CR after bulk string', offset: 17, byte: code('d') },
];

const servers: FakeServer[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const connection of connections.splice(0)) connection.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fakeServer(script: (socket: net.Socket, connection: number) => void): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

function connect(port: number, options?: Partial<ConnectionOptions>): Connection {
  const connection = new Connection({ host: '127.0.0.1', port, ...options });
  connections.push(connection);
  return connection;
}

/** How each promise ended, without leaving any rejection unhandled. */
function outcomes<T>(promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(promises);
}

function rejection(outcome: PromiseSettledResult<unknown> | undefined): unknown {
  expect(outcome?.status).toBe('rejected');
  return (outcome as PromiseRejectedResult).reason;
}

/** Collects unhandled rejections and uncaught exceptions while a test runs. */
function watchUnhandled(): { errors: unknown[]; stop(): Promise<void> } {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => void errors.push(error);
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    async stop() {
      // Node reports an unhandled rejection after the microtasks of the tick that made it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}

/**
 * Records the size of every chunk the parsers of this process are fed, and lets a fake server
 * wait until the client has read what it wrote: with it, one byte per write is one byte per read,
 * whatever the machine's load.
 */
function watchFeeds(): { sizes: number[]; next(): Promise<void> } {
  const feed = RespParser.prototype.feed;
  const sizes: number[] = [];
  let waiting: (() => void) | undefined;
  vi.spyOn(RespParser.prototype, 'feed').mockImplementation(function (this: RespParser, chunk: Buffer) {
    sizes.push(chunk.length);
    try {
      feed.call(this, chunk);
    } finally {
      const wake = waiting;
      waiting = undefined;
      wake?.();
    }
  });
  return {
    sizes,
    next: () => new Promise<void>((resolve) => (waiting = resolve)),
  };
}

/** A promise of the socket's close, for a server script to report that the client hung up. */
function closeOf(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('Connection on a malformed reply stream', () => {
  for (const malformed of MALFORMED) {
    for (const delivery of ['in one write', 'one byte per read'] as const) {
      it(`${malformed.name}, ${delivery}: answers what came before, rejects exactly the commands still waiting, closes`, async () => {
        const unhandled = watchUnhandled();
        const stream = Buffer.from(VALID_PREFIX + malformed.bytes + AFTER, 'latin1');
        const feeds = delivery === 'one byte per read' ? watchFeeds() : undefined;
        let serverSideClosed: Promise<void> | undefined;
        // The replies are written only once the four commands arrived: all four are in flight.
        const fake = await fakeServer((socket) => {
          serverSideClosed = closeOf(socket);
          afterCommands(socket, 4, () => {
            if (feeds === undefined) socket.write(stream);
            else void dripBytes(socket, stream, feeds.next);
          });
        });
        const conn = connect(fake.port, malformed.parserLimits === undefined ? {} : { parserLimits: malformed.parserLimits });
        await conn.connect();
        const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));

        const results = await outcomes<RespReply>([
          conn.send(['SET', 'a', '1']),
          conn.send(['INCR', 'b']),
          conn.send(['GET', 'c']),
          conn.send(['GET', 'd']),
        ]);

        expect(results[0]).toEqual({ status: 'fulfilled', value: 'OK' });
        expect(results[1]).toEqual({ status: 'fulfilled', value: 42 });
        const reason = await closed;
        expect(reason).toBeInstanceOf(ProtocolError);
        const protocolError = reason as ProtocolError;
        const expectedStart = `${malformed.message} at offset ${malformed.offset}`;
        expect(protocolError.message.slice(0, expectedStart.length)).toBe(expectedStart);
        expect({ offset: protocolError.offset, byte: protocolError.byte }).toEqual({ offset: malformed.offset, byte: malformed.byte });
        for (const outcome of results.slice(2)) {
          const error = rejection(outcome) as ConnectionError;
          // The commands were written and may have run: a ConnectionError says so; what went
          // wrong is its cause, the one ProtocolError that closed the connection.
          expect(error).toBeInstanceOf(ConnectionError);
          expect(error).toMatchObject({ written: true, command: 'GET', address: `127.0.0.1:${fake.port}` });
          expect(error.cause).toBe(protocolError);
          expect(error.message).toContain(protocolError.message);
          expect(error.message).toContain('may have run');
        }

        expect(conn.state).toBe('closed');
        expect(conn.inFlightCount).toBe(0);
        // The client hung up: the server sees its socket close.
        expect(serverSideClosed).toBeDefined();
        await serverSideClosed;
        // Nothing is sent on a closed connection: a later command fails at once, unsent.
        const sentBefore = Buffer.concat(fake.received[0]).length;
        const late = await conn.send(['PING']).catch((error: unknown) => error);
        expect(late).toBeInstanceOf(ConnectionError);
        expect(late).toMatchObject({ written: false, command: 'PING' });
        expect(Buffer.concat(fake.received[0]).length).toBe(sentBefore);
        expect(fake.received).toHaveLength(1);

        if (feeds !== undefined) {
          // Every byte up to the violation arrived, and was parsed, on its own.
          expect(feeds.sizes.length).toBeGreaterThan(malformed.offset);
          expect(feeds.sizes.every((size) => size === 1)).toBe(true);
        }
        await unhandled.stop();
        expect(unhandled.errors).toEqual([]);
      });
    }
  }

  it('fails only the connection that read the bad bytes: another one to the same server keeps serving', async () => {
    const unhandled = watchUnhandled();
    let garbageSent!: () => void;
    const afterGarbage = new Promise<void>((resolve) => (garbageSent = resolve));
    const fake = await fakeServer((socket, index) => {
      if (index === 0) {
        afterCommands(socket, 3, () => {
          socket.write(`+OK\r\n$3\r\nabcXY\r\n`);
          garbageSent();
        });
      } else {
        // The bystander's replies come after the other connection got its garbage.
        afterCommands(socket, 3, () => void afterGarbage.then(() => socket.write('+OK\r\n$5\r\nhello\r\n:7\r\n')));
      }
    });
    const broken = connect(fake.port);
    await broken.connect();
    const bystander = connect(fake.port);
    await bystander.connect();

    const [brokenResults, bystanderResults] = await Promise.all([
      outcomes<RespReply>([broken.send(['SET', 'a', '1']), broken.send(['GET', 'a']), broken.send(['GET', 'b'])]),
      outcomes<RespReply>([bystander.send(['SET', 'a', '1']), bystander.send(['GET', 'a']), bystander.send(['INCR', 'n'])]),
    ]);

    expect(brokenResults[0]).toEqual({ status: 'fulfilled', value: 'OK' });
    for (const outcome of brokenResults.slice(1)) {
      const error = rejection(outcome) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.cause).toBeInstanceOf(ProtocolError);
      expect((error.cause as ProtocolError).message).toContain('expected CR after bulk string');
    }
    expect(broken.state).toBe('closed');
    expect(bystanderResults.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason))).toEqual(['OK', 'hello', 7]);
    expect(bystander.state).toBe('ready');
    await unhandled.stop();
    expect(unhandled.errors).toEqual([]);
  });
});

/** A bulk string reply, its length counted in UTF-8 bytes. */
function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

describe('Connection on a valid reply stream split at every byte', () => {
  // Every reply type, and the places a split hurts most: inside a CRLF, inside a multi-byte
  // UTF-8 character, a bulk payload holding CRLF, an empty bulk, nulls, nested and empty arrays.
  const exchanges: { command: string[]; reply: string; expected: RespReply | Error }[] = [
    { command: ['SET', 'k', 'v'], reply: '+OK\r\n', expected: 'OK' },
    { command: ['PING'], reply: '+PONG\r\n', expected: 'PONG' },
    { command: ['INCR', 'n'], reply: ':1234567890123\r\n', expected: 1234567890123 },
    { command: ['DECR', 'n'], reply: ':-7\r\n', expected: -7 },
    { command: ['GET', 'text'], reply: bulk('héllo wörld'), expected: 'héllo wörld' },
    { command: ['GET', 'check'], reply: bulk('✓'), expected: '✓' },
    { command: ['GET', 'crlf'], reply: bulk('a\r\nb\r\n'), expected: 'a\r\nb\r\n' },
    { command: ['GET', 'empty'], reply: bulk(''), expected: '' },
    { command: ['GET', 'missing'], reply: '$-1\r\n', expected: null },
    { command: ['BLPOP', 'l', '1'], reply: '*-1\r\n', expected: null },
    { command: ['LRANGE', 'none', '0', '-1'], reply: '*0\r\n', expected: [] },
    {
      command: ['XRANGE', 's', '-', '+'],
      reply: '*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n2-0\r\n*0\r\n',
      expected: [['1-0', ['f', 'v']], ['2-0', []]],
    },
    { command: ['HGET', 'k', 'f'], reply: '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', expected: new Error('WRONGTYPE') },
    { command: ['ECHO', 'last'], reply: '$4\r\nlast\r\n', expected: 'last' },
  ];

  it('gives every command exactly its reply when each byte of the stream is read on its own', async () => {
    const stream = Buffer.from(exchanges.map((exchange) => exchange.reply).join(''));
    const unhandled = watchUnhandled();
    const feeds = watchFeeds();
    let dripped: Promise<number> | undefined;
    const fake = await fakeServer((socket) => afterCommands(socket, exchanges.length, () => (dripped = dripBytes(socket, stream, feeds.next))));
    const conn = connect(fake.port);
    await conn.connect();

    const results = await outcomes<RespReply>(exchanges.map((exchange) => conn.send(exchange.command)));

    results.forEach((outcome, i) => {
      const expected = exchanges[i].expected;
      if (expected instanceof Error) {
        expect(rejection(outcome)).toMatchObject({ prefix: expected.message, command: 'HGET' });
      } else {
        expect(outcome, exchanges[i].command.join(' ')).toEqual({ status: 'fulfilled', value: expected });
      }
    });
    expect(await dripped).toBe(stream.length);
    expect(feeds.sizes).toHaveLength(stream.length);
    expect(feeds.sizes.every((size) => size === 1)).toBe(true);
    expect(conn.state).toBe('ready');
    expect(conn.inFlightCount).toBe(0);
    await unhandled.stop();
    expect(unhandled.errors).toEqual([]);
  });
});
