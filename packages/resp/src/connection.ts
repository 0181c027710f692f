import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { type CommandArgs, type CommandArgument, commandName, encodeCommands, PASS_THROUGH_BYTES } from './encoder.js';
import { ConnectionError, InvalidArgumentError, type RedisError, ReplyError, TimeoutError } from './errors.js';
import { type RespParserOptions, RespParser, type RespReply } from './parser.js';
import { Queue } from './queue.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** `true` for TLS with Node's defaults, or Node's TLS options. The servername defaults to `host` when it is a name. */
  tls?: boolean | tls.ConnectionOptions;
  /** Milliseconds for TCP connect, TLS and the handshake together. Default 10 000. */
  connectTimeout?: number;
  /** Milliseconds a command may wait for its reply; 0 waits forever. Default 0. */
  commandTimeout?: number;
  /** ACL user for AUTH; without it AUTH uses the password alone (the `default` user). */
  username?: string;
  password?: string;
  /** Sent with CLIENT SETNAME during the handshake. */
  clientName?: string;
  /** Send READONLY during the handshake, so that a replica serves reads of its slots. */
  readOnly?: boolean;
  /** Bulk strings as Buffers instead of UTF-8 strings. */
  returnBuffers?: boolean;
  /** TCP keep-alive initial delay in milliseconds, or `false` to disable. Default 30 000. */
  keepAlive?: number | false;
  /** Limits of the reply parser. */
  parserLimits?: Pick<RespParserOptions, 'maxBulkLength' | 'maxArrayLength' | 'maxDepth'>;
}

export interface SendOptions {
  /** Overrides the connection's `commandTimeout` for this command (0: no timeout). */
  timeout?: number;
}

/** What a position of `sendBatch` resolves to: the reply, a `ReplyError`, or why there is none. */
export type BatchReply = RespReply | RedisError;

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed';

export interface ConnectionEvents {
  ready: [];
  /** The socket is gone. `error` says why when it was not a `quit()` or `destroy()` without one. */
  close: [error: Error | undefined];
}

const DEFAULT_CONNECT_TIMEOUT = 10_000;
const DEFAULT_KEEP_ALIVE = 30_000;

/** One command waiting for its reply. */
class PendingCommand {
  /** Dropped once encoded: the arguments may hold large values. */
  args: CommandArgs | undefined;
  /** The command name as given, for error messages. */
  readonly head: CommandArgument;
  /** Whether its bytes were handed to the socket. */
  written = false;
  /** Answered, or timed out while its reply is still owed (the reply is then dropped). */
  settled = false;
  constructor(
    args: CommandArgs,
    readonly deadline: number,
    readonly timeoutMs: number,
    readonly onReply: (reply: RespReply) => void,
    readonly onError: (error: RedisError) => void,
  ) {
    this.args = args;
    this.head = args[0];
  }

  get name(): string {
    return commandName([this.head]);
  }
}

/**
 * One socket to one Redis node: handshake, a FIFO of pending replies, and write coalescing.
 * Every command issued in the same tick leaves in one write, so concurrent callers pipeline
 * without asking for it. Never emits `error`: failures reach the commands they affect and the
 * `close` event.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as errors name the node. */
  readonly address: string;

  private readonly options: ConnectionOptions;
  private readonly commandTimeout: number;
  private readonly parser: RespParser;
  private socket: net.Socket | undefined;
  private currentState: ConnectionState = 'idle';
  private connecting: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private closeReason: Error | undefined;

  /** Written, awaiting replies, in write order. */
  private readonly inFlight = new Queue<PendingCommand>();
  /** Issued but not yet written: the handshake or the next coalesced write has not happened. */
  private unwritten: PendingCommand[] = [];
  private flushScheduled = false;
  /** Commands not yet answered nor timed out, for a graceful quit. */
  private unsettled = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;

  constructor(options: ConnectionOptions) {
    super();
    validateOptions(options);
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.address = `${options.host}:${options.port}`;
    this.commandTimeout = options.commandTimeout ?? 0;
    this.parser = new RespParser({
      ...options.parserLimits,
      returnBuffers: options.returnBuffers ?? false,
      onReply: (reply) => this.onReply(reply),
    });
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Commands written and still awaiting a reply (timed-out ones included until their reply comes). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /**
   * Opens the socket and runs the handshake. Idempotent: concurrent calls share one attempt.
   * Commands sent before it completes are queued and written right after the handshake.
   */
  connect(): Promise<void> {
    if (this.connecting === undefined) {
      if (this.currentState !== 'idle') {
        return Promise.reject(this.closedError(undefined, false));
      }
      this.connecting = this.open();
      // A lazy connect started by send() is awaited by nobody; its failure reaches the queued
      // commands instead, so it must not surface as an unhandled rejection.
      this.connecting.catch(() => {});
    }
    return this.connecting;
  }

  /**
   * Sends one command. Resolves with its reply; rejects with a `ReplyError` when the server
   * answered with an error, or a `ConnectionError`/`TimeoutError` that says whether the command
   * had been written.
   */
  send(args: CommandArgs, options?: SendOptions): Promise<RespReply> {
    return new Promise<RespReply>((resolve, reject) => {
      this.enqueue(args, options?.timeout, resolve, (error) => reject(error), true);
    });
  }

  /**
   * Sends commands in one write; resolves with one entry per command, in order: its reply, the
   * `ReplyError` the server answered, or the `ConnectionError`/`TimeoutError` that settled it.
   * Never rejects.
   */
  sendBatch(commands: readonly CommandArgs[], options?: SendOptions): Promise<BatchReply[]> {
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise<BatchReply[]>((resolve) => {
      const results = new Array<BatchReply>(commands.length);
      let missing = commands.length;
      for (let i = 0; i < commands.length; i++) {
        const settle = (reply: BatchReply): void => {
          results[i] = reply;
          if (--missing === 0) resolve(results);
        };
        this.enqueue(commands[i], options?.timeout, settle, settle, false);
      }
    });
  }

  /**
   * Closes gracefully: new commands fail at once, commands already sent get their replies (or
   * time out), then the socket is ended.
   */
  quit(): Promise<void> {
    if (this.currentState === 'closed') return Promise.resolve();
    if (this.currentState === 'idle') {
      this.finish(undefined);
      return Promise.resolve();
    }
    this.currentState = 'closing';
    const closed = this.whenClosed();
    this.endIfDrained();
    return closed;
  }

  /** Closes at once; every command still waiting fails with a `ConnectionError` (cause: `error`). */
  destroy(error?: Error): void {
    if (this.currentState === 'closed') return;
    if (this.socket === undefined) {
      this.finish(error);
      return;
    }
    this.closeReason ??= error;
    this.socket.destroy();
  }

  private whenClosed(): Promise<void> {
    this.closed ??= new Promise((resolve) => this.once('close', () => resolve()));
    return this.closed;
  }

  private enqueue(
    args: CommandArgs,
    timeout: number | undefined,
    onReply: (reply: RespReply) => void,
    onError: (error: RedisError) => void,
    rejectReplyErrors: boolean,
  ): void {
    if (!Array.isArray(args)) {
      onError(new InvalidArgumentError(`a command is an array of arguments; got ${typeof args}`));
      return;
    }
    const state = this.currentState;
    if (state === 'closing' || state === 'closed') {
      onError(this.closedError(commandName(args), false));
      return;
    }
    const timeoutMs = timeout ?? this.commandTimeout;
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : 0;
    const deliver = rejectReplyErrors
      ? (reply: RespReply) => (reply instanceof ReplyError ? onError(reply) : onReply(reply))
      : onReply;
    const command = new PendingCommand(args, deadline, timeoutMs, deliver, onError);
    this.unwritten.push(command);
    this.unsettled++;
    if (deadline !== 0) this.armTimer(deadline);
    if (state === 'ready') this.scheduleFlush();
    else if (state === 'idle') void this.connect();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // process.nextTick runs after the current stack and its promise reactions, so every
    // command issued by the callers resumed in this tick joins the same write.
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const socket = this.socket;
    if (this.currentState !== 'ready' && this.currentState !== 'closing') return;
    if (socket === undefined || this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    this.write(socket, batch);
  }

  /** Encodes and writes commands in one go; a command whose arguments cannot be encoded fails alone. */
  private write(socket: net.Socket, batch: PendingCommand[]): void {
    const live = batch.filter((command) => !command.settled);
    let chunks: Buffer[];
    try {
      chunks = encodeCommands(live.map((command) => command.args as CommandArgs), PASS_THROUGH_BYTES);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      this.write(socket, this.rejectUnencodable(live));
      return;
    }
    for (const command of live) {
      command.written = true;
      command.args = undefined;
      this.inFlight.push(command);
    }
    if (chunks.length === 1) {
      socket.write(chunks[0]);
    } else {
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    }
  }

  private rejectUnencodable(batch: PendingCommand[]): PendingCommand[] {
    return batch.filter((command) => {
      try {
        encodeCommands([command.args as CommandArgs]);
        return true;
      } catch (error) {
        this.settle(command);
        command.onError(error as InvalidArgumentError);
        return false;
      }
    });
  }

  private onReply(reply: RespReply): void {
    const command = this.inFlight.shift();
    if (command === undefined) {
      this.destroy(new ConnectionError(`${this.address} sent a reply that no command was waiting for`, {
        command: undefined,
        address: this.address,
        written: false,
      }));
      return;
    }
    // A command that timed out keeps its place until its late reply arrives, so that the reply
    // is dropped here and never handed to the command behind it.
    if (command.settled) return;
    this.settle(command);
    if (reply instanceof ReplyError) attachCommand(reply, command.name, this.address);
    command.onReply(reply);
    if (this.currentState === 'closing') this.endIfDrained();
  }

  private settle(command: PendingCommand): void {
    command.settled = true;
    this.unsettled--;
  }

  private async open(): Promise<void> {
    this.currentState = 'connecting';
    const connectTimeout = this.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const socket = this.createSocket();
    this.socket = socket;
    const timer = setTimeout(() => {
      this.destroy(
        new TimeoutError(`connect to ${this.address} timed out after ${connectTimeout} ms`, {
          command: undefined,
          address: this.address,
          written: false,
          timeoutMs: connectTimeout,
        }),
      );
    }, connectTimeout);
    try {
      await this.waitForSocket(socket);
      await this.handshake(socket);
    } catch (error) {
      // Commands queued behind the handshake fail with this as their cause.
      this.destroy(error as Error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    // `state`, not the field: quit() or destroy() may have changed it while awaiting.
    if (this.state === 'closed') throw this.closeReason ?? this.closedError(undefined, false);
    if (this.state === 'connecting') {
      this.currentState = 'ready';
      this.emit('ready');
    }
    // Also when quit() came during the handshake: what was queued before it still goes out.
    this.flush();
    if (this.state === 'closing') this.endIfDrained();
  }

  private createSocket(): net.Socket {
    const { host, port } = this.options;
    let socket: net.Socket;
    if (this.options.tls) {
      const tlsOptions: tls.ConnectionOptions = this.options.tls === true ? {} : this.options.tls;
      socket = tls.connect({
        ...tlsOptions,
        host,
        port,
        servername: tlsOptions.servername ?? (net.isIP(host) === 0 ? host : undefined),
      });
    } else {
      socket = net.connect({ host, port });
    }
    socket.setNoDelay(true);
    const keepAlive = this.options.keepAlive ?? DEFAULT_KEEP_ALIVE;
    if (keepAlive !== false) socket.setKeepAlive(true, keepAlive);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => {
      this.closeReason ??= error;
    });
    socket.on('close', () => this.finish(this.closeReason));
    return socket;
  }

  private waitForSocket(socket: net.Socket): Promise<void> {
    const ready = this.options.tls ? 'secureConnect' : 'connect';
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off(ready, onReady);
        const reason = this.closeReason;
        reject(
          reason instanceof TimeoutError
            ? reason
            : new ConnectionError(
                `connect to ${this.address} failed${reason ? `: ${reason.message}` : ''}`,
                { command: undefined, address: this.address, written: false },
                { cause: reason },
              ),
        );
      };
      socket.once(ready, onReady);
      socket.once('close', onClose);
    });
  }

  /** AUTH, CLIENT SETNAME and READONLY in one write, ahead of every queued command. */
  private async handshake(socket: net.Socket): Promise<void> {
    const { username, password, clientName, readOnly } = this.options;
    const commands: CommandArgs[] = [];
    if (password !== undefined) commands.push(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
    if (clientName !== undefined) commands.push(['CLIENT', 'SETNAME', clientName]);
    if (readOnly) commands.push(['READONLY']);
    if (commands.length === 0) return;
    const replies = new Array<Promise<BatchReply>>();
    const handshake: PendingCommand[] = [];
    for (const args of commands) {
      replies.push(
        new Promise((resolve) => {
          handshake.push(new PendingCommand(args, 0, 0, resolve, resolve));
          this.unsettled++;
        }),
      );
    }
    this.write(socket, handshake);
    const results = await Promise.all(replies);
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (result instanceof ReplyError) {
        const name = commandName(commands[i]);
        throw new ConnectionError(
          `handshake with ${this.address} failed: ${name}: ${result.message}`,
          { command: name, address: this.address, written: true },
          { cause: result },
        );
      }
      // The socket failed during the handshake: the reason it failed is the one to report.
      if (result instanceof Error) throw this.closeReason ?? result;
    }
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
    } catch (error) {
      // The parser failed (a ProtocolError) or a caller's callback threw; either way the byte
      // stream can no longer be matched to commands.
      this.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private endIfDrained(): void {
    if (this.unsettled > 0 || this.unwritten.length > 0) return;
    if (this.socket === undefined) this.finish(undefined);
    else this.socket.end();
  }

  /** The socket is gone: every command still owed something fails, in order. */
  private finish(reason: Error | undefined): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.clearTimer();
    const inFlight = this.inFlight.drain();
    const unwritten = this.unwritten;
    this.unwritten = [];
    for (const command of inFlight) this.failCommand(command, reason);
    for (const command of unwritten) this.failCommand(command, reason);
    this.socket?.removeAllListeners('data');
    this.emit('close', reason);
  }

  private failCommand(command: PendingCommand, reason: Error | undefined): void {
    if (command.settled) return;
    this.settle(command);
    command.onError(this.closedError(command.name, command.written, reason));
  }

  private closedError(command: string | undefined, written: boolean, cause?: Error): ConnectionError {
    const what = written ? 'the command was written and may have run' : 'the command was not sent';
    let message: string;
    if (cause !== undefined) message = `connection to ${this.address} closed: ${cause.message} (${what})`;
    else if (this.currentState === 'closing') message = `connection to ${this.address} is closing: quit() was called (${what})`;
    else message = `connection to ${this.address} is closed (${what})`;
    return new ConnectionError(message, { command, address: this.address, written }, { cause });
  }

  private armTimer(deadline: number): void {
    if (deadline >= this.timerDeadline) return;
    this.clearTimer();
    this.timerDeadline = deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(0, deadline - performance.now()));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadline = Infinity;
  }

  /**
   * Times out every command past its deadline, then re-arms for the earliest one left. One timer
   * per connection instead of one per command; it fires about once per timeout period.
   */
  private expire(): void {
    this.timer = undefined;
    this.timerDeadline = Infinity;
    const now = performance.now();
    let next = Infinity;
    const visit = (command: PendingCommand): void => {
      if (command.settled || command.deadline === 0) return;
      if (command.deadline <= now) {
        this.settle(command);
        const name = command.name;
        const what = command.written ? 'it was written and may still run' : 'it was not sent';
        command.onError(
          new TimeoutError(`${name} timed out after ${command.timeoutMs} ms on ${this.address} (${what})`, {
            command: name,
            address: this.address,
            written: command.written,
            timeoutMs: command.timeoutMs,
          }),
        );
      } else if (command.deadline < next) {
        next = command.deadline;
      }
    };
    this.inFlight.forEach(visit);
    this.unwritten.forEach(visit);
    if (next !== Infinity) this.armTimer(next);
    if (this.currentState === 'closing') this.endIfDrained();
  }
}

/**
 * Records on a server's error reply which command and node it answered. The parser creates the
 * error before anyone knows; this is the one place that fills the context in, once.
 */
function attachCommand(error: ReplyError, command: string, address: string): void {
  const context = error as { command: string | undefined; address: string | undefined };
  context.command = command;
  context.address = address;
}

function validateOptions(options: ConnectionOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Connection options must be an object with host and port');
  }
  if (typeof options.host !== 'string' || options.host.length === 0) {
    throw new InvalidArgumentError(`option host must be a non-empty string; got ${describe(options.host)}`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new InvalidArgumentError(`option port must be an integer from 1 to 65535; got ${describe(options.port)}`);
  }
  for (const name of ['connectTimeout', 'commandTimeout'] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(`option ${name} must be a number of milliseconds >= 0; got ${describe(value)}`);
    }
  }
  const keepAlive = options.keepAlive;
  if (keepAlive !== undefined && keepAlive !== false && !(Number.isFinite(keepAlive) && keepAlive >= 0)) {
    throw new InvalidArgumentError(`option keepAlive must be false or milliseconds >= 0; got ${describe(keepAlive)}`);
  }
  for (const name of ['username', 'password', 'clientName'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'string') {
      // Never echo a credential back, not even a wrong one.
      throw new InvalidArgumentError(`option ${name} must be a string; got ${typeof value}`);
    }
  }
  if (options.clientName !== undefined && /\s/.test(options.clientName)) {
    throw new InvalidArgumentError('option clientName cannot contain spaces or newlines (CLIENT SETNAME refuses them)');
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
