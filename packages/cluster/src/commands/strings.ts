import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { atMostOne, finite, int, integer, nonEmpty, pushEntries } from './arguments.js';
import type { Definitions } from './definition.js';
import { text, toNumber } from './replies.js';
import type { BulkString, Flag, KeyValues, Ok, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=string */

/** Options of SET (and `setGet`). At most one expiry option; at most one of `nx`/`xx`. Times are integers >= 1. */
export interface SetOptions {
  /** EX: expire after this many seconds. */
  ex?: number;
  /** PX: expire after this many milliseconds. */
  px?: number;
  /** EXAT: expire at this Unix time in seconds. */
  exat?: number;
  /** PXAT: expire at this Unix time in milliseconds. */
  pxat?: number;
  /** KEEPTTL: keep the key's current time to live. */
  keepTtl?: boolean;
  /** NX: only set a key that does not exist. */
  nx?: boolean;
  /** XX: only set a key that exists. */
  xx?: boolean;
}

/** Options of GETEX: at most one. Times are integers >= 1. */
export interface GetExOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  /** PERSIST: remove the time to live. */
  persist?: boolean;
}

/** Options of LCS IDX. */
export interface LcsIdxOptions {
  /** MINMATCHLEN: leave out matches shorter than this. */
  minMatchLen?: number;
  /** WITHMATCHLEN: give each match its length. */
  withMatchLen?: boolean;
}

/** One common run of LCS IDX: inclusive `[start, end]` ranges in the first and second string. */
export interface LcsMatch {
  a: [start: number, end: number];
  b: [start: number, end: number];
  /** With `withMatchLen` only. */
  length?: number;
}

/** The reply of LCS IDX. */
export interface LcsIdxResult {
  matches: LcsMatch[];
  /** Length of the longest common subsequence. */
  length: number;
}

export interface StringCommands<D extends boolean> {
  /** GET: the value, or null when the key does not exist. */
  get(key: RedisKey): BulkString<D> | null;
  /** SET: 'OK', or null when `nx`/`xx` stopped it. For SET ... GET use `setGet`. */
  set(key: RedisKey, value: RedisValue, options?: SetOptions): Ok | null;
  /** SET ... GET: the previous value (null when there was none), whether or not `nx`/`xx` let the set happen. */
  setGet(key: RedisKey, value: RedisValue, options?: SetOptions): BulkString<D> | null;
  /** GETEX: the value, changing its time to live. */
  getex(key: RedisKey, options?: GetExOptions): BulkString<D> | null;
  /** GETDEL: the value, deleting the key. */
  getdel(key: RedisKey): BulkString<D> | null;
  /** GETSET: the previous value. */
  getset(key: RedisKey, value: RedisValue): BulkString<D> | null;
  /** MGET: one value (or null) per key, in order. */
  mget(...keys: RedisKey[]): (BulkString<D> | null)[];
  /** MSET. */
  mset(entries: KeyValues): Ok;
  /** MSETNX: 1 when every key was set, 0 when none was (one existed). */
  msetnx(entries: KeyValues): Flag;
  /** SETNX: 1 when set. */
  setnx(key: RedisKey, value: RedisValue): Flag;
  /** SETEX. */
  setex(key: RedisKey, seconds: number, value: RedisValue): Ok;
  /** PSETEX. */
  psetex(key: RedisKey, milliseconds: number, value: RedisValue): Ok;
  /** APPEND: the new length. */
  append(key: RedisKey, value: RedisValue): number;
  /** STRLEN. */
  strlen(key: RedisKey): number;
  /** INCR: the new value. */
  incr(key: RedisKey): number;
  /** INCRBY: the new value. */
  incrby(key: RedisKey, increment: number | bigint): number;
  /** INCRBYFLOAT: the new value (parsed from the server's decimal text). */
  incrbyfloat(key: RedisKey, increment: number): number;
  /** DECR: the new value. */
  decr(key: RedisKey): number;
  /** DECRBY: the new value. */
  decrby(key: RedisKey, decrement: number | bigint): number;
  /** GETRANGE: the substring (empty when the key does not exist). */
  getrange(key: RedisKey, start: number, end: number): BulkString<D>;
  /** SETRANGE: the new length. */
  setrange(key: RedisKey, offset: number, value: RedisValue): number;
  /** LCS: the longest common subsequence of two strings. */
  lcs(key1: RedisKey, key2: RedisKey): BulkString<D>;
  /** LCS ... LEN: its length. */
  lcsLen(key1: RedisKey, key2: RedisKey): number;
  /** LCS ... IDX: where it occurs in both strings. */
  lcsIdx(key1: RedisKey, key2: RedisKey, options?: LcsIdxOptions): LcsIdxResult;
}

function buildSet(command: string, key: RedisKey, value: RedisValue, options: SetOptions | undefined): CommandArgument[] {
  const args: CommandArgument[] = ['SET', key, value];
  if (options === undefined) return args;
  if ((options as { get?: unknown }).get !== undefined) {
    throw new InvalidArgumentError(`${command}: there is no option get; call setGet for SET ... GET`);
  }
  atMostOne(command, options, ['ex', 'px', 'exat', 'pxat', 'keepTtl']);
  atMostOne(command, options, ['nx', 'xx']);
  if (options.ex !== undefined) args.push('EX', int(command, 'ex', options.ex, 1));
  else if (options.px !== undefined) args.push('PX', int(command, 'px', options.px, 1));
  else if (options.exat !== undefined) args.push('EXAT', int(command, 'exat', options.exat, 1));
  else if (options.pxat !== undefined) args.push('PXAT', int(command, 'pxat', options.pxat, 1));
  else if (options.keepTtl) args.push('KEEPTTL');
  if (options.nx) args.push('NX');
  else if (options.xx) args.push('XX');
  return args;
}

function toLcsIdx(reply: RespReply): LcsIdxResult {
  const items = reply as RespReply[];
  const result: LcsIdxResult = { matches: [], length: 0 };
  for (let i = 0; i + 1 < items.length; i += 2) {
    const name = text(items[i]);
    if (name === 'len') {
      result.length = items[i + 1] as number;
    } else if (name === 'matches') {
      for (const match of items[i + 1] as number[][][]) {
        const entry: LcsMatch = { a: [match[0][0], match[0][1]], b: [match[1][0], match[1][1]] };
        if (match.length > 2) entry.length = match[2] as unknown as number;
        result.matches.push(entry);
      }
    }
  }
  return result;
}

export const stringDefinitions = {
  get: { build: (key) => ['GET', key] },
  set: { build: (key, value, options) => buildSet('SET', key, value, options) },
  setGet: {
    build: (key, value, options) => {
      const args = buildSet('SET', key, value, options);
      args.push('GET');
      return args;
    },
  },
  getex: {
    build: (key, options) => {
      const args: CommandArgument[] = ['GETEX', key];
      if (options === undefined) return args;
      atMostOne('GETEX', options, ['ex', 'px', 'exat', 'pxat', 'persist']);
      if (options.ex !== undefined) args.push('EX', int('GETEX', 'ex', options.ex, 1));
      else if (options.px !== undefined) args.push('PX', int('GETEX', 'px', options.px, 1));
      else if (options.exat !== undefined) args.push('EXAT', int('GETEX', 'exat', options.exat, 1));
      else if (options.pxat !== undefined) args.push('PXAT', int('GETEX', 'pxat', options.pxat, 1));
      else if (options.persist) args.push('PERSIST');
      return args;
    },
  },
  getdel: { build: (key) => ['GETDEL', key] },
  getset: { build: (key, value) => ['GETSET', key, value] },
  mget: { build: (...keys) => ['MGET', ...nonEmpty('MGET', 'key', keys)] },
  mset: {
    build: (entries) => {
      const args: CommandArgument[] = ['MSET'];
      pushEntries('MSET', args, entries);
      return args;
    },
  },
  msetnx: {
    build: (entries) => {
      const args: CommandArgument[] = ['MSETNX'];
      pushEntries('MSETNX', args, entries);
      return args;
    },
  },
  setnx: { build: (key, value) => ['SETNX', key, value] },
  setex: { build: (key, seconds, value) => ['SETEX', key, int('SETEX', 'seconds', seconds, 1), value] },
  psetex: { build: (key, milliseconds, value) => ['PSETEX', key, int('PSETEX', 'milliseconds', milliseconds, 1), value] },
  append: { build: (key, value) => ['APPEND', key, value] },
  strlen: { build: (key) => ['STRLEN', key] },
  incr: { build: (key) => ['INCR', key] },
  incrby: { build: (key, increment) => ['INCRBY', key, integer('INCRBY', 'increment', increment)] },
  // Infinity would be sent as +inf, which the server refuses for an increment.
  incrbyfloat: { build: (key, increment) => ['INCRBYFLOAT', key, finite('INCRBYFLOAT', 'increment', increment)], transform: toNumber },
  decr: { build: (key) => ['DECR', key] },
  decrby: { build: (key, decrement) => ['DECRBY', key, integer('DECRBY', 'decrement', decrement)] },
  getrange: { build: (key, start, end) => ['GETRANGE', key, int('GETRANGE', 'start', start), int('GETRANGE', 'end', end)] },
  setrange: { build: (key, offset, value) => ['SETRANGE', key, int('SETRANGE', 'offset', offset, 0), value] },
  lcs: { build: (key1, key2) => ['LCS', key1, key2] },
  lcsLen: { build: (key1, key2) => ['LCS', key1, key2, 'LEN'] },
  lcsIdx: {
    build: (key1, key2, options) => {
      const args: CommandArgument[] = ['LCS', key1, key2, 'IDX'];
      if (options?.minMatchLen !== undefined) args.push('MINMATCHLEN', int('LCS', 'minMatchLen', options.minMatchLen, 0));
      if (options?.withMatchLen) args.push('WITHMATCHLEN');
      return args;
    },
    transform: toLcsIdx,
  },
} satisfies Definitions<StringCommands<boolean>>;
