import type * as tls from 'node:tls';
import { InvalidArgumentError } from './errors.js';
import type { RespParserOptions } from './parser.js';

export interface ConnectionOptions {
  /** Host name or IP address of the node. */
  host: string;
  /** TCP port of the node (its TLS port when `tls` is set). */
  port: number;
  /** `true` for TLS with Node's defaults, or Node's TLS options. The servername defaults to `host` when it is a name. */
  tls?: boolean | tls.ConnectionOptions;
  /** Milliseconds for TCP connect, TLS and the handshake together; 0 waits forever. Default 10 000. */
  connectTimeout?: number;
  /** Milliseconds a command may wait for its reply; 0 waits forever. Default 0. */
  commandTimeout?: number;
  /** ACL user for AUTH; needs `password`. Without it AUTH uses the password alone (the `default` user). */
  username?: string;
  /** Sent with AUTH in the handshake; never echoed in an error, a log or an inspected object. */
  password?: string;
  /** Sent with CLIENT SETNAME during the handshake. */
  clientName?: string;
  /** Send READONLY during the handshake, so that a replica serves reads of its slots. */
  readOnly?: boolean;
  /** Bulk strings as Buffers instead of UTF-8 strings. */
  returnBuffers?: boolean;
  /** TCP keep-alive initial delay in milliseconds (at least 1000), or `false` to disable. Default 30 000. */
  keepAlive?: number | false;
  /** Limits of the reply parser. */
  parserLimits?: Pick<RespParserOptions, 'maxBulkLength' | 'maxArrayLength' | 'maxDepth'>;
}

export interface SendOptions {
  /** Overrides the connection's `commandTimeout` for this command (0: no timeout). */
  timeout?: number;
}

/** Node's timers cannot wait longer: a larger delay fires at once with a warning. */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/** Checks every option at construction, naming the one that is wrong. */
export function validateOptions(options: ConnectionOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Connection options must be an object with host and port');
  }
  if (typeof options.host !== 'string' || options.host.length === 0) {
    throw new InvalidArgumentError(`option host must be a non-empty string; got ${describe(options.host)}`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new InvalidArgumentError(`option port must be an integer from 1 to 65535; got ${describe(options.port)}`);
  }
  validateTimeout('connectTimeout', options.connectTimeout);
  validateTimeout('commandTimeout', options.commandTimeout);
  const keepAlive = options.keepAlive;
  if (keepAlive !== undefined && keepAlive !== false && !(Number.isFinite(keepAlive) && keepAlive >= 1000)) {
    // Node rounds a delay below one second down to 0, which means the kernel's default (hours).
    throw new InvalidArgumentError(`option keepAlive must be false or milliseconds >= 1000; got ${describe(keepAlive)}`);
  }
  for (const name of ['username', 'password', 'clientName'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'string') {
      // Never echo a credential back, not even a wrong one.
      throw new InvalidArgumentError(`option ${name} must be a string; got ${typeof value}`);
    }
  }
  if (options.username !== undefined && options.password === undefined) {
    throw new InvalidArgumentError('option username needs option password: AUTH takes both');
  }
  if (options.clientName !== undefined && !/^[\x21-\x7e]*$/.test(options.clientName)) {
    throw new InvalidArgumentError('option clientName must be printable ASCII without spaces (CLIENT SETNAME refuses the rest)');
  }
}

/** Checks a timeout given in milliseconds, as an option or per command. */
export function validateTimeout(name: string, value: unknown): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TIMEOUT)) {
    throw new InvalidArgumentError(`${name} must be milliseconds from 0 to ${MAX_TIMEOUT}; got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
