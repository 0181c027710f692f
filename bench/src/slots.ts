/**
 * Key-slot benchmark: hashslot's keySlot against `cluster-key-slot` (what ioredis uses) and the
 * patched copy of it inside `@redis/client` (node-redis), on short keys and on tagged keys.
 *
 *   node bench/dist/slots.js [--rounds N] [--quick]
 *
 * Each round runs every contender over the same key list, in an order that rotates per round;
 * the report gives medians and the ratio of ours to each peer.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import clusterKeySlot from 'cluster-key-slot';
import { keySlot } from '@hashslot/slots';
import { median, rotate } from './stats.js';

type SlotFunction = (key: string) => number;

/** node-redis keeps its copy out of its public API; it is loaded by file path for that reason. */
function nodeRedisSlot(): SlotFunction {
  const require = createRequire(import.meta.url);
  const clientEntry = require.resolve('@redis/client');
  const file = clientEntry.replace(/dist[\\/]index\.js$/, 'dist/lib/utils/calculate-slot.js');
  const loaded = require(file) as { default: SlotFunction };
  return loaded.default;
}

const CONTENDERS: { name: string; slot: SlotFunction }[] = [
  { name: 'hashslot', slot: keySlot },
  { name: 'cluster-key-slot', slot: clusterKeySlot },
  { name: '@redis/client', slot: nodeRedisSlot() },
];

const KEY_SETS: { name: string; keys: string[] }[] = [
  { name: 'short keys (user:<id>)', keys: Array.from({ length: 100_000 }, (_, i) => `user:${(i * 7919) % 1_000_003}`) },
  { name: 'tagged keys ({user:<id>}:profile)', keys: Array.from({ length: 100_000 }, (_, i) => `{user:${(i * 7919) % 1_000_003}}:profile`) },
];

function timeOnce(slot: SlotFunction, keys: string[], passes: number): number {
  let checksum = 0;
  const start = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < keys.length; i++) checksum += slot(keys[i]);
  }
  const elapsed = performance.now() - start;
  // The checksum keeps the loop from being optimised away.
  if (checksum < 0) throw new Error('impossible checksum');
  return elapsed;
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const rounds = values.rounds ? Number(values.rounds) : values.quick ? 3 : 9;
  const passes = values.quick ? 2 : 10;
  for (const set of KEY_SETS) {
    for (const key of set.keys.slice(0, 1000)) {
      const expected = keySlot(key);
      for (const contender of CONTENDERS) {
        if (contender.slot(key) !== expected) throw new Error(`${contender.name} disagrees on ${key}`);
      }
    }
  }
  console.log('## keySlot throughput\n');
  console.log(`Median of ${rounds} rotating rounds, ${passes} passes over 100,000 keys each; node ${process.version}.\n`);
  console.log('| keys | hashslot keys/s | cluster-key-slot keys/s | @redis/client keys/s | vs cluster-key-slot | vs @redis/client |');
  console.log('| --- | --: | --: | --: | --: | --: |');
  for (const set of KEY_SETS) {
    const timings = new Map<string, number[]>(CONTENDERS.map((c) => [c.name, []]));
    for (const contender of CONTENDERS) timeOnce(contender.slot, set.keys, passes); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const contender of rotate(CONTENDERS, round)) timings.get(contender.name)?.push(timeOnce(contender.slot, set.keys, passes));
    }
    const rate = (name: string): number => (set.keys.length * passes) / (median(timings.get(name) ?? []) / 1000);
    const ours = rate('hashslot');
    const format = (n: number): string => `${(n / 1e6).toFixed(1)} M`;
    console.log(
      `| ${set.name} | ${format(ours)} | ${format(rate('cluster-key-slot'))} | ${format(rate('@redis/client'))} | ${(ours / rate('cluster-key-slot')).toFixed(2)}x | ${(ours / rate('@redis/client')).toFixed(2)}x |`,
    );
  }
}

main();
