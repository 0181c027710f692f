/**
 * The soak: mixed load for SOAK_MINUTES (default 1, what CI runs; `pnpm soak` runs 10), with a
 * live resharding and a manual failover every minute. Checks every promise of the fault suite
 * at the end, and that memory has no growth trend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { RedisCluster, RedisError } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { watchUnhandled } from '../helpers.js';
import { expectSound } from './checks.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 1);
const PERIOD_MS = 60_000;
/** Slots moved per resharding: the ones holding the writers' lists, so the moves meet load. */
const SLOTS_PER_RESHARD = 8;
const COMMAND_TIMEOUT_MS = 2_000;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
});

afterAll(async () => {
  await cluster?.stop();
});

interface MemorySample {
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
}

describe(`soak: ${MINUTES} minute(s) of mixed load, a resharding and a manual failover every minute`, () => {
  it('loses, repeats and reorders nothing, leaves nothing unsettled and does not grow', async () => {
    if (!(Number.isFinite(MINUTES) && MINUTES > 0)) throw new Error(`SOAK_MINUTES must be a positive number; got ${process.env.SOAK_MINUTES}`);
    const unhandled = watchUnhandled();
    const client = new RedisCluster({ startupNodes: cluster.startupNodes.map(({ host, port }) => ({ host, port })), commandTimeout: COMMAND_TIMEOUT_MS });
    try {
      await client.connect();
      const load = new Load(client, { prefix: 'soak', writers: 8, counters: 4, readers: 4 });
      await load.start();
      const batches = batchLoad(client);
      const samples: MemorySample[] = [];
      const sampler = setInterval(() => {
        const { rss, heapUsed } = process.memoryUsage();
        samples.push({ at: performance.now(), rss, heapUsed });
      }, 1_000);
      const started = performance.now();
      let reshardings = 0;
      let failovers = 0;
      try {
        for (let minute = 0; minute < MINUTES; minute++) {
          const minuteStarted = performance.now();
          await reshard(cluster, minute);
          reshardings++;
          await manualFailover(cluster, minute);
          failovers++;
          const left = PERIOD_MS - (performance.now() - minuteStarted);
          if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
        }
      } finally {
        clearInterval(sampler);
      }
      const report = await load.stop();
      // A default CLUSTER FAILOVER waits for the replica to catch up: no acknowledged write may go.
      const batchReport = await batches.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      const elapsedMinutes = (performance.now() - started) / 60_000;

      expect(reshardings).toBe(MINUTES);
      expect(failovers).toBe(MINUTES);
      expect(report.commands).toBeGreaterThan(1_000 * MINUTES);
      expect(batchReport.untyped).toEqual([]);
      expect(batchReport.positionsChecked).toBeGreaterThan(0);
      expect(unhandled.errors).toEqual([]);
      const heap = expectNoGrowth(samples);

      await recordScenario({
        id: '16 soak',
        scenario: `${elapsedMinutes.toFixed(1)} min of writers, counters, readers, pipelines and MGETs; a resharding of ${SLOTS_PER_RESHARD} slots and a manual failover every minute`,
        promise: `nothing lost, repeated or reordered; everything settled; no memory growth trend (heap median ${heap.earlyMiB.toFixed(0)} MiB early, ${heap.lateMiB.toFixed(0)} MiB late)`,
        ...fromLoad(report, verdict),
      });
    } finally {
      unhandled.stop();
      await client.quit();
    }
  }, (MINUTES + 4) * 60_000);
});

/**
 * Pipelines and MGETs running beside the Load: every position must hold a reply or a typed
 * error, and a 100-key MGET over every master must return each key's own value.
 */
function batchLoad(client: RedisCluster): { stop(): Promise<{ positionsChecked: number; untyped: unknown[] }> } {
  let running = true;
  let positionsChecked = 0;
  const untyped: unknown[] = [];
  const keys = Array.from({ length: 100 }, (_, i) => `soak:mget:${i}`);
  const loop = (async () => {
    await client.mset(Object.fromEntries(keys.map((key) => [key, key])));
    while (running) {
      const batch = pipeline(client);
      for (const key of keys) batch.get(key);
      const results = await batch.exec();
      for (const [i, result] of results.entries()) {
        positionsChecked++;
        if (result instanceof Error) {
          if (!(result instanceof RedisError)) untyped.push(result);
        } else if (result !== keys[i]) {
          untyped.push(new Error(`pipeline position ${i} holds ${String(result)}, not ${keys[i]}`));
        }
      }
      try {
        const values = await client.mget(...keys);
        values.forEach((value, i) => {
          if (value !== keys[i]) untyped.push(new Error(`MGET position ${i} holds ${String(value)}`));
        });
      } catch (error) {
        if (!(error instanceof RedisError)) untyped.push(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { positionsChecked, untyped };
    },
  };
}

/** Moves the slots of some writers' lists to the next master, one slot after another. */
async function reshard(cluster: TestCluster, round: number): Promise<void> {
  const masters = cluster.masters();
  const slots = [...new Set(Array.from({ length: 8 }, (_, i) => keySlot(`soak:list:${i}`)))].slice(0, SLOTS_PER_RESHARD);
  for (const slot of slots) {
    const owner = await cluster.slotOwner(slot);
    const target = masters[(masters.findIndex((master) => master.id === owner.id) + 1 + round) % masters.length];
    if (target.id === owner.id) continue;
    await cluster.moveSlot(slot, target);
  }
}

/** A default CLUSTER FAILOVER of one master's replica, a different master each round. */
async function manualFailover(cluster: TestCluster, round: number): Promise<void> {
  await cluster.refreshNodes();
  const masters = cluster.masters().filter((master) => cluster.replicasOf(master).length > 0);
  const master: ClusterNode = masters[round % masters.length];
  const [replica] = cluster.replicasOf(master);
  await cluster.failover(replica, 'default');
  await waitFor(async () => (await cluster.refreshNodes()).some((node) => node.id === replica.id && node.role === 'master'), {
    timeoutMs: 30_000,
    description: 'the replica to be master',
  });
}

/**
 * No growth trend: the heap's median over the last third of the run is within reach of its
 * median over the first third after warm-up. A leak of even a few hundred bytes per command
 * would add tens of MiB over the thousands of commands of each minute.
 */
function expectNoGrowth(samples: readonly MemorySample[]): { earlyMiB: number; lateMiB: number } {
  expect(samples.length).toBeGreaterThan(20);
  const third = Math.floor(samples.length / 3);
  const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1];
  const early = median(samples.slice(5, 5 + third).map((sample) => sample.heapUsed));
  const late = median(samples.slice(-third).map((sample) => sample.heapUsed));
  expect(late, `heap median ${(early / 2 ** 20).toFixed(1)} MiB early, ${(late / 2 ** 20).toFixed(1)} MiB late`).toBeLessThan(early * 1.5 + 16 * 2 ** 20);
  return { earlyMiB: early / 2 ** 20, lateMiB: late / 2 ** 20 };
}
