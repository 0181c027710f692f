/**
 * Helpers shared by the RESP unit tests only: a test-side reply writer and request reader (so
 * that the code under test never checks itself), stream chunkers, and a feed loop that
 * separates protocol errors from everything else. Not part of the package's build.
 */
import { ProtocolError, ReplyError } from '../errors.js';
import { RespParser, type RespParserOptions, type RespReply } from '../parser.js';

/** A RESP fixture written as text (UTF-8), with `\r\n` spelled out in the literal. */
export function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export type ParserOptions = Omit<RespParserOptions, 'onReply'>;

export interface FeedOutcome {
  parser: RespParser;
  replies: RespReply[];
  /** The ProtocolError that stopped the feeds, if one did. */
  error: ProtocolError | undefined;
}

/**
 * Feeds the chunks in order to a new parser and stops at the first ProtocolError, which it
 * returns. Any other exception propagates, so a test fails on it.
 */
export function feedChunks(chunks: readonly Buffer[], options: ParserOptions = {}): FeedOutcome {
  const replies: RespReply[] = [];
  const parser = new RespParser({ ...options, onReply: (reply) => replies.push(reply) });
  for (const chunk of chunks) {
    try {
      parser.feed(chunk);
    } catch (error) {
      if (error instanceof ProtocolError) return { parser, replies, error };
      throw error;
    }
  }
  return { parser, replies, error: undefined };
}

/** The stream cut at the given positions, each chunk copied into a Buffer of its own. */
export function cutAt(stream: Buffer, positions: readonly number[]): Buffer[] {
  const cuts = [...positions].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(Buffer.from(stream.subarray(start, cut)));
    start = cut;
  }
  chunks.push(Buffer.from(stream.subarray(start)));
  return chunks;
}

/** The stream cut in two at every inner position, then one byte per chunk. */
export function everySplit(stream: Buffer): { name: string; chunks: Buffer[] }[] {
  const splits: { name: string; chunks: Buffer[] }[] = [];
  for (let cut = 1; cut < stream.length; cut++) splits.push({ name: `cut at ${cut}`, chunks: cutAt(stream, [cut]) });
  splits.push({
    name: 'one byte at a time',
    chunks: Array.from({ length: stream.length }, (_, i) => cutAt(stream, [i, i + 1])[1]),
  });
  return splits;
}

/** A reply in a form `toEqual` compares fully: ReplyError values become `{ error: message }`. */
export function plain(reply: RespReply): unknown {
  if (reply instanceof ReplyError) return { error: reply.message };
  if (Array.isArray(reply)) return reply.map(plain);
  return reply;
}

/** What a server can send, with the RESP2 type kept (a parsed reply loses it). */
export type ReplyModel =
  | { type: 'simple'; value: string }
  | { type: 'error'; message: string }
  | { type: 'integer'; value: number }
  | { type: 'bulk'; value: Buffer }
  | { type: 'nullBulk' }
  | { type: 'nullArray' }
  | { type: 'array'; items: ReplyModel[] };

/** RESP2 bytes of a reply, written independently of the package's encoder. */
export function writeReply(model: ReplyModel): Buffer {
  switch (model.type) {
    case 'simple':
      return bytes(`+${model.value}\r\n`);
    case 'error':
      return bytes(`-${model.message}\r\n`);
    case 'integer':
      return bytes(`:${model.value}\r\n`);
    case 'bulk':
      return Buffer.concat([bytes(`$${model.value.length}\r\n`), model.value, bytes('\r\n')]);
    case 'nullBulk':
      return bytes('$-1\r\n');
    case 'nullArray':
      return bytes('*-1\r\n');
    case 'array':
      return Buffer.concat([bytes(`*${model.items.length}\r\n`), ...model.items.map(writeReply)]);
  }
}

/** The reply the parser should produce for a model, in the `plain` form. */
export function expectedReply(model: ReplyModel, returnBuffers: boolean): unknown {
  switch (model.type) {
    case 'simple':
      return model.value;
    case 'error':
      return { error: model.message };
    case 'integer':
      return model.value;
    case 'bulk':
      return returnBuffers ? Buffer.from(model.value) : model.value.toString('utf8');
    case 'nullBulk':
    case 'nullArray':
      return null;
    case 'array':
      return model.items.map((item) => expectedReply(item, returnBuffers));
  }
}

/**
 * Reads client requests (RESP2 arrays of bulk strings) back into their arguments, strictly:
 * anything else, or bytes left over, throws.
 */
export function readRequests(stream: Buffer): Buffer[][] {
  const commands: Buffer[][] = [];
  let pos = 0;
  const line = (type: string): number => {
    if (stream.toString('latin1', pos, pos + 1) !== type) throw new Error(`expected '${type}' at ${pos}`);
    const cr = stream.indexOf('\r\n', pos, 'latin1');
    if (cr < 0) throw new Error(`no CRLF after ${pos}`);
    const text = stream.toString('latin1', pos + 1, cr);
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`bad length '${text}' at ${pos}`);
    pos = cr + 2;
    return Number(text);
  };
  while (pos < stream.length) {
    const count = line('*');
    const args: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const length = line('$');
      if (stream.toString('latin1', pos + length, pos + length + 2) !== '\r\n') {
        throw new Error(`no CRLF after the payload at ${pos}`);
      }
      args.push(Buffer.from(stream.subarray(pos, pos + length)));
      pos += length + 2;
    }
    commands.push(args);
  }
  return commands;
}
