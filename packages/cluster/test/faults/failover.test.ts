/**
 * Fault matrix 4, 5 and 6: a master replaced by its replica while the Load runs, three ways.
 * Each scenario boots its own cluster (3 masters, 1 replica each, node timeout 1 s): a failover
 * leaves the cluster changed for whatever comes next.
 */
import { describe, expect, it } from 'vitest';
import { waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { RedisError, type RedisCluster, type RefreshEvent } from '@hashslot/cluster';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load, mayHaveRun, verify, type LoadReport } from './load.js';
import { expectErrorKinds, expectSound, SETTLE_MARGIN_MS, sleep } from './checks.js';
import { ownCluster, startupNodes } from './own-cluster.js';
import { fromLoad, recordScenario } from './record.js';

/** Error kinds a failover may show the caller, each a `RedisError` subclass (see `errorKind`). */
const FAILOVER_ERRORS = ['ConnectionError', 'TimeoutError', 'ClusterDownError CLUSTERDOWN', 'ClusterError'];

/** The master serving the first writer's list, and its replica: the shard every scenario breaks. */
async function victimOf(cluster: TestCluster, prefix: string): Promise<{ slot: number; master: ClusterNode; replica: ClusterNode }> {
  const slot = keySlot(`${prefix}:list:0`);
  const master = await cluster.slotOwner(slot);
  const [replica] = cluster.replicasOf(master);
  if (replica === undefined) throw new Error(`${master.port} has no replica`);
  return { slot, master, replica };
}

/** The report with only the lists and counters whose slots `keep` accepts, for `verify`. */
function onlyKeys(report: LoadReport, keep: (key: string) => boolean): LoadReport {
  return {
    ...report,
    lists: new Map([...report.lists].filter(([key]) => keep(key))),
    counters: new Map([...report.counters].filter(([key]) => keep(key))),
  };
}

/**
 * A writer beside the Load, on the slot a scenario breaks: RPUSH 1, 2, 3... to one list, each
 * with its time, which tells when the slot was served again. With `waitMs`, each push is
 * followed by WAIT for one replica, and is `confirmed` only when WAIT says a replica has it:
 * the one write an automatic failover must not lose.
 */
class SlotWriter {
  readonly acknowledged: number[] = [];
  readonly confirmed: number[] = [];
  readonly maybe: number[] = [];
  readonly errors: unknown[] = [];
  /** `performance.now()` of each acknowledged push, index for index with `acknowledged`. */
  readonly acknowledgedAt: number[] = [];
  /** The longest an RPUSH took to settle, ms. */
  slowestMs = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: RedisCluster,
    readonly key: string,
    private readonly waitMs: number | undefined,
  ) {
    this.loop = this.run();
  }

  /** First acknowledged push at or after `since`; undefined while there is none. */
  firstAcknowledgedAfter(since: number): number | undefined {
    return this.acknowledgedAt.find((at) => at >= since);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** What the list holds against what this writer was told, as `verify` checks the Load's lists. */
  async verify(): Promise<{ lost: number[]; lostConfirmed: number[]; duplicated: number; ordered: boolean; unexpected: number[] }> {
    const stored = (await this.client.lrange(this.key, 0, -1)).map(Number);
    const present = new Set(stored);
    const allowed = new Set([...this.acknowledged, ...this.maybe]);
    return {
      lost: this.acknowledged.filter((value) => !present.has(value)),
      lostConfirmed: this.confirmed.filter((value) => !present.has(value)),
      duplicated: stored.length - present.size,
      ordered: stored.every((value, i) => i === 0 || stored[i - 1] < value),
      unexpected: stored.filter((value) => !allowed.has(value)),
    };
  }

  private async run(): Promise<void> {
    for (let value = 1; this.running; value++) {
      const started = performance.now();
      try {
        await this.client.rpush(this.key, String(value));
        this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
        this.acknowledged.push(value);
        this.acknowledgedAt.push(performance.now());
      } catch (error) {
        this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
        this.errors.push(error);
        if (mayHaveRun(error)) this.maybe.push(value);
        await sleep(20);
        continue;
      }
      if (this.waitMs === undefined) {
        await sleep(2);
        continue;
      }
      try {
        if ((await this.client.waitForReplicas(this.key, 1, this.waitMs)) >= 1) this.confirmed.push(value);
      } catch (error) {
        this.errors.push(error);
      }
    }
  }
}

describe('04 automatic failover: kill -9 of a master under load', () => {
  const cluster = ownCluster();

  it('resumes on the promoted replica, sees the old master rejoin as its replica, runs nothing twice and loses no write confirmed with WAIT', async () => {
    const unhandled = watchUnhandled();
    const commandTimeout = 2_000;
    // The periodic refresh is how a client learns of a node that came back without any command failing.
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout, refreshInterval: 1_000 });
    const prefix = 'f04';
    const load = new Load(client, { prefix });
    let slotWriter: SlotWriter | undefined;
    try {
      const { slot, master: victim, replica: heir } = await victimOf(cluster(), prefix);
      const victimSlots = (key: string): boolean => client.masterOf(keySlot(key))?.id === heir.id;
      await load.start();
      await load.waitForCommands(300);
      const writer = (slotWriter = new SlotWriter(client, `{${prefix}:list:0}:confirmed`, 200));
      await waitFor(() => writer.confirmed.length >= 10, { timeoutMs: 20_000, description: 'writes confirmed by WAIT before the kill' });

      await cluster().kill(victim, 'SIGKILL');
      // Taken once the process is gone: an acknowledgement after it can only come from the heir.
      const killedAt = performance.now();
      const resumedAt = await waitFor(() => (client.masterOf(slot)?.id === heir.id ? writer.firstAcknowledgedAfter(killedAt) : undefined), {
        timeoutMs: 30_000,
        description: 'writes to the killed master\'s slot to succeed on its replica',
      });
      await load.waitForCommands(300);

      // The old master comes back from its nodes.conf and is made a replica of its heir; the
      // client learns it from a periodic refresh, with no command failing to tell it.
      const refreshes: RefreshEvent[] = [];
      const onRefresh = (event: RefreshEvent): void => void refreshes.push(event);
      client.on('refresh', onRefresh);
      await cluster().restart(victim);
      await waitFor(() => client.nodes('replica').some((node) => node.id === victim.id), {
        timeoutMs: 20_000,
        description: 'the client to list the old master as a replica',
      });
      client.off('refresh', onRefresh);
      const rejoined = client.nodes('replica').find((node) => node.id === victim.id);
      // WAIT is answered by the old master again, now a replica: confirmation works once more.
      const confirmedBefore = writer.confirmed.length;
      await waitFor(() => writer.confirmed.length > confirmedBefore + 5, { timeoutMs: 20_000, description: 'WAIT to confirm writes again' });
      await load.waitForCommands(300);

      const report = await load.stop();
      await writer.stop();
      const verdict = await verify(client, report);
      const written = await writer.verify();

      expect(refreshes.length).toBeGreaterThan(0);
      expect(rejoined).toMatchObject({ address: `${victim.host}:${victim.port}`, role: 'replica' });
      expect(client.masterOf(slot)?.id).toBe(heir.id);
      expect(resumedAt - killedAt).toBeLessThan(15_000);
      // The server may lose what its master acknowledged but had not yet replicated; never what a
      // replica confirmed, and nothing is ever run twice, reordered or made up.
      expect(written.lostConfirmed).toEqual([]);
      expect(writer.confirmed.length).toBeGreaterThan(15);
      expect(written).toMatchObject({ duplicated: 0, ordered: true, unexpected: [] });
      expect(verdict, verdict.details.join('\n')).toMatchObject({ duplicated: 0, outOfOrder: 0, unexpected: 0 });
      // Only the killed master's slots can lose anything: the other masters never failed.
      const elsewhere = await verify(client, onlyKeys(report, (key) => !victimSlots(key)));
      expect(elsewhere.lostAcknowledged, elsewhere.details.join('\n')).toBe(0);
      expect(report.wrongReads).toBe(0);
      expect(report.commands).toBeGreaterThanOrEqual(900);
      expect(report.slowestMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
      expect(writer.slowestMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
      expectErrorKinds(report, FAILOVER_ERRORS);
      for (const error of writer.errors) expect(error).toBeInstanceOf(RedisError);
      expect(unhandled.errors).toEqual([]);

      const lostTotal = verdict.lostAcknowledged + written.lost.length;
      await recordScenario({
        id: '04 automatic failover',
        scenario: 'kill -9 of a master under load; its replica is promoted; the old master restarts and rejoins as a replica',
        promise: 'commands resume on the promoted replica; nothing runs twice or out of order; no write confirmed with WAIT is lost',
        ...fromLoad(report, verdict),
        // Until the killed master's slot was served again, on its promoted replica.
        recoveryMs: Math.round(resumedAt - killedAt),
        lostAcknowledged: lostTotal,
        lostNote:
          `${lostTotal === 0 ? 'none this run; ' : ''}an automatic failover may drop what the master acknowledged before its replica had it` +
          ` (asynchronous replication); 0 of ${writer.confirmed.length} writes confirmed with WAIT lost`,
      });
    } finally {
      // Also when a step failed: nothing of the load may outlive the test.
      await Promise.all([load.stop(), slotWriter?.stop()]);
      unhandled.stop();
    }
  });
});

describe('05 manual failover: CLUSTER FAILOVER on a replica under load', () => {
  const cluster = ownCluster();

  it('loses, repeats and reorders no acknowledged write while the replica takes over', async () => {
    const unhandled = watchUnhandled();
    // Longer than the switch may hold writes on a busy machine: the caller should see no error.
    const commandTimeout = 5_000;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'f05';
    const load = new Load(client, { prefix });
    try {
      const { slot, replica } = await victimOf(cluster(), prefix);
      await load.start();
      await load.waitForCommands(300);
      const startedAt = performance.now();
      await cluster().failover(replica, 'default');
      const promotedMs = performance.now() - startedAt;
      await waitFor(() => client.masterOf(slot)?.id === replica.id, { timeoutMs: 10_000, description: 'the client to follow the slot to the promoted replica' });
      await load.waitForCommands(300);
      const report = await load.stop();
      const verdict = await expectSound(client, report, commandTimeout);

      // A default failover waits for the replica to catch up with its master: the server loses
      // nothing, so neither may the client; and the caller sees no error at all, only replies
      // (the old master holds writes during the switch, then redirects them).
      expect(report.errors).toEqual({});
      expect(report.commands).toBeGreaterThanOrEqual(600);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '05 manual failover',
        scenario: `CLUSTER FAILOVER on a replica under load (promoted in ${(promotedMs / 1000).toFixed(1)} s)`,
        promise: 'no acknowledged write lost, none run twice, order kept',
        ...fromLoad(report, verdict),
      });
    } finally {
      await load.stop();
      unhandled.stop();
    }
  });
});

describe('06 forced failover: CLUSTER FAILOVER FORCE while the master sleeps', () => {
  const cluster = ownCluster();

  it('settles every command within its 1000 ms timeout, with a reply or a typed error', async () => {
    const unhandled = watchUnhandled();
    const commandTimeout = 1_000;
    const client = newClient({ startupNodes: startupNodes(cluster()), commandTimeout });
    const prefix = 'f06';
    const load = new Load(client, { prefix });
    let slotWriter: SlotWriter | undefined;
    try {
      const { slot, master, replica } = await victimOf(cluster(), prefix);
      await load.start();
      await load.waitForCommands(300);

      const writer = (slotWriter = new SlotWriter(client, `{${prefix}:list:0}:served`, undefined));
      // DEBUG SLEEP answers when the sleep is over: not awaited here, only at the end.
      const sleepSeconds = 4;
      const sleeping = cluster()
        .cliWith(master, { timeoutMs: 30_000 }, 'DEBUG', 'SLEEP', sleepSeconds)
        .then(() => undefined, (error: unknown) => error);
      await waitFor(async () => (await cluster().cliWith(master, { timeoutMs: 200 }, 'PING').catch(() => 'asleep')) === 'asleep', {
        timeoutMs: 10_000,
        description: 'the master to be asleep',
      });
      // Asleep since before the PING that got no answer; any push acknowledged after now was
      // acknowledged by the promoted replica.
      const detectedAt = performance.now();
      const asleepAt = detectedAt - 200;
      await cluster().failover(replica, 'force');
      expect(await sleeping).toBeUndefined();
      const servedAt = await waitFor(() => (client.masterOf(slot)?.id === replica.id ? writer.firstAcknowledgedAfter(detectedAt) : undefined), {
        timeoutMs: 10_000,
        description: 'the slot to be served by the promoted replica',
      });
      await load.waitForCommands(300);
      const report = await load.stop();
      await writer.stop();
      const verdict = await verify(client, report);
      const written = await writer.verify();

      // The point of this scenario: a node that stops answering costs each command at most its timeout.
      expect(report.slowestMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
      expect(writer.slowestMs).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS);
      expect(report.errors.TimeoutError ?? 0).toBeGreaterThan(0);
      expectErrorKinds(report, FAILOVER_ERRORS);
      for (const error of writer.errors) expect(error).toBeInstanceOf(RedisError);
      expect(verdict, verdict.details.join('\n')).toMatchObject({ duplicated: 0, outOfOrder: 0, unexpected: 0 });
      expect(written).toMatchObject({ duplicated: 0, ordered: true, unexpected: [] });
      expect(report.wrongReads).toBe(0);
      expect(report.commands).toBeGreaterThanOrEqual(600);
      expect(unhandled.errors).toEqual([]);

      const lostTotal = verdict.lostAcknowledged + written.lost.length;
      await recordScenario({
        id: '06 forced failover',
        scenario: `DEBUG SLEEP ${sleepSeconds} on a master, CLUSTER FAILOVER FORCE on its replica, under load with a 1000 ms command timeout`,
        promise: `every command settles within its timeout (slowest ${Math.round(report.slowestMs)} ms), with a reply or a typed error`,
        ...fromLoad(report, verdict),
        // From the master falling asleep until its slot was served again, on the promoted replica.
        recoveryMs: Math.round(servedAt - asleepAt),
        lostAcknowledged: lostTotal,
        ...(lostTotal === 0
          ? {}
          : { lostNote: 'a forced failover does not wait for the replica to catch up: the server may drop what the master acknowledged last' }),
      });
    } finally {
      await Promise.all([load.stop(), slotWriter?.stop()]);
      unhandled.stop();
    }
  });
});
