/**
 * Fault matrix 8: a master that stops answering without closing its connections, three ways:
 * frozen (SIGSTOP), `CLIENT PAUSE <ms> ALL`, and `DEBUG SLEEP` past the command timeout.
 *
 * What the client promises there: each command sent to it fails with a `TimeoutError` within its
 * timeout, a refresh of the slot table is asked for, and a reply that comes late (the node wakes
 * and answers everything it was sent) is dropped, never handed to a later command.
 *
 * The cluster's node timeout is 5 s here, longer than any hang: a hung master is not replaced by
 * its replica (that is fault matrix 4 and 6), so the late replies come from the node itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { Connection } from '@hashslot/resp';
import { TimeoutError, type RefreshEvent } from '@hashslot/cluster';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';
import { SETTLE_MARGIN_MS, expectErrorKinds, expectSound, timed } from './checks.js';

const COMMAND_TIMEOUT_MS = 1_000;
/** How long CLIENT PAUSE and DEBUG SLEEP hang the node: a command timeout and a refresh fit in it. */
const HANG_MS = 4_000;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5_000 });
});

afterAll(async () => {
  await cluster?.stop();
});

const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

/** A way to hang a node: resolves once it is hung, with how to wait for it to answer again. */
interface Hang {
  readonly name: string;
  readonly scenario: string;
  hang(node: ClusterNode): Promise<{ wake(): Promise<void> }>;
}

/** Whether the node answers PING within `ms`, on a connection of its own. */
async function answers(node: ClusterNode, ms: number): Promise<boolean> {
  const connection = new Connection({ host: node.host, port: node.port, connectTimeout: ms });
  try {
    await connection.send(['PING'], { timeout: ms });
    return true;
  } catch {
    return false;
  } finally {
    connection.destroy();
  }
}

const HANGS: readonly Hang[] = [
  {
    name: 'SIGSTOP',
    scenario: 'SIGSTOP of a master under load until its commands timed out, then SIGCONT',
    async hang(node) {
      await cluster.pause(node);
      return { wake: () => cluster.resume(node) };
    },
  },
  {
    name: 'CLIENT PAUSE',
    scenario: `CLIENT PAUSE ${HANG_MS} ALL on a master under load`,
    async hang(node) {
      // In effect once answered: every client command after it waits.
      await cluster.cli(node, 'CLIENT', 'PAUSE', HANG_MS, 'ALL');
      return {
        wake: () => waitFor(() => answers(node, 500), { timeoutMs: HANG_MS + 10_000, description: 'the pause to end' }).then(() => undefined),
      };
    },
  },
  {
    name: 'DEBUG SLEEP',
    scenario: `DEBUG SLEEP ${HANG_MS / 1000} on a master under load`,
    async hang(node) {
      // DEBUG SLEEP answers when the sleep is over: awaited by wake() only.
      const sleeping = cluster.cliWith(node, { timeoutMs: HANG_MS + 20_000 }, 'DEBUG', 'SLEEP', HANG_MS / 1000);
      const outcome = sleeping.then(() => undefined, (error: unknown) => error);
      // Asleep once two PINGs in a row go unanswered: one slow answer on a busy machine is not enough.
      await waitFor(async () => !(await answers(node, 300)) && !(await answers(node, 300)), {
        timeoutMs: 10_000,
        intervalMs: 10,
        description: 'the node to be asleep',
      });
      return {
        wake: async () => {
          expect(await outcome).toBeUndefined();
        },
      };
    },
  },
];

describe('08 hung node: a master stops answering and keeps its connections open', () => {
  for (const { name, scenario, hang } of HANGS) {
    it(`${name}: its commands time out within the timeout, a refresh is asked for, and late replies reach no other command`, async () => {
      const unhandled = watchUnhandled();
      const client = newClient({ startupNodes: startupNodes(), commandTimeout: COMMAND_TIMEOUT_MS });
      const refreshes: { event: RefreshEvent; at: number }[] = [];
      client.on('refresh', (event) => refreshes.push({ event, at: performance.now() }));
      const prefix = `h08-${name.replace(' ', '-').toLowerCase()}`;
      // Keys of one slot, so that every probe goes to the hung master, on its one shared connection.
      const tag = `{${prefix}}`;
      const key = `${tag}:k`;
      const own = Array.from({ length: 100 }, (_, i) => `${tag}:own:${i}`);
      const victim = await cluster.slotOwner(keySlot(key));
      let load: Load | undefined;
      let woken: Promise<void> | undefined;
      try {
        await client.set(key, 'v0');
        await Promise.all(own.map((ownKey) => client.set(ownKey, ownKey)));
        load = new Load(client, { prefix });
        await load.start();
        await load.waitForCommands(300);

        const { wake } = await hang(victim);
        const hungAt = performance.now();
        const refreshCountBefore = client.refreshCount;
        // Issued in one tick, so written together on one connection: the GET's reply comes right
        // after the SET's, which comes late, after the SET gave up on it.
        const set = timed(client.set(key, 'v1'));
        const longGet = client.sendCommand(['GET', own[0]], undefined, { timeout: HANG_MS + 20_000 });
        // Awaited below; a check failing before that must not leave its rejection unhandled.
        longGet.catch(() => undefined);
        const incr = timed(client.incr(`${tag}:counter`));
        const [setOutcome, incrOutcome] = await Promise.all([set, incr]);
        for (const outcome of [setOutcome, incrOutcome]) {
          expect(outcome.error).toBeInstanceOf(TimeoutError);
          expect(outcome.error).toMatchObject({ written: true, address: `${victim.host}:${victim.port}`, timeoutMs: COMMAND_TIMEOUT_MS });
          expect(outcome.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 5);
          expect(outcome.ms).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + SETTLE_MARGIN_MS);
        }
        // The timeout asked for a refresh, from the other nodes, while this one still hangs.
        await waitFor(() => refreshes.some(({ event, at }) => event.reason === 'timeout' && at >= hungAt), {
          timeoutMs: 5_000,
          description: 'a refresh after the timeout',
        });
        expect(client.refreshCount).toBeGreaterThan(refreshCountBefore);
        const running = load;
        await waitFor(() => (running.errorsSoFar().TimeoutError ?? 0) >= 3, { timeoutMs: 10_000, description: 'the load\'s commands on the node to time out' });

        woken = wake();
        await woken;
        const wokeAt = performance.now();
        // Behind the late SET on the same connection, the GET gets its own reply, not the SET's OK.
        expect(await longGet).toBe(own[0]);
        // So the SET ran (written, it may run; it did, when the node woke) and a new GET sees it.
        expect(await client.get(key)).toBe('v1');
        expect(await cluster.cli(victim, 'GET', key)).toBe('v1');
        const replies = await Promise.all(own.map((ownKey) => client.get(ownKey)));
        expect(replies).toEqual(own);
        const recoveryMs = performance.now() - wokeAt;

        await load.waitForCommands(300);
        const report = await load.stop();
        const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
        expectErrorKinds(report, ['TimeoutError']);
        expect(report.errors.TimeoutError ?? 0).toBeGreaterThanOrEqual(3);
        expect(unhandled.errors).toEqual([]);

        await recordScenario({
          id: `08 hung node, ${name}`,
          scenario,
          promise: `commands on it time out within ${COMMAND_TIMEOUT_MS} ms (slowest ${Math.round(report.slowestMs)} ms), a refresh is asked for, late replies reach no other command`,
          ...fromLoad(report, verdict),
          recoveryMs: Math.round(recoveryMs),
        });
      } finally {
        if (woken === undefined) {
          // A failed check must not leave the node hung for the next scenario.
          if (name === 'SIGSTOP') await cluster.resume(victim).catch(() => undefined);
          await waitFor(() => answers(victim, 500), { timeoutMs: HANG_MS + 10_000, description: 'the node to answer again' }).catch(() => undefined);
        }
        await load?.stop();
        unhandled.stop();
      }
    }, 120_000);
  }
});
