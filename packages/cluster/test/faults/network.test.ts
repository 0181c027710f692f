/**
 * Fault matrix 15: the network between the client and one master fails while the nodes are fine.
 * The client reaches that master through a TCP proxy (`natMap`), which cuts a connection in the
 * middle of a reply, stops carrying bytes (held, as TCP holds them, until the link heals), or
 * adds latency.
 *
 * What the client promises there: a command whose bytes were written and whose connection broke
 * is never sent again unless it is read-only (an INCR cut mid-reply ran once; the caller gets a
 * ConnectionError that says it was written), a read cut mid-reply is retried and gets its right
 * value, and a command that gets no answer fails with a TimeoutError within its timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ConnectionError, TimeoutError, type RedisCluster, type RefreshEvent } from '@hashslot/cluster';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';
import { SETTLE_MARGIN_MS, expectErrorKinds, expectSound, requestsFor, timed } from './checks.js';
import { TcpProxy } from './tcp-proxy.js';

const COMMAND_TIMEOUT_MS = 1_000;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
});

afterAll(async () => {
  await cluster?.stop();
});

/** `<base>:0`, `<base>:1`... whichever comes first that `master` serves. */
function on(master: ClusterNode, base: string): string {
  for (let i = 0; ; i++) {
    const slot = keySlot(`${base}:${i}`);
    if (master.slots.some((range) => slot >= range.start && slot <= range.end)) return `${base}:${i}`;
  }
}

/** The master of the load's first list, a proxy in front of it, and a client that reaches it only through the proxy. */
async function proxied(prefix: string): Promise<{ victim: ClusterNode; proxy: TcpProxy; client: RedisCluster }> {
  const victim = await cluster.slotOwner(keySlot(`${prefix}:list:0`));
  const proxy = await TcpProxy.start(victim);
  const client = newClient({
    // The others only: discovery itself must not reach the victim around the proxy.
    startupNodes: cluster.masters().filter((node) => node.id !== victim.id).map(({ host, port }) => ({ host, port })),
    natMap: { [`${victim.host}:${victim.port}`]: { host: proxy.host, port: proxy.port } },
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  await client.connect();
  expect(client.masterOf(keySlot(`${prefix}:list:0`))?.address).toBe(proxy.address);
  return { victim, proxy, client };
}


/** A command through the proxy answers again, on a fresh command; resolves with how long that took. */
async function recovery(client: RedisCluster, key: string): Promise<number> {
  const started = performance.now();
  await waitFor(() => client.call('TYPE', key).then(() => true, () => false), { timeoutMs: 20_000, intervalMs: 20, description: 'commands through the proxy to work again' });
  return performance.now() - started;
}

describe('15 network faults between the client and one master', () => {
  it('cut mid-reply: a written INCR is not sent again (ConnectionError, written), a GET is retried and gets its value', async () => {
    const unhandled = watchUnhandled();
    const prefix = 'n15-cut';
    const { victim, proxy, client } = await proxied(prefix);
    let load: Load | undefined;
    try {
      const counter = on(victim, `${prefix}:probe-counter`);
      const big = on(victim, `${prefix}:probe-big`);
      const value = 'x'.repeat(64 * 1024);
      expect(await client.set(counter, '10')).toBe('OK');
      expect(await client.set(big, value)).toBe('OK');

      const refreshes: RefreshEvent[] = [];
      client.on('refresh', (event) => refreshes.push(event));
      const incrBefore = await requestsFor(cluster, ['incr'], [victim]);
      proxy.setMode({ kind: 'cut', replies: 1 });
      const incr = await timed(client.incr(counter));
      expect(incr.error).toBeInstanceOf(ConnectionError);
      expect(incr.error).toMatchObject({ written: true, command: 'INCR', address: proxy.address });
      // It ran, once: the server counted it, and the client did not send it again.
      expect(await cluster.cli(victim, 'GET', counter)).toBe('11');
      expect((await requestsFor(cluster, ['incr'], [victim])) - incrBefore).toBe(1);
      expect(proxy.cuts).toBe(1);

      // The broken connection asked for a refresh, which may read from this node: it must be
      // over before the next cut, or the cut could hit its reply instead of the GET's.
      await waitFor(() => refreshes.some((event) => event.reason === 'connection'), { timeoutMs: 10_000, description: 'the refresh after the cut' });
      const getBefore = await requestsFor(cluster, ['get'], [victim]);
      proxy.setMode({ kind: 'cut', replies: 1 });
      const get = await timed(client.get(big));
      // Read-only: sent again on a new connection, and the caller sees only its value.
      expect(get.error).toBeUndefined();
      expect(get.value).toBe(value);
      expect(get.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
      expect((await requestsFor(cluster, ['get'], [victim])) - getBefore).toBe(2);
      expect(proxy.cuts).toBe(2);

      // Under load: five more cuts, each failing whatever was waiting on that connection.
      load = new Load(client, { prefix });
      await load.start();
      await load.waitForCommands(300);
      proxy.setMode({ kind: 'cut', replies: 5 });
      await waitFor(() => proxy.cuts >= 7, { timeoutMs: 20_000, description: 'five cuts under load' });
      await load.waitForCommands(300);
      const report = await load.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      // Only writes fail (reads are retried); each counter ran at most acknowledged + maybe times.
      expectErrorKinds(report, ['ConnectionError']);
      expect(report.errors.ConnectionError ?? 0).toBeGreaterThan(0);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '15 network: connection cut mid-reply',
        scenario: 'a proxy to one master forwards a request, then breaks the connection half way through the reply (2 probes, then 5 times under load)',
        promise: 'a written INCR ran once and fails as a ConnectionError (written); a GET is retried and gets its value; nothing runs twice',
        ...fromLoad(report, verdict),
      });
    } finally {
      await load?.stop();
      await proxy.close();
      unhandled.stop();
    }
  }, 120_000);

  it('dropped: commands through the silent link time out within the timeout; the held ones run once it heals, their late replies reach no other command', async () => {
    const unhandled = watchUnhandled();
    const prefix = 'n15-drop';
    const { victim, proxy, client } = await proxied(prefix);
    let load: Load | undefined;
    try {
      const key = on(victim, `${prefix}:probe`);
      const own = Array.from({ length: 100 }, (_, i) => `{${key}}:own:${i}`);
      expect(await client.set(key, 'v0')).toBe('OK');
      await Promise.all(own.map((ownKey) => client.set(ownKey, ownKey)));
      load = new Load(client, { prefix });
      await load.start();
      await load.waitForCommands(300);

      proxy.setMode({ kind: 'drop' });
      const droppedAt = performance.now();
      const [set, get] = await Promise.all([timed(client.set(key, 'v1')), timed(client.get(own[0]))]);
      for (const outcome of [set, get]) {
        expect(outcome.error).toBeInstanceOf(TimeoutError);
        expect(outcome.error).toMatchObject({ written: true, address: proxy.address, timeoutMs: COMMAND_TIMEOUT_MS });
        expect(outcome.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 5);
        expect(outcome.ms).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + SETTLE_MARGIN_MS);
      }
      const running = load;
      await waitFor(() => (running.errorsSoFar().TimeoutError ?? 0) >= 3, { timeoutMs: 10_000, description: 'the load\'s commands through the proxy to time out' });
      // The client gave up on the connection that carried the SET (its end is held by the link
      // too): what was written still reaches the node once the link heals, so it may run.
      await waitFor(() => proxy.clientsClosed >= 1, { timeoutMs: 10_000, description: 'the client to close a connection whose commands timed out' });

      proxy.setMode({ kind: 'pass' });
      const droppedMs = performance.now() - droppedAt;
      const recoveryMs = await recovery(client, key);
      // The held SET reached the node when the link healed: written, it may run, and it did.
      await waitFor(async () => (await cluster.cli(victim, 'GET', key)) === 'v1', { timeoutMs: 10_000, description: 'the held SET to run' });
      expect(await client.get(key)).toBe('v1');
      expect(await Promise.all(own.map((ownKey) => client.get(ownKey)))).toEqual(own);

      await load.waitForCommands(300);
      const report = await load.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      expectErrorKinds(report, ['TimeoutError']);
      expect(report.errors.TimeoutError ?? 0).toBeGreaterThanOrEqual(3);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '15 network: link drops packets',
        scenario: `a proxy to one master forwards nothing either way for ${(droppedMs / 1000).toFixed(1)} s (connections stay open), then heals`,
        promise: `commands through it time out within ${COMMAND_TIMEOUT_MS} ms (slowest ${Math.round(report.slowestMs)} ms); late replies reach no other command`,
        ...fromLoad(report, verdict),
        recoveryMs: Math.round(recoveryMs),
      });
    } finally {
      await load?.stop();
      await proxy.close();
      unhandled.stop();
    }
  }, 120_000);

  it('delayed: a slow link within the timeout costs only latency; past it, commands time out within the timeout', async () => {
    const unhandled = watchUnhandled();
    const prefix = 'n15-delay';
    const { victim, proxy, client } = await proxied(prefix);
    let load: Load | undefined;
    try {
      const key = on(victim, `${prefix}:probe`);
      expect(await client.set(key, 'v')).toBe('OK');
      load = new Load(client, { prefix });
      await load.start();
      await load.waitForCommands(300);

      // 150 ms each way: 300 ms a round trip, well within the timeout.
      proxy.setMode({ kind: 'delay', ms: 150 });
      const slow = await timed(client.get(key));
      expect(slow.value).toBe('v');
      expect(slow.ms).toBeGreaterThanOrEqual(295);
      expect(slow.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
      await load.waitForCommands(300);
      expect(load.errorsSoFar()).toEqual({});

      // 700 ms each way: 1400 ms a round trip, past the timeout.
      proxy.setMode({ kind: 'delay', ms: 700 });
      const late = await timed(client.get(key));
      expect(late.error).toBeInstanceOf(TimeoutError);
      expect(late.error).toMatchObject({ written: true, address: proxy.address });
      expect(late.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 5);
      expect(late.ms).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + SETTLE_MARGIN_MS);
      const running = load;
      await waitFor(() => (running.errorsSoFar().TimeoutError ?? 0) >= 3, { timeoutMs: 10_000, description: 'the load\'s commands through the proxy to time out' });

      proxy.setMode({ kind: 'pass' });
      const recoveryMs = await recovery(client, key);
      expect(await client.get(key)).toBe('v');
      await load.waitForCommands(300);
      const report = await load.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      expectErrorKinds(report, ['TimeoutError']);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '15 network: added latency',
        scenario: 'a proxy to one master adds 150 ms each way, then 700 ms each way (past the 1000 ms timeout), then none',
        promise: `within the timeout only slower (a GET took ${Math.round(slow.ms)} ms); past it, TimeoutError within ${COMMAND_TIMEOUT_MS} ms`,
        ...fromLoad(report, verdict),
        recoveryMs: Math.round(recoveryMs),
      });
    } finally {
      await load?.stop();
      await proxy.close();
      unhandled.stop();
    }
  }, 120_000);
});
