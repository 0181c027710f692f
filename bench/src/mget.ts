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
import { keySlot } from '@hashslot/slots';
import { startCluster } from '@hashslot/test-cluster';
import { connectPeers, rateTable, type ClusterPeers } from './cluster-peers.js';
import { median, rotate } from './stats.js';

const KEYS_PER_MGET = 100;
/** Callers issuing MGETs at once: a busy service, not a single loop. */
const CALLERS = 16;

interface Contender {
  name: string;
  mget(keys: string[]): Promise<unknown[]>;
}

function contenders(peers: ClusterPeers): Contender[] {
  return [
    { name: 'hashslot', mget: (keys) => peers.hashslot.mget(...keys) },
    { name: 'ioredis (auto-pipelining)', mget: (keys) => Promise.all(keys.map((key) => peers.ioredisAuto.get(key))) },
    { name: 'ioredis', mget: (keys) => Promise.all(keys.map((key) => peers.ioredisPlain.get(key))) },
    { name: 'node-redis', mget: (keys) => Promise.all(keys.map((key) => peers.nodeRedis.get(key))) },
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
    const peers = await connectPeers(cluster);
    const all = contenders(peers);
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
        ...rateTable(`MGET of ${KEYS_PER_MGET} keys over 3 masters (${CALLERS} concurrent callers)`, 'keys/s', rounds, durationMs, medians, 'hashslot'),
        '',
        `hashslot vs the best peer: ${(ours / best).toFixed(2)}x`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await peers.close();
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
