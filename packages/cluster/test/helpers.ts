import { afterAll } from 'vitest';
import { RedisCluster, type ClusterOptions } from '@hashslot/cluster';

/** Clients made by a test file, closed after it so that no socket outlives the file. */
const clients: RedisCluster<boolean>[] = [];

export function trackClient<D extends boolean>(client: RedisCluster<D>): RedisCluster<D> {
  clients.push(client as RedisCluster<boolean>);
  return client;
}

export function newClient<D extends boolean = true>(options: ClusterOptions<D>): RedisCluster<D> {
  return trackClient(new RedisCluster<D>(options));
}

afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** Settles every promise and reports how each ended, so a test can assert on all of them. */
export async function settleAll<T>(promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(promises);
}

/**
 * Collects unhandled rejections and uncaught exceptions while a test runs: the client promises
 * none, so a test asserts the list is empty.
 */
export function watchUnhandled(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => {
    errors.push(error);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    stop() {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}

/** A key whose slot is `slot`, found by trying `prefix:0`, `prefix:1`... */
export function keyInSlot(slot: number, keySlot: (key: string) => number, prefix = 'k'): string {
  for (let i = 0; ; i++) {
    const key = `${prefix}:${i}`;
    if (keySlot(key) === slot) return key;
  }
}
