import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { type ConnectionOptions, type SendOptions, validateOptions, validateTimeout } from './connection-options.js';
import { type CommandArgs, type CommandArgument, commandName, encodeCommands, PASS_THROUGH_BYTES } from './encoder.js';
import {
  ConnectionError,
  InvalidArgumentError,
  RedisError,
  ReplyError,
  TimeoutError,
  replyErrorWithoutStack,
} from './errors.js';
import { RespParser, type RespReply } from './parser.js';
import { Queue } from './queue.js';

/** What a position of `sendBatch` resolves to: the reply, a `ReplyError`, or why there is none. */
export type BatchReply = RespReply | RedisError;

/**
 * `idle` until the first `connect()` or command; `connecting` through TCP, TLS and the
 * handshake; `ready`; `closing` after `quit()` while replies are still owed; `closed` for good.
 */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed';

export interface ConnectionEvents {
  /** The handshake succeeded; queued commands have been written. */
  ready: [];
  /**
   * The connection is closed for good. `error` says why, unless `quit()` or `destroy()` without
   * an error closed it; a node closing it by itself is an error too.
   */
  close: [error: Error | undefined];
}

const DEFAULT_CONNECT_TIMEOUT = 10_000;
const DEFAULT_KEEP_ALIVE = 30_000;
/** How long a graceful close waits for the node to close its side before cutting the socket. */
const QUIT_GRACE_MS = 2_000;
/**
 * The timeout sweep runs at most this often. Under a stall every command in flight is due at
 * nearly the same time; without a floor the sweep would run (and walk the queue) every millisecond.
 */
const SWEEP_INTERVAL_FLOOR = 10;

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
 *
 * Commands must answer with exactly one reply each: SUBSCRIBE, MONITOR and CLIENT REPLY
 * OFF/SKIP break the FIFO. Pub/sub runs on a `Subscriber`, which takes a connection for itself.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  /** The node's host, as given. */
  readonly host: string;
  /** The node's port, as given. */
  readonly port: number;
  /** `host:port`, as errors name the node. */
  readonly address: string;

  // Private in the language, not only in the types: `util.inspect(connection)` must not show
  // the password or a TLS key.
  readonly #options: ConnectionOptions;
  private readonly commandTimeout: number;
  private readonly parser: RespParser;
  private socket: net.Socket | undefined;
  private currentState: ConnectionState = 'idle';
  private connecting: Promise<void> | undefined;
  private handshakeDone = false;
  private closeRequested = false;
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
  /** Sees every reply before the FIFO does; see `interceptReplies`. */
  private interceptor: ((reply: RespReply) => boolean) | undefined;

  constructor(options: ConnectionOptions) {
    super();
    validateOptions(options);
    this.#options = { ...options };
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

  /** Where the connection is in its life; see `ConnectionState`. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Commands written and still awaiting a reply (timed-out ones included until their reply comes). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** Commands issued but not yet written: waiting for the handshake or for the coalesced write. */
  get queuedCount(): number {
    return this.unwritten.length;
  }

  /**
   * Opens the socket and runs the handshake. Concurrent calls share one attempt. Commands sent
   * before it completes are queued and written right after the handshake. Rejects once the
   * connection is closing or closed: a connection is never reopened.
   */
  connect(): Promise<void> {
    const state = this.currentState;
    if (state === 'closing' || state === 'closed') return Promise.reject(this.closedError(undefined, false));
    if (this.connecting === undefined) {
      this.connecting = this.open();
      // A lazy connect started by send() is awaited by nobody; its failure reaches the queued
      // commands instead, so it must not surface as an unhandled rejection.
      this.connecting.catch(() => {});
    }
    return this.connecting;
  }

  /**
   * Sends one command. Resolves with its reply; rejects with a `ReplyError` when the server
   * answered with an error, a `ConnectionError`/`TimeoutError` that says whether the command had
   * been written, or an `InvalidArgumentError` when an argument cannot be encoded (nothing sent).
   * The argument list is copied at once, but Buffer arguments are not: do not refill a Buffer
   * before the command's promise settles.
   */
  send(args: CommandArgs, options?: SendOptions): Promise<RespReply> {
    return new Promise<RespReply>((resolve, reject) => {
      this.enqueue(args, options?.timeout, resolve, reject, true);
    });
  }

  /**
   * Sends commands in one write; resolves with one entry per command, in order: its reply, the
   * `ReplyError` the server answered, or the `ConnectionError`/`TimeoutError`/
   * `InvalidArgumentError` that settled it. Never rejects.
   */
  sendBatch(commands: readonly CommandArgs[], options?: SendOptions): Promise<BatchReply[]> {
    if (commands.length === 0) return Promise.resolve([]);
    // One clock read for the whole batch: its commands share a deadline anyway.
    const now = performance.now();
    return new Promise<BatchReply[]>((resolve) => {
      const results = new Array<BatchReply>(commands.length);
      let missing = commands.length;
      for (let i = 0; i < commands.length; i++) {
        const settle = (reply: BatchReply): void => {
          results[i] = reply;
          if (--missing === 0) resolve(results);
        };
        this.enqueue(commands[i], options?.timeout, settle, settle, false, now);
      }
    });
  }

  /**
   * Offers every reply to `interceptor` before it is matched to a command: a reply for which it
   * returns `true` is consumed and answers no command. This is how a protocol in which the server
   * speaks unasked (pub/sub: messages, several confirmations for one SUBSCRIBE) keeps the FIFO in
   * step: the interceptor takes the extra replies and lets exactly one through per command.
   * `undefined` removes it. The interceptor must not throw.
   */
  interceptReplies(interceptor: ((reply: RespReply) => boolean) | undefined): void {
    this.interceptor = interceptor;
  }

  /**
   * Closes gracefully: new commands fail at once, commands already sent get their replies (or
   * time out), then the socket is ended. With no command timeout and a hung node it waits for
   * as long as the node hangs; `destroy()` does not wait.
   */
  quit(): Promise<void> {
    if (this.currentState === 'closed') return Promise.resolve();
    this.closeRequested = true;
    if (this.currentState === 'idle') {
      this.finish(undefined);
      return Promise.resolve();
    }
    this.currentState = 'closing';
    const closed = this.whenClosed();
    this.endIfDrained();
    return closed;
  }

  /**
   * Closes at once: every command still waiting fails with a `ConnectionError` (cause: `error`)
   * before this returns, and so does every command sent afterwards.
   */
  destroy(error?: Error): void {
    if (this.currentState === 'closed') return;
    this.closeRequested = true;
    this.closeReason ??= error;
    const socket = this.socket;
    this.finish(error);
    socket?.destroy();
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
    now?: number,
  ): void {
    if (!Array.isArray(args)) {
      onError(new InvalidArgumentError(`a command is an array of arguments; got ${typeof args}`));
      return;
    }
    try {
      validateTimeout('option timeout', timeout);
    } catch (error) {
      onError(error as InvalidArgumentError);
      return;
    }
    const state = this.currentState;
    if (state === 'closing' || state === 'closed') {
      onError(this.closedError(commandName(args), false));
      return;
    }
    const timeoutMs = timeout ?? this.commandTimeout;
    const deadline = timeoutMs > 0 ? (now ?? performance.now()) + timeoutMs : 0;
    const deliver = rejectReplyErrors
      ? (reply: RespReply) => (reply instanceof ReplyError ? onError(reply) : onReply(reply))
      : onReply;
    // Encoding happens at the flush; a copy keeps a caller who reuses its array from changing
    // what is sent.
    const command = new PendingCommand(args.slice(), deadline, timeoutMs, deliver, onError);
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
    if (socket === undefined || socket.destroyed || this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    this.write(socket, batch);
  }

  /** Encodes and writes commands in one go; a command whose arguments cannot be encoded fails alone. */
  private write(socket: net.Socket, batch: PendingCommand[]): void {
    const live = batch.filter((command) => !command.settled);
    if (live.length === 0) return;
    let chunks: Buffer[];
    try {
      chunks = encodeCommands(live.map((command) => command.args as CommandArgs), PASS_THROUGH_BYTES);
    } catch (error) {
      if (error instanceof InvalidArgumentError) {
        this.write(socket, this.rejectUnencodable(live));
      } else {
        // The batch as a whole cannot be encoded (over the largest Buffer Node can allocate).
        const tooLarge = new InvalidArgumentError(`commands issued together cannot be encoded: ${String(error)}`, { cause: error });
        for (const command of live) this.fail(command, tooLarge);
      }
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
        this.fail(command, error as InvalidArgumentError);
        return false;
      }
    });
  }

  private onReply(reply: RespReply): void {
    if (this.interceptor !== undefined && this.interceptor(reply)) return;
    const command = this.inFlight.shift();
    if (command === undefined) {
      const error = new ConnectionError(`${this.address} sent a reply that no command was waiting for`, {
        command: undefined,
        address: this.address,
        written: false,
      });
      this.destroy(error);
      return;
    }
    // A command that timed out keeps its place until its late reply arrives, so that the reply
    // is dropped here and never handed to the command behind it.
    if (command.settled) return;
    this.settle(command);
    command.onReply(
      reply instanceof ReplyError ? replyErrorWithoutStack(reply.message, { command: command.name, address: this.address }) : reply,
    );
  }

  private settle(command: PendingCommand): void {
    command.settled = true;
    this.unsettled--;
    if (this.currentState === 'closing') this.endIfDrained();
  }

  private fail(command: PendingCommand, error: RedisError): void {
    if (command.settled) return;
    this.settle(command);
    command.onError(error);
  }

  private async open(): Promise<void> {
    this.currentState = 'connecting';
    const connectTimeout = this.#options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const timer =
      connectTimeout === 0
        ? undefined
        : setTimeout(() => {
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
      const socket = this.createSocket();
      this.socket = socket;
      await this.waitForSocket(socket);
      await this.handshake(socket);
    } catch (error) {
      // Commands queued behind the handshake fail with this as their cause.
      this.destroy(error as Error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.handshakeDone = true;
    // `state`, not the field: quit() or destroy() may have changed it while awaiting.
    if (this.state === 'closed') throw this.closeReason ?? this.closedError(undefined, false);
    const becameReady = this.state === 'connecting';
    if (becameReady) this.currentState = 'ready';
    // Also when quit() came during the handshake: what was queued before it still goes out.
    this.flush();
    if (this.state === 'closing') this.endIfDrained();
    // A listener that throws is the caller's bug; it must not strand the queued commands above.
    if (becameReady) process.nextTick(() => this.emit('ready'));
  }

  private createSocket(): net.Socket {
    const { host, port } = this;
    const options = this.#options;
    let socket: net.Socket;
    if (options.tls) {
      const tlsOptions: tls.ConnectionOptions = options.tls === true ? {} : options.tls;
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
    const keepAlive = options.keepAlive ?? DEFAULT_KEEP_ALIVE;
    if (keepAlive !== false) socket.setKeepAlive(true, keepAlive);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Settle everything at the error itself: between 'error' and 'close' a flush would still
    // count commands as written to a socket that is already gone.
    socket.on('error', (error) => {
      this.closeReason ??= error;
      this.finish(error);
    });
    socket.on('close', () => this.finish(this.closeReason ?? this.unrequestedClose()));
    return socket;
  }

  private unrequestedClose(): Error | undefined {
    if (this.closeRequested) return undefined;
    return new ConnectionError(`${this.address} closed the connection`, { command: undefined, address: this.address, written: false });
  }

  private waitForSocket(socket: net.Socket): Promise<void> {
    const ready = this.#options.tls ? 'secureConnect' : 'connect';
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off(ready, onReady);
        reject(this.connectFailure());
      };
      socket.once(ready, onReady);
      socket.once('close', onClose);
    });
  }

  /** Why connecting failed, for `connect()`: the timeout itself, or a ConnectionError with its cause. */
  private connectFailure(): Error {
    const reason = this.closeReason;
    if (reason instanceof TimeoutError) return reason;
    return new ConnectionError(
      `connect to ${this.address} failed${reason ? `: ${reason.message}` : ': the connection was closed'}`,
      { command: undefined, address: this.address, written: false },
      { cause: reason },
    );
  }

  /** AUTH, CLIENT SETNAME and READONLY in one write, ahead of every queued command. */
  private async handshake(socket: net.Socket): Promise<void> {
    const { username, password, clientName, readOnly } = this.#options;
    const commands: CommandArgs[] = [];
    if (password !== undefined) commands.push(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
    if (clientName !== undefined) commands.push(['CLIENT', 'SETNAME', clientName]);
    if (readOnly) commands.push(['READONLY']);
    if (commands.length === 0) return;
    const handshake: PendingCommand[] = [];
    const replies = commands.map(
      (args) =>
        new Promise<BatchReply>((resolve) => {
          handshake.push(new PendingCommand(args, 0, 0, resolve, resolve));
          this.unsettled++;
        }),
    );
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
      // The socket failed during the handshake: why it failed is what connect() reports.
      if (result instanceof Error) throw this.connectFailure();
    }
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
    } catch (error) {
      // A ProtocolError: the byte stream can no longer be matched to commands.
      this.destroy(error as Error);
    }
  }

  private endIfDrained(): void {
    // The handshake is owed too: ending before it would cut AUTH off mid-write.
    if (!this.handshakeDone || this.unsettled > 0 || this.unwritten.length > 0) return;
    if (this.socket === undefined) {
      this.finish(undefined);
      return;
    }
    const socket = this.socket;
    socket.end();
    // A node that hangs (paused, unplugged) never answers our FIN: quit() must still end.
    const cutOff = setTimeout(() => socket.destroy(), QUIT_GRACE_MS);
    socket.once('close', () => clearTimeout(cutOff));
  }

  /** The socket is gone: every command still owed something fails, in order. */
  private finish(reason: Error | undefined): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.clearTimer();
    const inFlight = this.inFlight.drain();
    const unwritten = this.unwritten;
    this.unwritten = [];
    for (const command of inFlight) this.fail(command, this.closedError(command.name, command.written, reason));
    for (const command of unwritten) this.fail(command, this.closedError(command.name, command.written, reason));
    this.socket?.removeAllListeners('data');
    this.emit('close', reason);
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
   * per connection instead of one per command.
   */
  private expire(): void {
    this.timer = undefined;
    this.timerDeadline = Infinity;
    const now = performance.now();
    let next = Infinity;
    const visit = (command: PendingCommand): void => {
      if (command.settled || command.deadline === 0) return;
      if (command.deadline <= now) {
        const name = command.name;
        const what = command.written ? 'it was written and may still run' : 'it was not sent';
        this.fail(
          command,
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
    if (next !== Infinity && this.currentState !== 'closed') this.armTimer(Math.max(next, now + SWEEP_INTERVAL_FLOOR));
  }
}
