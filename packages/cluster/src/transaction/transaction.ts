import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import { commandKeys, commandSlot, CrossSlotError } from '@hashslot/slots';
import { installCommands, type ChainCommands } from '../commands/index.js';
import { checkCommand, type QueuedCommand } from './command.js';

/** Options of `multi()`. */
export interface TransactionOptions {
  /**
   * Timeout in ms of `exec()`, overriding the client's `commandTimeout`; 0: none. It bounds every
   * attempt together (the sends again on a moved slot and the waits between them). A timed-out
   * EXEC may still have run; one that timed out between attempts did not (`written: false`).
   */
  timeout?: number;
}

/** Where a transaction runs: the client's (retried on the slot's owner) or a watch session's. */
export interface TransactionRunner {
  /** The slot fixed before any command is queued (the watched keys'), with one of its keys for errors. */
  readonly pinned: { readonly slot: number; readonly key: CommandArgument } | undefined;
  run(commands: readonly QueuedCommand[], slot: number | undefined, timeout: number | undefined): Promise<unknown[] | null>;
  discard(): Promise<void>;
}

/**
 * A MULTI/EXEC transaction on one slot of the cluster, made by `client.multi()` or by
 * `multi()` of a watch session (`client.watch(...)`).
 *
 * Commands are queued on the client: nothing is sent before `exec()`, which writes MULTI, the
 * commands and EXEC at once on a connection of its own to the master of the slot. Every key of
 * the transaction must hash to one slot (use a hash tag: `{user:1}:name`, `{user:1}:visits`):
 * queuing a command whose keys are elsewhere throws a `CrossSlotError` at once. A transaction
 * without keys runs on some master. Every command runs on that one node, so a command the client
 * would send to every node (`DBSIZE`, `KEYS`...) gives that node's answer.
 *
 * The typed methods are the client's (one definition per command): each queues its command and
 * returns the transaction, and `exec()` shapes its result as the method would.
 *
 * ```ts
 * const [count, profile] = await client.multi().incr('{user:1}:visits').hgetall('{user:1}:profile').exec();
 * ```
 */
export class Transaction<D extends boolean = true> {
  readonly #runner: TransactionRunner;
  readonly #timeout: number | undefined;
  #commands: QueuedCommand[] = [];
  #slot: number | undefined;
  /** A key of `#slot`, to name in a CrossSlotError. */
  #slotKey: CommandArgument | undefined;
  #done = false;

  /** @internal Made by `client.multi()` or `session.multi()`. */
  constructor(runner: TransactionRunner, options?: TransactionOptions) {
    this.#runner = runner;
    this.#timeout = resolveTimeout(options);
    this.#slot = runner.pinned?.slot;
    this.#slotKey = runner.pinned?.key;
  }

  /** Commands queued so far. */
  get length(): number {
    return this.#commands.length;
  }

  /**
   * Queues any command; its reply is left as the server gave it. Throws `InvalidArgumentError`
   * for a command that cannot be queued (MULTI, WATCH, SUBSCRIBE...: each names what to use)
   * and `CrossSlotError` when its keys are not in the transaction's slot.
   */
  call(...args: CommandArgument[]): this {
    return this.#enqueue(args, undefined);
  }

  /**
   * Sends the transaction and resolves with one entry per command, in queue order: its result
   * (shaped as its typed method shapes it), or the `ReplyError` the server gave that command when
   * it ran (the others still ran: Redis has no rollback). Resolves with `null` when a watched key
   * changed (a watch session's transaction): nothing ran.
   *
   * Rejects when nothing ran: with the server's `EXECABORT` error (naming the command it
   * refused when it was queued) or a client-side error; and with a `ConnectionError` or
   * `TimeoutError` whose `written` is true when EXEC got no answer, in which case it may have run.
   *
   * When the slot moved (MOVED), is moving (ASK, TRYAGAIN) or its node is loading, nothing ran
   * and the client sends the whole transaction again on the slot's owner, at most
   * `maxRedirections` times, then rejects with `ClusterError('TTL exhausted ...')`. A watch
   * session's transaction is never sent again: see `WatchSession`.
   *
   * A transaction runs once: queuing or `exec()` afterwards fails with `InvalidArgumentError`.
   */
  exec(): Promise<unknown[] | null> {
    if (this.#done) return Promise.reject(usedError());
    this.#done = true;
    const commands = this.#commands;
    this.#commands = [];
    return this.#runner.run(commands, this.#slot, this.#timeout);
  }

  /**
   * Drops the queued commands; nothing was sent. On a watch session's transaction, also ends the
   * session (UNWATCH) and gives its connection back. Does nothing after `exec()` or `discard()`.
   */
  discard(): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#done = true;
    this.#commands = [];
    return this.#runner.discard();
  }

  #enqueue(args: CommandArgument[], transform: ((reply: RespReply) => unknown) | undefined): this {
    if (this.#done) throw usedError();
    const name = checkCommand(args, 'transaction');
    // A multi-key command whose own keys span slots throws its CrossSlotError here.
    const slot = commandSlot(args);
    if (slot !== undefined) {
      if (this.#slot === undefined) {
        this.#slot = slot;
        this.#slotKey = commandKeys(args)[0];
      } else if (slot !== this.#slot) {
        throw new CrossSlotError('MULTI', [this.#slotKey as CommandArgument, ...commandKeys(args)]);
      }
    }
    this.#commands.push({ args, name, transform });
    return this;
  }

  static {
    installCommands(Transaction.prototype, (self, args, transform) => (self as Transaction<boolean>).#enqueue(args, transform));
  }
}

// The typed methods of the client, each queuing its command and returning the transaction.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Transaction<D extends boolean = true> extends ChainCommands<D, Transaction<D>> {}

function usedError(): InvalidArgumentError {
  return new InvalidArgumentError('this transaction was already executed or discarded: start another with multi()');
}

function resolveTimeout(options: TransactionOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`multi() options must be an object; got ${options === null ? 'null' : typeof options}`);
  for (const name of Object.keys(options)) {
    if (name !== 'timeout') throw new InvalidArgumentError(`multi() has no option ${JSON.stringify(name)}; it knows timeout`);
  }
  const timeout = options.timeout;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0)) {
    throw new InvalidArgumentError(`multi() option timeout must be an integer >= 0 (ms; 0: none); got ${String(timeout)}`);
  }
  return timeout;
}
