/**
 * Workload 4: a read-heavy mix (9 GETs to 1 SET) with reads sent to replicas, each client
 * configured the way its users ask for that.
 */
import { parseInfo } from '@hashslot/test-cluster';
import { CLIENTS, type ClientId, type Driver } from '../drivers/index.js';
import { LATENCY_COLUMNS, LatencyRecorder, callersFor } from '../measure.js';
import { summarise, type WorkloadResult } from '../results.js';
import { KEYSPACE, VALUE, clientContenders, runRounds, type SuiteContext } from '../context.js';

const CALLERS = 50;
const PREFIX = 'bench:r:';

export async function replicaReads(context: SuiteContext): Promise<WorkloadResult> {
  const hashslot = context.drivers.get('hashslot');
  if (hashslot === undefined) throw new Error('no hashslot driver');
  // Every key the mix reads exists, so replicas answer with values, not nulls.
  for (let start = 0; start < KEYSPACE; start += 10_000) {
    await hashslot.setMany(Array.from({ length: 10_000 }, (_, i) => `${PREFIX}${start + i}`), VALUE);
  }
  const drivers = new Map<ClientId, Driver>();
  try {
    for (const client of CLIENTS) drivers.set(client.id, await (await client.load())(context.startupNodes, { replicaReads: true }));
    const contenders = clientContenders(context, drivers, async (driver) => {
      const latencies = new LatencyRecorder(4_000_000);
      const before = await getCalls(context);
      const value = await callersFor(CALLERS, context.durationMs, async () => {
        const key = `${PREFIX}${Math.floor(Math.random() * KEYSPACE)}`;
        const started = performance.now();
        await (Math.random() < 0.1 ? driver.set(key, VALUE) : driver.get(key));
        latencies.record(performance.now() - started);
        return 1;
      });
      const after = await getCalls(context);
      // Checks the configuration took: the share of this run's GETs that replicas served.
      const replicaGets = after.replicas - before.replicas;
      const replicaShare = replicaGets / (replicaGets + after.masters - before.masters);
      return { value, extras: { ...latencies.percentiles(), replicaShare } };
    });
    const samples = await runRounds(context, 'replica reads', contenders);
    return summarise(
      {
        id: 'replica-reads',
        title: 'Read-heavy mix, reads from replicas',
        unit: 'ops/s',
        higherIsBetter: true,
        method: `${CALLERS} callers, each awaiting one command at a time: a GET 9 times in 10, else a SET, of a random key of ${KEYSPACE.toLocaleString('en-US')} (all present), for ${context.durationMs} ms per run. hashslot readFrom: 'replica', ioredis scaleReads: 'slave', node-redis useReplicas: true. "replica share" is the share of the GETs that replicas served (INFO commandstats). redis-benchmark has no replica reads and is left out.`,
        extraColumns: [...LATENCY_COLUMNS, { key: 'replicaShare', label: 'replica share' }],
      },
      samples,
    );
  } finally {
    await Promise.all([...drivers.values()].map((driver) => driver.close()));
  }
}

/** GET calls served so far by masters and by replicas, from every node's INFO commandstats. */
async function getCalls(context: SuiteContext): Promise<{ masters: number; replicas: number }> {
  const counts = { masters: 0, replicas: 0 };
  const nodes = [...context.cluster.masters(), ...context.cluster.replicas()];
  const infos = await Promise.all(nodes.map((node) => context.cluster.cli(node, 'INFO', 'commandstats')));
  for (const [index, info] of infos.entries()) {
    const calls = Number(/calls=(\d+)/.exec(parseInfo(info).get('cmdstat_get') ?? '')?.[1] ?? 0);
    if (nodes[index].role === 'master') counts.masters += calls;
    else counts.replicas += calls;
  }
  return counts;
}
