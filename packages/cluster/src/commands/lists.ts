import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { finite, int, nonEmpty, oneOf, pushCounted } from './arguments.js';
import type { Definitions } from './definition.js';
import type { BulkString, ListSide, Ok, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=list */

/** Options of LPOS. */
export interface LposOptions {
  /** RANK: the nth match (negative counts from the tail); not 0. */
  rank?: number;
  /** MAXLEN: compare at most this many elements (0 = all). */
  maxLen?: number;
}

/** Options of LMPOP and BLMPOP. */
export interface LmpopOptions {
  /** COUNT: pop up to this many elements (>= 1). */
  count?: number;
}

/** The element BLPOP/BRPOP popped and the key it came from. */
export interface KeyElement<D extends boolean> {
  key: BulkString<D>;
  element: BulkString<D>;
}

/** The elements LMPOP/BLMPOP popped and the key they came from. */
export interface KeyElements<D extends boolean> {
  key: BulkString<D>;
  elements: BulkString<D>[];
}

export interface ListCommands<D extends boolean> {
  /** LPUSH: the new length. */
  lpush(key: RedisKey, ...elements: RedisValue[]): number;
  /** RPUSH: the new length. */
  rpush(key: RedisKey, ...elements: RedisValue[]): number;
  /** LPUSHX: the new length, 0 without key. */
  lpushx(key: RedisKey, ...elements: RedisValue[]): number;
  /** RPUSHX: the new length, 0 without key. */
  rpushx(key: RedisKey, ...elements: RedisValue[]): number;
  /** LPOP: the first element, or null without key. */
  lpop(key: RedisKey): BulkString<D> | null;
  /** LPOP key count: up to `count` elements, or null without key. */
  lpopCount(key: RedisKey, count: number): BulkString<D>[] | null;
  /** RPOP: the last element, or null without key. */
  rpop(key: RedisKey): BulkString<D> | null;
  /** RPOP key count: up to `count` elements, or null without key. */
  rpopCount(key: RedisKey, count: number): BulkString<D>[] | null;
  /** LLEN. */
  llen(key: RedisKey): number;
  /** LRANGE: `stop` is inclusive; negative indexes count from the tail. */
  lrange(key: RedisKey, start: number, stop: number): BulkString<D>[];
  /** LINDEX. */
  lindex(key: RedisKey, index: number): BulkString<D> | null;
  /** LSET. */
  lset(key: RedisKey, index: number, element: RedisValue): Ok;
  /** LINSERT: the new length, -1 when the pivot is missing, 0 without key. */
  linsert(key: RedisKey, where: 'BEFORE' | 'AFTER', pivot: RedisValue, element: RedisValue): number;
  /** LREM: how many were removed. */
  lrem(key: RedisKey, count: number, element: RedisValue): number;
  /** LTRIM. */
  ltrim(key: RedisKey, start: number, stop: number): Ok;
  /** LPOS: the index of the match, or null. */
  lpos(key: RedisKey, element: RedisValue, options?: LposOptions): number | null;
  /** LPOS ... COUNT: the indexes of up to `count` matches (0 = all). */
  lposCount(key: RedisKey, element: RedisValue, count: number, options?: LposOptions): number[];
  /** LMOVE: the element moved, or null when `source` is empty. */
  lmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide): BulkString<D> | null;
  /** RPOPLPUSH. */
  rpoplpush(source: RedisKey, destination: RedisKey): BulkString<D> | null;
  /** LMPOP: pops from the first non-empty list, or null when all are empty. */
  lmpop(keys: readonly RedisKey[], from: ListSide, options?: LmpopOptions): KeyElements<D> | null;
  /** BLPOP: `timeout` in seconds (decimals allowed, 0 = forever); null on timeout. */
  blpop(keys: readonly RedisKey[], timeout: number): KeyElement<D> | null;
  /** BRPOP: `timeout` in seconds; null on timeout. */
  brpop(keys: readonly RedisKey[], timeout: number): KeyElement<D> | null;
  /** BLMOVE: `timeout` in seconds; null on timeout. */
  blmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide, timeout: number): BulkString<D> | null;
  /** BRPOPLPUSH: `timeout` in seconds; null on timeout. */
  brpoplpush(source: RedisKey, destination: RedisKey, timeout: number): BulkString<D> | null;
  /** BLMPOP: `timeout` in seconds first, as the server takes it; null on timeout. */
  blmpop(timeout: number, keys: readonly RedisKey[], from: ListSide, options?: LmpopOptions): KeyElements<D> | null;
}

const SIDES: readonly ListSide[] = ['LEFT', 'RIGHT'];

function pushLpos(args: CommandArgument[], options: LposOptions | undefined): CommandArgument[] {
  if (options?.rank !== undefined) {
    const rank = int('LPOS', 'rank', options.rank);
    if (rank === 0) throw new InvalidArgumentError('LPOS: rank must not be 0; got 0');
    args.push('RANK', rank);
  }
  if (options?.maxLen !== undefined) args.push('MAXLEN', int('LPOS', 'maxLen', options.maxLen, 0));
  return args;
}

function buildMpop(
  command: string,
  args: CommandArgument[],
  keys: readonly RedisKey[],
  from: ListSide,
  options: LmpopOptions | undefined,
): CommandArgument[] {
  pushCounted(command, args, 'key', keys);
  args.push(oneOf(command, 'from', from, SIDES));
  if (options?.count !== undefined) args.push('COUNT', int(command, 'count', options.count, 1));
  return args;
}

function toKeyElement(reply: RespReply): KeyElement<boolean> | null {
  if (reply === null) return null;
  const items = reply as (string | Buffer)[];
  return { key: items[0], element: items[1] };
}

function toKeyElements(reply: RespReply): KeyElements<boolean> | null {
  if (reply === null) return null;
  const items = reply as RespReply[];
  return { key: items[0] as string | Buffer, elements: items[1] as (string | Buffer)[] };
}

function timeout(command: string, seconds: number): number {
  return finite(command, 'timeout', seconds, 0);
}

export const listDefinitions = {
  lpush: { build: (key, ...elements) => ['LPUSH', key, ...nonEmpty('LPUSH', 'element', elements)] },
  rpush: { build: (key, ...elements) => ['RPUSH', key, ...nonEmpty('RPUSH', 'element', elements)] },
  lpushx: { build: (key, ...elements) => ['LPUSHX', key, ...nonEmpty('LPUSHX', 'element', elements)] },
  rpushx: { build: (key, ...elements) => ['RPUSHX', key, ...nonEmpty('RPUSHX', 'element', elements)] },
  lpop: { build: (key) => ['LPOP', key] },
  lpopCount: { build: (key, count) => ['LPOP', key, int('LPOP', 'count', count, 0)] },
  rpop: { build: (key) => ['RPOP', key] },
  rpopCount: { build: (key, count) => ['RPOP', key, int('RPOP', 'count', count, 0)] },
  llen: { build: (key) => ['LLEN', key] },
  lrange: { build: (key, start, stop) => ['LRANGE', key, int('LRANGE', 'start', start), int('LRANGE', 'stop', stop)] },
  lindex: { build: (key, index) => ['LINDEX', key, int('LINDEX', 'index', index)] },
  lset: { build: (key, index, element) => ['LSET', key, int('LSET', 'index', index), element] },
  linsert: {
    build: (key, where, pivot, element) => ['LINSERT', key, oneOf('LINSERT', 'where', where, ['BEFORE', 'AFTER']), pivot, element],
  },
  lrem: { build: (key, count, element) => ['LREM', key, int('LREM', 'count', count), element] },
  ltrim: { build: (key, start, stop) => ['LTRIM', key, int('LTRIM', 'start', start), int('LTRIM', 'stop', stop)] },
  lpos: { build: (key, element, options) => pushLpos(['LPOS', key, element], options) },
  lposCount: {
    build: (key, element, count, options) => {
      const args = pushLpos(['LPOS', key, element], options);
      args.push('COUNT', int('LPOS', 'count', count, 0));
      return args;
    },
  },
  lmove: {
    build: (source, destination, from, to) => [
      'LMOVE',
      source,
      destination,
      oneOf('LMOVE', 'from', from, SIDES),
      oneOf('LMOVE', 'to', to, SIDES),
    ],
  },
  rpoplpush: { build: (source, destination) => ['RPOPLPUSH', source, destination] },
  lmpop: { build: (keys, from, options) => buildMpop('LMPOP', ['LMPOP'], keys, from, options), transform: toKeyElements },
  blpop: {
    build: (keys, seconds) => ['BLPOP', ...nonEmpty('BLPOP', 'key', keys), timeout('BLPOP', seconds)],
    transform: toKeyElement,
  },
  brpop: {
    build: (keys, seconds) => ['BRPOP', ...nonEmpty('BRPOP', 'key', keys), timeout('BRPOP', seconds)],
    transform: toKeyElement,
  },
  blmove: {
    build: (source, destination, from, to, seconds) => [
      'BLMOVE',
      source,
      destination,
      oneOf('BLMOVE', 'from', from, SIDES),
      oneOf('BLMOVE', 'to', to, SIDES),
      timeout('BLMOVE', seconds),
    ],
  },
  brpoplpush: { build: (source, destination, seconds) => ['BRPOPLPUSH', source, destination, timeout('BRPOPLPUSH', seconds)] },
  blmpop: {
    build: (seconds, keys, from, options) => buildMpop('BLMPOP', ['BLMPOP', timeout('BLMPOP', seconds)], keys, from, options),
    transform: toKeyElements,
  },
} satisfies Definitions<ListCommands<boolean>>;
