/**
 * Commands are data: one definition per method gives how its arguments become the RESP argument
 * array and how its reply is shaped. The client and the pipeline both install their methods from
 * `COMMANDS`; which arguments are keys comes from the command table of @hashslot/slots.
 */
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { bitmapDefinitions } from './bitmaps.js';
import type { BitmapCommands } from './bitmaps.js';
import { connectionDefinitions } from './connection.js';
import type { ConnectionCommands } from './connection.js';
import type { CommandDefinition, Definitions } from './definition.js';
import { geoDefinitions } from './geo.js';
import type { GeoCommands } from './geo.js';
import { hashDefinitions } from './hashes.js';
import type { HashCommands } from './hashes.js';
import { hyperLogLogDefinitions } from './hyperloglog.js';
import type { HyperLogLogCommands } from './hyperloglog.js';
import { installDefinitions } from './install.js';
import type { OnBuildError } from './install.js';
import { keyDefinitions } from './keys.js';
import type { KeyCommands } from './keys.js';
import { listDefinitions } from './lists.js';
import type { ListCommands } from './lists.js';
import { scriptingDefinitions } from './scripting.js';
import type { ScriptingCommands } from './scripting.js';
import { setDefinitions } from './sets.js';
import type { SetCommands } from './sets.js';
import { sortedSetDefinitions } from './sorted-sets.js';
import type { SortedSetCommands } from './sorted-sets.js';
import { streamDefinitions } from './streams.js';
import type { StreamCommands } from './streams.js';
import { stringDefinitions } from './strings.js';
import type { StringCommands } from './strings.js';

export type {
  BulkString,
  Entries,
  FieldValues,
  Flag,
  KeyValues,
  ListSide,
  Ok,
  RedisKey,
  RedisValue,
  ScoredMember,
  ScriptReply,
  StreamEntry,
} from './types.js';
export type { Limit } from './arguments.js';
export type { CommandDefinition } from './definition.js';
export type { Invoke, OnBuildError } from './install.js';
export type { GetExOptions, LcsIdxOptions, LcsIdxResult, LcsMatch, SetOptions, StringCommands } from './strings.js';
export type { CopyOptions, ExpireOptions, KeyCommands, RedisType, RestoreOptions, SortOptions } from './keys.js';
export type { FieldValue, HashCommands } from './hashes.js';
export type { KeyElement, KeyElements, ListCommands, LmpopOptions, LposOptions } from './lists.js';
export type { InterCardOptions, SetCommands } from './sets.js';
export type {
  KeyScoredMember,
  KeyScoredMembers,
  ScoreBound,
  SortedSetCommands,
  ZAddIncrOptions,
  ZAddMember,
  ZAddOptions,
  ZCombineOptions,
  ZMpopOptions,
  ZRangeBound,
  ZRangeOptions,
  ZRangeWithScoresOptions,
} from './sorted-sets.js';
export type {
  StreamCommands,
  XAddOptions,
  XAutoClaimJustIdResult,
  XAutoClaimOptions,
  XAutoClaimResult,
  XClaimOptions,
  XGroupCreateOptions,
  XGroupSetIdOptions,
  XInfoConsumer,
  XInfoFullConsumer,
  XInfoFullConsumerPending,
  XInfoFullGroup,
  XInfoFullGroupPending,
  XInfoGroup,
  XInfoStream,
  XInfoStreamFull,
  XInfoStreamFullOptions,
  XPendingEntry,
  XPendingRangeOptions,
  XPendingSummary,
  XReadGroupEntry,
  XReadGroupOptions,
  XReadGroupResult,
  XReadOptions,
  XReadResult,
  XReadStream,
  XTrimOptions,
} from './streams.js';
export type { HyperLogLogCommands } from './hyperloglog.js';
export type {
  GeoAddOptions,
  GeoCommands,
  GeoMember,
  GeoPosition,
  GeoSearchBy,
  GeoSearchFrom,
  GeoSearchOptions,
  GeoSearchResult,
  GeoSearchStoreOptions,
  GeoSearchWithOptions,
  GeoUnit,
} from './geo.js';
export type {
  BitCountRange,
  BitfieldEncoding,
  BitfieldOffset,
  BitfieldOperation,
  BitfieldOverflow,
  BitfieldRead,
  BitmapCommands,
  BitPosRange,
  BitUnit,
} from './bitmaps.js';
export type { ScriptingCommands } from './scripting.js';
export type { ConnectionCommands } from './connection.js';

/**
 * Method name -> signature giving its parameters and its shaped result. `D` is the client's
 * `decodeResponses`: bulk strings are strings when `true`, Buffers when `false`.
 */
export interface CommandSignatures<D extends boolean>
  extends StringCommands<D>,
    KeyCommands<D>,
    HashCommands<D>,
    ListCommands<D>,
    SetCommands<D>,
    SortedSetCommands<D>,
    StreamCommands<D>,
    HyperLogLogCommands,
    GeoCommands<D>,
    BitmapCommands,
    ScriptingCommands<D>,
    ConnectionCommands<D> {}

/** A method name of `CommandSignatures`. */
export type CommandMethod = keyof CommandSignatures<boolean>;

/** The typed methods of the client: each resolves to the shaped reply. */
export type ClientCommands<D extends boolean> = {
  [K in keyof CommandSignatures<D>]: (
    ...args: Parameters<CommandSignatures<D>[K]>
  ) => Promise<ReturnType<CommandSignatures<D>[K]>>;
};

/** The typed methods of a pipeline: each queues the command and returns the pipeline. */
export type ChainCommands<D extends boolean, Self> = {
  [K in keyof CommandSignatures<D>]: (...args: Parameters<CommandSignatures<D>[K]>) => Self;
};

/** Per method, the shaped result: what a pipeline's `exec()` gives back for it. */
export type CommandResult<D extends boolean, K extends CommandMethod> = ReturnType<CommandSignatures<D>[K]>;

// One object per family keeps each list beside its signatures; merging them here is checked
// against the whole interface, so a method without a definition is a compile error.
const definitions = {
  ...stringDefinitions,
  ...keyDefinitions,
  ...hashDefinitions,
  ...listDefinitions,
  ...setDefinitions,
  ...sortedSetDefinitions,
  ...streamDefinitions,
  ...hyperLogLogDefinitions,
  ...geoDefinitions,
  ...bitmapDefinitions,
  ...scriptingDefinitions,
  ...connectionDefinitions,
} satisfies Definitions<CommandSignatures<boolean>>;

/** Every command definition, by method name. */
export const COMMANDS: Readonly<Record<CommandMethod, CommandDefinition>> = Object.freeze(
  Object.fromEntries(
    Object.entries(definitions).map(([name, definition]: [string, Omit<CommandDefinition, 'name'>]) => [
      name,
      Object.freeze({ name, build: definition.build, transform: definition.transform }),
    ]),
  ) as Record<CommandMethod, CommandDefinition>,
);

/**
 * Adds one method per COMMANDS entry to `prototype`; each calls `invoke(this, args, transform)`
 * and returns its result. Names the prototype already has are left alone. When `build` rejects
 * the arguments (`InvalidArgumentError`, before anything is sent), the method throws, or returns
 * `onBuildError(this, error)` when given (a client returns `Promise.reject(error)`).
 */
export function installCommands(
  prototype: object,
  invoke: (self: unknown, args: CommandArgument[], transform: ((reply: RespReply) => unknown) | undefined) => unknown,
  onBuildError?: OnBuildError,
): void {
  installDefinitions(prototype, COMMANDS, invoke, onBuildError);
}
