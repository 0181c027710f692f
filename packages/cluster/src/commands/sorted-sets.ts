import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { finite, int, nonEmpty, oneOf, pushConditions, pushCounted, pushLimit } from './arguments.js';
import type { Limit } from './arguments.js';
import type { Definitions } from './definition.js';
import { toNumber, toNumberOrNull, toNumbersOrNull, toScoredMembers, toScoredPairs } from './replies.js';
import { buildInterCard } from './sets.js';
import type { InterCardOptions } from './sets.js';
import type { BulkString, RedisKey, RedisValue, ScoredMember } from './types.js';

/** https://redis.io/docs/latest/commands/?group=sorted-set */

/**
 * A score bound: a number (`Infinity`/`-Infinity` are sent as `+inf`/`-inf`), or the server's
 * text such as `'(1.5'` (exclusive), `'-inf'`, `'+inf'`.
 */
export type ScoreBound = number | string;

/** A start/stop of ZRANGE: an index, a score bound with `by: 'SCORE'`, or a lex bound (`'[a'`, `'(a'`, `'-'`, `'+'`) with `by: 'LEX'`. */
export type ZRangeBound = number | string;

/** A member to add with its score. */
export interface ZAddMember {
  score: number;
  member: RedisValue;
}

/** Conditions of ZADD INCR: `nx` alone, or `xx` with at most one of `gt`/`lt`. */
export interface ZAddIncrOptions {
  /** NX: only add new members. */
  nx?: boolean;
  /** XX: only update existing members. */
  xx?: boolean;
  /** GT: only update when the new score is greater. */
  gt?: boolean;
  /** LT: only update when the new score is less. */
  lt?: boolean;
}

/** Options of ZADD. */
export interface ZAddOptions extends ZAddIncrOptions {
  /** CH: count changed members, not only added ones. */
  ch?: boolean;
}

/** Options of ZRANGE and ZRANGESTORE. `limit` needs `by`. */
export interface ZRangeOptions {
  /** BYSCORE or BYLEX; by index when absent. */
  by?: 'SCORE' | 'LEX';
  /** REV: highest first (then give `start` as the higher bound). */
  rev?: boolean;
  /** LIMIT offset count. */
  limit?: Limit;
}

/** Options of ZRANGE ... WITHSCORES: the server refuses BYLEX with scores. */
export interface ZRangeWithScoresOptions extends Omit<ZRangeOptions, 'by'> {
  by?: 'SCORE';
}

/** Options of ZUNION, ZINTER and their STORE forms. */
export interface ZCombineOptions {
  /** WEIGHTS: one per key. */
  weights?: readonly number[];
  /** AGGREGATE. */
  aggregate?: 'SUM' | 'MIN' | 'MAX';
}

/** Options of ZMPOP and BZMPOP. */
export interface ZMpopOptions {
  /** COUNT (>= 1). */
  count?: number;
}

/** What ZMPOP/BZMPOP popped and the key it came from. */
export interface KeyScoredMembers<D extends boolean> {
  key: BulkString<D>;
  members: ScoredMember<D>[];
}

/** What BZPOPMIN/BZPOPMAX popped and the key it came from. */
export interface KeyScoredMember<D extends boolean> {
  key: BulkString<D>;
  member: BulkString<D>;
  score: number;
}

export interface SortedSetCommands<D extends boolean> {
  /** ZADD: how many members were added (changed, with `ch`). */
  zadd(key: RedisKey, members: readonly ZAddMember[], options?: ZAddOptions): number;
  /** ZADD ... INCR: the member's new score, or null when a condition stopped it. */
  zaddIncr(key: RedisKey, increment: number, member: RedisValue, options?: ZAddIncrOptions): number | null;
  /** ZREM: how many were removed. */
  zrem(key: RedisKey, ...members: RedisValue[]): number;
  /** ZSCORE. */
  zscore(key: RedisKey, member: RedisValue): number | null;
  /** ZMSCORE: one score (or null) per member, in order. */
  zmscore(key: RedisKey, ...members: RedisValue[]): (number | null)[];
  /** ZINCRBY: the new score. */
  zincrby(key: RedisKey, increment: number, member: RedisValue): number;
  /** ZCARD. */
  zcard(key: RedisKey): number;
  /** ZCOUNT: members with a score within the bounds. */
  zcount(key: RedisKey, min: ScoreBound, max: ScoreBound): number;
  /** ZLEXCOUNT: members within the lex bounds (`'[a'`, `'(a'`, `'-'`, `'+'`). */
  zlexcount(key: RedisKey, min: string, max: string): number;
  /** ZRANGE: the members. */
  zrange(key: RedisKey, start: ZRangeBound, stop: ZRangeBound, options?: ZRangeOptions): BulkString<D>[];
  /** ZRANGE ... WITHSCORES. */
  zrangeWithScores(key: RedisKey, start: ZRangeBound, stop: ZRangeBound, options?: ZRangeWithScoresOptions): ScoredMember<D>[];
  /** ZRANGESTORE: how many were stored. */
  zrangestore(destination: RedisKey, source: RedisKey, start: ZRangeBound, stop: ZRangeBound, options?: ZRangeOptions): number;
  /** ZRANK: the index by ascending score, or null. */
  zrank(key: RedisKey, member: RedisValue): number | null;
  /** ZREVRANK: the index by descending score, or null. */
  zrevrank(key: RedisKey, member: RedisValue): number | null;
  /** ZPOPMIN: the `count` (default 1) lowest members; `[]` without key. */
  zpopmin(key: RedisKey, count?: number): ScoredMember<D>[];
  /** ZPOPMAX: the `count` (default 1) highest members; `[]` without key. */
  zpopmax(key: RedisKey, count?: number): ScoredMember<D>[];
  /** ZRANDMEMBER: one random member, or null without key. */
  zrandmember(key: RedisKey): BulkString<D> | null;
  /** ZRANDMEMBER key count: distinct when `count` > 0, possibly repeated when < 0. */
  zrandmemberCount(key: RedisKey, count: number): BulkString<D>[];
  /** ZRANDMEMBER key count WITHSCORES. */
  zrandmemberWithScores(key: RedisKey, count: number): ScoredMember<D>[];
  /** ZREMRANGEBYRANK: how many were removed. */
  zremrangebyrank(key: RedisKey, start: number, stop: number): number;
  /** ZREMRANGEBYSCORE: how many were removed. */
  zremrangebyscore(key: RedisKey, min: ScoreBound, max: ScoreBound): number;
  /** ZREMRANGEBYLEX: how many were removed. */
  zremrangebylex(key: RedisKey, min: string, max: string): number;
  /** ZUNION. */
  zunion(keys: readonly RedisKey[], options?: ZCombineOptions): BulkString<D>[];
  /** ZUNION ... WITHSCORES. */
  zunionWithScores(keys: readonly RedisKey[], options?: ZCombineOptions): ScoredMember<D>[];
  /** ZINTER. */
  zinter(keys: readonly RedisKey[], options?: ZCombineOptions): BulkString<D>[];
  /** ZINTER ... WITHSCORES. */
  zinterWithScores(keys: readonly RedisKey[], options?: ZCombineOptions): ScoredMember<D>[];
  /** ZDIFF: members of the first set that are in none of the others. */
  zdiff(keys: readonly RedisKey[]): BulkString<D>[];
  /** ZDIFF ... WITHSCORES. */
  zdiffWithScores(keys: readonly RedisKey[]): ScoredMember<D>[];
  /** ZUNIONSTORE: the size of the stored set. */
  zunionstore(destination: RedisKey, keys: readonly RedisKey[], options?: ZCombineOptions): number;
  /** ZINTERSTORE: the size of the stored set. */
  zinterstore(destination: RedisKey, keys: readonly RedisKey[], options?: ZCombineOptions): number;
  /** ZDIFFSTORE: the size of the stored set. */
  zdiffstore(destination: RedisKey, keys: readonly RedisKey[]): number;
  /** ZINTERCARD: the size of the intersection. */
  zintercard(keys: readonly RedisKey[], options?: InterCardOptions): number;
  /** ZMPOP: pops from the first non-empty set, or null when all are empty. */
  zmpop(keys: readonly RedisKey[], which: 'MIN' | 'MAX', options?: ZMpopOptions): KeyScoredMembers<D> | null;
  /** BZPOPMIN: `timeout` in seconds (decimals allowed, 0 = forever); null on timeout. */
  bzpopmin(keys: readonly RedisKey[], timeout: number): KeyScoredMember<D> | null;
  /** BZPOPMAX: `timeout` in seconds; null on timeout. */
  bzpopmax(keys: readonly RedisKey[], timeout: number): KeyScoredMember<D> | null;
  /** BZMPOP: `timeout` in seconds first, as the server takes it; null on timeout. */
  bzmpop(timeout: number, keys: readonly RedisKey[], which: 'MIN' | 'MAX', options?: ZMpopOptions): KeyScoredMembers<D> | null;
}

function buildZAdd(key: RedisKey, members: readonly ZAddMember[], options: ZAddOptions | undefined): CommandArgument[] {
  const args: CommandArgument[] = ['ZADD', key];
  if (options !== undefined) {
    pushConditions('ZADD', args, options);
    if (options.ch) args.push('CH');
  }
  nonEmpty('ZADD', 'member', members);
  for (let i = 0; i < members.length; i++) args.push(members[i].score, members[i].member);
  return args;
}

function pushRange(
  command: string,
  args: CommandArgument[],
  start: ZRangeBound,
  stop: ZRangeBound,
  options: ZRangeOptions | undefined,
): CommandArgument[] {
  args.push(start, stop);
  if (options === undefined) return args;
  if (options.by !== undefined) args.push(oneOf(command, 'by', options.by, ['SCORE', 'LEX']) === 'SCORE' ? 'BYSCORE' : 'BYLEX');
  if (options.rev) args.push('REV');
  if (options.limit !== undefined) {
    if (options.by === undefined) throw new InvalidArgumentError(`${command}: limit needs by: 'SCORE' or 'LEX'`);
    pushLimit(command, args, options.limit);
  }
  return args;
}

function buildCombine(
  command: string,
  args: CommandArgument[],
  keys: readonly RedisKey[],
  options: ZCombineOptions | undefined,
): CommandArgument[] {
  pushCounted(command, args, 'key', keys);
  if (options?.weights !== undefined) {
    if (options.weights.length !== keys.length) {
      throw new InvalidArgumentError(`${command}: weights needs one weight per key (${keys.length}); got ${options.weights.length}`);
    }
    args.push('WEIGHTS');
    for (const weight of options.weights) args.push(weight);
  }
  if (options?.aggregate !== undefined) args.push('AGGREGATE', oneOf(command, 'aggregate', options.aggregate, ['SUM', 'MIN', 'MAX']));
  return args;
}

function buildMpop(
  command: string,
  args: CommandArgument[],
  keys: readonly RedisKey[],
  which: 'MIN' | 'MAX',
  options: ZMpopOptions | undefined,
): CommandArgument[] {
  pushCounted(command, args, 'key', keys);
  args.push(oneOf(command, 'which', which, ['MIN', 'MAX']));
  if (options?.count !== undefined) args.push('COUNT', int(command, 'count', options.count, 1));
  return args;
}

function toKeyScoredMembers(reply: RespReply): KeyScoredMembers<boolean> | null {
  if (reply === null) return null;
  const items = reply as RespReply[];
  return { key: items[0] as string | Buffer, members: toScoredPairs(items[1]) };
}

function toKeyScoredMember(reply: RespReply): KeyScoredMember<boolean> | null {
  if (reply === null) return null;
  const items = reply as (string | Buffer)[];
  return { key: items[0], member: items[1], score: toNumber(items[2]) };
}

function withScores(args: CommandArgument[]): CommandArgument[] {
  args.push('WITHSCORES');
  return args;
}

function timeout(command: string, seconds: number): number {
  return finite(command, 'timeout', seconds, 0);
}

export const sortedSetDefinitions = {
  zadd: { build: buildZAdd },
  zaddIncr: {
    build: (key, increment, member, options) => {
      const args: CommandArgument[] = ['ZADD', key];
      if (options !== undefined) pushConditions('ZADD', args, options);
      args.push('INCR', increment, member);
      return args;
    },
    transform: toNumberOrNull,
  },
  zrem: { build: (key, ...members) => ['ZREM', key, ...nonEmpty('ZREM', 'member', members)] },
  zscore: { build: (key, member) => ['ZSCORE', key, member], transform: toNumberOrNull },
  zmscore: { build: (key, ...members) => ['ZMSCORE', key, ...nonEmpty('ZMSCORE', 'member', members)], transform: toNumbersOrNull },
  zincrby: { build: (key, increment, member) => ['ZINCRBY', key, increment, member], transform: toNumber },
  zcard: { build: (key) => ['ZCARD', key] },
  zcount: { build: (key, min, max) => ['ZCOUNT', key, min, max] },
  zlexcount: { build: (key, min, max) => ['ZLEXCOUNT', key, min, max] },
  zrange: { build: (key, start, stop, options) => pushRange('ZRANGE', ['ZRANGE', key], start, stop, options) },
  zrangeWithScores: {
    build: (key, start, stop, options) => {
      if ((options?.by as string | undefined) === 'LEX') throw new InvalidArgumentError("ZRANGE: by: 'LEX' cannot be used with scores");
      return withScores(pushRange('ZRANGE', ['ZRANGE', key], start, stop, options));
    },
    transform: toScoredMembers,
  },
  zrangestore: {
    build: (destination, source, start, stop, options) =>
      pushRange('ZRANGESTORE', ['ZRANGESTORE', destination, source], start, stop, options),
  },
  zrank: { build: (key, member) => ['ZRANK', key, member] },
  zrevrank: { build: (key, member) => ['ZREVRANK', key, member] },
  zpopmin: {
    build: (key, count) => (count === undefined ? ['ZPOPMIN', key] : ['ZPOPMIN', key, int('ZPOPMIN', 'count', count, 0)]),
    transform: toScoredMembers,
  },
  zpopmax: {
    build: (key, count) => (count === undefined ? ['ZPOPMAX', key] : ['ZPOPMAX', key, int('ZPOPMAX', 'count', count, 0)]),
    transform: toScoredMembers,
  },
  zrandmember: { build: (key) => ['ZRANDMEMBER', key] },
  zrandmemberCount: { build: (key, count) => ['ZRANDMEMBER', key, int('ZRANDMEMBER', 'count', count)] },
  zrandmemberWithScores: {
    build: (key, count) => ['ZRANDMEMBER', key, int('ZRANDMEMBER', 'count', count), 'WITHSCORES'],
    transform: toScoredMembers,
  },
  zremrangebyrank: {
    build: (key, start, stop) => ['ZREMRANGEBYRANK', key, int('ZREMRANGEBYRANK', 'start', start), int('ZREMRANGEBYRANK', 'stop', stop)],
  },
  zremrangebyscore: { build: (key, min, max) => ['ZREMRANGEBYSCORE', key, min, max] },
  zremrangebylex: { build: (key, min, max) => ['ZREMRANGEBYLEX', key, min, max] },
  zunion: { build: (keys, options) => buildCombine('ZUNION', ['ZUNION'], keys, options) },
  zunionWithScores: {
    build: (keys, options) => withScores(buildCombine('ZUNION', ['ZUNION'], keys, options)),
    transform: toScoredMembers,
  },
  zinter: { build: (keys, options) => buildCombine('ZINTER', ['ZINTER'], keys, options) },
  zinterWithScores: {
    build: (keys, options) => withScores(buildCombine('ZINTER', ['ZINTER'], keys, options)),
    transform: toScoredMembers,
  },
  zdiff: { build: (keys) => buildCombine('ZDIFF', ['ZDIFF'], keys, undefined) },
  zdiffWithScores: { build: (keys) => withScores(buildCombine('ZDIFF', ['ZDIFF'], keys, undefined)), transform: toScoredMembers },
  zunionstore: { build: (destination, keys, options) => buildCombine('ZUNIONSTORE', ['ZUNIONSTORE', destination], keys, options) },
  zinterstore: { build: (destination, keys, options) => buildCombine('ZINTERSTORE', ['ZINTERSTORE', destination], keys, options) },
  zdiffstore: { build: (destination, keys) => buildCombine('ZDIFFSTORE', ['ZDIFFSTORE', destination], keys, undefined) },
  zintercard: { build: (keys, options) => buildInterCard('ZINTERCARD', keys, options) },
  zmpop: { build: (keys, which, options) => buildMpop('ZMPOP', ['ZMPOP'], keys, which, options), transform: toKeyScoredMembers },
  bzpopmin: {
    build: (keys, seconds) => ['BZPOPMIN', ...nonEmpty('BZPOPMIN', 'key', keys), timeout('BZPOPMIN', seconds)],
    transform: toKeyScoredMember,
  },
  bzpopmax: {
    build: (keys, seconds) => ['BZPOPMAX', ...nonEmpty('BZPOPMAX', 'key', keys), timeout('BZPOPMAX', seconds)],
    transform: toKeyScoredMember,
  },
  bzmpop: {
    build: (seconds, keys, which, options) => buildMpop('BZMPOP', ['BZMPOP', timeout('BZMPOP', seconds)], keys, which, options),
    transform: toKeyScoredMembers,
  },
} satisfies Definitions<SortedSetCommands<boolean>>;
