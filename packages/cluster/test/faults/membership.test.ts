/**
 * Fault matrix 13: the cluster's membership changes under load. A node joins and takes its share
 * of the slots (`redis-cli --cluster rebalance --cluster-use-empty-masters`), then gives them
 * back and leaves (`rebalance --cluster-weight <it>=0`, `redis-cli --cluster del-node`), as an
 * operator scales a cluster out and in.
 */
import { describe, expect, it } from 'vitest';
import { waitFor, type ClusterNode, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { keyInSlot, newClient, watchUnhandled } from '../helpers.js';
import { clusterTool, commandStats, slotsOf } from './cluster-tool.js';
import { expectSound } from './checks.js';
import { Load } from './load.js';
import { ownCluster, startupNodes } from './own-cluster.js';
import { fromLoad, recordScenario } from './record.js';

const COMMAND_TIMEOUT_MS = 5_000;
const WRITERS = 8;
/** Names the load's connections, so that a node's CLIENT LIST tells them from the harness's. */
const CLIENT_NAME = 'fault-membership-load';

/** The load client's connections open on `node`, as the node itself sees them. */
async function loadConnections(cluster: TestCluster, node: ClusterNode): Promise<number> {
  const list = await cluster.cli(node, 'CLIENT', 'LIST');
  return list.split('\n').filter((line) => line.includes(` name=${CLIENT_NAME} `)).length;
}

/** Commands the node ran for the load: its writes, increments and reads. */
async function loadCalls(cluster: TestCluster, node: ClusterNode): Promise<number> {
  const info = await cluster.cli(node, 'INFO', 'commandstats');
  return ['rpush', 'incr', 'get'].reduce((sum, command) => sum + commandStats(info, command).calls, 0);
}

describe('13 node added and removed', () => {
  const getCluster = ownCluster();

  it('sends the load to a node that joined, closes its connections once it left, and loses nothing', async () => {
    const cluster = getCluster();
    const unhandled = watchUnhandled();
    try {
      await cluster.refreshNodes();
      const masters = cluster.masters();
      // Rebalancing towards an empty master takes each master's lowest slots: the lists live
      // there, so the newcomer gets them, and they leave it again with its slots.
      const listKeys = Array.from({ length: WRITERS }, (_, i) => {
        const slots = slotsOf(masters[i % masters.length]);
        return keyInSlot(slots[(i * 151) % 1000], keySlot, `membership:list:${i}`);
      });
      // Refreshes now and then, as a long-lived client should: nothing else tells it that a node
      // without slots was taken out of the cluster.
      const client = newClient({ startupNodes: startupNodes(cluster), commandTimeout: COMMAND_TIMEOUT_MS, clientName: CLIENT_NAME, refreshInterval: 1000 });
      await client.connect();
      // From here on: discovery reports every node of the table as added.
      const added: string[] = [];
      const removed: string[] = [];
      client.on('node added', (node) => added.push(node.address));
      client.on('node removed', (node) => removed.push(node.address));
      const load = new Load(client, { prefix: 'membership', writers: WRITERS, listKey: (i) => listKeys[i] });
      await load.start();
      await load.waitForCommands(300);

      // Scale out.
      const joined = await cluster.addNode();
      const address = `${joined.host}:${joined.port}`;
      await clusterTool('rebalance', masters[0], '--cluster-use-empty-masters');
      await cluster.waitForHealthy();
      const share = new Set(slotsOf(cluster.node(joined)));
      expect(share.size).toBeGreaterThan(4000);
      expect(listKeys.filter((key) => !share.has(keySlot(key)))).toEqual([]);
      await waitFor(async () => (await loadCalls(cluster, joined)) >= 500, { timeoutMs: 20_000, description: 'the new node to serve the load' });
      await waitFor(() => added.includes(address), { timeoutMs: 10_000, description: 'the client to report the new node' });
      for (const key of listKeys) expect(client.masterOf(keySlot(key))?.address).toBe(address);
      expect(await loadConnections(cluster, joined)).toBeGreaterThanOrEqual(1);
      const servedByJoined = await loadCalls(cluster, joined);

      // Scale in: its slots go back to the others, then the operator's tool takes it out.
      await clusterTool('rebalance', masters[0], '--cluster-weight', `${joined.id}=0`);
      await cluster.waitForHealthy();
      expect(cluster.node(joined).slots).toEqual([]);
      for (const key of listKeys) await waitFor(() => client.masterOf(keySlot(key))?.address !== address, { description: `${key} to be served elsewhere` });
      const connectionsBeforeRemoval = await loadConnections(cluster, joined);
      await clusterTool('del-node', masters[0], joined.id);
      // del-node leaves the process running, reset: whether the client still talks to it is
      // for the node itself to say.
      await waitFor(() => removed.includes(address), { timeoutMs: 15_000, description: 'the client to report the node removed' });
      expect(client.nodes().map((node) => node.address)).not.toContain(address);
      await waitFor(async () => (await loadConnections(cluster, joined)) === 0, { timeoutMs: 10_000, description: "the client's connections to the removed node to close" });
      await cluster.removeNode(joined);

      await load.waitForCommands(300);
      const report = await load.stop();
      const verdict = await expectSound(client, report, COMMAND_TIMEOUT_MS);
      expect(added).toEqual([address]);
      expect(removed).toEqual([address]);
      expect(report.commands).toBeGreaterThan(1000);
      for (const [key, outcome] of report.lists) expect(outcome.acknowledged.length, key).toBeGreaterThan(10);
      // Slots moving in and out cost redirections, which the client follows: no caller sees an error.
      expect(report.errors).toEqual({});
      expect(unhandled.errors).toEqual([]);
      await recordScenario({
        id: '13 node added and removed',
        scenario: 'addNode + rebalance --cluster-use-empty-masters (4096 slots to it), then rebalance --cluster-weight it=0 + del-node, under load',
        promise: 'the new node gets its share of commands; connections to the removed node are closed; nothing lost, repeated or reordered',
        ...fromLoad(report, verdict),
      });
      console.info(`13 node added and removed: ${report.commands} commands, ${servedByJoined} run by the new node, ${connectionsBeforeRemoval} connection(s) of the client to it before del-node`);
    } finally {
      unhandled.stop();
    }
  }, 240_000);
});
