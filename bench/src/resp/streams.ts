/**
 * The reply streams of the RESP benchmark: each is one Buffer of many replies of one kind, cut
 * into the chunks a socket would deliver. The content is a pure function of the reply index, so
 * every run (and every machine) parses the same bytes.
 */
import { EMPTY_HASH, hashReply, type PlainReply } from './replies.js';

/** Chunks as big as one `net.Socket` read under load (it reads at most 64 KiB at a time). */
export const CHUNK_SIZE = 64 * 1024;

/** How many replies at the start of a stream the self-check compares one by one. */
export const FIRST_REPLIES = 5;

/**
 * Base stream size: large enough that one parse takes tens of ms, so timer resolution is moot.
 * Some streams are a multiple of it (`StreamKind.sizeFactor`).
 */
export const STREAM_BYTES = 12 * 1024 * 1024;
export const QUICK_STREAM_BYTES = 3 * 1024 * 1024;

export interface RespStream {
  readonly name: string;
  readonly description: string;
  readonly bytes: Buffer;
  /** Views of `bytes`, CHUNK_SIZE long but the last; every parser gets this same list. */
  readonly chunks: readonly Buffer[];
  readonly replyCount: number;
  /** The first FIRST_REPLIES replies expected. */
  readonly firstReplies: readonly PlainReply[];
  /** `hashReply` folded over every expected reply in order. */
  readonly hash: number;
}

/** One reply as RESP text (ASCII or UTF-8) and as the value a parser must turn it into. */
export interface EncodedReply {
  readonly resp: string;
  readonly value: PlainReply;
}

export interface StreamKind {
  readonly name: string;
  readonly description: string;
  /**
   * Multiple of the base stream size this stream gets: the streams parsed fastest in bytes
   * get more of them, so that one pass still takes tens of milliseconds.
   */
  readonly sizeFactor: number;
  /** The reply at position `index` of the stream. */
  reply(index: number): EncodedReply;
}

const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

export const STATUSES: StreamKind = {
  name: 'statuses',
  sizeFactor: 1,
  description: '+OK',
  reply: () => ({ resp: '+OK\r\n', value: 'OK' }),
};

export const INTEGERS: StreamKind = {
  name: 'integers',
  sizeFactor: 1,
  description: 'integers of 1 to 12 digits, one in eight negative',
  reply(index) {
    const a = scramble(index);
    const b = scramble(index ^ 0x5bd1e995);
    const digits = 1 + (a % 12);
    const magnitude = (b * 2 ** 21 + (a >>> 11)) % 10 ** digits;
    const value = magnitude !== 0 && (a >>> 24) % 8 === 0 ? -magnitude : magnitude;
    return { resp: `:${value}\r\n`, value };
  },
};

export const BULK_64: StreamKind = {
  name: 'bulk-64',
  sizeFactor: 3,
  description: '64-byte bulk strings',
  reply(index) {
    const value = `${index.toString(36)}:${FILLER}`.slice(0, 64);
    return { resp: bulk(value), value };
  },
};

export const ARRAYS_10X8: StreamKind = {
  name: 'arrays-10x8',
  sizeFactor: 1,
  description: 'arrays of ten 8-byte bulk strings',
  reply(index) {
    const items: string[] = [];
    for (let i = 0; i < 10; i++) items.push((index * 10 + i).toString(36).padStart(8, '.'));
    return { resp: `*10\r\n${items.map(bulk).join('')}`, value: items };
  },
};

const BULK_16K_FILLER = FILLER.repeat(16 * 1024 / FILLER.length);

export const BULK_16K: StreamKind = {
  name: 'bulk-16k',
  sizeFactor: 8,
  description: '16 KiB bulk strings',
  reply(index) {
    const value = text16k(index);
    return { resp: bulk(value), value };
  },
};

function text16k(index: number): string {
  const head = `${index}:`;
  return head + BULK_16K_FILLER.slice(head.length);
}

/** Every stream of the benchmark, in report order. */
export const STREAM_KINDS: readonly StreamKind[] = [STATUSES, INTEGERS, BULK_64, ARRAYS_10X8, BULK_16K];

/**
 * Generates replies of `kind` until the stream holds at least `baseBytes` times the kind's
 * size factor.
 */
export function generateStream(kind: StreamKind, baseBytes: number): RespStream {
  const targetBytes = baseBytes * kind.sizeFactor;
  const parts: string[] = [];
  const firstReplies: PlainReply[] = [];
  let size = 0;
  let hash = EMPTY_HASH;
  let count = 0;
  while (size < targetBytes) {
    const { resp, value } = kind.reply(count);
    parts.push(resp);
    size += Buffer.byteLength(resp);
    hash = hashReply(hash, value);
    if (count < FIRST_REPLIES) firstReplies.push(value);
    count++;
  }
  const bytes = Buffer.from(parts.join(''), 'utf8');
  return {
    name: kind.name,
    description: kind.description,
    bytes,
    chunks: splitChunks(bytes, CHUNK_SIZE),
    replyCount: count,
    firstReplies,
    hash,
  };
}

/** Views of consecutive `size`-byte pieces of `bytes`. */
export function splitChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

/**
 * A short stream with one of each kind of RESP2 reply a parser must agree on, including the
 * awkward ones: null bulk and array, empty ones, UTF-8, CRLF inside a payload, errors inside an
 * array (an EXEC reply), nesting, 15-digit integers, and bulks longer than a chunk. The
 * fairness check feeds it to every parser and compares.
 */
export function mixedStream(): { bytes: Buffer; replies: PlainReply[] } {
  const big = text16k(7);
  const huge = FILLER.repeat(2000); // 128000 bytes: spans three 64 KiB chunks.
  const replies: EncodedReply[] = [
    { resp: '+OK\r\n', value: 'OK' },
    { resp: '+PONG\r\n', value: 'PONG' },
    { resp: '+QUEUED\r\n', value: 'QUEUED' },
    { resp: '+h\u00e9llo w\u00f6rld\r\n', value: 'h\u00e9llo w\u00f6rld' },
    { resp: '-ERR unknown command\r\n', value: { error: 'ERR unknown command' } },
    { resp: '-MOVED 3999 127.0.0.1:6381\r\n', value: { error: 'MOVED 3999 127.0.0.1:6381' } },
    { resp: ':0\r\n', value: 0 },
    { resp: ':-42\r\n', value: -42 },
    { resp: ':1234567890\r\n', value: 1234567890 },
    // 15 digits at most: node-redis 6.3 adds each digit's char code before subtracting '0', so
    // past that its sums leave the exact range of a double (:9007199254740991 decodes as ...992).
    { resp: ':999999999999999\r\n', value: 999999999999999 },
    { resp: ':-123456789012345\r\n', value: -123456789012345 },
    { resp: '$0\r\n\r\n', value: '' },
    { resp: '$-1\r\n', value: null },
    { resp: bulk('\u20ac \u2713 \u65e5\u672c'), value: '\u20ac \u2713 \u65e5\u672c' },
    { resp: bulk('line one\r\nline two'), value: 'line one\r\nline two' },
    { resp: '*0\r\n', value: [] },
    { resp: '*-1\r\n', value: null },
    {
      resp: `*4\r\n+OK\r\n-WRONGTYPE Operation against a key\r\n:7\r\n${bulk('v')}`,
      value: ['OK', { error: 'WRONGTYPE Operation against a key' }, 7, 'v'],
    },
    {
      resp: `*3\r\n*2\r\n:1\r\n${bulk('a')}*0\r\n*1\r\n*1\r\n$-1\r\n`,
      value: [[1, 'a'], [], [[null]]],
    },
    ARRAYS_10X8.reply(3),
    { resp: bulk(big), value: big },
    { resp: bulk(huge), value: huge },
    { resp: '+OK\r\n', value: 'OK' },
  ];
  return {
    bytes: Buffer.from(replies.map((reply) => reply.resp).join(''), 'utf8'),
    replies: replies.map((reply) => reply.value),
  };
}

function bulk(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

/** A well-mixed 32-bit hash of an index (murmur3's finaliser), for varied but fixed content. */
function scramble(index: number): number {
  let h = index >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
