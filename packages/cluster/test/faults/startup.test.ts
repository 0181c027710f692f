/**
 * Fault matrix 9: startup nodes that are down when the client starts. Some of them (a closed
 * port, a node that accepts connections and never answers), listed first: discovery goes on to
 * the next without waiting for a timeout. All of them: every command issued before connect()
 * is rejected once discovery has failed on every node, within `connectTimeout`, with a
 * `ClusterError` whose `failures` name each node and its own cause; and the client connects as
 * soon as a startup node answers again.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '@hashslot/test-cluster';
import { ClusterError, ConnectionError, TimeoutError, type RefreshEvent } from '@hashslot/cluster';
import { startFakeServer, type FakeServer } from '../../../resp/test/fake-server.js';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';
import { SETTLE_MARGIN_MS, expectSound, timed } from './checks.js';
import { TcpProxy } from './tcp-proxy.js';

let cluster: TestCluster;
/** Accepts connections and never answers: a hung node. */
let silent: FakeServer;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  silent = await startFakeServer(() => {});
});

afterAll(async () => {
  await silent?.close();
  await cluster?.stop();
});

/** A port nothing listens on: connecting is refused at once. */
async function closedPort(): Promise<{ host: string; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host: '127.0.0.1', port };
}

describe('09 startup nodes down', () => {
  it('some: a closed port and a silent node listed first; discovery goes on to the next at once, and the client serves', async () => {
    const unhandled = watchUnhandled();
    let load: Load | undefined;
    try {
      const dead = await closedPort();
      const hung = { host: '127.0.0.1', port: silent.port };
      const live = { host: cluster.startupNodes[0].host, port: cluster.startupNodes[0].port };
      const connectTimeout = 5_000;
      const orders = [
        [dead, live],
        [hung, live],
        [dead, hung, dead, live],
      ];
      const connectMs: number[] = [];
      let last: ReturnType<typeof newClient> | undefined;
      for (const startupNodes of orders) {
        const client = newClient({ startupNodes, connectTimeout });
        const refreshes: RefreshEvent[] = [];
        client.on('refresh', (event) => refreshes.push(event));
        // Issued before connect(): they wait for discovery, then run.
        const queued = [client.set(`s09:some:${connectMs.length}`, 'v'), client.get(`s09:some:${connectMs.length}`)];
        const connected = await timed(client.connect());
        expect(connected.error).toBeUndefined();
        expect(await Promise.all(queued)).toEqual(['OK', 'v']);
        // A dead node costs nothing; a silent one costs the hedge delay (250 ms), not connectTimeout.
        expect(connected.ms).toBeLessThan(connectTimeout / 2);
        expect(refreshes[0]).toMatchObject({ reason: 'discovery', source: `${live.host}:${live.port}` });
        expect(client.status).toBe('ready');
        connectMs.push(connected.ms);
        last = client;
      }
      if (last === undefined) throw new Error('no client');

      load = new Load(last, { prefix: 's09-some' });
      await load.start();
      await load.waitForCommands(500);
      const report = await load.stop();
      // The client's default commandTimeout.
      const verdict = await expectSound(last, report, 10_000);
      expect(report.errors).toEqual({});
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '09 startup nodes down, some',
        scenario: 'startup list begins with a closed port and a node that never answers, then a live node',
        promise: `connect() uses the next node at once (${connectMs.map((ms) => Math.round(ms)).join(', ')} ms for the three orders); then full service`,
        ...fromLoad(report, verdict),
      });
    } finally {
      await load?.stop();
      unhandled.stop();
    }
  });

  it('all: commands queued before connect() are rejected within connectTimeout, with each node\'s cause; connect works once one answers', async () => {
    const unhandled = watchUnhandled();
    // A node that hangs until told otherwise: a proxy to a live node, holding every byte.
    const proxy = await TcpProxy.start(cluster.startupNodes[0]);
    try {
      proxy.setMode({ kind: 'drop' });
      const refused = [await closedPort(), await closedPort()];
      const hung = { host: proxy.host, port: proxy.port };
      const connectTimeout = 1_000;
      const client = newClient({ startupNodes: [...refused, hung], connectTimeout });
      let ready = 0;
      client.on('ready', () => ready++);

      const started = performance.now();
      const outcomes = await Promise.all([
        timed(client.get('s09:all:a')),
        timed(client.set('s09:all:b', 'v')),
        timed(client.incr('s09:all:c')),
        timed(client.call('PING')),
        timed(client.sendBatch([['GET', 's09:all:a'], ['SET', 's09:all:d', 'v']]).then(([first, second]) => {
          // A batch never rejects: each position holds its error; both must hold the same one.
          expect(second).toBe(first);
          throw first;
        })),
        timed(client.connect()),
      ]);
      const elapsed = performance.now() - started;

      for (const outcome of outcomes) {
        expect(outcome.error).toBeInstanceOf(ClusterError);
        const error = outcome.error as ClusterError;
        expect(error.message).toMatch(/^could not discover the cluster from any startup node: /);
        expect(error.failures.map((failure) => failure.address)).toEqual([...refused, hung].map(({ host, port }) => `${host}:${port}`));
        const [first, second, third] = error.failures.map((failure) => failure.error);
        for (const cause of [first, second]) {
          expect(cause).toBeInstanceOf(ConnectionError);
          expect(cause.message).toMatch(/ECONNREFUSED/);
        }
        expect(third).toBeInstanceOf(TimeoutError);
        expect(third).toMatchObject({ timeoutMs: connectTimeout });
        // Every command waited for the one discovery: rejected with it, not long after.
        expect(outcome.ms).toBeLessThanOrEqual(connectTimeout + SETTLE_MARGIN_MS);
      }
      expect(elapsed).toBeGreaterThanOrEqual(connectTimeout - 5);
      expect(elapsed).toBeLessThanOrEqual(connectTimeout + SETTLE_MARGIN_MS);
      expect(client.status).toBe('idle');
      expect(ready).toBe(0);

      // One startup node answers again: the same client connects and serves.
      proxy.setMode({ kind: 'pass' });
      const passedAt = performance.now();
      await client.connect();
      expect(await client.set('s09:all:b', 'again')).toBe('OK');
      expect(await client.get('s09:all:b')).toBe('again');
      const recoveryMs = performance.now() - passedAt;
      expect(client.status).toBe('ready');
      expect(ready).toBe(1);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '09 startup nodes down, all',
        scenario: 'every startup node down: two closed ports and one that never answers; then it answers',
        promise: `commands issued before connect() rejected within connectTimeout (${connectTimeout} ms; took ${Math.round(elapsed)} ms) with a ClusterError naming each node's cause; connects once a node answers`,
        commands: outcomes.length,
        errors: { ClusterError: outcomes.filter((outcome) => outcome.error instanceof ClusterError).length },
        lostAcknowledged: 0,
        recoveryMs: Math.round(recoveryMs),
      });
    } finally {
      await proxy.close();
      unhandled.stop();
    }
  });
});
