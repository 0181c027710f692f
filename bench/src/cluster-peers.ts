/**
 * The cluster clients the end-to-end benchmarks compare, connected to one cluster, and the
 * table they report. Shared so that every workload measures the same clients set up the same way.
 */
import { Cluster as IORedisCluster } from 'ioredis';
import { createCluster } from 'redis';
import { RedisCluster } from '@hashslot/cluster';
import type { TestCluster } from '@hashslot/test-cluster';

function createNodeRedis(startupNodes: readonly { host: string; port: number }[]) {
  return createCluster({ rootNodes: startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })) });
}
type NodeRedisCluster = ReturnType<typeof createNodeRedis>;

export interface ClusterPeers {
  readonly hashslot: RedisCluster;
  /** ioredis with `enableAutoPipelining`, what its users turn on for throughput. */
  readonly ioredisAuto: IORedisCluster;
  readonly ioredisPlain: IORedisCluster;
  readonly nodeRedis: NodeRedisCluster;
  close(): Promise<void>;
}

export async function connectPeers(cluster: TestCluster): Promise<ClusterPeers> {
  const startupNodes = cluster.startupNodes.map(({ host, port }) => ({ host, port }));
  const hashslot = new RedisCluster({ startupNodes });
  const ioredisAuto = new IORedisCluster(startupNodes, { enableAutoPipelining: true });
  const ioredisPlain = new IORedisCluster(startupNodes);
  const nodeRedis = createNodeRedis(startupNodes);
  await Promise.all([hashslot.connect(), nodeRedis.connect(), ioredisAuto.ping(), ioredisPlain.ping()]);
  return {
    hashslot,
    ioredisAuto,
    ioredisPlain,
    nodeRedis,
    close: async () => {
      await Promise.all([hashslot.quit(), ioredisAuto.quit(), ioredisPlain.quit(), nodeRedis.close()]);
    },
  };
}

/** A markdown table of median rates, with hashslot's ratio to each peer. */
export function rateTable(title: string, unit: string, rounds: number, durationMs: number, medians: ReadonlyMap<string, number>, ours: string): string[] {
  const own = medians.get(ours) ?? 0;
  return [
    `## ${title}`,
    '',
    `Median of ${rounds} rotating rounds of ${durationMs} ms; node ${process.version}.`,
    '',
    `| client | ${unit} | hashslot vs it |`,
    '| --- | --: | --: |',
    ...[...medians].map(([name, rate]) => `| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${name === ours ? '' : `${(own / rate).toFixed(2)}x`} |`),
  ];
}
