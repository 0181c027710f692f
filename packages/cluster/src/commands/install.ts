import type { CommandArgument, RespReply } from '@hashslot/resp';
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
          commandArgs = build(...args);
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
