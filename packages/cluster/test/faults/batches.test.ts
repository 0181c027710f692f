/**
 * Fault matrix 14: pipelines and MULTI/EXEC transactions running continuously through the faults
 * of 2 (a slot migrated step by step), 4 (kill -9 of a master), 5 (CLUSTER FAILOVER) and 8 (a
 * master hung with SIGSTOP, then resumed). Each fault has its own cluster.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import type { RedisCluster } from '@hashslot/cluster';
import { newClient, watchUnhandled } from '../helpers.js';
import { requestsFor, SETTLE_MARGIN_MS } from './checks.js';
import { BatchLoad, verifyBatches, type BatchReport, type BatchVerdict } from './batch-load.js';
import { ownCluster, ownerIn, startupNodes, tagsOnEveryMaster } from './own-cluster.js';
import { recordScenario } from './record.js';

/** Runs a BatchLoad on `client` around `fault`, then verifies and checks what every fault must keep. */
async function underBatches(
  client: RedisCluster,
  tags: readonly string[],
  prefix: string,
  fault: (load: BatchLoad) => Promise<void>,
): Promise<{ report: BatchReport; verdict: BatchVerdict }> {
  const unhandled = watchUnhandled();
  const load = new BatchLoad(client, { prefix, tags });
  try {
    let report: BatchReport;
    try {
      await load.start();
      await load.waitForBatches({ pipelines: 60, transactions: 60 });
      await fault(load);
      await load.waitForBatches({ pipelines: 60, transactions: 60 });
    } finally {
      // Also when the fault failed: no worker may outlive the test.
      report = await load.stop();
    }
    const verdict = await verifyBatches(client, report);
    // Whatever the fault: each position and transaction ended once, typed, and the data agrees
    // with what it said: nothing applied twice, nothing applied that "did not run", order kept,
    // no transaction half applied.
    expect(report.wrong).toEqual([]);
    expect(verdict, verdict.details.slice(0, 20).join('\n')).toMatchObject({ overApplied: 0, outOfOrder: 0, unexpected: 0, halfApplied: 0, appliedNotRun: 0 });
    expect(report.pipelines).toBeGreaterThanOrEqual(120);
    expect(report.transactions).toBeGreaterThanOrEqual(120);
    expect(report.committed).toBeGreaterThan(0);
    expect(unhandled.errors).toEqual([]);
    return { report, verdict };
  } finally {
    unhandled.stop();
  }
}

function expectErrorKinds(report: BatchReport, allowed: readonly string[]): void {
  const unexpected = Object.keys(report.errors).filter((kind) => !allowed.includes(kind));
  expect(unexpected, JSON.stringify(report.errors)).toEqual([]);
}

function record(id: string, scenario: string, promise: string, report: BatchReport, verdict: BatchVerdict, extra: { lostNote?: string; recoveryMs?: number } = {}): Promise<void> {
  return recordScenario({
    id,
    scenario: `${scenario}; ${report.pipelines} pipelines of ${report.positions / Math.max(1, report.pipelines)} commands and ${report.transactions} transactions`,
    promise,
    commands: report.positions + report.transactions,
    errors: report.errors,
    lostAcknowledged: verdict.lostAcknowledged,
    recoveryMs: Math.round(report.disturbedMs),
    ...extra,
  });
}

const BATCH_PROMISE = 'each position a reply or a typed error saying whether it may have run, and the data agrees; a transaction applies whole or not at all';

describe('14 pipelines and transactions under a slot migration, step by step', () => {
  const cluster = ownCluster();

  it('follows ASK and MOVED per position and waits out TRYAGAIN for transactions, losing and repeating nothing', async () => {
    // Longer than each step is held: a transaction waits out TRYAGAIN within its timeout.
    const commandTimeout = 5_000;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'b14m';
    const tags = tagsOnEveryMaster(cluster(), prefix, 2);
    const moves: string[] = [];
    const asked: number[] = [];
    const { report, verdict } = await underBatches(client, tags, prefix, async (load) => {
      // One slot held after MIGRATING/IMPORTING, one after some of the pipelines' keys moved
      // (their commands are then answered ASK); load runs in each state before the move finishes.
      for (const [tag, stopAt] of [[tags[0], 'migrating'], [tags[2], 'partial']] as const) {
        const slot = keySlot(tag);
        const owner = ownerIn(cluster().masters(), slot);
        const target = cluster().masters().find((master) => master.id !== owner?.id);
        if (owner === undefined || target === undefined) throw new Error(`no owner or target for slot ${slot}`);
        const moved = [load.listKey(tag, 0), load.counterKey(tag, 1), load.fixedKey(tag)];
        const askingBefore = await requestsFor(cluster(), ['asking'], [target]);
        const migration = await cluster().moveSlot(slot, target, stopAt === 'partial' ? { stopAt, keys: moved } : { stopAt });
        // Pipelines only: transactions on the half-migrated slot wait for the move to finish.
        await load.waitForBatches({ pipelines: 200 });
        moves.push(`slot ${slot} was held ${stopAt === 'migrating' ? 'MIGRATING/IMPORTING' : `with ${migration.migratedKeys.length} of its keys moved`}`);
        // The target was asked with ASKING: by transactions (their keys are new) in both states,
        // by pipelines too once their keys moved.
        asked.push((await requestsFor(cluster(), ['asking'], [target])) - askingBefore);
        await migration.finish();
        await waitFor(() => client.masterOf(slot)?.id === target.id, { timeoutMs: 10_000, description: `the client to follow slot ${slot}` });
      }
    });

    expect(asked[0]).toBeGreaterThan(0);
    // Pipelines hit the moved keys every round: each round asks the target at least once per worker.
    expect(asked[1]).toBeGreaterThanOrEqual(200);
    // A migration is not a failure: no acknowledged write goes, and no caller sees an error.
    expect(verdict.lostAcknowledged).toBe(0);
    expect(report.errors).toEqual({});
    expect(report.slowestPipelineMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    await record('14 batches: slot migration', `pipelines and MULTI/EXEC while ${moves.join(', then ')}`, BATCH_PROMISE, report, verdict);
  });
});

describe('14 pipelines and transactions under an automatic failover (kill -9)', () => {
  const cluster = ownCluster();

  it('says of every position whether it may have run, and the data agrees, through the failover and the rejoin', async () => {
    // Shorter than the failover: batches and transactions meet their deadline while the slot has no master.
    const commandTimeout = 1_000;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'b14k';
    const tags = tagsOnEveryMaster(cluster(), prefix, 2);
    const slot = keySlot(tags[0]);
    const victim = await cluster().slotOwner(slot);
    const [heir] = cluster().replicasOf(victim);
    let resumedMs = 0;
    const { report, verdict } = await underBatches(client, tags, prefix, async (load) => {
      await cluster().kill(victim, 'SIGKILL');
      const killedAt = performance.now();
      await waitFor(() => client.masterOf(slot)?.id === heir.id, { timeoutMs: 30_000, description: 'the client to follow the slot to the promoted replica' });
      resumedMs = performance.now() - killedAt;
      await load.waitForBatches({ pipelines: 40, transactions: 40 });
      await cluster().restart(victim);
    });

    const onVictim = [...report.lists.keys()].filter((key) => client.masterOf(keySlot(key))?.id === heir.id).length;
    expect(onVictim).toBeGreaterThan(0);
    expect(report.maybe + report.notRun).toBeGreaterThan(0);
    expectErrorKinds(report, ['ConnectionError', 'TimeoutError', 'ClusterDownError CLUSTERDOWN', 'ClusterError']);
    expect(report.slowestPipelineMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    expect(report.slowestTransactionMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    await record('14 batches: automatic failover', 'pipelines and MULTI/EXEC through kill -9 of a master, its replica\'s promotion and its restart as a replica', BATCH_PROMISE, report, verdict, {
      recoveryMs: Math.round(resumedMs),
      lostNote:
        `${verdict.lostAcknowledged === 0 ? 'none this run; ' : ''}an automatic failover may drop what the master acknowledged before its replica had it (asynchronous replication)`,
    });
  });
});

describe('14 pipelines and transactions under a manual failover', () => {
  const cluster = ownCluster();

  it('loses nothing acknowledged, and the data agrees with every position', async () => {
    // Longer than the switch may hold writes on a busy machine: the caller should see no error.
    const commandTimeout = 5_000;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'b14f';
    const tags = tagsOnEveryMaster(cluster(), prefix, 2);
    const slot = keySlot(tags[0]);
    const master = await cluster().slotOwner(slot);
    const [replica] = cluster().replicasOf(master);
    const { report, verdict } = await underBatches(client, tags, prefix, async () => {
      await cluster().failover(replica, 'default');
      await waitFor(() => client.masterOf(slot)?.id === replica.id, { timeoutMs: 10_000, description: 'the client to follow the slot to the promoted replica' });
    });

    expect(verdict.lostAcknowledged).toBe(0);
    expect(report.errors).toEqual({});
    expect(report.slowestPipelineMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    await record('14 batches: manual failover', 'pipelines and MULTI/EXEC through CLUSTER FAILOVER on a replica', BATCH_PROMISE, report, verdict);
  });
});

describe('14 pipelines and transactions while a master hangs (SIGSTOP), then resumes', () => {
  // A node timeout longer than the hang: the replica must not take over, so that this is a
  // hang and nothing else, and the server has no reason to lose anything.
  const cluster = ownCluster({ nodeTimeoutMs: 5_000 });

  it('times out what the hung master holds, says it may have run, and serves again once it resumes', async () => {
    const commandTimeout = 500;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'b14h';
    const tags = tagsOnEveryMaster(cluster(), prefix, 2);
    const slot = keySlot(tags[0]);
    const master = await cluster().slotOwner(slot);
    let hungMs = 0;
    const { report, verdict } = await underBatches(client, tags, prefix, async (load) => {
      await cluster().pause(master);
      const pausedAt = performance.now();
      try {
        // Held until batches have met the hang: several timeouts, well past one command timeout.
        await waitFor(() => (load.errorCounts().TimeoutError ?? 0) >= 10 && performance.now() - pausedAt > 3 * commandTimeout, {
          timeoutMs: 20_000,
          description: 'batches to time out on the hung master',
        });
      } finally {
        await cluster().resume(master);
        hungMs = performance.now() - pausedAt;
      }
      await cluster().waitForHealthy();
    });

    // No failover happened: the server kept everything it acknowledged.
    expect(verdict.lostAcknowledged).toBe(0);
    expect(report.errors.TimeoutError ?? 0).toBeGreaterThanOrEqual(10);
    // Written to the hung master's socket before it timed out: each says it may have run.
    expect(report.maybe).toBeGreaterThanOrEqual(10);
    expectErrorKinds(report, ['TimeoutError', 'ConnectionError']);
    expect(report.slowestPipelineMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    expect(report.slowestTransactionMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
    await record('14 batches: hung master', `pipelines and MULTI/EXEC while a master is stopped with SIGSTOP for ${(hungMs / 1000).toFixed(1)} s, then resumed (500 ms command timeout)`, BATCH_PROMISE, report, verdict);
  });
});
