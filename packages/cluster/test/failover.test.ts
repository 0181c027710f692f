import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { ClusterError, ConnectionError, RedisError, type NodeSummary } from '@hashslot/cluster';
import { newClient, watchUnhandled } from './helpers.js';

// Killing masters: this file boots its own cluster, with a replica per master.
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
});

afterAll(async () => {
  await cluster?.stop();
});

const startupNodes = () => cluster.startupNodes.map(({ host, port }) => ({ host, port }));

describe('failures of nodes', () => {
  it('resumes commands after a killed master is replaced by its replica, with no unhandled rejection', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes(), commandTimeout: 2000 });
      const key = 'failover:counter';
      const slot = keySlot(key);
      await client.call('SET', key, '0');
      const victim = await cluster.slotOwner(slot);
      const [heir] = cluster.replicasOf(victim);
      const removed: NodeSummary[] = [];
      client.on('node removed', (node) => removed.push(node));

      // Writers running through the failure: every call settles, with a reply or a typed error.
      let stop = false;
      const outcomes: { ok: number; errors: unknown[] } = { ok: 0, errors: [] };
      const writer = (async () => {
        while (!stop) {
          try {
            await client.call('INCR', key);
            outcomes.ok++;
          } catch (error) {
            outcomes.errors.push(error);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const killedAt = performance.now();
      await cluster.kill(victim, 'SIGKILL');
      const okBefore = outcomes.ok;
      await waitFor(async () => outcomes.ok > okBefore + 5, { timeoutMs: 20_000, description: 'writes to succeed again after the failover' });
      const recoveredAfter = performance.now() - killedAt;
      stop = true;
      await writer;

      expect(client.masterOf(slot)?.id).toBe(heir.id);
      // The failover takes about two node timeouts plus an election; the client follows at once.
      expect(recoveredAfter).toBeLessThan(15_000);
      for (const error of outcomes.errors) expect(error).toBeInstanceOf(RedisError);
      expect(unhandled.errors).toEqual([]);

      // The old master comes back as a replica of its heir; a refresh sees it so.
      await cluster.restart(victim);
      await waitFor(async () => {
        await client.refresh();
        return client.nodes('replica').some((node) => node.id === victim.id);
      }, { timeoutMs: 20_000, description: 'the old master to rejoin as a replica' });
      expect(await client.call('GET', key)).toBe(String(Number(await cluster.cli(heir, 'GET', key))));
    } finally {
      unhandled.stop();
    }
  });

  it('passes over a dead replica for reads instead of paying a refresh on every read', async () => {
    const client = newClient({ startupNodes: startupNodes(), readFrom: 'replica' });
    const key = 'failover:replica-read';
    await client.call('SET', key, 'v');
    await client.connect();
    const master = await cluster.slotOwner(keySlot(key));
    const [replica] = cluster.replicasOf(master);
    await cluster.kill(replica, 'SIGKILL');
    try {
      const refreshesBefore = client.refreshCount;
      const started = performance.now();
      for (let i = 0; i < 20; i++) expect([null, 'v']).toContain(await client.call('GET', key));
      expect(performance.now() - started).toBeLessThan(1500);
      expect(client.refreshCount - refreshesBefore).toBeLessThanOrEqual(2);
    } finally {
      await cluster.restart(replica);
      await cluster.waitForHealthy();
    }
  });

  it('discovers the cluster when every startup node but one is down', async () => {
    const dead = cluster.nodes.filter((node) => node.status === 'running').slice(0, 1);
    await cluster.kill(dead[0], 'SIGKILL');
    try {
      const live = cluster.nodes.find((node) => node.status === 'running' && node.id !== dead[0].id);
      if (live === undefined) throw new Error('no live node');
      const client = newClient({ startupNodes: [dead[0], { host: '127.0.0.1', port: 1 }, live].map(({ host, port }) => ({ host, port })) });
      await client.connect();
      expect(await client.call('SET', 'failover:discovery', 'ok')).toBe('OK');
    } finally {
      await cluster.restart(dead[0]);
      await cluster.waitForHealthy();
    }
  });

  it('rejects commands with every node\'s reason when all nodes are down, then works again when they return', async () => {
    const unhandled = watchUnhandled();
    try {
      const client = newClient({ startupNodes: startupNodes(), connectTimeout: 1000 });
      const background: Error[] = [];
      client.on('error', (error) => background.push(error));
      await client.call('SET', 'failover:all-down', 'kept');
      const running = cluster.nodes.filter((node) => node.status === 'running');
      await Promise.all(running.map((node) => cluster.kill(node, 'SIGKILL')));

      const started = performance.now();
      const error = await client.call('GET', 'failover:all-down').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterError);
      expect((error as ClusterError).cause).toBeInstanceOf(ConnectionError);
      const failures = (error as ClusterError).failures;
      // Every node the table knew was asked, each with its own reason.
      expect(new Set(failures.map((failure) => failure.address))).toEqual(new Set(running.map((node) => `${node.host}:${node.port}`)));
      for (const failure of failures) expect(failure.error.message).toMatch(/ECONNREFUSED/);
      expect(performance.now() - started).toBeLessThan(5_000);
      // The refresh nobody awaited reported through the error event, since someone listens.
      expect(background.some((e) => e instanceof ClusterError)).toBe(true);

      await Promise.all(running.map((node) => cluster.restart(node)));
      await cluster.waitForHealthy();
      // Nodes without persistence come back empty: what matters is that the same client works.
      await waitFor(async () => (await client.call('SET', 'failover:all-down', 'again').catch(() => undefined)) === 'OK', {
        timeoutMs: 20_000,
        description: 'the client to work again',
      });
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
