/**
 * MGET of 100 keys spread over every master: hashslot's client-side split against what users of
 * the other clients must write instead (ioredis and node-redis answer CROSSSLOT to such an
 * MGET, so one GET per key, concurrently, which auto-pipelining batches).
 *
 *   node bench/dist/mget.js [--rounds N] [--quick]
 *
 * Boots its own cluster (3 masters, 3 replicas). Each round runs every client for the same
 * time, in an order that rotates per round; the report gives the median keys/s and ratios.
 */
import { parseArgs } from 'node:util';
import { Cluster as IORedisCluster } from 'ioredis';
import { createCluster } from 'redis';
import { RedisCluster } from '@hashslot/cluster';
import { keySlot } from '@hashslot/slots';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { median, rotate } from './stats.js';

const KEYS_PER_MGET = 100;
/** Callers issuing MGETs at once: a busy service, not a single loop. */
const CALLERS = 16;

interface Contender {
  name: string;
  mget(keys: string[]): Promise<unknown[]>;
  close(): Promise<void>;
}

async function contenders(cluster: TestCluster): Promise<Contender[]> {
  const startupNodes = cluster.startupNodes.map(({ host, port }) => ({ host, port }));
  const hashslot = new RedisCluster({ startupNodes });
  await hashslot.connect();
  const ioredisAuto = new IORedisCluster(startupNodes, { enableAutoPipelining: true });
  const ioredisPlain = new IORedisCluster(startupNodes);
  const nodeRedis = createCluster({ rootNodes: startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })) });
  await nodeRedis.connect();
  await Promise.all([ioredisAuto.ping(), ioredisPlain.ping()]);
  return [
    { name: 'hashslot', mget: (keys) => hashslot.mget(...keys), close: () => hashslot.quit() },
    {
      name: 'ioredis (auto-pipelining)',
      mget: (keys) => Promise.all(keys.map((key) => ioredisAuto.get(key))),
      close: async () => void (await ioredisAuto.quit()),
    },
    {
      name: 'ioredis',
      mget: (keys) => Promise.all(keys.map((key) => ioredisPlain.get(key))),
      close: async () => void (await ioredisPlain.quit()),
    },
    {
      name: 'node-redis',
      mget: (keys) => Promise.all(keys.map((key) => nodeRedis.get(key))),
      close: async () => void (await nodeRedis.close()),
    },
  ];
}

/** Keys/s of `contender` over `durationMs`, with CALLERS concurrent loops. */
async function measure(contender: Contender, keys: string[], durationMs: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < deadline) {
        const values = await contender.mget(keys);
        if (values.length !== keys.length || values[0] === null) throw new Error(`${contender.name} returned a wrong MGET reply`);
        done += keys.length;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false } }, strict: true });
  const rounds = values.rounds === undefined ? (values.quick ? 3 : 7) : Number(values.rounds);
  const durationMs = values.quick ? 500 : 2000;
  process.stderr.write('booting a cluster (3 masters, 3 replicas)...\n');
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  try {
    const keys = Array.from({ length: KEYS_PER_MGET }, (_, i) => `bench:mget:${i}`);
    const masters = new Set(await Promise.all(keys.map(async (key) => (await cluster.slotOwner(keySlot(key))).id)));
    if (masters.size !== 3) throw new Error('the keys do not reach every master');
    const all = await contenders(cluster);
    try {
      await all[0].mget(keys);
      const value = 'v'.repeat(64);
      for (const key of keys) await cluster.cli(await cluster.slotOwner(keySlot(key)), 'SET', key, value);
      const samples = new Map<string, number[]>(all.map((contender) => [contender.name, []]));
      // Warm-up: JIT and connections for everyone, not measured.
      for (const contender of all) await measure(contender, keys, 200);
      for (let round = 0; round < rounds; round++) {
        for (const contender of rotate(all, round)) {
          samples.get(contender.name)?.push(await measure(contender, keys, durationMs));
          process.stderr.write(`round ${round + 1}/${rounds}: ${contender.name}\n`);
        }
      }
      const medians = new Map([...samples].map(([name, runs]) => [name, median(runs)]));
      const ours = medians.get('hashslot') ?? 0;
      const peers = [...medians].filter(([name]) => name !== 'hashslot');
      const best = Math.max(...peers.map(([, rate]) => rate));
      const lines = [
        `## MGET of ${KEYS_PER_MGET} keys over 3 masters (${CALLERS} concurrent callers)`,
        '',
        `Median of ${rounds} rotating rounds of ${durationMs} ms; node ${process.version}.`,
        '',
        '| client | keys/s | hashslot vs it |',
        '| --- | --: | --: |',
        ...[...medians].map(([name, rate]) => `| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${name === 'hashslot' ? '' : `${(ours / rate).toFixed(2)}x`} |`),
        '',
        `hashslot vs the best peer: ${(ours / best).toFixed(2)}x`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await Promise.all(all.map((contender) => contender.close()));
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
