import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { atMostOne, int, nonEmpty, oneOf } from './arguments.js';
import type { Definitions } from './definition.js';
import { textOrNull, toNumber, toNumberOrNull } from './replies.js';
import type { BulkString, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=geo */

export type GeoUnit = 'm' | 'km' | 'ft' | 'mi';

/** A position as the server gives it: longitude first. */
export type GeoPosition = [longitude: number, latitude: number];

/** A member to add at a position. */
export interface GeoMember {
  longitude: number;
  latitude: number;
  member: RedisValue;
}

/** Options of GEOADD. */
export interface GeoAddOptions {
  /** NX: only add new members. */
  nx?: boolean;
  /** XX: only update existing members. */
  xx?: boolean;
  /** CH: count changed members, not only added ones. */
  ch?: boolean;
}

/** Where a search is centred: FROMMEMBER or FROMLONLAT. */
export type GeoSearchFrom = { member: RedisValue } | { longitude: number; latitude: number };

/** The search area: BYRADIUS or BYBOX. */
export type GeoSearchBy = { radius: number; unit: GeoUnit } | { width: number; height: number; unit: GeoUnit };

/** Options of GEOSEARCH. */
export interface GeoSearchOptions {
  /** ASC (nearest first) or DESC. */
  order?: 'ASC' | 'DESC';
  /** COUNT: at most this many results (>= 1). */
  count?: number;
  /** ANY: stop at the first `count` matches found (needs `count`). */
  any?: boolean;
}

/** Options of GEOSEARCH with extra data per result: at least one of the `with` options. */
export interface GeoSearchWithOptions extends GeoSearchOptions {
  /** WITHCOORD: give `position`. */
  withCoord?: boolean;
  /** WITHDIST: give `distance`, in the search's unit. */
  withDist?: boolean;
  /** WITHHASH: give `hash`, the 52-bit geohash integer. */
  withHash?: boolean;
}

/** Options of GEOSEARCHSTORE. */
export interface GeoSearchStoreOptions extends GeoSearchOptions {
  /** STOREDIST: store distances as scores instead of geohashes. */
  storeDist?: boolean;
}

/** One result of `geosearchWith`; each optional field is there when its option was given. */
export interface GeoSearchResult<D extends boolean> {
  member: BulkString<D>;
  distance?: number;
  hash?: number;
  position?: GeoPosition;
}

export interface GeoCommands<D extends boolean> {
  /** GEOADD: how many members were added (changed, with `ch`). */
  geoadd(key: RedisKey, members: readonly GeoMember[], options?: GeoAddOptions): number;
  /** GEODIST: the distance (metres by default), or null when a member is missing. */
  geodist(key: RedisKey, member1: RedisValue, member2: RedisValue, unit?: GeoUnit): number | null;
  /** GEOHASH: an 11-character geohash (or null) per member. */
  geohash(key: RedisKey, ...members: RedisValue[]): (string | null)[];
  /** GEOPOS: a position (or null) per member. */
  geopos(key: RedisKey, ...members: RedisValue[]): (GeoPosition | null)[];
  /** GEOSEARCH: the members in the area. */
  geosearch(key: RedisKey, from: GeoSearchFrom, by: GeoSearchBy, options?: GeoSearchOptions): BulkString<D>[];
  /** GEOSEARCH ... WITHCOORD/WITHDIST/WITHHASH. */
  geosearchWith(key: RedisKey, from: GeoSearchFrom, by: GeoSearchBy, options: GeoSearchWithOptions): GeoSearchResult<D>[];
  /** GEOSEARCHSTORE: how many members were stored. */
  geosearchstore(destination: RedisKey, source: RedisKey, from: GeoSearchFrom, by: GeoSearchBy, options?: GeoSearchStoreOptions): number;
}

const UNITS: readonly GeoUnit[] = ['m', 'km', 'ft', 'mi'];

function pushSearch(
  command: string,
  args: CommandArgument[],
  from: GeoSearchFrom,
  by: GeoSearchBy,
  options: GeoSearchOptions | undefined,
): CommandArgument[] {
  if ('member' in from) args.push('FROMMEMBER', from.member);
  else if ('longitude' in from) args.push('FROMLONLAT', from.longitude, from.latitude);
  else throw new InvalidArgumentError(`${command}: from needs member, or longitude and latitude`);
  if ('radius' in by) args.push('BYRADIUS', by.radius, oneOf(command, 'unit', by.unit, UNITS));
  else if ('width' in by) args.push('BYBOX', by.width, by.height, oneOf(command, 'unit', by.unit, UNITS));
  else throw new InvalidArgumentError(`${command}: by needs radius, or width and height`);
  if (options === undefined) return args;
  if (options.order !== undefined) args.push(oneOf(command, 'order', options.order, ['ASC', 'DESC']));
  if (options.count !== undefined) {
    args.push('COUNT', int(command, 'count', options.count, 1));
    if (options.any) args.push('ANY');
  } else if (options.any) {
    throw new InvalidArgumentError(`${command}: option any needs option count`);
  }
  return args;
}

function toPosition(reply: RespReply): GeoPosition | null {
  if (reply === null) return null;
  const pair = reply as RespReply[];
  return [toNumber(pair[0]), toNumber(pair[1])];
}

/**
 * Each result is `[member, distance?, hash?, position?]`, with only the fields asked for. They are
 * told apart by type (a distance is a bulk string, a hash an integer, a position an array), so the
 * transform needs no knowledge of the options.
 */
function toSearchResults(reply: RespReply): GeoSearchResult<boolean>[] {
  return (reply as RespReply[][]).map((item) => {
    const result: GeoSearchResult<boolean> = { member: item[0] as string | Buffer };
    for (let i = 1; i < item.length; i++) {
      const value = item[i];
      if (Array.isArray(value)) result.position = toPosition(value) as GeoPosition;
      else if (typeof value === 'number') result.hash = value;
      else result.distance = toNumber(value);
    }
    return result;
  });
}

export const geoDefinitions = {
  geoadd: {
    build: (key, members, options) => {
      const args: CommandArgument[] = ['GEOADD', key];
      if (options !== undefined) {
        atMostOne('GEOADD', options, ['nx', 'xx']);
        if (options.nx) args.push('NX');
        if (options.xx) args.push('XX');
        if (options.ch) args.push('CH');
      }
      for (const m of nonEmpty('GEOADD', 'member', members)) args.push(m.longitude, m.latitude, m.member);
      return args;
    },
  },
  geodist: {
    build: (key, member1, member2, unit) =>
      unit === undefined ? ['GEODIST', key, member1, member2] : ['GEODIST', key, member1, member2, oneOf('GEODIST', 'unit', unit, UNITS)],
    transform: toNumberOrNull,
  },
  geohash: { build: (key, ...members) => ['GEOHASH', key, ...members], transform: (reply) => (reply as RespReply[]).map(textOrNull) },
  geopos: { build: (key, ...members) => ['GEOPOS', key, ...members], transform: (reply) => (reply as RespReply[]).map(toPosition) },
  geosearch: { build: (key, from, by, options) => pushSearch('GEOSEARCH', ['GEOSEARCH', key], from, by, options) },
  geosearchWith: {
    build: (key, from, by, options) => {
      const args = pushSearch('GEOSEARCH', ['GEOSEARCH', key], from, by, options);
      if (!options.withCoord && !options.withDist && !options.withHash) {
        throw new InvalidArgumentError('GEOSEARCH: geosearchWith needs withCoord, withDist or withHash; use geosearch for members only');
      }
      if (options.withCoord) args.push('WITHCOORD');
      if (options.withDist) args.push('WITHDIST');
      if (options.withHash) args.push('WITHHASH');
      return args;
    },
    transform: toSearchResults,
  },
  geosearchstore: {
    build: (destination, source, from, by, options) => {
      const args = pushSearch('GEOSEARCHSTORE', ['GEOSEARCHSTORE', destination, source], from, by, options);
      if (options?.storeDist) args.push('STOREDIST');
      return args;
    },
  },
} satisfies Definitions<GeoCommands<boolean>>;
