import { ConnectionError, InvalidArgumentError, RedisError, ReplyError, type CommandArgument, type Connection, type RespReply } from '@hashslot/resp';
import { commandKeys, commandSlot, CrossSlotError } from '@hashslot/slots';
import { installCommands, type ClientCommands, type RedisKey } from '../commands/index.js';
import { AskError, ClusterDownError, ClusterError, classifyReplyError, LoadingError, MovedError, TryAgainError, ttlExhausted } from '../errors.js';
import { checkCommand, type QueuedCommand } from './command.js';
import { readExec, type SlotError } from './exec-reply.js';
import { deadlineAfter, msLeft, overdue } from '../deadline.js';
import { backoff, ownerOf, refreshOrGiveUp, untilSettled, type TransactionHost } from './host.js';
import { Transaction, type TransactionOptions } from './transaction.js';

/**
 * Keys watched on a connection held for this session alone, on the master of their slot: the
 * optimistic lock of Redis. Read with `call()` or the typed methods (they run on that connection,
 * and their keys must be in the watched slot), then queue the writes on `multi()` and `exec()`
 * them: EXEC resolves `null` when a watched key changed in between, and nothing ran. A conflict
 * is never retried for you: read again and decide again.
 *
 * ```ts
 * const session = await client.watch('{acct:1}:balance');
 * const balance = Number(await session.get('{acct:1}:balance'));
 * const result = await session.multi().set('{acct:1}:balance', balance - 10).exec();
 * if (result === null) {
 *   // someone changed the balance first: start again
 * }
 * ```
 *
 * The session holds a dedicated connection until `multi().exec()`, `multi().discard()` or
 * `unwatch()`: always end it, or the connection stays taken.
 *
 * When the slot moves to another node while it is watched (a resharding, a failover), what the
 * session read may be stale and the node that would run EXEC no longer has the keys: EXEC
 * rejects with a `ClusterError` that says to run the whole thing again, and so does any read
 * answered with a redirection (the session ends then). Nothing is sent again silently.
 */
export class WatchSession<D extends boolean = true> {
  readonly #host: TransactionHost;
  readonly #address: string;
  readonly #slot: number;
  readonly #keys: readonly RedisKey[];
  /** `undefined` once the session ended (and gave it back). */
  #connection: Connection | undefined;
  /** Why the session ended; what its methods reject with from then on. */
  #ended: Error | undefined;

  /** @internal Made by `client.watch()`, with WATCH already answered on `connection`. */
  constructor(host: TransactionHost, address: string, slot: number, keys: readonly RedisKey[], connection: Connection) {
    this.#host = host;
    this.#address = address;
    this.#slot = slot;
    this.#keys = Object.freeze([...keys]);
    this.#connection = connection;
  }

  /** The slot of the watched keys: every command of the session must stay in it. */
  get slot(): number {
    return this.#slot;
  }

  /** `host:port` of the master that holds the watch. */
  get address(): string {
    return this.#address;
  }

  /** The watched keys. */
  get keys(): readonly RedisKey[] {
    return this.#keys;
  }

  /** Whether the session still holds its connection: not yet executed, discarded, unwatched or failed. */
  get active(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * Sends any command on the session's connection; resolves with the reply as the server gave
   * it. Its keys must be in the watched slot (`CrossSlotError` otherwise). MULTI, EXEC, DISCARD
   * and UNWATCH are refused (use `multi()` and `unwatch()`). A write to a watched key through the
   * session counts as a change: EXEC then resolves `null`.
   */
  call(...args: CommandArgument[]): Promise<RespReply> {
    return this.#send(args, undefined) as Promise<RespReply>;
  }

  /**
   * A transaction that runs on the session's connection, in the watched slot. Its `exec()`
   * resolves `null` when a watched key changed, and ends the session whatever happens; its
   * `discard()` ends the session too.
   */
  multi(options?: TransactionOptions): Transaction<D> {
    const key = this.#keys[0];
    return new Transaction<D>(
      {
        pinned: { slot: this.#slot, key },
        run: (commands, _slot, timeout) => this.#exec(commands, timeout),
        discard: () => this.unwatch(),
      },
      options,
    );
  }

  /** Ends the session: UNWATCH, then the connection goes back to the pool. Does nothing once ended. */
  async unwatch(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#end(new InvalidArgumentError('this watch session was unwatched: watch again with client.watch()'));
    let reusable = false;
    try {
      const [reply] = await untilSettled(this.#host.core, connection.sendBatch([['UNWATCH']]));
      reusable = reply === 'OK';
    } finally {
      this.#host.core.releaseDedicated(this.#address, connection, reusable);
    }
  }

  async #send(args: CommandArgument[], transform: ((reply: RespReply) => unknown) | undefined): Promise<unknown> {
    checkCommand(args, 'session');
    const slot = commandSlot(args);
    if (slot !== undefined && slot !== this.#slot) throw new CrossSlotError('WATCH', [this.#keys[0], ...commandKeys(args)]);
    const connection = this.#usable();
    let reply: RespReply;
    try {
      reply = await untilSettled(this.#host.core, connection.send(args));
    } catch (error) {
      throw this.#failed(error, connection);
    }
    return transform === undefined ? reply : transform(reply);
  }

  /** What a failed command of the session means for the session; returns the error to reject with. */
  #failed(error: unknown, connection: Connection): unknown {
    if (error instanceof ReplyError) {
      const kind = classifyReplyError(error, connection.host);
      if (!(kind instanceof MovedError || kind instanceof AskError)) return kind;
      const name = kind.command ?? 'a command';
      const moved = this.#slotChanged(kind, `${name} of the session was redirected`, name);
      this.#giveBack(connection, moved, false);
      return moved;
    }
    // Nothing was sent: the session is as it was.
    if (error instanceof InvalidArgumentError) return error;
    // The connection failed, or a timed-out reply is still owed: the watch cannot be trusted.
    this.#giveBack(connection, error instanceof Error ? error : new ClusterError(String(error)), false);
    return error;
  }

  async #exec(commands: readonly QueuedCommand[], timeout: number | undefined): Promise<unknown[] | null> {
    const connection = this.#usable();
    this.#end(new InvalidArgumentError('the transaction of this watch session was executed: watch again with client.watch()'));
    const batch: (readonly CommandArgument[])[] = [['MULTI']];
    for (const command of commands) batch.push(command.args);
    batch.push(['EXEC']);
    let read: ReturnType<typeof readExec> | undefined;
    try {
      const replies = await untilSettled(this.#host.core, connection.sendBatch(batch, timeout === undefined ? undefined : { timeout }));
      read = readExec(replies, commands, { address: this.#address, host: connection.host, asking: false });
    } finally {
      this.#host.core.releaseDedicated(this.#address, connection, read?.reusable === true);
    }
    const outcome = read.outcome;
    switch (outcome.kind) {
      case 'committed':
        return outcome.results;
      case 'conflict':
        return null;
      case 'slot':
        throw this.#slotChanged(outcome.error, 'EXEC was refused', 'EXEC');
      case 'unsent':
      case 'failed':
        throw outcome.error;
    }
  }

  #usable(): Connection {
    if (this.#connection === undefined) throw this.#ended as Error;
    return this.#connection;
  }

  #end(reason: Error): void {
    this.#connection = undefined;
    this.#ended = reason;
  }

  #giveBack(connection: Connection, reason: Error, reusable: boolean): void {
    if (this.#connection !== connection) return;
    this.#end(reason);
    this.#host.core.releaseDedicated(this.#address, connection, reusable);
  }

  #slotChanged(error: SlotError, what: string, command: string): ClusterError {
    const where =
      error instanceof MovedError
        ? `slot ${this.#slot} moved from ${this.#address} to ${error.host}:${error.port}`
        : error instanceof AskError || error instanceof TryAgainError
          ? `slot ${this.#slot} is migrating from ${this.#address} to another node`
          : `slot ${this.#slot} on ${this.#address} cannot be used now`;
    return new ClusterError(
      `${what} (${error.message}): ${where} while its keys were watched. Nothing of the transaction ran; ` +
        'what the session read may be stale, so run it all again: watch, read, multi, exec',
      { command, cause: error },
    );
  }

  static {
    installCommands(
      WatchSession.prototype,
      (self, args, transform) => (self as WatchSession<boolean>).#send(args, transform),
      // A wrong argument is a rejected promise like every other failure of a command method.
      (_self, error) => Promise.reject(error),
    );
  }
}

// The typed methods of the client, each sent on the session's connection.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface WatchSession<D extends boolean = true> extends ClientCommands<D> {}

/**
 * WATCH `keys` on a connection of their slot's master. MOVED (the table was stale) is followed;
 * a slot being migrated (ASK, TRYAGAIN) is waited for: a session on the importing node would
 * read keys not yet moved as missing. Nothing has been read yet, so trying again is safe.
 */
export async function openWatchSession(host: TransactionHost, keys: readonly RedisKey[]): Promise<WatchSession<boolean>> {
  if (keys.length === 0) throw new InvalidArgumentError('watch() needs at least one key');
  for (const key of keys) {
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) throw new InvalidArgumentError(`watch() takes string or Buffer keys; got ${key === null ? 'null' : typeof key}`);
  }
  const args = ['WATCH', ...keys];
  const slot = commandSlot(args) as number;
  if (host.closed()) throw new ClusterError('the client is closed', { command: 'WATCH' });
  return untilSettled(host.core, watchOnOwner(host, args, keys, slot));
}

async function watchOnOwner(host: TransactionHost, args: readonly CommandArgument[], keys: readonly RedisKey[], slot: number): Promise<WatchSession<boolean>> {
  const core = host.core;
  const attempts = core.maxRedirections + 1;
  // Like a command's, the client's commandTimeout bounds every attempt and backoff together.
  const deadline = deadlineAfter(core.commandTimeout);
  const left = (): number => msLeft(deadline);
  let lastError: Error | undefined;
  for (let n = 1; n <= attempts; n++) {
    if (n > 1 && performance.now() >= deadline) throw overdue('WATCH', 'WATCH', core.commandTimeout, n - 1, lastError);
    let address: string;
    let connection: Connection;
    try {
      address = await ownerOf(core, slot);
      connection = await core.acquireDedicated(address, 'WATCH');
    } catch (error) {
      const retry = error instanceof ClusterDownError || (error instanceof ConnectionError && !error.written);
      if (!retry) throw error;
      lastError = error;
      await refreshOrGiveUp(host, 'WATCH', error);
      await backoff(core, error instanceof ClusterDownError ? 'clusterDown' : 'connection', n, attempts, left());
      continue;
    }
    const [reply] = await connection.sendBatch([args], deadline === Infinity ? undefined : { timeout: left() });
    if (reply === 'OK') return new WatchSession<boolean>(host, address, slot, keys, connection);
    // A refused WATCH watches nothing; a failed connection or an owed reply cannot be reused.
    core.releaseDedicated(address, connection, reply instanceof ReplyError);
    if (!(reply instanceof ReplyError)) {
      if (!(reply instanceof RedisError)) throw new RedisError(`WATCH on ${address} answered ${JSON.stringify(reply)} instead of OK`);
      if (!(reply instanceof ConnectionError) || reply.written) throw reply;
      lastError = reply;
      await refreshOrGiveUp(host, 'WATCH', reply);
      await backoff(core, 'connection', n, attempts, left());
      continue;
    }
    const error = classifyReplyError(reply, connection.host);
    lastError = error;
    if (error instanceof MovedError || error instanceof ClusterDownError) {
      await refreshOrGiveUp(host, 'WATCH', error);
      if (core.masterOf(slot)?.address === address || error instanceof ClusterDownError) await backoff(core, 'moved', n, attempts, left());
    } else if (error instanceof AskError || error instanceof TryAgainError) {
      await backoff(core, 'tryAgain', n, attempts, left());
    } else if (error instanceof LoadingError) {
      await backoff(core, 'loading', n, attempts, left());
    } else {
      throw error;
    }
  }
  throw ttlExhausted('WATCH', 'WATCH', core.maxRedirections, lastError);
}
