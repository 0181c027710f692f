import { describe, expect, it } from 'vitest';
import { WaitTimeoutError } from './errors.js';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? `done after ${calls}` : false), { intervalMs: 1 })).resolves.toBe('done after 3');
  });

  it('treats a throwing predicate as not yet and reports its last error on timeout', async () => {
    const error = await waitFor(() => {
      throw new Error('node 7 not ready');
    }, { timeoutMs: 30, intervalMs: 5, description: 'node 7' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).message).toBe('timed out after 30 ms waiting for node 7; last check: node 7 not ready');
  });
});
