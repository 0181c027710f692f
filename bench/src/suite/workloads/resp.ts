/**
 * Workload 5: RESP2 parsing alone, the parser bench's streams and loop (bench/src/resp). One
 * figure per parser: the geometric mean of its MB/s over the five streams, so that no single
 * kind of reply dominates.
 */
import { selfCheck } from '../../resp/check.js';
import { WARMUP_ROUNDS, measure } from '../../resp/measure.js';
import { CONTENDERS, HASHSLOT } from '../../resp/peers.js';
import { QUICK_STREAM_BYTES, STREAM_BYTES, STREAM_KINDS, generateStream } from '../../resp/streams.js';
import { talliesFor } from '../../resp/tally.js';
import { summarise, type Role, type Sample, type WorkloadResult } from '../results.js';
import type { SuiteContext } from '../context.js';

/** Which clients each parser serves, for the report. */
const SERVES: Readonly<Record<string, string>> = {
  hashslot: 'hashslot',
  'redis-parser': 'redis-parser (ioredis up to 5)',
  'node-redis': 'node-redis decoder (@redis/client)',
};

export async function respParsing(context: SuiteContext): Promise<WorkloadResult> {
  const streams = STREAM_KINDS.map((kind) => generateStream(kind, context.quick ? QUICK_STREAM_BYTES : STREAM_BYTES));
  const tallies = talliesFor(CONTENDERS);
  selfCheck(CONTENDERS, streams, tallies);
  // Yields between streams so the progress line is drawn; parsing itself is synchronous.
  const timings = [];
  for (const stream of streams) {
    context.progress(`RESP parsing: ${stream.name}`);
    await new Promise((resolve) => setImmediate(resolve));
    timings.push(...measure(CONTENDERS, [stream], { rounds: context.rounds, warmupRounds: WARMUP_ROUNDS, tallies }));
  }
  const samples = new Map<string, { role: Role; runs: Sample[] }>();
  for (const contender of CONTENDERS) {
    const runs: Sample[] = [];
    for (let round = 0; round < context.rounds; round++) {
      const extras: Record<string, number> = {};
      let logSum = 0;
      for (const { stream, timesMs } of timings) {
        const megabytesPerSecond = stream.bytes.length / 1e6 / ((timesMs.get(contender.name)?.[round] ?? Number.NaN) / 1000);
        extras[stream.name] = megabytesPerSecond;
        logSum += Math.log(megabytesPerSecond);
      }
      runs.push({ value: Math.exp(logSum / timings.length), extras });
    }
    samples.set(SERVES[contender.name] ?? contender.name, { role: contender === HASHSLOT ? 'ours' : 'peer', runs });
  }
  return summarise(
    {
      id: 'resp',
      title: 'RESP2 parsing alone',
      unit: 'MB/s',
      higherIsBetter: true,
      method: `Each parser parses streams of one reply kind (${streams.map((stream) => stream.name).join(', ')}; ${context.quick ? 3 : 12} MiB base size) fed in 64 KiB chunks, ${WARMUP_ROUNDS} warm-up rounds then ${context.rounds} timed, order rotated; the figure is the geometric mean of the MB/s over the streams. node-redis parses with the @redis/client decoder, and ioredis 6 with a copy adapted from it.`,
      extraColumns: streams.map((stream) => ({ key: stream.name, label: `${stream.name} MB/s` })),
    },
    samples,
  );
}
