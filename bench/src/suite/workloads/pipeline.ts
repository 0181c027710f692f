/** Workload 2: batches of 1,000 SETs whose keys fall on every master. */
import { callersFor } from '../measure.js';
import { redisBenchmark } from '../reference.js';
import { summarise, type WorkloadResult } from '../results.js';
import { VALUE, clientContenders, referenceContender, runRounds, type SuiteContext } from '../context.js';

const BATCH = 1_000;
/** Distinct batches cycled through, so that no run writes the very same keys twice in a row. */
const BATCHES = 10;

export async function pipelines(context: SuiteContext): Promise<WorkloadResult> {
  const batches = Array.from({ length: BATCHES }, (_, batch) => Array.from({ length: BATCH }, (_, i) => `bench:p:${batch}:${i}`));
  const contenders = clientContenders(context, context.drivers, async (driver, id) => {
    let next = 0;
    const value = await callersFor(1, context.durationMs, async () => {
      await driver.setMany(batches[next++ % BATCHES], VALUE);
      return BATCH;
    });
    return { value };
  });
  contenders.push(referenceContender(async () => {
    const rows = await redisBenchmark(context.startupNodes[0], { tests: 'set', clients: 3, pipeline: BATCH, requests: context.quick ? 200_000 : 1_000_000 });
    return { value: rows.get('SET')?.requestsPerSecond ?? Number.NaN };
  }));
  const samples = await runRounds(context, 'pipelines', contenders);
  return summarise(
    {
      id: 'pipeline',
      title: `Pipelines of ${BATCH.toLocaleString('en-US')} SETs over all masters`,
      unit: 'SETs/s',
      higherIsBetter: true,
      method: `One caller sending batches of ${BATCH} SETs (64-byte values) whose keys fall on every master, for ${context.durationMs} ms per run. hashslot: one pipeline per batch. ioredis and node-redis refuse a pipeline over several nodes, so their users send the batch as concurrent commands (Promise.all). redis-benchmark: -P ${BATCH}, one connection per master.`,
      extraColumns: [],
      target: 3,
    },
    samples,
  );
}
