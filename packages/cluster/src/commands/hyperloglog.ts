import { nonEmpty } from './arguments.js';
import type { Definitions } from './definition.js';
import type { Flag, Ok, RedisKey, RedisValue } from './types.js';

/** https://redis.io/docs/latest/commands/?group=hyperloglog */
export interface HyperLogLogCommands {
  /** PFADD: 1 when the estimate changed. */
  pfadd(key: RedisKey, ...elements: RedisValue[]): Flag;
  /** PFCOUNT: the estimated cardinality of the union of the keys. */
  pfcount(...keys: RedisKey[]): number;
  /** PFMERGE. */
  pfmerge(destination: RedisKey, ...sources: RedisKey[]): Ok;
}

export const hyperLogLogDefinitions = {
  pfadd: { build: (key, ...elements) => ['PFADD', key, ...elements] },
  pfcount: { build: (...keys) => ['PFCOUNT', ...nonEmpty('PFCOUNT', 'key', keys)] },
  pfmerge: { build: (destination, ...sources) => ['PFMERGE', destination, ...sources] },
} satisfies Definitions<HyperLogLogCommands>;
