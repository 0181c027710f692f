/**
 * The error hierarchy of the RESP layer. Every error the layer raises or hands out is a
 * `RedisError`, with a stable `code` to switch on and readonly context fields that are snapshots
 * taken when the error happened. No error ever carries a command's arguments: only its name, so
 * that an AUTH password cannot leak into a log line.
 */

/** Base class of every error hashslot produces. */
export class RedisError extends Error {
  /** A stable identifier of the error class, for code that cannot use `instanceof`. */
  readonly code: string = 'ERR_HASHSLOT';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An error reply from the server (`-WRONGTYPE Operation against a key ...`). It is a value the
 * parser returns, never something it throws: one failed command does not fail the stream.
 */
export class ReplyError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_REPLY';
  /** The server's error code: the first word of the reply (`ERR`, `WRONGTYPE`, `MOVED` ...). */
  readonly prefix: string;
  /** Name of the command that got this reply, when known. */
  readonly command: string | undefined;
  /** `host:port` of the node that sent it, when known. */
  readonly address: string | undefined;

  constructor(message: string, context?: { command?: string; address?: string }) {
    super(message);
    const space = message.indexOf(' ');
    this.prefix = space === -1 ? message : message.slice(0, space);
    this.command = context?.command;
    this.address = context?.address;
  }
}

/**
 * Creates a ReplyError without capturing a JavaScript stack. Error replies are values of the
 * stream: a stack would cost more than parsing them and show only the client's own frames.
 */
export function replyErrorWithoutStack(message: string, context?: { command?: string; address?: string }): ReplyError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ReplyError(message, context);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Bytes that are not RESP2. The parser that raised it stays failed, and a connection that sees
 * it is destroyed: after a framing error nothing later in the stream can be trusted.
 */
export class ProtocolError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_PROTOCOL';
  /** Offset of the offending byte, counted from the first byte the parser was fed. */
  readonly offset: number;
  /** The offending byte, or `undefined` when the error is about a length or a limit. */
  readonly byte: number | undefined;

  constructor(message: string, offset: number, byte?: number, options?: { cause?: unknown }) {
    super(
      byte === undefined
        ? `${message} at offset ${offset}`
        : `${message} at offset ${offset} (byte 0x${byte.toString(16).padStart(2, '0')}${printable(byte)})`,
      options,
    );
    this.offset = offset;
    this.byte = byte;
  }
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? ` '${String.fromCharCode(byte)}'` : '';
}

/** What every error about one command on one connection records. */
export interface CommandContext {
  /** Command name, upper case; arguments are never recorded. */
  readonly command: string | undefined;
  /** `host:port` of the node. */
  readonly address: string;
  /**
   * Whether the command's bytes were handed to the socket. `true` means the server may have run
   * it; `false` means it never left the client and is safe to send again.
   */
  readonly written: boolean;
}

/** The connection failed, closed or could not be opened. */
export class ConnectionError extends RedisError implements CommandContext {
  override readonly code: string = 'ERR_HASHSLOT_CONNECTION';
  readonly command: string | undefined;
  readonly address: string;
  readonly written: boolean;

  constructor(message: string, context: CommandContext, options?: { cause?: unknown }) {
    super(message, options);
    this.command = context.command;
    this.address = context.address;
    this.written = context.written;
  }
}

/** A command (or a connect) took longer than its timeout. */
export class TimeoutError extends RedisError implements CommandContext {
  override readonly code: string = 'ERR_HASHSLOT_TIMEOUT';
  readonly command: string | undefined;
  readonly address: string;
  readonly written: boolean;
  readonly timeoutMs: number;

  constructor(message: string, context: CommandContext & { timeoutMs: number }) {
    super(message);
    this.command = context.command;
    this.address = context.address;
    this.written = context.written;
    this.timeoutMs = context.timeoutMs;
  }
}

/** An argument or option the caller gave cannot be used; nothing was sent. */
export class InvalidArgumentError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_INVALID_ARGUMENT';
}
