/** Workload 3: MGET of 100 keys spread over every master. */
import { keySlot } from '@hashslot/slots';
import { callersFor } from '../measure.js';
import { redisBenchmark } from '../reference.js';
import { summarise, type WorkloadResult } from '../results.js';
import { VALUE, clientContenders, referenceContender, runRounds, type SuiteContext } from '../context.js';

const KEYS_PER_MGET = 100;
/** Callers issuing MGETs at once: a busy service, not a single loop. */
const CALLERS = 16;

export async function mget(context: SuiteContext): Promise<WorkloadResult> {
  const keys = Array.from({ length: KEYS_PER_MGET }, (_, i) => `bench:m:${i}`);
  const masters = new Set(await Promise.all(keys.map(async (key) => (await context.cluster.slotOwner(keySlot(key))).id)));
  if (masters.size !== context.cluster.masters().length) throw new Error('the MGET keys do not reach every master');
  const hashslot = context.drivers.get('hashslot');
  if (hashslot === undefined) throw new Error('no hashslot driver');
  await hashslot.setMany(keys, VALUE);
  const contenders = clientContenders(context, context.drivers, async (driver, id) => {
    const value = await callersFor(CALLERS, context.durationMs, async () => {
      const values = await driver.getMany(keys);
      if (values.length !== keys.length || values[0] !== VALUE) throw new Error(`${id} returned a wrong MGET reply`);
      return keys.length;
    });
    return { value };
  });
  contenders.push(referenceContender(async () => {
    const rows = await redisBenchmark(context.startupNodes[0], { tests: 'get', clients: CALLERS, pipeline: KEYS_PER_MGET, requests: context.quick ? 200_000 : 1_000_000 });
    return { value: rows.get('GET')?.requestsPerSecond ?? Number.NaN };
  }));
  const samples = await runRounds(context, 'MGET', contenders);
  return summarise(
    {
      id: 'mget',
      title: `MGET of ${KEYS_PER_MGET} keys over all masters`,
      unit: 'keys/s',
      higherIsBetter: true,
      method: `${CALLERS} callers, each reading the same ${KEYS_PER_MGET} keys (on every master) over and over, for ${context.durationMs} ms per run. hashslot: one MGET, split per node inside the client. ioredis and node-redis answer CROSSSLOT to that MGET, so their users send one GET per key at once. redis-benchmark: GETs pipelined ${KEYS_PER_MGET} at a time on ${CALLERS} connections.`,
      extraColumns: [],
      target: 3,
    },
    samples,
  );
}
