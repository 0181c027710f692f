import { ConnectionError, ReplyError, TimeoutError, type RedisError } from '@hashslot/resp';
import { ClusterDownError, LoadingError, TryAgainError } from './errors.js';

/**
 * One timeout for an operation and all its retries: commands, transactions and WATCH each
 * settle within their timeout however many refusals, dead nodes and backoffs come between.
 * A deadline is a `performance.now()` time; Infinity when the timeout is 0 (none).
 */
export function deadlineAfter(timeoutMs: number, started = performance.now()): number {
  return timeoutMs === 0 ? Infinity : started + timeoutMs;
}

/** Milliseconds left before `deadline`, at least 1 (0 would mean "no timeout" to a connection). */
export function msLeft(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(1, Math.ceil(deadline - performance.now()));
}

/**
 * What an operation whose deadline passed between attempts fails with. Every attempt so far was
 * refused or never written (a written write fails at once instead), so a write did not run.
 * When the cluster kept refusing it (CLUSTERDOWN, TRYAGAIN, LOADING), that refusal is the
 * answer and keeps its type; otherwise (no connection, redirections) a TimeoutError.
 */
export function overdue(what: string, command: string, timeoutMs: number, attempts: number, lastError: Error | undefined, address = ''): RedisError {
  const last = lastError;
  if (last instanceof ClusterDownError || last instanceof TryAgainError || last instanceof LoadingError) return last;
  const sent = last instanceof ConnectionError || last instanceof TimeoutError ? last : undefined;
  return new TimeoutError(`${what} did not complete within its timeout of ${timeoutMs} ms after ${attempts} attempts; last: ${last?.message ?? 'none'}`, {
    command,
    address: sent?.address ?? (last instanceof ReplyError ? last.address : undefined) ?? address,
    // Only a read is retried after it was written, and it may have run.
    written: sent?.written ?? false,
    timeoutMs,
  });
}
