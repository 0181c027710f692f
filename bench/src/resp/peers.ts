/**
 * The parsers under test behind one adapter each. Every adapter builds a fresh parser per run,
 * configured the way its client uses it for RESP2 with string replies, and passes every reply
 * (error replies included, as Error values) to one sink in stream order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RespParser } from '@hashslot/resp';
import RedisParser from 'redis-parser';
import { loadNodeRedisDecoder } from './node-redis-decoder.js';

export type Sink = (reply: unknown) => void;

export interface Contender {
  readonly name: string;
  /** The npm package and version, for the results file. */
  readonly package: string;
  /** Parses `chunks` as one stream with a fresh parser. */
  parse(chunks: readonly Buffer[], sink: Sink): void;
}

const require = createRequire(import.meta.url);

export const HASHSLOT: Contender = {
  name: 'hashslot',
  package: `@hashslot/resp@${packageVersion('@hashslot/resp')}`,
  parse(chunks, sink) {
    const parser = new RespParser({ onReply: sink });
    for (let i = 0; i < chunks.length; i++) parser.feed(chunks[i]);
    if (parser.hasPartialReply) throw new Error('the stream ended inside a reply');
  },
};

// Callbacks handed to the peers are module constants, not closures made per run: a new
// function per run is a new call target, and V8 deoptimises the caller when it changes.
function rethrow(error: Error): never {
  throw error;
}

function unexpectedPush(): never {
  throw new Error('node-redis decoded a RESP3 push in a RESP2 stream');
}

export const REDIS_PARSER: Contender = {
  name: 'redis-parser',
  package: `redis-parser@${packageVersion('redis-parser')}`,
  parse(chunks, sink) {
    const parser = new RedisParser({
      returnReply: sink,
      returnError: sink,
      returnFatalError: rethrow,
      // Strings straight from the parser, like ours. (ioredis itself asks for Buffers and
      // converts them per command afterwards, which costs it more than this.)
      returnBuffers: false,
      stringNumbers: false,
    });
    for (let i = 0; i < chunks.length; i++) parser.execute(chunks[i]);
  },
};

/**
 * node-redis decodes a RESP2 blob string by the mapping of its command; a command without one
 * (the default) maps nothing, and unmapped blob strings become UTF-8 strings
 * (`#decodeStringWithLength`: `type === Buffer ? slice : slice.toString()`). Its client looks
 * the mapping up in its queue for each reply; a constant here is, if anything, kinder to it.
 */
const DEFAULT_TYPE_MAPPING: Readonly<Record<number, unknown>> = Object.freeze({});

const defaultTypeMapping = (): Readonly<Record<number, unknown>> => DEFAULT_TYPE_MAPPING;

const NodeRedisDecoder = loadNodeRedisDecoder();

export const NODE_REDIS: Contender = {
  name: 'node-redis',
  package: `@redis/client@${packageVersion('@redis/client')}`,
  parse(chunks, sink) {
    const decoder = new NodeRedisDecoder({
      onReply: sink,
      onErrorReply: sink,
      onPush: unexpectedPush,
      getTypeMapping: defaultTypeMapping,
    });
    for (let i = 0; i < chunks.length; i++) decoder.write(chunks[i]);
  },
};

/** Ours first: the report's ratios are ours against each of the others. */
export const CONTENDERS: readonly Contender[] = [HASHSLOT, REDIS_PARSER, NODE_REDIS];

/**
 * The installed version of a package. Its manifest is found by walking up from its entry point:
 * a package with an `exports` map (ours) does not export `package.json`.
 */
function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      const field = (key: string): unknown => (typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, key) : undefined);
      const version = field('version');
      if (field('name') === name && typeof version === 'string') return version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
