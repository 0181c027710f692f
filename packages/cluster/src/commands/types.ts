import type { ReplyError } from '@hashslot/resp';

/** Bulk-string reply type: string when decodeResponses is true (default), Buffer otherwise. */
export type BulkString<D extends boolean> = D extends false ? Buffer : string;

/** A key name. */
export type RedisKey = string | Buffer;

/** A value, field or member. Numbers and bigints are sent as their decimal text. */
export type RedisValue = string | Buffer | number | bigint;

/**
 * Pairs given as a plain object, a Map or an array of `[name, value]` tuples. A plain object
 * iterates integer-like names first (a JavaScript rule), so use a Map or an array where the order
 * matters, as it does for stream entries.
 */
export type Entries<Name> =
  | Readonly<Record<string, RedisValue>>
  | ReadonlyMap<Name, RedisValue>
  | ReadonlyArray<readonly [Name, RedisValue]>;

/** Key/value pairs for MSET and MSETNX. */
export type KeyValues = Entries<RedisKey>;

/** Field/value pairs for HSET and XADD. */
export type FieldValues = Entries<RedisValue>;

/** The status reply of commands that only acknowledge. */
export type Ok = 'OK';

/** A boolean-like integer reply: 1 for yes (done), 0 for no. */
export type Flag = 0 | 1;

/** Which end of a list. */
export type ListSide = 'LEFT' | 'RIGHT';

/** A sorted-set member with its score, as given to ZADD and returned by WITHSCORES replies. */
export interface ScoredMember<D extends boolean> {
  member: BulkString<D>;
  score: number;
}

/** One stream entry. `id` is always a string (ids are ASCII); field names are always strings. */
export interface StreamEntry<D extends boolean> {
  id: string;
  fields: Record<string, BulkString<D>>;
}

/**
 * Whatever a Lua script or function returns: numbers, bulk strings (Buffers when
 * decodeResponses is false), status strings (always strings), null, and arrays of these. An error
 * nested inside an array stays a `ReplyError` value; an error at the top level rejects.
 */
export type ScriptReply<D extends boolean> = string | BulkString<D> | number | null | ReplyError | ScriptReply<D>[];
