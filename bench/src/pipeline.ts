/**
 * Pipelines of 1,000 SETs whose keys fall on every master: hashslot's pipeline against what
 * users of the other clients must do (ioredis refuses a pipeline whose keys span nodes, so
 * concurrent commands with auto-pipelining; node-redis the same), and redis-benchmark
 * --cluster -P 1000 (C, the practical limit) at the same batch size.
 *
 *   node bench/dist/pipeline.js [--rounds N] [--quick]
 *
 * Also reports the peak RSS of one 100,000-command pipeline.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { RedisCluster } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { connectPeers, rateTable, type ClusterPeers } from './cluster-peers.js';
import { median, rotate } from './stats.js';

const BATCH = 1_000;
const VALUE = 'v'.repeat(64);
const execFileAsync = promisify(execFile);

interface Contender {
  name: string;
  /** Sends one batch of SETs; resolves when every reply is in. */
  batch(keys: string[]): Promise<void>;
}

function contenders(peers: ClusterPeers): Contender[] {
  return [
    {
      name: 'hashslot pipeline',
      batch: async (keys) => {
        const p = pipeline(peers.hashslot);
        for (const key of keys) p.set(key, VALUE);
        const results = await p.exec({ raiseOnError: true });
        if (results.length !== keys.length) throw new Error('hashslot lost replies');
      },
    },
    { name: 'ioredis (auto-pipelining)', batch: async (keys) => void (await Promise.all(keys.map((key) => peers.ioredisAuto.set(key, VALUE)))) },
    { name: 'node-redis', batch: async (keys) => void (await Promise.all(keys.map((key) => peers.nodeRedis.set(key, VALUE)))) },
  ];
}

async function measure(contender: Contender, durationMs: number): Promise<number> {
  let done = 0;
  let round = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    const keys = Array.from({ length: BATCH }, (_, i) => `bench:pipe:${round % 10}:${i}`);
    await contender.batch(keys);
    done += BATCH;
    round++;
  }
  return done / ((performance.now() - started) / 1000);
}

/** redis-benchmark --cluster with -P BATCH: SETs per second, as the C client does them. */
async function redisBenchmark(cluster: TestCluster, requests: number): Promise<number> {
  const { host, port } = cluster.startupNodes[0];
  const { stdout } = await execFileAsync('redis-benchmark', [
    '--cluster', '-h', host, '-p', String(port), '-t', 'set', '-P', String(BATCH), '-n', String(requests), '-d', '64', '-r', '100000', '-c', '3', '-q',
  ]);
  const match = /SET: ([\d.]+) requests per second/.exec(stdout);
  if (match === null) throw new Error(`could not read redis-benchmark's output: ${stdout}`);
  return Number(match[1]);
}

async function peakRssOfLargePipeline(cluster: TestCluster): Promise<{ before: number; peak: number; ms: number }> {
  const client = new RedisCluster({ startupNodes: cluster.startupNodes.map(({ host, port }) => ({ host, port })) });
  try {
    await client.connect();
    const p = pipeline(client);
    for (let i = 0; i < 100_000; i++) p.set(`bench:big:${i}`, VALUE);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = performance.now();
    await p.exec({ raiseOnError: true });
    const ms = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { before, peak, ms };
  } finally {
    await client.quit();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false } }, strict: true });
  const rounds = values.rounds === undefined ? (values.quick ? 3 : 7) : Number(values.rounds);
  const durationMs = values.quick ? 500 : 2000;
  process.stderr.write('booting a cluster (3 masters, 3 replicas)...\n');
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    const peers = await connectPeers(cluster);
    const all = contenders(peers);
    const samples = new Map<string, number[]>([...all.map((c): [string, number[]] => [c.name, []]), ['redis-benchmark -P 1000 (C)', []]]);
    try {
      for (const contender of all) await measure(contender, 200);
      for (let round = 0; round < rounds; round++) {
        for (const contender of rotate(all, round)) {
          samples.get(contender.name)?.push(await measure(contender, durationMs));
          process.stderr.write(`round ${round + 1}/${rounds}: ${contender.name}\n`);
        }
        samples.get('redis-benchmark -P 1000 (C)')?.push(await redisBenchmark(cluster, values.quick ? 200_000 : 1_000_000));
      }
    } finally {
      await peers.close();
    }
    const rss = await peakRssOfLargePipeline(cluster);
    const medians = new Map([...samples].map(([name, runs]) => [name, median(runs)]));
    const lines = [
      ...rateTable(`Pipelines of ${BATCH} SETs over 3 masters`, 'SETs/s', rounds, durationMs, medians, 'hashslot pipeline'),
      '',
      `One pipeline of 100,000 SETs: ${rss.ms.toFixed(0)} ms, RSS ${(rss.before / 2 ** 20).toFixed(0)} MiB before exec, peak ${(rss.peak / 2 ** 20).toFixed(0)} MiB during it.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
