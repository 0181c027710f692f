/**
 * Workload 1: a busy service. 50 callers, each awaiting a SET and then a GET of a random key,
 * over and over; throughput and the latency of single commands.
 */
import { LATENCY_COLUMNS, LatencyRecorder, callersFor } from '../measure.js';
import { redisBenchmark } from '../reference.js';
import { summarise, type WorkloadResult } from '../results.js';
import { VALUE, clientContenders, randomKey, referenceContender, runRounds, type SuiteContext } from '../context.js';

const CALLERS = 50;

export async function concurrent(context: SuiteContext): Promise<WorkloadResult> {
  const contenders = clientContenders(context, context.drivers, async (driver) => {
    const latencies = new LatencyRecorder(4_000_000);
    const value = await callersFor(CALLERS, context.durationMs, async () => {
      const key = randomKey('bench:c:');
      const started = performance.now();
      await driver.set(key, VALUE);
      const written = performance.now();
      latencies.record(written - started);
      await driver.get(key);
      latencies.record(performance.now() - written);
      return 2;
    });
    return { value, extras: latencies.percentiles() };
  });
  contenders.push(referenceContender(async () => {
    const rows = await redisBenchmark(context.startupNodes[0], { tests: 'set,get', clients: CALLERS, requests: context.quick ? 40_000 : 200_000 });
    const set = rows.get('SET');
    const get = rows.get('GET');
    if (set === undefined || get === undefined) throw new Error('redis-benchmark gave no SET or GET row');
    // Equal numbers of each, run one after the other: the combined rate is the harmonic mean.
    const value = 2 / (1 / set.requestsPerSecond + 1 / get.requestsPerSecond);
    return { value, extras: { p50Ms: (set.p50Ms + get.p50Ms) / 2, p99Ms: (set.p99Ms + get.p99Ms) / 2 } };
  }));
  const samples = await runRounds(context, 'concurrent SET/GET', contenders);
  return summarise(
    {
      id: 'concurrent',
      title: '50 concurrent callers, SET then GET',
      unit: 'ops/s',
      higherIsBetter: true,
      method: `${CALLERS} callers, each awaiting SET then GET of a random key of 100,000 with 64-byte values, for ${context.durationMs} ms per run. p50 and p99 are single-command latencies. redis-benchmark: -c ${CALLERS} -t set,get, one connection per caller (its latencies are the mean of its SET and GET rows).`,
      extraColumns: LATENCY_COLUMNS,
      target: 1.2,
    },
    samples,
  );
}
