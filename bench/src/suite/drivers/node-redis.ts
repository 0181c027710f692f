import { createCluster } from 'redis';
import type { Connect } from './driver.js';

// Like ioredis, node-redis refuses MGET and MULTI over several slots; its client batches the
// commands issued in one tick on each node's socket by itself.
export const connect: Connect = async (startupNodes, options = {}) => {
  const client = createCluster({
    rootNodes: startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    useReplicas: options.replicaReads === true,
  });
  await client.connect();
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    setMany: async (keys, value) => void (await Promise.all(keys.map((key) => client.set(key, value)))),
    getMany: (keys) => Promise.all(keys.map((key) => client.get(key))),
    close: () => client.close(),
  };
};
