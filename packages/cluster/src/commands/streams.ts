import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { given, int, nonEmpty, pushEntries } from './arguments.js';
import type { Definitions } from './definition.js';
import {
  text,
  textOrNull,
  toInfoRecord,
  toNumber,
  toStreamEntries,
  toStreamEntry,
  toStreamEntryOrDeleted,
  toTexts,
} from './replies.js';
import type { BulkString, FieldValues, Ok, RedisKey, RedisValue, StreamEntry } from './types.js';

/**
 * https://redis.io/docs/latest/commands/?group=stream
 * Entry ids are always strings (they are ASCII); consumer and group names and field values
 * follow decodeResponses.
 */

/** How XADD and XTRIM trim: by length or by lowest id, exact unless `approximate`. */
export type XTrimOptions = ({ maxLen: number; minId?: never } | { minId: string; maxLen?: never }) & {
  /** `~`: trim lazily, whole nodes only (faster). */
  approximate?: boolean;
  /** LIMIT: evict at most this many entries (needs `approximate`). */
  limit?: number;
};

/** Options of XADD. */
export interface XAddOptions {
  /** NOMKSTREAM: do not create the stream (the reply is then null). */
  noMkStream?: boolean;
  /** MAXLEN / MINID trimming. */
  trim?: XTrimOptions;
}

/** A stream to read and the id to read after (`'$'` for new entries only; `'>'` for XREADGROUP's undelivered). */
export interface XReadStream {
  key: RedisKey;
  id: string;
}

/** Options of XREAD. */
export interface XReadOptions {
  /** COUNT: at most this many entries per stream. */
  count?: number;
  /** BLOCK: wait this many milliseconds for data (0 = forever). */
  block?: number;
}

/** Options of XREADGROUP. */
export interface XReadGroupOptions extends XReadOptions {
  /** NOACK: do not add the entries to the pending list. */
  noAck?: boolean;
}

/** The entries XREAD gives for one stream. */
export interface XReadResult<D extends boolean> {
  key: BulkString<D>;
  entries: StreamEntry<D>[];
}

/** An entry XREADGROUP gives: `fields` is null when the entry was deleted while pending. */
export interface XReadGroupEntry<D extends boolean> {
  id: string;
  fields: Record<string, BulkString<D>> | null;
}

/** The entries XREADGROUP gives for one stream. */
export interface XReadGroupResult<D extends boolean> {
  key: BulkString<D>;
  entries: XReadGroupEntry<D>[];
}

/** Options of XGROUP CREATE. */
export interface XGroupCreateOptions {
  /** MKSTREAM: create an empty stream when there is none. */
  mkStream?: boolean;
  /** ENTRIESREAD (Redis 7.0): entries read so far, for the lag. */
  entriesRead?: number;
}

/** Options of XGROUP SETID. */
export interface XGroupSetIdOptions {
  /** ENTRIESREAD (Redis 7.0). */
  entriesRead?: number;
}

/** The summary form of XPENDING. */
export interface XPendingSummary<D extends boolean> {
  /** How many entries are pending. */
  count: number;
  /** Lowest and highest pending id, null when none is pending. */
  minId: string | null;
  maxId: string | null;
  /** Each consumer with pending entries and how many it has. */
  consumers: { name: BulkString<D>; pending: number }[];
}

/** Options of the extended form of XPENDING. */
export interface XPendingRangeOptions {
  /** IDLE: only entries idle at least this many milliseconds. */
  idle?: number;
  /** Only this consumer's entries. */
  consumer?: RedisValue;
}

/** One entry of the extended form of XPENDING. */
export interface XPendingEntry<D extends boolean> {
  id: string;
  consumer: BulkString<D>;
  /** Milliseconds since last delivered. */
  idle: number;
  /** Times delivered. */
  deliveries: number;
}

/** Options of XCLAIM. */
export interface XClaimOptions {
  /** IDLE: set the idle time (milliseconds). */
  idle?: number;
  /** TIME: set the idle time as of this Unix time in milliseconds. */
  time?: number;
  /** RETRYCOUNT: set the delivery count. */
  retryCount?: number;
  /** FORCE: claim ids that are not pending. */
  force?: boolean;
  /** LASTID: move the group's last-delivered id. */
  lastId?: string;
}

/** Options of XAUTOCLAIM. */
export interface XAutoClaimOptions {
  /** COUNT: claim at most this many (default 100). */
  count?: number;
}

/** The reply of XAUTOCLAIM. */
export interface XAutoClaimResult<D extends boolean> {
  /** Where the next call should start; `'0-0'` when the scan is complete. */
  nextId: string;
  entries: StreamEntry<D>[];
  /** Ids that were pending but no longer exist in the stream (Redis 7.0; removed from the pending list). */
  deletedIds: string[];
}

/** The reply of XAUTOCLAIM ... JUSTID. */
export interface XAutoClaimJustIdResult {
  nextId: string;
  ids: string[];
  deletedIds: string[];
}

/** What XINFO STREAM tells with or without FULL (Redis 7.0 fields, camel-cased). */
interface XInfoStreamCommon {
  length: number;
  radixTreeKeys: number;
  radixTreeNodes: number;
  lastGeneratedId: string;
  maxDeletedEntryId: string;
  entriesAdded: number;
  recordedFirstEntryId: string;
}

/** XINFO STREAM (fields as of Redis 7.0, camel-cased; fields a newer server adds appear untyped). */
export interface XInfoStream<D extends boolean> extends XInfoStreamCommon {
  /** How many consumer groups. */
  groups: number;
  firstEntry: StreamEntry<D> | null;
  lastEntry: StreamEntry<D> | null;
}

/** One group of XINFO GROUPS. */
export interface XInfoGroup<D extends boolean> {
  name: BulkString<D>;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** null when the server cannot tell. */
  entriesRead: number | null;
  /** null when the server cannot tell. */
  lag: number | null;
}

/** One consumer of XINFO CONSUMERS. */
export interface XInfoConsumer<D extends boolean> {
  name: BulkString<D>;
  pending: number;
  /** Milliseconds since the consumer last interacted. */
  idle: number;
}

/** Options of XINFO STREAM ... FULL. */
export interface XInfoStreamFullOptions {
  /** COUNT: at most this many entries and pending entries (default 10, 0 = all). */
  count?: number;
}

/** A pending entry of a group in XINFO STREAM FULL. */
export interface XInfoFullGroupPending<D extends boolean> {
  id: string;
  consumer: BulkString<D>;
  /** Unix milliseconds of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

/** A pending entry of a consumer in XINFO STREAM FULL. */
export interface XInfoFullConsumerPending {
  id: string;
  deliveryTime: number;
  deliveryCount: number;
}

/** A consumer in XINFO STREAM FULL. */
export interface XInfoFullConsumer<D extends boolean> {
  name: BulkString<D>;
  /** Unix milliseconds of the last interaction. */
  seenTime: number;
  pelCount: number;
  pending: XInfoFullConsumerPending[];
}

/** A group in XINFO STREAM FULL. */
export interface XInfoFullGroup<D extends boolean> {
  name: BulkString<D>;
  lastDeliveredId: string;
  entriesRead: number | null;
  lag: number | null;
  pelCount: number;
  pending: XInfoFullGroupPending<D>[];
  consumers: XInfoFullConsumer<D>[];
}

/** XINFO STREAM ... FULL (fields as of Redis 7.0). */
export interface XInfoStreamFull<D extends boolean> extends XInfoStreamCommon {
  entries: StreamEntry<D>[];
  groups: XInfoFullGroup<D>[];
}

export interface StreamCommands<D extends boolean> {
  /** XADD: the new entry's id (`id` is `'*'` for an id the server makes), or null with `noMkStream` and no stream. */
  xadd(key: RedisKey, id: string, fields: FieldValues, options?: XAddOptions): string | null;
  /** XLEN. */
  xlen(key: RedisKey): number;
  /** XRANGE: entries from `start` to `end` (`'-'`, `'+'`, ids; `'('` prefix for exclusive). */
  xrange(key: RedisKey, start: string, end: string, options?: { count?: number }): StreamEntry<D>[];
  /** XREVRANGE: entries from `end` down to `start`. */
  xrevrange(key: RedisKey, end: string, start: string, options?: { count?: number }): StreamEntry<D>[];
  /** XDEL: how many were deleted. */
  xdel(key: RedisKey, ...ids: string[]): number;
  /** XTRIM: how many entries were evicted. */
  xtrim(key: RedisKey, options: XTrimOptions): number;
  /** XREAD: entries per stream that has some, in the order asked; null when none has (or on BLOCK timeout). */
  xread(streams: readonly XReadStream[], options?: XReadOptions): XReadResult<D>[] | null;
  /** XREADGROUP: as XREAD, for a consumer of a group. */
  xreadgroup(
    group: RedisValue,
    consumer: RedisValue,
    streams: readonly XReadStream[],
    options?: XReadGroupOptions,
  ): XReadGroupResult<D>[] | null;
  /** XGROUP CREATE (`id` `'$'` for new entries only). */
  xgroupCreate(key: RedisKey, group: RedisValue, id: string, options?: XGroupCreateOptions): Ok;
  /** XGROUP DESTROY: 1 when the group existed. */
  xgroupDestroy(key: RedisKey, group: RedisValue): number;
  /** XGROUP SETID. */
  xgroupSetId(key: RedisKey, group: RedisValue, id: string, options?: XGroupSetIdOptions): Ok;
  /** XGROUP CREATECONSUMER: 1 when created. */
  xgroupCreateConsumer(key: RedisKey, group: RedisValue, consumer: RedisValue): number;
  /** XGROUP DELCONSUMER: how many entries the consumer had pending. */
  xgroupDelConsumer(key: RedisKey, group: RedisValue, consumer: RedisValue): number;
  /** XACK: how many were acknowledged. */
  xack(key: RedisKey, group: RedisValue, ...ids: string[]): number;
  /** XPENDING key group: the summary. */
  xpending(key: RedisKey, group: RedisValue): XPendingSummary<D>;
  /** XPENDING key group [IDLE n] start end count [consumer]: the pending entries. */
  xpendingRange(
    key: RedisKey,
    group: RedisValue,
    start: string,
    end: string,
    count: number,
    options?: XPendingRangeOptions,
  ): XPendingEntry<D>[];
  /** XCLAIM: the entries claimed (Redis 7.0 leaves out ids deleted from the stream). */
  xclaim(
    key: RedisKey,
    group: RedisValue,
    consumer: RedisValue,
    minIdleTime: number,
    ids: readonly string[],
    options?: XClaimOptions,
  ): StreamEntry<D>[];
  /** XCLAIM ... JUSTID: the ids claimed. */
  xclaimJustId(
    key: RedisKey,
    group: RedisValue,
    consumer: RedisValue,
    minIdleTime: number,
    ids: readonly string[],
    options?: XClaimOptions,
  ): string[];
  /** XAUTOCLAIM. */
  xautoclaim(
    key: RedisKey,
    group: RedisValue,
    consumer: RedisValue,
    minIdleTime: number,
    start: string,
    options?: XAutoClaimOptions,
  ): XAutoClaimResult<D>;
  /** XAUTOCLAIM ... JUSTID. */
  xautoclaimJustId(
    key: RedisKey,
    group: RedisValue,
    consumer: RedisValue,
    minIdleTime: number,
    start: string,
    options?: XAutoClaimOptions,
  ): XAutoClaimJustIdResult;
  /** XINFO STREAM. */
  xinfoStream(key: RedisKey): XInfoStream<D>;
  /** XINFO STREAM ... FULL. */
  xinfoStreamFull(key: RedisKey, options?: XInfoStreamFullOptions): XInfoStreamFull<D>;
  /** XINFO GROUPS. */
  xinfoGroups(key: RedisKey): XInfoGroup<D>[];
  /** XINFO CONSUMERS. */
  xinfoConsumers(key: RedisKey, group: RedisValue): XInfoConsumer<D>[];
}

function pushTrim(command: string, args: CommandArgument[], trim: XTrimOptions): void {
  const byLength = trim.maxLen !== undefined;
  if (byLength === (trim.minId !== undefined)) {
    throw new InvalidArgumentError(`${command}: trimming needs exactly one of maxLen and minId`);
  }
  args.push(byLength ? 'MAXLEN' : 'MINID');
  if (trim.approximate) args.push('~');
  args.push(byLength ? int(command, 'maxLen', trim.maxLen as number, 0) : (trim.minId as string));
  if (trim.limit !== undefined) {
    if (!trim.approximate) throw new InvalidArgumentError(`${command}: limit needs approximate: true`);
    args.push('LIMIT', int(command, 'limit', trim.limit, 0));
  }
}

function pushRead(
  command: string,
  args: CommandArgument[],
  streams: readonly XReadStream[],
  options: XReadOptions | undefined,
): CommandArgument[] {
  if (options?.count !== undefined) args.push('COUNT', int(command, 'count', options.count, 1));
  if (options?.block !== undefined) args.push('BLOCK', int(command, 'block', options.block, 0));
  if (given((options as XReadGroupOptions | undefined)?.noAck)) args.push('NOACK');
  nonEmpty(command, 'stream', streams);
  args.push('STREAMS');
  for (let i = 0; i < streams.length; i++) args.push(streams[i].key);
  for (let i = 0; i < streams.length; i++) args.push(streams[i].id);
  return args;
}

function buildClaim(
  key: RedisKey,
  group: RedisValue,
  consumer: RedisValue,
  minIdleTime: number,
  ids: readonly string[],
  options: XClaimOptions | undefined,
  justId: boolean,
): CommandArgument[] {
  const args: CommandArgument[] = ['XCLAIM', key, group, consumer, int('XCLAIM', 'minIdleTime', minIdleTime, 0)];
  for (const id of nonEmpty('XCLAIM', 'id', ids)) args.push(id);
  if (options?.idle !== undefined) args.push('IDLE', int('XCLAIM', 'idle', options.idle, 0));
  if (options?.time !== undefined) args.push('TIME', int('XCLAIM', 'time', options.time, 0));
  if (options?.retryCount !== undefined) args.push('RETRYCOUNT', int('XCLAIM', 'retryCount', options.retryCount, 0));
  if (options?.force) args.push('FORCE');
  if (justId) args.push('JUSTID');
  if (options?.lastId !== undefined) args.push('LASTID', options.lastId);
  return args;
}

function buildAutoClaim(
  key: RedisKey,
  group: RedisValue,
  consumer: RedisValue,
  minIdleTime: number,
  start: string,
  options: XAutoClaimOptions | undefined,
): CommandArgument[] {
  const args: CommandArgument[] = ['XAUTOCLAIM', key, group, consumer, int('XAUTOCLAIM', 'minIdleTime', minIdleTime, 0), start];
  if (options?.count !== undefined) args.push('COUNT', int('XAUTOCLAIM', 'count', options.count, 1));
  return args;
}

function toReadResults(reply: RespReply): XReadResult<boolean>[] | null {
  if (reply === null) return null;
  const streams = reply as RespReply[][];
  const out = new Array<XReadResult<boolean>>(streams.length);
  for (let i = 0; i < streams.length; i++) out[i] = { key: streams[i][0] as string | Buffer, entries: toStreamEntries(streams[i][1]) };
  return out;
}

function toReadGroupResults(reply: RespReply): XReadGroupResult<boolean>[] | null {
  if (reply === null) return null;
  const streams = reply as RespReply[][];
  const out = new Array<XReadGroupResult<boolean>>(streams.length);
  for (let i = 0; i < streams.length; i++) {
    const entries = streams[i][1] as RespReply[];
    out[i] = { key: streams[i][0] as string | Buffer, entries: entries.map(toStreamEntryOrDeleted) };
  }
  return out;
}

function toPendingSummary(reply: RespReply): XPendingSummary<boolean> {
  const items = reply as RespReply[];
  const consumers = (items[3] ?? []) as (string | Buffer)[][];
  return {
    count: items[0] as number,
    minId: textOrNull(items[1]),
    maxId: textOrNull(items[2]),
    consumers: consumers.map((pair) => ({ name: pair[0], pending: toNumber(pair[1]) })),
  };
}

function toPendingEntries(reply: RespReply): XPendingEntry<boolean>[] {
  return (reply as RespReply[][]).map((item) => ({
    id: text(item[0]),
    consumer: item[1] as string | Buffer,
    idle: item[2] as number,
    deliveries: item[3] as number,
  }));
}

function toAutoClaim(reply: RespReply): XAutoClaimResult<boolean> {
  const items = reply as RespReply[];
  return { nextId: text(items[0]), entries: toStreamEntries(items[1]), deletedIds: toTexts(items[2] ?? []) };
}

function toAutoClaimJustId(reply: RespReply): XAutoClaimJustIdResult {
  const items = reply as RespReply[];
  return { nextId: text(items[0]), ids: toTexts(items[1]), deletedIds: toTexts(items[2] ?? []) };
}

function entryOrNull(value: RespReply): StreamEntry<boolean> | null {
  return value === null ? null : toStreamEntry(value);
}

const ID_FIELDS = {
  lastGeneratedId: text,
  maxDeletedEntryId: text,
  recordedFirstEntryId: text,
  lastDeliveredId: text,
} as const;

const STREAM_INFO = { ...ID_FIELDS, firstEntry: entryOrNull, lastEntry: entryOrNull };

const GROUP_INFO = ID_FIELDS;

const FULL_CONSUMER = {
  pending: (value: RespReply): XInfoFullConsumerPending[] =>
    (value as RespReply[][]).map((item) => ({ id: text(item[0]), deliveryTime: item[1] as number, deliveryCount: item[2] as number })),
};

const FULL_GROUP = {
  ...ID_FIELDS,
  pending: (value: RespReply): XInfoFullGroupPending<boolean>[] =>
    (value as RespReply[][]).map((item) => ({
      id: text(item[0]),
      consumer: item[1] as string | Buffer,
      deliveryTime: item[2] as number,
      deliveryCount: item[3] as number,
    })),
  consumers: (value: RespReply) => (value as RespReply[]).map((item) => toInfoRecord(item, FULL_CONSUMER)),
};

const STREAM_FULL = {
  ...ID_FIELDS,
  entries: toStreamEntries,
  groups: (value: RespReply) => (value as RespReply[]).map((item) => toInfoRecord(item, FULL_GROUP)),
};

export const streamDefinitions = {
  xadd: {
    build: (key, id, fields, options) => {
      const args: CommandArgument[] = ['XADD', key];
      if (options?.noMkStream) args.push('NOMKSTREAM');
      if (options?.trim !== undefined) pushTrim('XADD', args, options.trim);
      args.push(id);
      pushEntries('XADD', args, fields);
      return args;
    },
    transform: textOrNull,
  },
  xlen: { build: (key) => ['XLEN', key] },
  xrange: {
    build: (key, start, end, options) =>
      options?.count === undefined
        ? ['XRANGE', key, start, end]
        : ['XRANGE', key, start, end, 'COUNT', int('XRANGE', 'count', options.count, 0)],
    transform: toStreamEntries,
  },
  xrevrange: {
    build: (key, end, start, options) =>
      options?.count === undefined
        ? ['XREVRANGE', key, end, start]
        : ['XREVRANGE', key, end, start, 'COUNT', int('XREVRANGE', 'count', options.count, 0)],
    transform: toStreamEntries,
  },
  xdel: { build: (key, ...ids) => ['XDEL', key, ...nonEmpty('XDEL', 'id', ids)] },
  xtrim: {
    build: (key, options) => {
      const args: CommandArgument[] = ['XTRIM', key];
      pushTrim('XTRIM', args, options);
      return args;
    },
  },
  xread: { build: (streams, options) => pushRead('XREAD', ['XREAD'], streams, options), transform: toReadResults },
  xreadgroup: {
    build: (group, consumer, streams, options) => pushRead('XREADGROUP', ['XREADGROUP', 'GROUP', group, consumer], streams, options),
    transform: toReadGroupResults,
  },
  xgroupCreate: {
    build: (key, group, id, options) => {
      const args: CommandArgument[] = ['XGROUP', 'CREATE', key, group, id];
      if (options?.mkStream) args.push('MKSTREAM');
      if (options?.entriesRead !== undefined) args.push('ENTRIESREAD', int('XGROUP CREATE', 'entriesRead', options.entriesRead));
      return args;
    },
  },
  xgroupDestroy: { build: (key, group) => ['XGROUP', 'DESTROY', key, group] },
  xgroupSetId: {
    build: (key, group, id, options) =>
      options?.entriesRead === undefined
        ? ['XGROUP', 'SETID', key, group, id]
        : ['XGROUP', 'SETID', key, group, id, 'ENTRIESREAD', int('XGROUP SETID', 'entriesRead', options.entriesRead)],
  },
  xgroupCreateConsumer: { build: (key, group, consumer) => ['XGROUP', 'CREATECONSUMER', key, group, consumer] },
  xgroupDelConsumer: { build: (key, group, consumer) => ['XGROUP', 'DELCONSUMER', key, group, consumer] },
  xack: { build: (key, group, ...ids) => ['XACK', key, group, ...nonEmpty('XACK', 'id', ids)] },
  xpending: { build: (key, group) => ['XPENDING', key, group], transform: toPendingSummary },
  xpendingRange: {
    build: (key, group, start, end, count, options) => {
      const args: CommandArgument[] = ['XPENDING', key, group];
      if (options?.idle !== undefined) args.push('IDLE', int('XPENDING', 'idle', options.idle, 0));
      args.push(start, end, int('XPENDING', 'count', count, 0));
      if (options?.consumer !== undefined) args.push(options.consumer);
      return args;
    },
    transform: toPendingEntries,
  },
  xclaim: {
    build: (key, group, consumer, minIdleTime, ids, options) => buildClaim(key, group, consumer, minIdleTime, ids, options, false),
    transform: toStreamEntries,
  },
  xclaimJustId: {
    build: (key, group, consumer, minIdleTime, ids, options) => buildClaim(key, group, consumer, minIdleTime, ids, options, true),
    transform: toTexts,
  },
  xautoclaim: {
    build: (key, group, consumer, minIdleTime, start, options) => buildAutoClaim(key, group, consumer, minIdleTime, start, options),
    transform: toAutoClaim,
  },
  xautoclaimJustId: {
    build: (key, group, consumer, minIdleTime, start, options) => {
      const args = buildAutoClaim(key, group, consumer, minIdleTime, start, options);
      args.push('JUSTID');
      return args;
    },
    transform: toAutoClaimJustId,
  },
  xinfoStream: {
    build: (key) => ['XINFO', 'STREAM', key],
    transform: (reply) => toInfoRecord(reply, STREAM_INFO) as unknown as XInfoStream<boolean>,
  },
  xinfoStreamFull: {
    build: (key, options) =>
      options?.count === undefined
        ? ['XINFO', 'STREAM', key, 'FULL']
        : ['XINFO', 'STREAM', key, 'FULL', 'COUNT', int('XINFO STREAM', 'count', options.count, 0)],
    transform: (reply) => toInfoRecord(reply, STREAM_FULL) as unknown as XInfoStreamFull<boolean>,
  },
  xinfoGroups: {
    build: (key) => ['XINFO', 'GROUPS', key],
    transform: (reply) => (reply as RespReply[]).map((item) => toInfoRecord(item, GROUP_INFO) as unknown as XInfoGroup<boolean>),
  },
  xinfoConsumers: {
    build: (key, group) => ['XINFO', 'CONSUMERS', key, group],
    transform: (reply) => (reply as RespReply[]).map((item) => toInfoRecord(item, {}) as unknown as XInfoConsumer<boolean>),
  },
} satisfies Definitions<StreamCommands<boolean>>;
