import type { ClientHost, ClusterCore } from '../core.js';
import { backoff as retryBackoff, type RetryKind } from '../options.js';
import { ClusterDownError, ClusterError, slotNotServed } from '../errors.js';

/** What transactions and watch sessions use of the client they come from. */
export type TransactionHost = ClientHost;

export type DelayKind = RetryKind | 'moved';

/**
 * The client's backoff, at most `limitMs` (what is left of the operation's timeout); a MOVED whose
 * new owner the table does not name yet waits like CLUSTERDOWN.
 */
export function backoff(core: ClusterCore, kind: DelayKind, attempt: number, attempts: number, limitMs = Infinity): Promise<void> {
  return retryBackoff(core.retryDelays, kind === 'moved' ? 'clusterDown' : kind, attempt, attempts, limitMs);
}

/**
 * The address of the master serving `slot` per the table (discovering the cluster first), or of
 * some master for a transaction without keys.
 * @throws ClusterDownError when the table names no master for it.
 */
export async function ownerOf(core: ClusterCore, slot: number | undefined): Promise<string> {
  const masters = await core.masters();
  if (slot === undefined) {
    // Spread keyless transactions; none of them cares which master runs it.
    const master = masters[Math.floor(Math.random() * masters.length)];
    if (master === undefined) throw new ClusterDownError('CLUSTERDOWN the slot table lists no master', { command: 'EXEC' });
    return master.address;
  }
  const master = core.masterOf(slot);
  if (master === undefined) {
    throw slotNotServed(slot, 'EXEC');
  }
  return master.address;
}

/** Whether `address` is a master of the table now: a node the pool can give a connection to. */
export async function isKnownMaster(core: ClusterCore, address: string): Promise<boolean> {
  return (await core.masters()).some((master) => master.address === address);
}

/**
 * Reloads the table after a connection failure; when every node refuses, the cluster is
 * unreachable and the caller gets each node's reason instead of more attempts.
 */
export async function refreshOrGiveUp(host: TransactionHost, what: string, cause: unknown): Promise<void> {
  try {
    await host.refresh();
  } catch (error) {
    throw new ClusterError(`${what} could not be sent: no node of the cluster answers`, {
      command: 'EXEC',
      failures: error instanceof ClusterError ? error.failures : [],
      cause,
    });
  }
}

/**
 * Lets a graceful `quit()` wait for `work`: its replies are owed, and the dedicated connection it
 * holds would otherwise be cut off under it.
 */
export function untilSettled<T>(core: ClusterCore, work: Promise<T>): Promise<T> {
  const stop = core.onClose(() => work.then(noop, noop));
  return work.finally(stop);
}

function noop(): void {}
