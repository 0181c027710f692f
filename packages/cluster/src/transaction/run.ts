import { ConnectionError, type CommandArgument, type Connection } from '@hashslot/resp';
import { AskError, ClusterDownError, ClusterError, LoadingError, MovedError, TryAgainError, ttlExhausted } from '../errors.js';
import type { QueuedCommand } from './command.js';
import { readExec, type SlotError } from './exec-reply.js';
import { deadlineAfter, msLeft, overdue } from '../deadline.js';
import { backoff, isKnownMaster, ownerOf, refreshOrGiveUp, untilSettled, type TransactionHost } from './host.js';

/**
 * Runs a transaction without WATCH on the master of `slot` (any master when `slot` is undefined):
 * MULTI, the commands and EXEC in one write on a dedicated connection. When the slot is not
 * where the table says (MOVED), is moving (ASK, TRYAGAIN) or its node is not ready, nothing ran
 * and the whole transaction is sent again, at most `maxRedirections` times and within its
 * timeout (`timeout`, else the client's `commandTimeout`) for all attempts together.
 */
export function runOnCluster(
  host: TransactionHost,
  commands: readonly QueuedCommand[],
  slot: number | undefined,
  timeout: number | undefined,
): Promise<unknown[] | null> {
  // Nothing to send: no node needs to be asked for an empty array.
  if (commands.length === 0) return Promise.resolve([]);
  if (host.closed()) return Promise.reject(new ClusterError('the client is closed', { command: 'EXEC' }));
  return untilSettled(host.core, attempt(host, commands, slot, timeout));
}

async function attempt(
  host: TransactionHost,
  commands: readonly QueuedCommand[],
  slot: number | undefined,
  timeout: number | undefined,
): Promise<unknown[] | null> {
  const core = host.core;
  const attempts = core.maxRedirections + 1;
  const what = `the transaction (${commands.length} command${commands.length === 1 ? '' : 's'})`;
  // The timeout bounds every attempt and backoff together, as a command's does in the router:
  // while a failover leaves the slot without a reachable master, exec() must settle within it,
  // not retry for many times as long.
  const timeoutMs = timeout ?? core.commandTimeout;
  const deadline = deadlineAfter(timeoutMs);
  const left = (): number => msLeft(deadline);
  // Set by ASK: the next attempt goes to the importing node, with ASKING in front of MULTI.
  let askTarget: string | undefined;
  let lastError: Error | undefined;
  let lastAddress = '';
  for (let n = 1; n <= attempts; n++) {
    if (n > 1 && performance.now() >= deadline) throw overdue(what, 'EXEC', timeoutMs, n - 1, lastError, lastAddress);
    let address: string;
    try {
      address = askTarget ?? (await ownerOf(core, slot));
    } catch (error) {
      if (!(error instanceof ClusterDownError)) throw error;
      lastError = error;
      await refreshOrGiveUp(host, what, error);
      await backoff(core, 'clusterDown', n, attempts, left());
      continue;
    }
    lastAddress = address;
    let connection: Connection;
    try {
      connection = await core.acquireDedicated(address, 'EXEC');
    } catch (error) {
      // Could not connect: nothing was sent, so the table may have news (a failover).
      if (!(error instanceof ConnectionError) || error.written) throw error;
      lastError = error;
      askTarget = undefined;
      await refreshOrGiveUp(host, what, error);
      await backoff(core, 'connection', n, attempts, left());
      continue;
    }
    const asking = askTarget !== undefined;
    // ASKING goes before MULTI, not before each command: inside MULTI it would be queued like any
    // command, while the flag it sets lasts until EXEC (the server clears it only outside MULTI).
    const batch: (readonly CommandArgument[])[] = asking ? [['ASKING'], ['MULTI']] : [['MULTI']];
    for (const command of commands) batch.push(command.args);
    batch.push(['EXEC']);
    let read: ReturnType<typeof readExec> | undefined;
    try {
      const replies = await connection.sendBatch(batch, { timeout: deadline === Infinity ? 0 : left() });
      read = readExec(replies, commands, { address, host: connection.host, asking });
    } finally {
      core.releaseDedicated(address, connection, read?.reusable === true);
    }
    const outcome = read.outcome;
    switch (outcome.kind) {
      case 'committed':
        return outcome.results;
      case 'conflict':
        return null;
      case 'failed':
        throw outcome.error;
      case 'unsent':
        lastError = outcome.error;
        askTarget = undefined;
        await refreshOrGiveUp(host, what, outcome.error);
        await backoff(core, 'connection', n, attempts, left());
        break;
      case 'slot':
        lastError = outcome.error;
        askTarget = await nextTarget(host, outcome.error, slot, address, askTarget, n, attempts, what, left);
        break;
    }
  }
  throw ttlExhausted(what, 'EXEC', core.maxRedirections, lastError);
}

/**
 * Where the next attempt goes after the slot refused this one (`undefined`: the slot's master
 * per the table), having waited or reloaded the table as the refusal calls for.
 */
async function nextTarget(
  host: TransactionHost,
  error: SlotError,
  slot: number | undefined,
  address: string,
  askTarget: string | undefined,
  n: number,
  attempts: number,
  what: string,
  /** Milliseconds left of the transaction's timeout. */
  left: () => number,
): Promise<string | undefined> {
  const core = host.core;
  if (error instanceof AskError) {
    const target = `${error.host}:${error.port}`;
    // An importing node the pool does not know (a new node, or one behind natMap) cannot be
    // reached by its announced address: wait for the migration to end, then MOVED leads there.
    if (await isKnownMaster(core, target)) return target;
    await backoff(core, 'tryAgain', n, attempts, left());
    return undefined;
  }
  if (error instanceof TryAgainError) {
    // Keys of the slot on both sides of a migration: only its end lets them be used together.
    await backoff(core, 'tryAgain', n, attempts, left());
    return askTarget;
  }
  if (error instanceof LoadingError) {
    await backoff(core, 'loading', n, attempts, left());
    return askTarget;
  }
  // MOVED, READONLY (a demoted master) or CLUSTERDOWN: the table is wrong or the cluster is
  // changing. MOVED's address is the server's view, which natMap may translate: the reloaded
  // table is what the pool can connect to.
  await refreshOrGiveUp(host, what, error);
  const stillThere = slot !== undefined && core.masterOf(slot)?.address === address;
  if (stillThere || !(error instanceof MovedError)) await backoff(core, error instanceof ClusterDownError ? 'clusterDown' : 'moved', n, attempts, left());
  return undefined;
}
