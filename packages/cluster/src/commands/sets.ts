import type { CommandArgument } from '@hashslot/resp';
import { int, nonEmpty, pushCounted } from './arguments.js';
import type { Definitions } from './definition.js';
import type { BulkString, Flag, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=set */

/** Options of SINTERCARD and ZINTERCARD. */
export interface InterCardOptions {
  /** LIMIT: stop counting at this many (0 = no limit). */
  limit?: number;
}

export interface SetCommands<D extends boolean> {
  /** SADD: how many members were added. */
  sadd(key: RedisKey, ...members: RedisValue[]): number;
  /** SREM: how many members were removed. */
  srem(key: RedisKey, ...members: RedisValue[]): number;
  /** SMEMBERS. */
  smembers(key: RedisKey): BulkString<D>[];
  /** SISMEMBER. */
  sismember(key: RedisKey, member: RedisValue): Flag;
  /** SMISMEMBER: one flag per member, in order. */
  smismember(key: RedisKey, ...members: RedisValue[]): Flag[];
  /** SCARD. */
  scard(key: RedisKey): number;
  /** SPOP: one random member, or null without key. */
  spop(key: RedisKey): BulkString<D> | null;
  /** SPOP key count: up to `count` members (`[]` without key). */
  spopCount(key: RedisKey, count: number): BulkString<D>[];
  /** SRANDMEMBER: one random member, or null without key. */
  srandmember(key: RedisKey): BulkString<D> | null;
  /** SRANDMEMBER key count: distinct when `count` > 0, possibly repeated when < 0. */
  srandmemberCount(key: RedisKey, count: number): BulkString<D>[];
  /** SMOVE: 1 when moved. */
  smove(source: RedisKey, destination: RedisKey, member: RedisValue): Flag;
  /** SINTER. */
  sinter(...keys: RedisKey[]): BulkString<D>[];
  /** SINTERCARD: the size of the intersection. */
  sintercard(keys: readonly RedisKey[], options?: InterCardOptions): number;
  /** SINTERSTORE: the size of the stored set. */
  sinterstore(destination: RedisKey, ...keys: RedisKey[]): number;
  /** SUNION. */
  sunion(...keys: RedisKey[]): BulkString<D>[];
  /** SUNIONSTORE: the size of the stored set. */
  sunionstore(destination: RedisKey, ...keys: RedisKey[]): number;
  /** SDIFF: members of the first set that are in none of the others. */
  sdiff(...keys: RedisKey[]): BulkString<D>[];
  /** SDIFFSTORE: the size of the stored set. */
  sdiffstore(destination: RedisKey, ...keys: RedisKey[]): number;
}

/** `SINTERCARD`/`ZINTERCARD numkeys key ... [LIMIT n]`. */
export function buildInterCard(command: string, keys: readonly RedisKey[], options: InterCardOptions | undefined): CommandArgument[] {
  const args: CommandArgument[] = [command];
  pushCounted(command, args, 'key', keys);
  if (options?.limit !== undefined) args.push('LIMIT', int(command, 'limit', options.limit, 0));
  return args;
}

export const setDefinitions = {
  sadd: { build: (key, ...members) => ['SADD', key, ...nonEmpty('SADD', 'member', members)] },
  srem: { build: (key, ...members) => ['SREM', key, ...nonEmpty('SREM', 'member', members)] },
  smembers: { build: (key) => ['SMEMBERS', key] },
  sismember: { build: (key, member) => ['SISMEMBER', key, member] },
  smismember: { build: (key, ...members) => ['SMISMEMBER', key, ...nonEmpty('SMISMEMBER', 'member', members)] },
  scard: { build: (key) => ['SCARD', key] },
  spop: { build: (key) => ['SPOP', key] },
  spopCount: { build: (key, count) => ['SPOP', key, int('SPOP', 'count', count, 0)] },
  srandmember: { build: (key) => ['SRANDMEMBER', key] },
  srandmemberCount: { build: (key, count) => ['SRANDMEMBER', key, int('SRANDMEMBER', 'count', count)] },
  smove: { build: (source, destination, member) => ['SMOVE', source, destination, member] },
  sinter: { build: (...keys) => ['SINTER', ...nonEmpty('SINTER', 'key', keys)] },
  sintercard: { build: (keys, options) => buildInterCard('SINTERCARD', keys, options) },
  sinterstore: { build: (destination, ...keys) => ['SINTERSTORE', destination, ...nonEmpty('SINTERSTORE', 'key', keys)] },
  sunion: { build: (...keys) => ['SUNION', ...nonEmpty('SUNION', 'key', keys)] },
  sunionstore: { build: (destination, ...keys) => ['SUNIONSTORE', destination, ...nonEmpty('SUNIONSTORE', 'key', keys)] },
  sdiff: { build: (...keys) => ['SDIFF', ...nonEmpty('SDIFF', 'key', keys)] },
  sdiffstore: { build: (destination, ...keys) => ['SDIFFSTORE', destination, ...nonEmpty('SDIFFSTORE', 'key', keys)] },
} satisfies Definitions<SetCommands<boolean>>;
