import type { CommandArgument, RespReply } from '@hashslot/resp';
import { finite, int, integer, nonEmpty, pushEntries } from './arguments.js';
import type { Definitions } from './definition.js';
import { toNumber, toRecord } from './replies.js';
import type { BulkString, FieldValues, Flag, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=hash */

/** A field of a hash with its value, as HRANDFIELD ... WITHVALUES returns them. */
export interface FieldValue<D extends boolean> {
  field: BulkString<D>;
  value: BulkString<D>;
}

export interface HashCommands<D extends boolean> {
  /** HSET: how many fields were added (not updated). */
  hset(key: RedisKey, fields: FieldValues): number;
  /** HSETNX: 1 when the field was set. */
  hsetnx(key: RedisKey, field: RedisValue, value: RedisValue): Flag;
  /** HGET. */
  hget(key: RedisKey, field: RedisValue): BulkString<D> | null;
  /** HMGET: one value (or null) per field, in order. */
  hmget(key: RedisKey, ...fields: RedisValue[]): (BulkString<D> | null)[];
  /** HGETALL: field names are always strings (Buffers are decoded as UTF-8); `{}` without key. */
  hgetall(key: RedisKey): Record<string, BulkString<D>>;
  /** HDEL: how many fields were removed. */
  hdel(key: RedisKey, ...fields: RedisValue[]): number;
  /** HEXISTS. */
  hexists(key: RedisKey, field: RedisValue): Flag;
  /** HINCRBY: the new value. */
  hincrby(key: RedisKey, field: RedisValue, increment: number | bigint): number;
  /** HINCRBYFLOAT: the new value. */
  hincrbyfloat(key: RedisKey, field: RedisValue, increment: number): number;
  /** HKEYS. */
  hkeys(key: RedisKey): BulkString<D>[];
  /** HVALS. */
  hvals(key: RedisKey): BulkString<D>[];
  /** HLEN. */
  hlen(key: RedisKey): number;
  /** HSTRLEN. */
  hstrlen(key: RedisKey, field: RedisValue): number;
  /** HRANDFIELD: one random field, or null without key. */
  hrandfield(key: RedisKey): BulkString<D> | null;
  /** HRANDFIELD key count: distinct fields when `count` > 0, possibly repeated when < 0. */
  hrandfieldCount(key: RedisKey, count: number): BulkString<D>[];
  /** HRANDFIELD key count WITHVALUES. */
  hrandfieldWithValues(key: RedisKey, count: number): FieldValue<D>[];
}

function toFieldValues(reply: RespReply): FieldValue<boolean>[] {
  const items = reply as (string | Buffer)[];
  const out: FieldValue<boolean>[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push({ field: items[i], value: items[i + 1] });
  return out;
}

export const hashDefinitions = {
  hset: {
    build: (key, fields) => {
      const args: CommandArgument[] = ['HSET', key];
      pushEntries('HSET', args, fields);
      return args;
    },
  },
  hsetnx: { build: (key, field, value) => ['HSETNX', key, field, value] },
  hget: { build: (key, field) => ['HGET', key, field] },
  hmget: { build: (key, ...fields) => ['HMGET', key, ...nonEmpty('HMGET', 'field', fields)] },
  hgetall: { build: (key) => ['HGETALL', key], transform: toRecord },
  hdel: { build: (key, ...fields) => ['HDEL', key, ...nonEmpty('HDEL', 'field', fields)] },
  hexists: { build: (key, field) => ['HEXISTS', key, field] },
  hincrby: { build: (key, field, increment) => ['HINCRBY', key, field, integer('HINCRBY', 'increment', increment)] },
  // Infinity would be sent as +inf, which the server refuses for an increment.
  hincrbyfloat: { build: (key, field, increment) => ['HINCRBYFLOAT', key, field, finite('HINCRBYFLOAT', 'increment', increment)], transform: toNumber },
  hkeys: { build: (key) => ['HKEYS', key] },
  hvals: { build: (key) => ['HVALS', key] },
  hlen: { build: (key) => ['HLEN', key] },
  hstrlen: { build: (key, field) => ['HSTRLEN', key, field] },
  hrandfield: { build: (key) => ['HRANDFIELD', key] },
  hrandfieldCount: { build: (key, count) => ['HRANDFIELD', key, int('HRANDFIELD', 'count', count)] },
  hrandfieldWithValues: {
    build: (key, count) => ['HRANDFIELD', key, int('HRANDFIELD', 'count', count), 'WITHVALUES'],
    transform: toFieldValues,
  },
} satisfies Definitions<HashCommands<boolean>>;
