import { Cluster } from 'ioredis';
import type { Connect, DriverOptions, Endpoint } from './driver.js';

// ioredis answers CROSSSLOT to an MGET over several nodes and refuses a pipeline whose keys are
// on more than one node, so its users send one command per key at once; auto-pipelining then
// writes each node's share in one go.
function connectWith(enableAutoPipelining: boolean): Connect {
  return async (startupNodes: readonly Endpoint[], options: DriverOptions = {}) => {
    const client = new Cluster(
      startupNodes.map(({ host, port }) => ({ host, port })),
      { enableAutoPipelining, scaleReads: options.replicaReads === true ? 'slave' : 'master' },
    );
    await client.ping();
    return {
      set: (key, value) => client.set(key, value),
      get: (key) => client.get(key),
      setMany: async (keys, value) => void (await Promise.all(keys.map((key) => client.set(key, value)))),
      getMany: (keys) => Promise.all(keys.map((key) => client.get(key))),
      close: async () => void (await client.quit()),
    };
  };
}

export const connectAutoPipelining = connectWith(true);
export const connectPlain = connectWith(false);
