import { RedisCluster } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import type { Connect } from './driver.js';

export const connect: Connect = async (startupNodes, options = {}) => {
  const client = new RedisCluster({
    startupNodes: startupNodes.map(({ host, port }) => ({ host, port })),
    readFrom: options.replicaReads === true ? 'replica' : 'master',
  });
  await client.connect();
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    setMany: async (keys, value) => {
      const batch = pipeline(client);
      for (const key of keys) batch.set(key, value);
      await batch.exec({ raiseOnError: true });
    },
    getMany: (keys) => client.mget(...keys),
    close: () => client.quit(),
  };
};
