import type { CommandArgument } from '@hashslot/resp';
import { keyBytes } from './command-arguments.js';
import { commandInfoFromRow } from './command-info.js';
import type { CommandInfo, KeySpec } from './command-info.js';
import { COMMAND_ROWS } from './command-table.data.js';
import { CrossSlotError } from './errors.js';
import { INCOMPLETE_KEY_SPEC_FINDERS } from './incomplete-key-specs.js';
import type { KeyFinder } from './incomplete-key-specs.js';
import { keySlot } from './key-slot.js';
import { SPEC_INVALID, SPEC_SKIPPED, resolveKeySpec } from './key-specs.js';
import type { KeyRange } from './key-specs.js';

/** A command's description plus what routing it needs, precomputed once. */
interface CommandEntry {
  readonly info: CommandInfo;
  /** For errors: `MSET`, `XINFO STREAM`. */
  readonly displayName: string;
  readonly keySpecs: readonly KeySpec[];
  /**
   * The argument index of the command's only key when its key specs are exactly one fixed
   * position (GET, SET, HSET, INCR ... most commands), else 0: routing those needs no spec walk.
   */
  readonly singleKeyIndex: number;
  /** The server's own key finder, used when a spec cannot be applied (SORT, MIGRATE). */
  readonly findKeys: KeyFinder | undefined;
  /** By subcommand name, lower and upper case; undefined for commands without subcommands. Filled while the table is built. */
  subcommands: Map<string, CommandEntry> | undefined;
}

function singleKeyIndex(specs: readonly KeySpec[], findKeys: KeyFinder | undefined): number {
  if (specs.length !== 1 || findKeys !== undefined) return 0;
  const [spec] = specs;
  if (spec.incomplete || spec.beginSearch.type !== 'index' || spec.findKeys.type !== 'range' || spec.findKeys.lastKey !== 0) return 0;
  return spec.beginSearch.index;
}

/**
 * Builds the lookup maps once, when the module loads. Names are stored in lower and upper case
 * so that the usual spellings (`get`, `GET`) are found without converting the argument.
 */
function buildTable(): { commands: Map<string, CommandEntry>; longestName: number } {
  const commands = new Map<string, CommandEntry>();
  let longestName = 0;
  for (const row of COMMAND_ROWS) {
    const info = commandInfoFromRow(row);
    const bar = info.name.indexOf('|');
    const ownName = bar === -1 ? info.name : info.name.slice(bar + 1);
    const findKeys = INCOMPLETE_KEY_SPEC_FINDERS.get(info.name);
    const entry: CommandEntry = {
      info,
      displayName: info.name.replace('|', ' ').toUpperCase(),
      keySpecs: info.keySpecs,
      singleKeyIndex: singleKeyIndex(info.keySpecs, findKeys),
      findKeys,
      subcommands: undefined,
    };
    let target = commands;
    if (bar !== -1) {
      // Rows are sorted, so a container comes before its subcommands.
      const container = commands.get(info.name.slice(0, bar));
      if (container === undefined) continue;
      container.subcommands ??= new Map();
      target = container.subcommands;
    }
    target.set(ownName, entry);
    target.set(ownName.toUpperCase(), entry);
    longestName = Math.max(longestName, ownName.length);
  }
  return { commands, longestName };
}

const TABLE = buildTable();

/** ASCII-only lower case, as the server compares names; undefined for text that cannot be a name. */
function asciiLowerCase(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    // JavaScript's toLowerCase would turn the Kelvin sign into "k"; the server would not.
    if (text.charCodeAt(i) > 0x7f) return undefined;
  }
  return text.toLowerCase();
}

function entryNamed(map: Map<string, CommandEntry>, arg: CommandArgument): CommandEntry | undefined {
  let text: string;
  if (typeof arg === 'string') {
    const exact = map.get(arg);
    if (exact !== undefined || arg.length > TABLE.longestName) return exact;
    text = arg;
  } else if (Buffer.isBuffer(arg)) {
    if (arg.length > TABLE.longestName) return undefined;
    text = arg.toString('latin1');
    const exact = map.get(text);
    if (exact !== undefined) return exact;
  } else {
    return undefined;
  }
  const lower = asciiLowerCase(text);
  return lower === undefined ? undefined : map.get(lower);
}

function lookupEntry(args: readonly CommandArgument[]): CommandEntry | undefined {
  if (args.length === 0) return undefined;
  const entry = entryNamed(TABLE.commands, args[0]);
  if (entry === undefined || entry.subcommands === undefined || args.length < 2) return entry;
  return entryNamed(entry.subcommands, args[1]) ?? entry;
}

/**
 * What the server says about the command `args` invokes: for a command with subcommands
 * (CLIENT, CONFIG, OBJECT, XINFO ...) the subcommand named by `args[1]`. Names are matched
 * ignoring ASCII case, as strings or Buffers. Without a known subcommand it gives the container
 * command itself (`client`, with no keys), which the server would answer with an error.
 * @returns `undefined` for a command this table does not know.
 */
export function lookupCommand(args: readonly CommandArgument[]): CommandInfo | undefined {
  return lookupEntry(args)?.info;
}

/** The keys of a command whose spec cannot be applied: what the server's own finder gives. */
function keysWithoutSpecs(entry: CommandEntry, args: readonly CommandArgument[]): CommandArgument[] {
  return entry.findKeys === undefined ? [] : entry.findKeys(args);
}

function keysOf(entry: CommandEntry, args: readonly CommandArgument[]): CommandArgument[] {
  const index = entry.singleKeyIndex;
  if (index > 0) return index < args.length ? [args[index]] : [];
  const specs = entry.keySpecs;
  const keys: CommandArgument[] = [];
  const range: KeyRange = { first: 0, last: 0, step: 1 };
  for (let s = 0; s < specs.length; s++) {
    const outcome = resolveKeySpec(specs[s], args, range);
    if (outcome === SPEC_SKIPPED) continue;
    if (outcome === SPEC_INVALID) return keysWithoutSpecs(entry, args);
    for (let i = range.first; i <= range.last; i += range.step) keys.push(args[i]);
  }
  return keys;
}

/**
 * The keys of a command, in the order the server's COMMAND GETKEYS gives them: the arguments
 * themselves, the same values of the same types. Found by the command's key specs, and by the
 * server's own rules where it marks a spec incomplete (SORT ... STORE, MIGRATE ... KEYS).
 *
 * Unlike COMMAND GETKEYS, sharded pub/sub channels (SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE; specs
 * flagged `not_key`) are included: the cluster routes them by slot like keys.
 *
 * An invocation whose keys cannot be located (a numkeys that is not a non-negative integer or
 * exceeds the arguments, STREAMS with nothing after it, MIGRATE ... KEYS with a non-empty key
 * argument) gives `[]`, as the server finds no keys in it either (COMMAND GETKEYS answers with
 * an error); the command itself is refused with a syntax error on whichever node it reaches.
 * Short invocations otherwise give the keys present. Arity is not checked. Unknown commands
 * give `[]`. Never throws.
 */
export function commandKeys(args: readonly CommandArgument[]): CommandArgument[] {
  const entry = lookupEntry(args);
  return entry === undefined ? [] : keysOf(entry, args);
}

/** The common slot of `keys`, or a CrossSlotError naming them. */
function slotOfKeys(entry: CommandEntry, keys: readonly CommandArgument[]): number | undefined {
  if (keys.length === 0) return undefined;
  const slot = keySlot(keyBytes(keys[0]));
  for (let i = 1; i < keys.length; i++) {
    if (keySlot(keyBytes(keys[i])) !== slot) throw new CrossSlotError(entry.displayName, keys);
  }
  return slot;
}

/**
 * The slot a command must run on: the slot of its keys (see `commandKeys`), computed without
 * collecting them for the common commands.
 * @returns `undefined` for a command without keys (or unknown to the table), which every node can run,
 *   unless `lookupCommand(args).requestPolicy` says it fans out.
 * @throws CrossSlotError when its keys hash to more than one slot.
 */
export function commandSlot(args: readonly CommandArgument[]): number | undefined {
  const entry = lookupEntry(args);
  if (entry === undefined) return undefined;
  const index = entry.singleKeyIndex;
  if (index > 0) return index < args.length ? keySlot(keyBytes(args[index])) : undefined;
  const specs = entry.keySpecs;
  if (specs.length === 0) return undefined;
  // Walks the specs without collecting keys; anything unusual (a spec that does not apply, a
  // second slot) is settled by the collecting path, which also builds the error.
  const range: KeyRange = { first: 0, last: 0, step: 1 };
  let slot = -1;
  for (let s = 0; s < specs.length; s++) {
    const outcome = resolveKeySpec(specs[s], args, range);
    if (outcome === SPEC_SKIPPED) continue;
    if (outcome === SPEC_INVALID) return slotOfKeys(entry, keysWithoutSpecs(entry, args));
    for (let i = range.first; i <= range.last; i += range.step) {
      const keySlotOfArg = keySlot(keyBytes(args[i]));
      if (slot === -1) slot = keySlotOfArg;
      else if (keySlotOfArg !== slot) return slotOfKeys(entry, keysOf(entry, args));
    }
  }
  return slot === -1 ? undefined : slot;
}
