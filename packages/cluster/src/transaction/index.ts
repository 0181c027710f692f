/**
 * MULTI/EXEC transactions on one slot, and WATCH sessions for optimistic locking. See README.md
 * for how they follow a slot that moves.
 */
import type { RedisKey } from '../commands/index.js';
import { type HasCore, defineMethods, hostOf } from '../core.js';
import { runOnCluster } from './run.js';
import { Transaction, type TransactionOptions } from './transaction.js';
import { openWatchSession, WatchSession } from './watch-session.js';

export { Transaction, type TransactionOptions } from './transaction.js';
export { WatchSession } from './watch-session.js';

export interface TransactionMethods<D extends boolean> {
  /**
   * A transaction: queue commands on it (the typed methods or `call()`), then `exec()` sends
   * MULTI, them and EXEC in one write to the master of the slot their keys share, and resolves
   * with their results in order. Queuing a command whose keys are in another slot throws a
   * `CrossSlotError` at once. When the slot moved or is moving, the whole transaction is sent
   * again on its new owner. Throws `InvalidArgumentError` for a wrong option.
   *
   * ```ts
   * const [balance, history] = await client.multi()
   *   .incrby('{acct:1}:balance', 10)
   *   .lpush('{acct:1}:history', '+10')
   *   .exec();
   * ```
   */
  multi(options?: TransactionOptions): Transaction<D>;
  /**
   * WATCHes `keys` (all in one slot: a `CrossSlotError` otherwise) on a connection of their
   * master held for the session: read through the session, then `session.multi()...exec()`
   * resolves `null` when a watched key changed meanwhile. End every session (`exec()`,
   * `discard()` or `unwatch()`): it holds a connection until then. See `WatchSession`.
   */
  watch(...keys: RedisKey[]): Promise<WatchSession<D>>;
}

/** What the methods use of the client they are installed on. */
interface TransactionClient extends HasCore {
  refresh(): Promise<void>;
  readonly status: string;
}

const methods = {
  multi(this: TransactionClient, options?: TransactionOptions): Transaction<boolean> {
    const host = hostOf(this);
    return new Transaction<boolean>(
      {
        pinned: undefined,
        run: (commands, slot, timeout) => runOnCluster(host, commands, slot, timeout),
        discard: () => Promise.resolve(),
      },
      options,
    );
  },
  watch(this: TransactionClient, ...keys: RedisKey[]): Promise<WatchSession<boolean>> {
    return openWatchSession(hostOf(this), keys);
  },
};

export function installTransactionMethods(prototype: object): void {
  defineMethods(prototype, methods);
}
