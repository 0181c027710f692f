import type { CommandArgument, RespReply } from '@hashslot/resp';
import { COMMANDS } from '../commands/index.js';
import { buildChecked } from '../commands/install.js';
import type { BulkString, Flag, KeyValues, ListSide, Ok, RedisKey, RedisValue, SortOptions, ZCombineOptions } from '../commands/index.js';
import type { ClusterCore } from '../core.js';
import { pfcount, pfmerge } from './hyperloglog.js';
import { move } from './lists.js';
import { rename } from './rename.js';
import { setOperation, smove } from './sets.js';
import { sortStore } from './sort.js';
import { sortedSetStore } from './sorted-sets.js';
import { counting, mget, mset, msetnx } from './split.js';

/**
 * Multi-key commands whose keys may span slots. Keys that share a slot (a common `{hash tag}`)
 * make each of them the one native command, atomic as usual. Keys across slots are handled
 * client-side, correctly but without the atomicity of the native command; README.md of this
 * directory says exactly what another client may see for each. Every other multi-key command
 * whose keys span slots rejects with a `CrossSlotError` naming the keys.
 *
 * The same applies to `call()`: `call('MGET', a, b)` across slots works like `mget(a, b)`.
 */
export interface MultiKeyMethods<D extends boolean> {
  /** MGET across slots: one MGET per slot, all nodes written at once; values (null when missing) in the order of `keys`. */
  mget(...keys: RedisKey[]): Promise<(BulkString<D> | null)[]>;
  /** MSET across slots: one MSET per slot. Each slot's keys are set atomically; readers may see one slot set before another. */
  mset(entries: KeyValues): Promise<Ok>;
  /**
   * MSETNX across slots: EXISTS on every key, then MSET per slot when none exists; 1 when set,
   * 0 when a key existed (nothing set). Not atomic: a key another client creates between the
   * check and the set is overwritten, and readers may see some slots set before others.
   */
  msetnx(entries: KeyValues): Promise<Flag>;
  /** DEL across slots: one DEL per slot; the number removed, summed. */
  del(...keys: RedisKey[]): Promise<number>;
  /** UNLINK across slots: one UNLINK per slot; the number removed, summed. */
  unlink(...keys: RedisKey[]): Promise<number>;
  /** EXISTS across slots: one EXISTS per slot, summed; a key named twice counts twice. */
  exists(...keys: RedisKey[]): Promise<number>;
  /** TOUCH across slots: one TOUCH per slot, summed. */
  touch(...keys: RedisKey[]): Promise<number>;
  /**
   * RENAME across slots: DUMP and expiry of `key` read together, RESTORE ... REPLACE ABSTTL on
   * `newKey` (value, type and exact expiry time kept), then DEL `key`. In between both keys
   * exist, and a write to `key` after the DUMP is lost with the DEL. "ERR no such key" when
   * `key` does not exist.
   */
  rename(key: RedisKey, newKey: RedisKey): Promise<Ok>;
  /** RENAMENX across slots: as `rename`, but RESTORE without REPLACE, so 0 (nothing changed) when `newKey` exists by then. */
  renamenx(key: RedisKey, newKey: RedisKey): Promise<Flag>;
  /** RPOPLPUSH across slots: `lmove(source, destination, 'RIGHT', 'LEFT')`. */
  rpoplpush(source: RedisKey, destination: RedisKey): Promise<BulkString<D> | null>;
  /**
   * LMOVE across slots: the element moves atomically into a transit key in the source's slot,
   * is pushed onto `destination`, and the transit key is deleted. Readers may see the element in
   * neither list for a moment. If the push fails the element goes back where it came from and
   * the error is thrown (WRONGTYPE as the native command would).
   */
  lmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide): Promise<BulkString<D> | null>;
  /** BRPOPLPUSH across slots: `blmove(source, destination, 'RIGHT', 'LEFT', timeout)`. */
  brpoplpush(source: RedisKey, destination: RedisKey, timeout: number): Promise<BulkString<D> | null>;
  /** BLMOVE across slots: blocks on `source` alone (BLMOVE into the transit key), then pushes, as `lmove`. Null on timeout. */
  blmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide, timeout: number): Promise<BulkString<D> | null>;
  /**
   * SMOVE across slots: both types checked, SREM from `source`, SADD to `destination` (added back
   * to `source` if that fails). Readers may see the member in neither set for a moment.
   */
  smove(source: RedisKey, destination: RedisKey, member: RedisValue): Promise<Flag>;
  /** SDIFF across slots: SMEMBERS of each key (on the masters), the difference computed here; each set read atomically, not all together. */
  sdiff(...keys: RedisKey[]): Promise<BulkString<D>[]>;
  /** SINTER across slots, as `sdiff`. */
  sinter(...keys: RedisKey[]): Promise<BulkString<D>[]>;
  /** SUNION across slots, as `sdiff`. */
  sunion(...keys: RedisKey[]): Promise<BulkString<D>[]>;
  /** SDIFFSTORE across slots: as `sdiff`, then `destination` replaced at once (deleted when empty); the size stored. */
  sdiffstore(destination: RedisKey, ...keys: RedisKey[]): Promise<number>;
  /** SINTERSTORE across slots, as `sdiffstore`. */
  sinterstore(destination: RedisKey, ...keys: RedisKey[]): Promise<number>;
  /** SUNIONSTORE across slots, as `sdiffstore`. */
  sunionstore(destination: RedisKey, ...keys: RedisKey[]): Promise<number>;
  /**
   * ZUNIONSTORE across slots: each input (a sorted set, or a set whose members score 1) read on
   * its master, WEIGHTS and AGGREGATE applied here exactly as the server does, `destination`
   * replaced at once. The inputs are not read at one instant.
   */
  zunionstore(destination: RedisKey, keys: readonly RedisKey[], options?: ZCombineOptions): Promise<number>;
  /** ZINTERSTORE across slots, as `zunionstore`. */
  zinterstore(destination: RedisKey, keys: readonly RedisKey[], options?: ZCombineOptions): Promise<number>;
  /** ZDIFFSTORE across slots, as `zunionstore`. */
  zdiffstore(destination: RedisKey, keys: readonly RedisKey[]): Promise<number>;
  /**
   * PFCOUNT across slots: the other slots' HyperLogLogs copied into temporary keys of the first
   * key's slot, counted natively, copies deleted, in one script. The keys are not read at one instant.
   */
  pfcount(...keys: RedisKey[]): Promise<number>;
  /** PFMERGE across slots: as `pfcount`, on the destination's slot. */
  pfmerge(destination: RedisKey, ...sources: RedisKey[]): Promise<Ok>;
  /** SORT ... STORE across slots: sorted on the source's node as STORE sorts, the list written to `destination` at once. */
  sortStore(key: RedisKey, destination: RedisKey, options?: SortOptions): Promise<number>;
}

/** The client-side version of a cross-slot command: raw arguments in, the raw reply the server would give out. */
export type CrossSlotHandler = (core: ClusterCore, args: readonly CommandArgument[]) => Promise<RespReply>;

const HANDLERS: ReadonlyMap<string, CrossSlotHandler> = new Map<string, CrossSlotHandler>([
  ['MGET', mget],
  ['MSET', mset],
  ['MSETNX', msetnx],
  ['DEL', counting('DEL')],
  ['UNLINK', counting('UNLINK')],
  ['EXISTS', counting('EXISTS')],
  ['TOUCH', counting('TOUCH')],
  ['RENAME', rename(false)],
  ['RENAMENX', rename(true)],
  ['RPOPLPUSH', move('RPOPLPUSH')],
  ['LMOVE', move('LMOVE')],
  ['BRPOPLPUSH', move('BRPOPLPUSH')],
  ['BLMOVE', move('BLMOVE')],
  ['SMOVE', smove],
  ['SDIFF', setOperation('SDIFF', false)],
  ['SINTER', setOperation('SINTER', false)],
  ['SUNION', setOperation('SUNION', false)],
  ['SDIFFSTORE', setOperation('SDIFF', true)],
  ['SINTERSTORE', setOperation('SINTER', true)],
  ['SUNIONSTORE', setOperation('SUNION', true)],
  ['ZUNIONSTORE', sortedSetStore('UNION')],
  ['ZINTERSTORE', sortedSetStore('INTER')],
  ['ZDIFFSTORE', sortedSetStore('DIFF')],
  ['PFCOUNT', pfcount],
  ['PFMERGE', pfmerge],
  ['SORT', sortStore],
]);

/**
 * The client-side version of a multi-key command whose keys span slots, or undefined when the
 * command has none (the caller then reports the CrossSlotError). `name` is the upper-case name
 * of `CrossSlotError.command`. Used by `call()` and, through it, by the typed methods.
 */
export function crossSlotHandler(name: string): CrossSlotHandler | undefined {
  return HANDLERS.get(name);
}

/** What the installed methods need of the client. */
interface Sender {
  sendCommand(args: readonly CommandArgument[], transform?: (reply: RespReply) => unknown): Promise<unknown>;
}

/** Every method of MultiKeyMethods; a Record so that forgetting one is a compile error. */
const METHODS: Readonly<Record<keyof MultiKeyMethods<boolean>, true>> = {
  mget: true, mset: true, msetnx: true, del: true, unlink: true, exists: true, touch: true,
  rename: true, renamenx: true, rpoplpush: true, lmove: true, brpoplpush: true, blmove: true,
  smove: true, sdiff: true, sinter: true, sunion: true, sdiffstore: true, sinterstore: true, sunionstore: true,
  zunionstore: true, zinterstore: true, zdiffstore: true, pfcount: true, pfmerge: true, sortStore: true,
};

/**
 * Defines the methods of MultiKeyMethods on the client's prototype. Each builds its command from
 * the same definition as the generic method (same argument checks, same reply transform) and
 * sends it through the client's `sendCommand`: one native command when the keys share a slot,
 * the handler above when they do not, and a response callback set for the command applies to
 * both alike.
 */
export function installMultiKeyMethods(prototype: object): void {
  for (const name of Object.keys(METHODS) as (keyof MultiKeyMethods<boolean>)[]) {
    const build = COMMANDS[name].build as (...args: unknown[]) => CommandArgument[];
    const transform = COMMANDS[name].transform;
    const method = {
      [name](this: Sender, ...args: unknown[]): Promise<unknown> {
        let command: CommandArgument[];
        try {
          // The same checks as the generic methods, unknown options included.
          command = buildChecked(name, build, args);
        } catch (error) {
          return Promise.reject(error);
        }
        return this.sendCommand(command, transform);
      },
    }[name];
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
