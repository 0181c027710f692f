import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CliCommandError, isProcessAlive, parseClusterNodes, parseInfo, startCluster, waitFor } from '../src/index.js';
import type { ClusterNode, TestCluster } from '../src/index.js';

// Destructive for a shared cluster, so this file boots its own; the tests run in order and each
// leaves it healthy (possibly with roles swapped) for the next.
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
});

beforeEach(async () => {
  await cluster.waitForHealthy();
});

afterAll(async () => {
  await cluster?.stop();
});

function firstPair(): { master: ClusterNode; replica: ClusterNode } {
  const master = cluster.masters()[0];
  return { master, replica: cluster.replicasOf(master)[0] };
}

/** The roles as the node itself reports them in CLUSTER NODES (not our cached snapshot). */
async function selfView(node: ClusterNode): Promise<{ role: string; masterId: string | undefined; slots: number }> {
  const me = parseClusterNodes(await cluster.cli(node, 'CLUSTER', 'NODES')).find((entry) => entry.myself);
  return { role: me?.role ?? '?', masterId: me?.masterId, slots: me?.slots.length ?? 0 };
}

describe('pause / resume', () => {
  it('a paused node does not answer PING; after resume it answers again', async () => {
    const node = cluster.replicas()[0];
    await cluster.pause(node);
    expect(cluster.node(node).status).toBe('paused');
    const error = await cluster.cliWith(node, { timeoutMs: 500 }, 'PING').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliCommandError);
    expect((error as CliCommandError).timedOut).toBe(true);
    expect(isProcessAlive(node.pid)).toBe(true);

    await cluster.resume(node);
    expect(await cluster.cli(node, 'PING')).toBe('PONG');
    expect(cluster.node(node).status).toBe('running');
  });
});

describe('failover', () => {
  it.each(['default', 'force', 'takeover'] as const)('%s: the replica becomes master of the old slots and the old master its replica', async (mode) => {
    const { master, replica } = firstPair();
    const slots = master.slots;
    await cluster.failover(replica, mode);

    expect(await selfView(replica)).toMatchObject({ role: 'master', slots: slots.length });
    expect(await selfView(master)).toMatchObject({ role: 'replica', masterId: replica.id });
    expect(cluster.node(replica).slots).toEqual(slots);
    expect((await cluster.slotOwner(slots[0].start)).id).toBe(replica.id);
    expect(cluster.replicasOf(replica).map((node) => node.id)).toEqual([master.id]);
  });

  it('refuses to fail over a master', async () => {
    await expect(cluster.failover(cluster.masters()[0])).rejects.toThrow(/not a replica/);
  });
});

describe('kill / restart', () => {
  it('killing a master removes its process; its replica is promoted after the node timeout', async () => {
    const { master, replica } = firstPair();
    const startedAt = Date.now();
    await cluster.kill(master);

    expect(isProcessAlive(master.pid)).toBe(false);
    expect(cluster.node(master).status).toBe('stopped');
    await expect(cluster.cliWith(master, { timeoutMs: 2000 }, 'PING')).rejects.toThrow(/refused|Could not connect/i);
    await waitFor(async () => (await selfView(replica)).role === 'master', {
      timeoutMs: 15_000, description: 'the replica to be promoted',
    });
    // Detection takes at least one node timeout.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(cluster.nodeTimeoutMs);
    await cluster.waitForHealthy();
    const info = parseInfo(await cluster.cli(replica, 'CLUSTER', 'INFO'));
    expect(info.get('cluster_state')).toBe('ok');
    expect(cluster.masters().map((node) => node.id)).toContain(replica.id);
    expect(cluster.masters().map((node) => node.id)).not.toContain(master.id);
  });

  it('restart brings the killed master back on its port and id, as a replica of the promoted node', async () => {
    const dead = cluster.nodes.find((node) => node.status === 'stopped');
    if (!dead) throw new Error('previous test left no stopped node');
    const promoted = cluster.masters().find((node) => node.slots.length > 0 && cluster.replicasOf(node).length === 0);
    if (!promoted) throw new Error('no master without replica');

    const back = await cluster.restart(dead);

    expect(back).toMatchObject({ id: dead.id, port: dead.port, status: 'running', role: 'replica', masterId: promoted.id });
    expect(back.pid).not.toBe(dead.pid);
    expect(await cluster.cli(back, 'CLUSTER', 'MYID')).toBe(dead.id);
    expect(parseInfo(await cluster.cli(back, 'INFO', 'replication')).get('master_port')).toBe(String(promoted.port));
  });

  it('SIGTERM stops a replica gracefully; restart brings it back in sync', async () => {
    const replica = cluster.replicas()[0];
    await cluster.kill(replica, 'SIGTERM');
    expect(isProcessAlive(replica.pid)).toBe(false);
    expect(await cluster.logTail(replica)).toMatch(/Received SIGTERM|ready to exit/i);
    const back = await cluster.restart(replica);
    expect(parseInfo(await cluster.cli(back, 'INFO', 'replication')).get('master_link_status')).toBe('up');
  });
});
