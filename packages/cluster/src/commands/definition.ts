import type { CommandArgument, RespReply } from '@hashslot/resp';

/** How one method becomes a command and how its reply is shaped. */
export interface CommandDefinition {
  /** Method name (see README.md for the naming rule). */
  readonly name: string;
  /** Arguments of the method -> the RESP argument array, command name first. Throws `InvalidArgumentError` before anything is sent. */
  readonly build: (...args: never[]) => CommandArgument[];
  /** Raw reply -> the method's result. Absent when the raw reply already is the result. */
  readonly transform?: (reply: RespReply) => unknown;
}

/**
 * The definitions of a family of commands, checked against its signatures: `build` takes exactly
 * the method's parameters, and `transform` returns the method's result type (with
 * `D = boolean`, so a bulk string may be either a string or a Buffer).
 */
export type Definitions<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer P) => infer R
    ? { readonly build: (...args: P) => CommandArgument[]; readonly transform?: (reply: RespReply) => R }
    : never;
};
