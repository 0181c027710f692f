import { InvalidArgumentError } from '@hashslot/resp';
import { SLOT_COUNT } from '@hashslot/slots';

/**
 * Checks of the admin methods' arguments, before anything is sent. Each names the command and
 * the option, as every `InvalidArgumentError` of the client does.
 */

/**
 * Checks that `options` is an object (or absent) holding only `known` names: a typo such as
 * `{ nodes: ... }` would otherwise send the command to another node than meant.
 */
export function checkOptions(command: string, options: unknown, known: readonly string[], required: boolean): Record<string, unknown> {
  if (options === undefined && !required) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${command}: ${required ? `needs an options object with ${known[0]}` : 'options must be an object'}; got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new InvalidArgumentError(`${command}: unknown option ${name}; known: ${known.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

/** The `node` option: a `host:port` address (IPv6 hosts unbracketed, as the client names nodes). */
export function nodeAddress(command: string, value: unknown, required: true): string;
export function nodeAddress(command: string, value: unknown, required: false): string | undefined;
export function nodeAddress(command: string, value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  const colon = typeof value === 'string' ? value.lastIndexOf(':') : -1;
  const port = typeof value === 'string' ? Number(value.slice(colon + 1)) : NaN;
  if (typeof value !== 'string' || colon <= 0 || !/^\d{1,5}$/.test(value.slice(colon + 1)) || port < 1 || port > 65535) {
    const what = required ? 'is required and must be' : 'must be';
    throw new InvalidArgumentError(`${command}: option node ${what} the 'host:port' address of a node; got ${describe(value)}`);
  }
  return value;
}

export function slotNumber(command: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= SLOT_COUNT) {
    throw new InvalidArgumentError(`${command}: ${name} must be an integer from 0 to ${SLOT_COUNT - 1}; got ${describe(value)}`);
  }
  return value;
}

export function slotList(command: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidArgumentError(`${command}: slots must be a non-empty array; got ${describe(value)}`);
  return value.map((slot) => slotNumber(command, 'each slot', slot));
}

export function integerIn(command: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${command}: ${name} must be an integer from ${min} to ${max}; got ${describe(value)}`);
  }
  return value;
}

export function nonEmptyString(command: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`${command}: ${name} must be a non-empty string; got ${describe(value)}`);
  return value;
}

/** A token option: one of `allowed`, or absent. */
export function token<T extends string>(command: string, name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new InvalidArgumentError(`${command}: option ${name} must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  return value as T;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 48 ? `${value.slice(0, 48)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'number') return String(value);
  return typeof value;
}
