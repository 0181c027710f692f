import type { CommandArgument } from '@hashslot/resp';
import { atMostOne, int, nonEmpty, oneOf, pushConditions, pushLimit } from './arguments.js';
import type { Limit } from './arguments.js';
import type { Definitions } from './definition.js';
import { textOrNull } from './replies.js';
import type { BulkString, Flag, Ok, RedisKey } from './types.js';

/** https://redis.io/docs/latest/commands/?group=generic */

/** Conditions of EXPIRE and its siblings (Redis 7.0): `nx` alone, or `xx` with at most one of `gt`/`lt`. */
export interface ExpireOptions {
  /** NX: only when the key has no expiry. */
  nx?: boolean;
  /** XX: only when the key has an expiry. */
  xx?: boolean;
  /** GT: only when the new expiry is later. */
  gt?: boolean;
  /** LT: only when the new expiry is sooner. */
  lt?: boolean;
}

/** What TYPE answers; modules add names of their own. */
export type RedisType = 'none' | 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | (string & {});

/** Options of COPY. There is no DB option: a cluster has only database 0. */
export interface CopyOptions {
  /** REPLACE: overwrite the destination. */
  replace?: boolean;
}

/** Options of RESTORE: at most one of `idleTime`/`freq`. */
export interface RestoreOptions {
  /** REPLACE: overwrite an existing key. */
  replace?: boolean;
  /** ABSTTL: `ttl` is a Unix time in milliseconds. */
  absTtl?: boolean;
  /** IDLETIME seconds. */
  idleTime?: number;
  /** FREQ: the LFU frequency. */
  freq?: number;
}

/** Options of SORT and SORT_RO. In a cluster, BY and GET patterns must hash to the key's slot. */
export interface SortOptions {
  /** BY pattern (`'nosort'` skips sorting). */
  by?: string;
  /** LIMIT offset count. */
  limit?: Limit;
  /** GET pattern, once per pattern (`'#'` is the element itself). */
  get?: readonly string[];
  /** ASC or DESC. */
  order?: 'ASC' | 'DESC';
  /** ALPHA: compare as strings. */
  alpha?: boolean;
}

export interface KeyCommands<D extends boolean> {
  /** DEL: how many keys were removed. */
  del(...keys: RedisKey[]): number;
  /** UNLINK: how many keys were removed (memory is freed in the background). */
  unlink(...keys: RedisKey[]): number;
  /** EXISTS: how many of the keys exist (a key named twice counts twice). */
  exists(...keys: RedisKey[]): number;
  /** EXPIRE: 1 when the expiry was set. */
  expire(key: RedisKey, seconds: number, options?: ExpireOptions): Flag;
  /** PEXPIRE: 1 when the expiry was set. */
  pexpire(key: RedisKey, milliseconds: number, options?: ExpireOptions): Flag;
  /** EXPIREAT: 1 when the expiry was set. */
  expireat(key: RedisKey, unixSeconds: number, options?: ExpireOptions): Flag;
  /** PEXPIREAT: 1 when the expiry was set. */
  pexpireat(key: RedisKey, unixMilliseconds: number, options?: ExpireOptions): Flag;
  /** EXPIRETIME: Unix seconds; -1 without expiry, -2 without key. */
  expiretime(key: RedisKey): number;
  /** PEXPIRETIME: Unix milliseconds; -1 without expiry, -2 without key. */
  pexpiretime(key: RedisKey): number;
  /** TTL: seconds left; -1 without expiry, -2 without key. */
  ttl(key: RedisKey): number;
  /** PTTL: milliseconds left; -1 without expiry, -2 without key. */
  pttl(key: RedisKey): number;
  /** PERSIST: 1 when an expiry was removed. */
  persist(key: RedisKey): Flag;
  /** TYPE. */
  type(key: RedisKey): RedisType;
  /** RENAME. */
  rename(key: RedisKey, newKey: RedisKey): Ok;
  /** RENAMENX: 1 when renamed, 0 when `newKey` existed. */
  renamenx(key: RedisKey, newKey: RedisKey): Flag;
  /** COPY: 1 when copied. */
  copy(source: RedisKey, destination: RedisKey, options?: CopyOptions): Flag;
  /**
   * DUMP: the serialized value, or null. The payload is binary: only a client with
   * `decodeResponses: false` gets it intact.
   */
  dump(key: RedisKey): BulkString<D> | null;
  /** RESTORE: `ttl` in milliseconds, 0 for none. */
  restore(key: RedisKey, ttl: number, serializedValue: Buffer, options?: RestoreOptions): Ok;
  /** TOUCH: how many of the keys exist. */
  touch(...keys: RedisKey[]): number;
  /** OBJECT ENCODING: `'listpack'`, `'hashtable'` ..., or null without key. */
  objectEncoding(key: RedisKey): string | null;
  /** OBJECT FREQ: the LFU counter (needs an LFU maxmemory-policy), or null without key. */
  objectFreq(key: RedisKey): number | null;
  /** OBJECT IDLETIME: seconds since last access, or null without key. */
  objectIdleTime(key: RedisKey): number | null;
  /** OBJECT REFCOUNT, or null without key. */
  objectRefCount(key: RedisKey): number | null;
  /** SORT: the sorted elements, or what the GET patterns give (null for a pattern that matches no key). */
  sort(key: RedisKey, options?: SortOptions): (BulkString<D> | null)[];
  /** SORT ... STORE destination: how many elements were stored. */
  sortStore(key: RedisKey, destination: RedisKey, options?: SortOptions): number;
  /** SORT_RO: SORT without STORE, allowed on replicas. */
  sortRo(key: RedisKey, options?: SortOptions): (BulkString<D> | null)[];
}

function buildExpire(
  command: string,
  key: RedisKey,
  name: string,
  time: number,
  options: ExpireOptions | undefined,
): CommandArgument[] {
  const args: CommandArgument[] = [command, key, int(command, name, time)];
  if (options !== undefined) pushConditions(command, args, options);
  return args;
}

function buildSort(command: string, key: RedisKey, options: SortOptions | undefined, destination?: RedisKey): CommandArgument[] {
  const args: CommandArgument[] = [command, key];
  if (options !== undefined) {
    if (options.by !== undefined) args.push('BY', options.by);
    if (options.limit !== undefined) pushLimit(command, args, options.limit);
    if (options.get !== undefined) for (const pattern of options.get) args.push('GET', pattern);
    if (options.order !== undefined) args.push(oneOf(command, 'order', options.order, ['ASC', 'DESC']));
    if (options.alpha) args.push('ALPHA');
  }
  if (destination !== undefined) args.push('STORE', destination);
  return args;
}

export const keyDefinitions = {
  del: { build: (...keys) => ['DEL', ...nonEmpty('DEL', 'key', keys)] },
  unlink: { build: (...keys) => ['UNLINK', ...nonEmpty('UNLINK', 'key', keys)] },
  exists: { build: (...keys) => ['EXISTS', ...nonEmpty('EXISTS', 'key', keys)] },
  expire: { build: (key, seconds, options) => buildExpire('EXPIRE', key, 'seconds', seconds, options) },
  pexpire: { build: (key, ms, options) => buildExpire('PEXPIRE', key, 'milliseconds', ms, options) },
  expireat: { build: (key, at, options) => buildExpire('EXPIREAT', key, 'unixSeconds', at, options) },
  pexpireat: { build: (key, at, options) => buildExpire('PEXPIREAT', key, 'unixMilliseconds', at, options) },
  expiretime: { build: (key) => ['EXPIRETIME', key] },
  pexpiretime: { build: (key) => ['PEXPIRETIME', key] },
  ttl: { build: (key) => ['TTL', key] },
  pttl: { build: (key) => ['PTTL', key] },
  persist: { build: (key) => ['PERSIST', key] },
  type: { build: (key) => ['TYPE', key] },
  rename: { build: (key, newKey) => ['RENAME', key, newKey] },
  renamenx: { build: (key, newKey) => ['RENAMENX', key, newKey] },
  copy: {
    build: (source, destination, options) =>
      options?.replace ? ['COPY', source, destination, 'REPLACE'] : ['COPY', source, destination],
  },
  dump: { build: (key) => ['DUMP', key] },
  restore: {
    build: (key, ttl, serializedValue, options) => {
      const args: CommandArgument[] = ['RESTORE', key, int('RESTORE', 'ttl', ttl, 0), serializedValue];
      if (options === undefined) return args;
      atMostOne('RESTORE', options, ['idleTime', 'freq']);
      if (options.replace) args.push('REPLACE');
      if (options.absTtl) args.push('ABSTTL');
      if (options.idleTime !== undefined) args.push('IDLETIME', int('RESTORE', 'idleTime', options.idleTime, 0));
      if (options.freq !== undefined) args.push('FREQ', int('RESTORE', 'freq', options.freq, 0));
      return args;
    },
  },
  touch: { build: (...keys) => ['TOUCH', ...nonEmpty('TOUCH', 'key', keys)] },
  objectEncoding: { build: (key) => ['OBJECT', 'ENCODING', key], transform: textOrNull },
  objectFreq: { build: (key) => ['OBJECT', 'FREQ', key] },
  objectIdleTime: { build: (key) => ['OBJECT', 'IDLETIME', key] },
  objectRefCount: { build: (key) => ['OBJECT', 'REFCOUNT', key] },
  sort: { build: (key, options) => buildSort('SORT', key, options) },
  sortStore: { build: (key, destination, options) => buildSort('SORT', key, options, destination) },
  sortRo: { build: (key, options) => buildSort('SORT_RO', key, options) },
} satisfies Definitions<KeyCommands<boolean>>;
