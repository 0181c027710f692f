/**
 * Fault matrix 7: the cluster refuses service. (a) A slot no node serves: CLUSTER DELSLOTS on
 * every node (DELSLOTS changes only the view of the node that runs it; the others would go on
 * naming the old owner). (b) A master without a replica frozen with SIGSTOP. Each with
 * `cluster-require-full-coverage` yes, no, and yes with `cluster-allow-reads-when-down yes`.
 *
 * What the client promises there: a refused command is retried a bounded number of times (at
 * most `maxRedirections + 1` requests, with backoff: no retry storm) and then fails with a typed
 * error: `ClusterError('TTL exhausted')` caused by the `ClusterDownError` when its attempts ran
 * out first, the `ClusterDownError` itself when its timeout did. Reads the cluster still serves
 * are served, and everything works again once the slot is served or the master is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ClusterDownError, ClusterError, TimeoutError, type RedisCluster } from '@hashslot/cluster';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';
import { SETTLE_MARGIN_MS, clusterInfo, configureAll, errorCount, expectErrorKinds, expectSound, requestsFor, timed } from './checks.js';

/** The load's client: few attempts, so that a refused command ends by TTL well within its timeout. */
const LOAD_TIMEOUT_MS = 3_000;
const LOAD_MAX_REDIRECTIONS = 4;
/** The client whose refused commands run out of attempts (its timeout is far away). */
const PROBE_MAX_REDIRECTIONS = 4;
/** The client whose refused commands run out of time first (default maxRedirections, 16). */
const HURRIED_TIMEOUT_MS = 800;
/** The router's default backoff before retry n after CLUSTERDOWN: n × this. */
const CLUSTERDOWN_BACKOFF_MS = 100;
/** The commands of the load, whose requests are counted. */
const LOAD_COMMANDS = ['rpush', 'incr', 'get'];

interface Variant {
  readonly coverage: 'yes' | 'no';
  readonly readsWhenDown: boolean;
  readonly label: string;
}

const VARIANTS: readonly Variant[] = [
  { coverage: 'yes', readsWhenDown: false, label: 'full coverage yes' },
  { coverage: 'no', readsWhenDown: false, label: 'full coverage no' },
  { coverage: 'yes', readsWhenDown: true, label: 'full coverage yes, reads when down' },
];

/** Boots a cluster for the enclosing `describe` and stops it after. */
function ownCluster(replicasPerMaster: number): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster, nodeTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  };
}

const startupNodes = (cluster: TestCluster) => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

/**
 * Requests one refused command can make before its deadline: the router waits n × the backoff
 * before retry n (and never past the deadline), and sends at most `maxRedirections + 1`.
 */
function attemptsWithin(timeoutMs: number, backoffMs: number, maxRedirections: number): number {
  let attempts = 1;
  let waited = 0;
  while (attempts < maxRedirections + 1 && waited + attempts * backoffMs < timeoutMs) {
    waited += attempts * backoffMs;
    attempts++;
  }
  return attempts;
}

/** `<base>:0`, `<base>:1`... whichever comes first that `master` does not serve. */
function elsewhere(master: ClusterNode, base: string): string {
  for (let i = 0; ; i++) {
    const slot = keySlot(`${base}:${i}`);
    if (!master.slots.some((range) => slot >= range.start && slot <= range.end)) return `${base}:${i}`;
  }
}

/** The clients of one scenario: the load's, one that runs out of attempts, one that runs out of time. */
async function clients(cluster: TestCluster): Promise<{ client: RedisCluster; probe: RedisCluster; hurried: RedisCluster }> {
  const client = newClient({ startupNodes: startupNodes(cluster), commandTimeout: LOAD_TIMEOUT_MS, maxRedirections: LOAD_MAX_REDIRECTIONS });
  const probe = newClient({ startupNodes: startupNodes(cluster), commandTimeout: 10_000, maxRedirections: PROBE_MAX_REDIRECTIONS });
  const hurried = newClient({ startupNodes: startupNodes(cluster), commandTimeout: HURRIED_TIMEOUT_MS });
  await Promise.all([client.connect(), probe.connect(), hurried.connect()]);
  return { client, probe, hurried };
}

/** The command ran out of attempts against a cluster that kept refusing it. */
function expectExhaustedByRefusals(outcome: { error?: unknown }, refusal: RegExp): void {
  expect(outcome.error).toBeInstanceOf(ClusterError);
  const error = outcome.error as ClusterError;
  expect(error.message).toMatch(new RegExp(`^TTL exhausted: \\w+ was sent ${PROBE_MAX_REDIRECTIONS + 1} times`));
  expect(error.cause).toBeInstanceOf(ClusterDownError);
  expect((error.cause as ClusterDownError).message).toMatch(refusal);
}

/** The command ran out of time while the cluster kept refusing it: that refusal is the error. */
function expectRefusedUntilDeadline(outcome: { error?: unknown; ms: number }, refusal: RegExp): void {
  expect(outcome.error).toBeInstanceOf(ClusterDownError);
  expect((outcome.error as ClusterDownError).message).toMatch(refusal);
  expect(outcome.ms).toBeGreaterThanOrEqual(HURRIED_TIMEOUT_MS - 5);
  expect(outcome.ms).toBeLessThanOrEqual(HURRIED_TIMEOUT_MS + SETTLE_MARGIN_MS);
}


describe('07 cluster down (a): a slot no node serves', () => {
  const cluster = ownCluster(1);

  for (const variant of VARIANTS) {
    it(`${variant.label}: bounded retries, typed ClusterDownError for the slot, reads served where the cluster serves them, recovery after ADDSLOTS`, async () => {
      const unhandled = watchUnhandled();
      let load: Load | undefined;
      let unserved: { slot: number; owner: ClusterNode } | undefined;
      try {
        await configureAll(cluster(), {
          'cluster-require-full-coverage': variant.coverage,
          'cluster-allow-reads-when-down': variant.readsWhenDown ? 'yes' : 'no',
        });
        const { client, probe, hurried } = await clients(cluster());
        const prefix = `c07a-${variant.coverage}${variant.readsWhenDown ? '-reads' : ''}`;
        const holeKey = `${prefix}:list:0`;
        const hole = keySlot(holeKey);
        const readKey = `${prefix}:read:0`;
        const writeKey = `${prefix}:probe-write`;
        // The hole takes one writer's list and nothing else of the load.
        const others = [...Array.from({ length: 32 }, (_, i) => `${prefix}:read:${i}`), ...Array.from({ length: 4 }, (_, i) => `${prefix}:counter:${i}`), writeKey];
        expect(others.filter((key) => keySlot(key) === hole)).toEqual([]);
        const owner = await cluster().slotOwner(hole);

        load = new Load(client, { prefix });
        const requestsBefore = await requestsFor(cluster(), LOAD_COMMANDS);
        await load.start();
        await load.waitForCommands(200);

        const refreshesBefore = client.refreshCount;
        const openedAt = performance.now();
        unserved = { slot: hole, owner };
        // The owner first: a node that dropped the slot takes it back from a ping its owner sent
        // before dropping it too, so a node that has it again is told again.
        await cluster().cli(owner, 'CLUSTER', 'DELSLOTS', hole);
        const expectedState = variant.coverage === 'yes' ? 'fail' : 'ok';
        await waitFor(
          async () => {
            let seen = true;
            for (const node of cluster().nodes) {
              if ((await clusterInfo(cluster(), node, 'cluster_slots_assigned')) !== '16383') {
                await cluster().cli(node, 'CLUSTER', 'DELSLOTS', hole);
                seen = false;
              } else if ((await clusterInfo(cluster(), node, 'cluster_state')) !== expectedState) {
                seen = false;
              }
            }
            return seen;
          },
          { timeoutMs: 10_000, description: `every node to see the hole (cluster_state ${expectedState})` },
        );

        // Each kind of probe at once: they measure the client, not each other.
        const strlenBefore = await requestsFor(cluster(), ['strlen']);
        const appendBefore = await requestsFor(cluster(), ['append']);
        const [exhausted, overdue, read, write] = await Promise.all([
          timed(probe.call('STRLEN', holeKey)),
          // A write: refused until its deadline, it must end as the refusal, not as a timeout
          // that says it may have run.
          timed(hurried.call('APPEND', `{${holeKey}}:append`, 'x')),
          timed(probe.get(readKey)),
          timed(probe.set(writeKey, 'w')),
        ]);
        const strlenRequests = (await requestsFor(cluster(), ['strlen'])) - strlenBefore;
        const appendRequests = (await requestsFor(cluster(), ['append'])) - appendBefore;
        const running = load;
        await waitFor(() => Object.values(running.errorsSoFar()).reduce((sum, count) => sum + count, 0) >= 3, {
          timeoutMs: 20_000,
          description: 'the load to meet the hole',
        });

        // The slot: refused with the server's CLUSTERDOWN, or the client's own once its table has the hole.
        const notServed = /^CLUSTERDOWN Hash slot (not served|\d+ is not served by any node in the client's slot table)/;
        expectExhaustedByRefusals(exhausted, notServed);
        expectRefusedUntilDeadline(overdue, notServed);
        if (variant.coverage === 'yes') {
          // A table without the slot is refused (the node requires full coverage): the slot keeps
          // its last owner, which answers every attempt.
          expect(strlenRequests).toBe(PROBE_MAX_REDIRECTIONS + 1);
        } else {
          // The table without the slot is taken: attempts after the refresh fail in the client, unsent.
          expect(strlenRequests).toBeLessThanOrEqual(PROBE_MAX_REDIRECTIONS + 1);
        }
        expect(appendRequests).toBeLessThanOrEqual(attemptsWithin(HURRIED_TIMEOUT_MS, CLUSTERDOWN_BACKOFF_MS, 16));

        // The other slots: served, refused, or read-only, as the cluster's configuration says.
        if (variant.coverage === 'no') {
          expect(read).toMatchObject({ value: readKey });
          expect(write).toMatchObject({ value: 'OK' });
        } else if (variant.readsWhenDown) {
          expect(read).toMatchObject({ value: readKey });
          expectExhaustedByRefusals(write, /^CLUSTERDOWN The cluster is down and only accepts read commands/);
        } else {
          expectExhaustedByRefusals(read, /^CLUSTERDOWN The cluster is down$/);
          expectExhaustedByRefusals(write, /^CLUSTERDOWN The cluster is down$/);
        }

        await cluster().cli(owner, 'CLUSTER', 'ADDSLOTS', hole);
        unserved = undefined;
        const repairedAt = performance.now();
        await waitFor(() => client.call('TYPE', holeKey).then(() => true, () => false), {
          timeoutMs: 20_000,
          intervalMs: 20,
          description: 'the client to serve the slot again',
        });
        const recoveryMs = performance.now() - repairedAt;
        const refreshesDuringFault = client.refreshCount - refreshesBefore;
        const faultMs = performance.now() - openedAt;
        await cluster().waitForHealthy();
        await load.waitForCommands(200);
        const report = await load.stop();
        const requests = (await requestsFor(cluster(), LOAD_COMMANDS)) - requestsBefore;
        const verdict = await expectSound(client, report, LOAD_TIMEOUT_MS);

        // Refusals are all the load saw: exhausted attempts (TTL) or, rarely, a timeout that ran
        // out first; on the unserved slot only when the rest of the cluster still serves.
        expectErrorKinds(report, ['ClusterError', 'ClusterDownError CLUSTERDOWN']);
        expect(errorCount(report)).toBeGreaterThan(0);
        // No retry storm: a command costs the nodes at most maxRedirections + 1 requests, and the
        // slot table is reloaded at most once per 100 ms however many commands are refused.
        expect(requests).toBeLessThanOrEqual(report.commands * (LOAD_MAX_REDIRECTIONS + 1));
        expect(refreshesDuringFault).toBeLessThanOrEqual(Math.ceil(faultMs / 100) + 2);
        expect(recoveryMs).toBeLessThan(10_000);
        expect(unhandled.errors).toEqual([]);

        await recordScenario({
          id: `07 slot unserved, ${variant.label}`,
          scenario: `CLUSTER DELSLOTS of one slot on every node (full coverage ${variant.coverage}${variant.readsWhenDown ? ', reads allowed when down' : ''}) under load, then ADDSLOTS`,
          promise: `at most maxRedirections + 1 requests per command (${requests} for ${report.commands}), then a typed refusal; ${variant.coverage === 'no' || variant.readsWhenDown ? 'reads of served slots served' : 'every slot refused while the cluster is down'}`,
          ...fromLoad(report, verdict),
          recoveryMs: Math.round(recoveryMs),
        });
      } finally {
        await load?.stop();
        if (unserved !== undefined) {
          // A failed check must not leave the hole to the next scenario.
          // (The owner may still have it, if the check failed before every node dropped it.)
          await cluster().cli(unserved.owner, 'CLUSTER', 'ADDSLOTS', unserved.slot).catch(() => undefined);
          await cluster().waitForHealthy();
        }
        unhandled.stop();
      }
    }, 120_000);
  }
});

describe('07 cluster down (b): a master without a replica frozen', () => {
  const cluster = ownCluster(0);

  for (const variant of VARIANTS) {
    it(`${variant.label}: its commands time out, the others are refused or served as configured, all recover after SIGCONT`, async () => {
      const unhandled = watchUnhandled();
      let paused: ClusterNode | undefined;
      let load: Load | undefined;
      try {
        await configureAll(cluster(), {
          'cluster-require-full-coverage': variant.coverage,
          'cluster-allow-reads-when-down': variant.readsWhenDown ? 'yes' : 'no',
        });
        const { client, probe, hurried } = await clients(cluster());
        const prefix = `c07b-${variant.coverage}${variant.readsWhenDown ? '-reads' : ''}`;
        const victimKey = `${prefix}:list:0`;
        const victim = await cluster().slotOwner(keySlot(victimKey));
        const live = cluster().masters().filter((node) => node.id !== victim.id);
        // A read key of the load (its value is its name) and a key to write, both on other masters.
        const readKey = elsewhere(victim, `${prefix}:read`);
        const writeKey = elsewhere(victim, `${prefix}:probe-write`);
        const appendKey = elsewhere(victim, `${prefix}:probe-append`);

        load = new Load(client, { prefix });
        const requestsBefore = await requestsFor(cluster(), LOAD_COMMANDS);
        await load.start();
        await load.waitForCommands(200);

        await cluster().pause(victim);
        paused = victim;
        const pausedAt = performance.now();
        // The other masters mark it FAIL after the node timeout; with full coverage required
        // the cluster is then down everywhere, without it only that master's slots are lost.
        await waitFor(
          async () => {
            for (const node of live) {
              const nodes = await cluster().cli(node, 'CLUSTER', 'NODES');
              const line = nodes.split('\n').find((entry) => entry.startsWith(victim.id));
              // FAIL, agreed by a majority; `fail?` is one node's suspicion only.
              if (line === undefined || !line.split(' ')[2].split(',').includes('fail')) return false;
              if ((await clusterInfo(cluster(), node, 'cluster_state')) !== (variant.coverage === 'yes' ? 'fail' : 'ok')) return false;
            }
            return true;
          },
          { timeoutMs: 15_000, description: 'the other masters to mark the frozen one failed' },
        );

        const strlenBefore = await requestsFor(cluster(), ['strlen'], live);
        const [frozen, exhausted, overdue, read, write] = await Promise.all([
          timed(hurried.call('STRLEN', victimKey)),
          timed(probe.call('STRLEN', readKey)),
          timed(hurried.call('APPEND', appendKey, 'x')),
          timed(probe.get(readKey)),
          timed(probe.set(writeKey, 'w')),
        ]);
        const strlenRequests = (await requestsFor(cluster(), ['strlen'], live)) - strlenBefore;
        const running = load;
        await waitFor(() => (running.errorsSoFar().TimeoutError ?? 0) >= 3, {
          timeoutMs: 20_000,
          description: 'the load\'s commands on the frozen master to time out',
        });

        // The frozen master holds its commands: they time out, written (they may run on SIGCONT).
        expect(frozen.error).toBeInstanceOf(TimeoutError);
        expect(frozen.error).toMatchObject({ written: true, address: `${victim.host}:${victim.port}` });
        expect(frozen.ms).toBeGreaterThanOrEqual(HURRIED_TIMEOUT_MS - 5);
        expect(frozen.ms).toBeLessThanOrEqual(HURRIED_TIMEOUT_MS + SETTLE_MARGIN_MS);
        if (variant.coverage === 'no') {
          expect(exhausted).toMatchObject({ value: readKey.length });
          expect(overdue).toMatchObject({ value: 1 });
          expect(read).toMatchObject({ value: readKey });
          expect(write).toMatchObject({ value: 'OK' });
          expect(strlenRequests).toBe(1);
        } else if (variant.readsWhenDown) {
          // Reads are served while the cluster is down; writes are refused.
          expect(strlenRequests).toBe(1);
          expect(exhausted).toMatchObject({ value: readKey.length });
          expectRefusedUntilDeadline(overdue, /^CLUSTERDOWN The cluster is down and only accepts read commands/);
          expect(read).toMatchObject({ value: readKey });
          expectExhaustedByRefusals(write, /^CLUSTERDOWN The cluster is down and only accepts read commands/);
        } else {
          // Every attempt reached the master, which refused it: no table has it unserved.
          expect(strlenRequests).toBe(PROBE_MAX_REDIRECTIONS + 1);
          expectExhaustedByRefusals(exhausted, /^CLUSTERDOWN The cluster is down$/);
          expectRefusedUntilDeadline(overdue, /^CLUSTERDOWN The cluster is down$/);
          expectExhaustedByRefusals(read, /^CLUSTERDOWN The cluster is down$/);
          expectExhaustedByRefusals(write, /^CLUSTERDOWN The cluster is down$/);
        }

        await cluster().resume(victim);
        paused = undefined;
        const resumedAt = performance.now();
        const served = (key: string) => client.call('TYPE', key).then(() => true, () => false);
        await waitFor(async () => (await served(victimKey)) && (await served(readKey)) && (await served(writeKey)) && (await served(appendKey)), {
          timeoutMs: 30_000,
          intervalMs: 20,
          description: 'the client to serve every slot again',
        });
        const recoveryMs = performance.now() - resumedAt;
        await cluster().waitForHealthy();
        await load.waitForCommands(200);
        const report = await load.stop();
        const requests = (await requestsFor(cluster(), LOAD_COMMANDS)) - requestsBefore;
        const verdict = await expectSound(client, report, LOAD_TIMEOUT_MS);

        expectErrorKinds(report, variant.coverage === 'no' ? ['TimeoutError'] : ['TimeoutError', 'ClusterError', 'ClusterDownError CLUSTERDOWN']);
        expect(report.errors.TimeoutError ?? 0).toBeGreaterThan(0);
        expect(requests).toBeLessThanOrEqual(report.commands * (LOAD_MAX_REDIRECTIONS + 1));
        expect(recoveryMs).toBeLessThan(20_000);
        expect(unhandled.errors).toEqual([]);

        await recordScenario({
          id: `07 master without replica frozen, ${variant.label}`,
          scenario: `SIGSTOP of a master that has no replica (full coverage ${variant.coverage}${variant.readsWhenDown ? ', reads allowed when down' : ''}) for ${((resumedAt - pausedAt) / 1000).toFixed(1)} s under load, then SIGCONT`,
          promise: `its commands time out within ${LOAD_TIMEOUT_MS} ms (slowest ${Math.round(report.slowestMs)} ms); ${variant.coverage === 'no' ? 'the other masters serve on' : variant.readsWhenDown ? 'reads of the other masters served, writes refused' : 'the others refuse, at most maxRedirections + 1 requests each'}`,
          ...fromLoad(report, verdict),
          recoveryMs: Math.round(recoveryMs),
        });
      } finally {
        if (paused !== undefined) {
          await cluster().resume(paused);
          await cluster().waitForHealthy();
        }
        await load?.stop();
        unhandled.stop();
      }
    }, 120_000);
  }
});
