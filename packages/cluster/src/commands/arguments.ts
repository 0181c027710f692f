import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument } from '@hashslot/resp';
import type { Entries } from './types.js';

/**
 * Argument checks shared by the definitions. They throw `InvalidArgumentError` naming the command
 * and the option, before anything is sent, where a wrong call would otherwise reach the server as
 * a command it rejects with a vaguer message or, worse, reads differently.
 */

/** Whether an option was given: `undefined`, `null` and `false` all mean "not given". */
export function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

/** Throws when more than one of `names` is given in `options`. */
export function atMostOne(command: string, options: object, names: readonly string[]): void {
  let seen: string | undefined;
  for (const name of names) {
    if (!given((options as Record<string, unknown>)[name])) continue;
    if (seen !== undefined) throw new InvalidArgumentError(`${command}: options ${seen} and ${name} cannot be used together`);
    seen = name;
  }
}

/** Throws when `value` is not an integer of at least `min`; returns it. */
export function integer(command: string, name: string, value: number | bigint, min = -Infinity): number | bigint {
  const ok =
    typeof value === 'bigint' ? min === -Infinity || value >= BigInt(min) : Number.isInteger(value) && value >= min;
  if (!ok) {
    const bound = min === -Infinity ? '' : ` >= ${min}`;
    throw new InvalidArgumentError(`${command}: ${name} must be an integer${bound}; got ${describe(value)}`);
  }
  return value;
}

/** `integer` for the many places that take a plain number (counts, offsets, times). */
export function int(command: string, name: string, value: number, min = -Infinity): number {
  return integer(command, name, value, min) as number;
}

/** Throws when `value` is not a finite number of at least `min` (timeouts in seconds may have decimals). */
export function finite(command: string, name: string, value: number, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    const bound = min === -Infinity ? '' : ` >= ${min}`;
    throw new InvalidArgumentError(`${command}: ${name} must be a finite number${bound}; got ${describe(value)}`);
  }
  return value;
}

/** Throws when a variadic list the server needs at least one of is empty. */
export function nonEmpty<T>(command: string, name: string, list: readonly T[]): readonly T[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidArgumentError(`${command}: needs at least one ${name}`);
  }
  return list;
}

/** Throws when a list argument is not an array (a string would otherwise be counted by its characters). */
export function list<T>(command: string, name: string, value: readonly T[]): readonly T[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${command}: ${name} must be an array; got ${describe(value)}`);
  return value;
}

/** Throws unless `value` is one of `allowed` (tokens such as LEFT/RIGHT are sent verbatim). */
export function oneOf<T extends string>(command: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new InvalidArgumentError(`${command}: ${name} must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  }
  return value;
}

/** Appends `numkeys key ...` (the form of multi-key commands that carry a count). */
export function pushCounted(command: string, args: CommandArgument[], name: string, list: readonly CommandArgument[]): void {
  nonEmpty(command, name, list);
  args.push(list.length);
  for (let i = 0; i < list.length; i++) args.push(list[i]);
}

/** Appends `name value name value ...`; throws when there is no pair at all. */
export function pushEntries<Name extends CommandArgument>(command: string, args: CommandArgument[], entries: Entries<Name>): void {
  const start = args.length;
  if (Array.isArray(entries)) {
    for (const pair of entries as ReadonlyArray<readonly [Name, CommandArgument]>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new InvalidArgumentError(`${command}: each pair must be a [name, value] array of two elements`);
      }
      args.push(pair[0], pair[1]);
    }
  } else if (entries instanceof Map) {
    for (const [name, value] of entries) args.push(name, value);
  } else if (typeof entries === 'object' && entries !== null) {
    for (const name of Object.keys(entries)) args.push(name, (entries as Readonly<Record<string, CommandArgument>>)[name]);
  } else {
    throw new InvalidArgumentError(`${command}: pairs must be an object, a Map or an array of [name, value]; got ${describe(entries)}`);
  }
  if (args.length === start) throw new InvalidArgumentError(`${command}: needs at least one name/value pair`);
}

/** `LIMIT offset count` as sorted-set and SORT commands take it. */
export interface Limit {
  offset: number;
  count: number;
}

export function pushLimit(command: string, args: CommandArgument[], limit: Limit): void {
  args.push('LIMIT', int(command, 'limit.offset', limit.offset), int(command, 'limit.count', limit.count));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return typeof value;
}

/**
 * The NX / XX / GT / LT conditions ZADD and EXPIRE share: NX excludes the other three and GT
 * excludes LT, as the server rules.
 */
export function pushConditions(command: string, args: CommandArgument[], options: { nx?: boolean; xx?: boolean; gt?: boolean; lt?: boolean }): void {
  atMostOne(command, options, ['nx', 'xx']);
  atMostOne(command, options, ['nx', 'gt']);
  atMostOne(command, options, ['nx', 'lt']);
  atMostOne(command, options, ['gt', 'lt']);
  if (options.nx) args.push('NX');
  if (options.xx) args.push('XX');
  if (options.gt) args.push('GT');
  if (options.lt) args.push('LT');
}
