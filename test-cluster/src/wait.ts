import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError } from './errors.js';

export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for; becomes part of the timeout error. */
  description?: string;
}

/**
 * Calls `predicate` until it returns a truthy value and returns that value.
 *
 * A predicate that throws counts as "not yet": cluster state is read through commands that fail
 * transiently (a node restarting, a socket refused), and the last such error is kept so the
 * timeout explains itself.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const description = options.description ?? 'condition';
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + intervalMs > deadline) throw new WaitTimeoutError(description, timeoutMs, lastError);
    await sleep(intervalMs);
  }
}
