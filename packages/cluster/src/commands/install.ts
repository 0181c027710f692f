import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { CommandDefinition } from './definition.js';

/** What an installed method hands over: the receiver, the built arguments and the reply transform. */
export type Invoke = (self: unknown, args: CommandArgument[], transform: ((reply: RespReply) => unknown) | undefined) => unknown;

/** What an installed method returns when `build` throws (an invalid argument): by default the error is thrown. */
export type OnBuildError = (self: unknown, error: unknown) => unknown;

/**
 * Adds one method per definition to `prototype`. Each builds its arguments and hands them with the
 * transform to `invoke(this, args, transform)`, returning what `invoke` returns. A name that
 * `prototype` already has (own or inherited) is left alone, so a class's own method (say, an
 * `mget` that splits keys by slot) wins over the generic one.
 */
export function installDefinitions(
  prototype: object,
  definitions: Readonly<Record<string, CommandDefinition>>,
  invoke: Invoke,
  onBuildError?: OnBuildError,
): void {
  for (const name of Object.keys(definitions)) {
    if (name in prototype) continue;
    const build = definitions[name].build as (...args: unknown[]) => CommandArgument[];
    const transform = definitions[name].transform;
    // A computed key in an object literal gives the function its `name`, for stack traces.
    const method = {
      [name](this: unknown, ...args: unknown[]): unknown {
        let commandArgs: CommandArgument[];
        try {
          commandArgs = buildChecked(name, build, args);
        } catch (error) {
          if (onBuildError === undefined) throw error;
          return onBuildError(this, error);
        }
        return invoke(this, commandArgs, transform);
      },
    }[name];
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * `build(...args)`, refusing an option the method does not know. A misspelt option (`{ exx: 10 }`
 * for `ex`) would otherwise be dropped in silence: a SET without its expiry. Each plain-object
 * argument is watched while `build` runs; a key it never read, whose value is not undefined, is
 * one it does not know. A `build` that lists an object's keys (a field-value record) reads them all.
 */
export function buildChecked(method: string, build: (...args: unknown[]) => CommandArgument[], args: unknown[]): CommandArgument[] {
  let watched: { target: object; read: Set<PropertyKey> | 'all' }[] | undefined;
  // The caller's array is left as it was: the proxies go into a copy.
  let passed = args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!isPlainObject(arg)) continue;
    const entry: { target: object; read: Set<PropertyKey> | 'all' } = { target: arg, read: new Set() };
    (watched ??= []).push(entry);
    if (passed === args) passed = [...args];
    passed[i] = new Proxy(arg, {
      get(target, key, receiver) {
        if (entry.read !== 'all') entry.read.add(key);
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        if (entry.read !== 'all') entry.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        entry.read = 'all';
        return Reflect.ownKeys(target);
      },
    });
  }
  const built = build(...passed);
  for (const { target, read } of watched ?? []) {
    if (read === 'all') continue;
    for (const key of Object.keys(target)) {
      if (!read.has(key) && (target as Record<string, unknown>)[key] !== undefined) {
        throw new InvalidArgumentError(`${method}: unknown option ${key}`);
      }
    }
  }
  return built;
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
