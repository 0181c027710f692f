/**
 * Fault matrix 1, 2, 3 and 12: slots moving under the client. Resharding by the operator's tool
 * under load, one slot moved a step at a time, a multi-key command caught half way through a
 * move, and a blocking command whose slot moves while it waits. Each scenario boots its own
 * cluster: a move that fails half way must not leave open slots under the next one.
 */
import { describe, expect, it } from 'vitest';
import { waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ClusterError, RedisError, TryAgainError } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { keyInSlot, newClient, watchUnhandled } from '../helpers.js';
import { clusterTool, commandStats, slotsOf, type CommandStats } from './cluster-tool.js';
import { expectSound } from './checks.js';
import { Load, errorKind } from './load.js';
import { ownCluster, startupNodes } from './own-cluster.js';
import { fromLoad, recordScenario } from './record.js';

/** Bounds every command of these tests: the slowest must settle within it plus a scheduling margin. */
const COMMAND_TIMEOUT_MS = 5_000;
/** What a busy two-core machine may add to a deadline before a timer fires and a promise settles. */
const MARGIN_MS = 1_000;

/** A master other than `owner`. */
function otherMaster(cluster: TestCluster, owner: ClusterNode): ClusterNode {
  const other = cluster.masters().find((node) => node.id !== owner.id);
  if (other === undefined) throw new Error('no other master');
  return other;
}

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

/** Never rejects, so a command left pending while a test fails cannot become an unhandled rejection. */
async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  const started = performance.now();
  try {
    const value = await promise;
    return { ok: true, value, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - started };
  }
}

async function stats(cluster: TestCluster, node: ClusterNode, command: string): Promise<CommandStats> {
  return commandStats(await cluster.cli(node, 'INFO', 'commandstats'), command);
}

async function blockedClients(cluster: TestCluster, node: ClusterNode): Promise<number> {
  const info = await cluster.cli(node, 'INFO', 'clients');
  return Number(/^blocked_clients:(\d+)/m.exec(info)?.[1] ?? NaN);
}

function count(errors: Record<string, number>, error: unknown): void {
  const kind = errorKind(error);
  errors[kind] = (errors[kind] ?? 0) + 1;
}

describe('01 live resharding', () => {
  const getCluster = ownCluster();
  const SLOTS = 1000;
  const WRITERS = 8;

  it(`keeps every acknowledged RPUSH, in order and once, while redis-cli reshards ${SLOTS} slots under load`, async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      await cluster.refreshNodes();
      const [source, target] = cluster.masters();
      // With one source, the tool moves that source's lowest slots; the writers' lists are
      // spread over them so that each list moves at a different moment of the resharding.
      const moving = slotsOf(source).slice(0, SLOTS);
      const listKeys = Array.from({ length: WRITERS }, (_, i) => keyInSlot(moving[Math.floor(((i + 0.5) * SLOTS) / WRITERS)], keySlot, `reshard:list:${i}`));
      const client = newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS });
      const load = new Load(client, { prefix: 'reshard', writers: WRITERS, listKey: (i) => listKeys[i] });
      await load.start();
      await load.waitForCommands(500);
      const askingBefore = await stats(cluster, target, 'asking');

      const output = await clusterTool('reshard', source, '--cluster-from', source.id, '--cluster-to', target.id, '--cluster-slots', String(SLOTS), '--cluster-yes');
      // The load goes on against the new owner before it stops.
      await load.waitForCommands(500);
      const report = await load.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      const askingAfter = await stats(cluster, target, 'asking');

      await cluster.refreshNodes();
      const owned = new Set(slotsOf(cluster.node(target)));
      expect(moving.filter((slot) => !owned.has(slot)), output).toEqual([]);
      for (const key of listKeys) expect(client.masterOf(keySlot(key))?.id).toBe(target.id);
      expect(report.commands).toBeGreaterThan(1000);
      // Every list saw pushes before and after its slot moved.
      for (const [key, outcome] of report.lists) expect(outcome.acknowledged.length, key).toBeGreaterThan(10);
      // MOVED and ASK are followed inside the client: a resharding costs the callers no error.
      expect(report.errors).toEqual({});
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '01 live resharding',
        scenario: `redis-cli --cluster reshard of ${SLOTS} slots (holding the ${WRITERS} writers' lists) under load`,
        promise: 'every acknowledged RPUSH kept, in order, none twice; MOVED/ASK followed without an error reaching the caller',
        ...fromLoad(report, verdict),
      });
      // Not asserted: whether a push met the few milliseconds between a key's MIGRATE and its slot's SETSLOT NODE.
      console.info(`01 live resharding: ${report.commands} commands, ${askingAfter.calls - askingBefore.calls} ASKING on the target`);
    } finally {
      unhandled.stop();
    }
  }, 120_000);
});

describe('02 one slot moved step by step', () => {
  const getCluster = ownCluster();

  it('serves single GETs, a pipeline and MGETs of the slot at every stage of its move', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `{step}:${i}`);
      const values = keys.map((key) => `value of ${key}`);
      const slot = keySlot(keys[0]);
      const elsewhere = 'step:elsewhere';
      expect(keySlot(elsewhere)).not.toBe(slot);
      const moved = keys.slice(0, 5);
      const stayed = keys.slice(5);
      // One client lives through every stage with whatever its table says; a new one per stage
      // starts from the cluster's view of that moment.
      const veteran = newClient({ startupNodes: startupNodes(cluster), commandTimeout: 20_000, retryDelays: { tryAgain: 100 } });
      expect(await veteran.call('MSET', ...keys.flatMap((key, i) => [key, values[i]]))).toBe('OK');
      expect(await veteran.set(elsewhere, 'elsewhere')).toBe('OK');
      const source = await cluster.slotOwner(slot);
      const target = otherMaster(cluster, source);
      let commands = 0;

      /** Every read of the slot, by both clients; `split`: the keys are on both sides, so an MGET of all of them cannot run. */
      const checkReads = async (stage: string, split: boolean): Promise<void> => {
        for (const client of [veteran, newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS })]) {
          for (const [i, key] of keys.entries()) expect(await client.get(key), `${stage}: GET ${key}`).toBe(values[i]);
          const batch = pipeline(client);
          for (const key of keys) batch.get(key);
          batch.get(elsewhere).mget(...moved).mget(...stayed);
          if (!split) batch.mget(...keys);
          const expected = [...values, 'elsewhere', values.slice(0, 5), values.slice(5), ...(split ? [] : [values])];
          commands += keys.length + batch.length;
          expect(await batch.exec(), `${stage}: pipeline`).toEqual(expected);
          expect(await client.mget(...moved), `${stage}: MGET of the moved keys`).toEqual(values.slice(0, 5));
          expect(await client.mget(...stayed), `${stage}: MGET of the keys that stayed`).toEqual(values.slice(5));
          commands += 2;
          if (!split) {
            expect(await client.mget(...keys), `${stage}: MGET of all`).toEqual(values);
            commands++;
          }
        }
      };
      const migrateKeys = async (batch: readonly string[]): Promise<void> => {
        expect(await cluster.cli(source, 'MIGRATE', target.host, target.port, '', 0, 10_000, 'KEYS', ...batch)).toBe('OK');
      };

      await checkReads('stable', false);
      const migration = await cluster.moveSlot(slot, target, { stopAt: 'migrating' });
      let spanning: Promise<Outcome<(string | null)[]>> | undefined;
      let spanningMs = 0;
      try {
        // IMPORTING on the target, MIGRATING on the source, every key still on the source.
        await checkReads('migrating', false);
        await migrateKeys(moved);
        expect(Number(await cluster.cli(target, 'CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(moved.length);
        // Half the keys on each side: an MGET of all of them gets TRYAGAIN until every key is
        // on one side; it waits that out instead of failing.
        spanning = settle(veteran.mget(...keys));
        commands++;
        await checkReads('partial', true);
        await migrateKeys(stayed);
        expect(Number(await cluster.cli(source, 'CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0);
        await checkReads('every key moved, slot still migrating', false);
        const outcome = await spanning;
        spanningMs = outcome.ms;
        expect(outcome).toMatchObject({ ok: true, value: values });
        // It was refused at least once: the first TRYAGAIN costs a 100 ms backoff.
        expect(spanningMs).toBeGreaterThanOrEqual(90);
        // The new owner knows; the source (until gossip tells it) still says MIGRATING and answers ASK.
        await cluster.cli(target, 'CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
        await checkReads('target owns the slot, the source not told yet', false);
      } finally {
        await spanning;
        await migration.finish();
      }
      await checkReads('finished', false);
      expect(veteran.masterOf(slot)?.id).toBe(target.id);
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '02 one slot moved step by step',
        scenario: 'IMPORTING/MIGRATING, MIGRATE of half the keys, of the rest, SETSLOT NODE on the target, then everywhere; reads at each stage',
        promise: 'single GETs, a pipeline and MGETs of the slot answer at every stage; an MGET spanning both sides waits out TRYAGAIN',
        commands,
        errors: {},
        lostAcknowledged: 0,
        recoveryMs: Math.round(spanningMs),
      });
    } finally {
      unhandled.stop();
    }
  }, 120_000);
});

describe('03 multi-key command during a migration', () => {
  const getCluster = ownCluster();

  it('retries TRYAGAIN with backoff: exactly maxRedirections + 1 requests, then a typed error; success once the move ends', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      const a = '{multi}:a';
      const b = '{multi}:b';
      const slot = keySlot(a);
      const setup = newClient({ startupNodes: startupNodes(cluster) });
      expect(await setup.call('MSET', a, '1', b, '2')).toBe('OK');
      const source = await cluster.slotOwner(slot);
      const target = otherMaster(cluster, source);
      const errors: Record<string, number> = {};
      let commands = 0;
      /** MGET requests each node received since `before`: run (calls) and refused before running (rejected). */
      const mgetStats = async () => ({ source: await stats(cluster, source, 'mget'), target: await stats(cluster, target, 'mget') });
      const delta = (before: Awaited<ReturnType<typeof mgetStats>>, after: Awaited<ReturnType<typeof mgetStats>>) => ({
        sourceCalls: after.source.calls - before.source.calls,
        sourceRejected: after.source.rejected - before.source.rejected,
        targetCalls: after.target.calls - before.target.calls,
        targetRejected: after.target.rejected - before.target.rejected,
      });

      const migration = await cluster.moveSlot(slot, target, { stopAt: 'partial', keys: [a] });
      let patientMs = 0;
      try {
        // A small budget: every request is a TRYAGAIN from the source, which has b but not a.
        const maxRedirections = 3;
        const impatient = newClient({ startupNodes: startupNodes(cluster), maxRedirections, retryDelays: { tryAgain: 10 } });
        await impatient.connect();
        let before = await mgetStats();
        const exhausted = await impatient.mget(a, b).catch((error: unknown) => error);
        commands++;
        count(errors, exhausted);
        expect(exhausted).toBeInstanceOf(ClusterError);
        expect((exhausted as ClusterError).message).toMatch(`TTL exhausted: MGET was sent ${maxRedirections + 1} times`);
        expect((exhausted as ClusterError).cause).toBeInstanceOf(TryAgainError);
        expect(delta(before, await mgetStats())).toEqual({ sourceCalls: 0, sourceRejected: maxRedirections + 1, targetCalls: 0, targetRejected: 0 });

        // The same through a pipeline: the batch path counts its attempts the same way.
        before = await mgetStats();
        const [batched] = await pipeline(impatient).mget(a, b).exec();
        commands++;
        count(errors, batched);
        expect(batched).toBeInstanceOf(ClusterError);
        expect((batched as ClusterError).cause).toBeInstanceOf(TryAgainError);
        expect(delta(before, await mgetStats())).toEqual({ sourceCalls: 0, sourceRejected: maxRedirections + 1, targetCalls: 0, targetRejected: 0 });

        // A timeout shorter than the retries: the command's deadline ends them, and the refusal
        // that kept coming is the answer, still typed.
        const timeout = 400;
        const hurried = newClient({ startupNodes: startupNodes(cluster), commandTimeout: timeout, maxRedirections: 100, retryDelays: { tryAgain: 20 } });
        await hurried.connect();
        before = await mgetStats();
        const late = await settle(hurried.mget(a, b));
        commands++;
        expect(late.ok).toBe(false);
        if (!late.ok) count(errors, late.error);
        expect(late.ok ? late.value : late.error).toBeInstanceOf(TryAgainError);
        expect(late.ms).toBeLessThan(timeout + MARGIN_MS);
        const hurriedRequests = delta(before, await mgetStats());
        expect(hurriedRequests).toMatchObject({ sourceCalls: 0, targetCalls: 0, targetRejected: 0 });
        // Backoffs of 20, 40, 60... ms fit about five requests into 400 ms; far fewer than 101.
        expect(hurriedRequests.sourceRejected).toBeGreaterThanOrEqual(2);
        expect(hurriedRequests.sourceRejected).toBeLessThanOrEqual(10);

        // Default budget: the MGET waits the migration out and then runs once, on the new owner.
        const patient = newClient({ startupNodes: startupNodes(cluster), commandTimeout: 20_000, retryDelays: { tryAgain: 100 } });
        await patient.connect();
        before = await mgetStats();
        const pending = settle(patient.mget(a, b));
        commands++;
        await waitFor(async () => delta(before, await mgetStats()).sourceRejected >= 2, { timeoutMs: 10_000, description: 'two TRYAGAIN replies to the MGET' });
        await migration.finish();
        const outcome = await pending;
        patientMs = outcome.ms;
        expect(outcome).toMatchObject({ ok: true, value: ['1', '2'] });
        const requests = delta(before, await mgetStats());
        // Refused (TRYAGAIN, then maybe a MOVED or ASK) until the move ended, then run once.
        expect(requests.sourceCalls).toBe(0);
        expect(requests.targetCalls).toBe(1);
        expect(requests.sourceRejected + requests.targetRejected + requests.targetCalls).toBeLessThanOrEqual(17);
      } finally {
        if (migration.state !== 'finished') await migration.finish();
      }
      expect(errors).toEqual({ ClusterError: 2, 'TryAgainError TRYAGAIN': 1 });
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '03 multi-key command during a migration',
        scenario: 'MGET of two keys of a slot half migrated (one key on each side): maxRedirections 3, a 400 ms timeout, then the default budget',
        promise: 'TRYAGAIN retried with backoff: exactly maxRedirections + 1 = 4 requests then ClusterError (cause TryAgainError), or TryAgainError at the deadline; success once the move ends',
        commands,
        errors,
        lostAcknowledged: 0,
        recoveryMs: Math.round(patientMs),
      });
    } finally {
      unhandled.stop();
    }
  }, 120_000);
});

describe('12 blocking command while its slot is resharded', () => {
  const getCluster = ownCluster();

  it('re-issues a BRPOP that the server unblocked with MOVED on the new owner, which then serves it', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      const key = '{blocking}:one';
      const slot = keySlot(key);
      const source = await cluster.slotOwner(slot);
      const target = otherMaster(cluster, source);
      const client = newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS });
      await client.connect();
      const blockSeconds = 10;
      const popped = settle(client.brpop([key], blockSeconds));
      await waitFor(async () => (await blockedClients(cluster, source)) === 1, { description: 'the BRPOP to block on the source' });
      await cluster.moveSlot(slot, target);
      const movedAt = performance.now();
      await waitFor(async () => (await blockedClients(cluster, target)) === 1 && (await blockedClients(cluster, source)) === 0, {
        timeoutMs: 5_000,
        intervalMs: 20,
        description: 'the BRPOP to be unblocked on the source and blocked again on the target',
      });
      const reblockedMs = performance.now() - movedAt;
      expect(await client.lpush(key, 'after the move')).toBe(1);
      const outcome = await popped;
      expect(outcome).toMatchObject({ ok: true, value: { key, element: 'after the move' } });
      // Served well before its block time ran out: the push woke it, on the target.
      expect(outcome.ms).toBeLessThan(blockSeconds * 1000);
      expect((await stats(cluster, target, 'brpop')).calls).toBe(1);
      expect(client.masterOf(slot)?.id).toBe(target.id);
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '12 blocking command, BRPOP unblocked by MOVED',
        scenario: `BRPOP (${blockSeconds} s) blocked on the source while its slot moves to another master, then LPUSH`,
        promise: 'the MOVED that unblocks it is followed: BRPOP blocks again on the new owner and returns the element pushed there',
        commands: 2,
        errors: {},
        lostAcknowledged: 0,
        recoveryMs: Math.round(reblockedMs),
      });
    } finally {
      unhandled.stop();
    }
  }, 60_000);

  it('a BRPOP redirected after waiting part of its block time waits only what is left of it', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      const key = '{blocking}:late';
      const slot = keySlot(key);
      const source = await cluster.slotOwner(slot);
      const target = otherMaster(cluster, source);
      const commandTimeout = 1_000;
      const client = newClient({ startupNodes: startupNodes(cluster), commandTimeout });
      await client.connect();
      const blockMs = 3_000;
      const popped = settle(client.brpop([key], blockMs / 1000));
      await waitFor(async () => (await blockedClients(cluster, source)) === 1, { description: 'the BRPOP to block on the source' });
      // The point of the test: two thirds of the block time are used up when the slot moves.
      await new Promise((resolve) => setTimeout(resolve, (blockMs * 2) / 3));
      await cluster.moveSlot(slot, target);
      const outcome = await popped;
      // Nothing was pushed: the answer is the server's "timed out", once the caller's block time
      // is over, not a second full block time later; and never later than its reply deadline.
      expect(outcome).toMatchObject({ ok: true, value: null });
      expect(outcome.ms).toBeGreaterThanOrEqual(blockMs - 100);
      expect(outcome.ms).toBeLessThan(blockMs + commandTimeout);
      expect((await stats(cluster, target, 'brpop')).calls).toBeGreaterThanOrEqual(1);
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '12 blocking command, redirected late',
        scenario: `BRPOP (${blockMs / 1000} s, commandTimeout ${commandTimeout} ms) whose slot moves after ${(blockMs * 2) / 3000} s of waiting, nothing pushed`,
        promise: 're-issued on the new owner for what is left of its block time: null after 3 s, within block time + commandTimeout',
        commands: 1,
        errors: {},
        lostAcknowledged: 0,
        recoveryMs: Math.round(outcome.ms - blockMs),
      });
    } finally {
      unhandled.stop();
    }
  }, 60_000);

  it('pops every element pushed across the migration of its slot exactly once, in push order', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      const key = '{blocking}:queue';
      const slot = keySlot(key);
      const source = await cluster.slotOwner(slot);
      const target = otherMaster(cluster, source);
      const producer = newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS });
      const consumer = newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS });
      const errors: Record<string, number> = {};
      const untyped: unknown[] = [];
      const acknowledged: number[] = [];
      const maybe: number[] = [];
      const popped: number[] = [];
      let commands = 0;
      let slowestMs = 0;
      const timed = async <T>(send: () => Promise<T>): Promise<Outcome<T>> => {
        const outcome = await settle(send());
        commands++;
        slowestMs = Math.max(slowestMs, outcome.ms);
        if (!outcome.ok) {
          count(errors, outcome.error);
          if (!(outcome.error instanceof RedisError)) untyped.push(outcome.error);
        }
        return outcome;
      };

      let migrated = false;
      let producing = true;
      const produce = (async () => {
        // Two values per LPUSH every 3 ms, one BRPOP every 2 ms or so: the queue grows while the
        // slot moves, so MIGRATE carries a list that holds elements, drained at the end.
        for (let value = 1, after = 0; after < 100; value += 2) {
          const outcome = await timed(() => producer.lpush(key, String(value), String(value + 1)));
          if (outcome.ok) acknowledged.push(value, value + 1);
          else maybe.push(value, value + 1);
          if (migrated) after += 2;
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
        producing = false;
      })();
      const consume = (async () => {
        for (;;) {
          const outcome = await timed(() => consumer.brpop([key], 2));
          if (outcome.ok && outcome.value !== null) popped.push(Number(outcome.value.element));
          // Done when the producer is done and the queue stayed empty for a whole block time
          // (or the consumer failed: counted, and the comparison below says what was missed).
          else if (!producing) break;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await waitFor(() => acknowledged.length >= 200, { timeoutMs: 20_000, description: '200 elements pushed' });
      const waitingAtMove = acknowledged.length - popped.length;
      const migration = await cluster.moveSlot(slot, target);
      migrated = true;
      await produce;
      await consume;

      // The list was not empty when MIGRATE carried it over.
      expect(migration.migratedKeys).toEqual([key]);

      // LPUSH a b puts b in front; BRPOP takes from the back: values come out as they were pushed.
      expect(popped).toEqual(acknowledged);
      expect(maybe).toEqual([]);
      expect(errors).toEqual({});
      expect(untyped).toEqual([]);
      expect(await cluster.cli(target, 'LLEN', key)).toBe('0');
      expect(consumer.masterOf(slot)?.id).toBe(target.id);
      expect(producer.masterOf(slot)?.id).toBe(target.id);
      // A BRPOP may wait its 2 s block time on the source while pushes go to the target by ASK.
      expect(slowestMs).toBeLessThan(2_000 + COMMAND_TIMEOUT_MS + MARGIN_MS);
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '12 blocking command, queue across a migration',
        scenario: `LPUSH producer and BRPOP consumer on one list while its slot moves (${waitingAtMove} elements queued when the move began); ${acknowledged.length} elements`,
        promise: 'every acknowledged element popped exactly once, in push order; none lost, none twice',
        commands,
        errors,
        lostAcknowledged: acknowledged.filter((value) => !popped.includes(value)).length,
      });
    } finally {
      unhandled.stop();
    }
  }, 90_000);
});
