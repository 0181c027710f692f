import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '@hashslot/test-cluster';
import { ClusterError, RedisCluster } from '@hashslot/cluster';
import { newClient, trackClient } from './helpers.js';

// TLS and ACL need their own server configuration: this file boots its own cluster.
let cluster: TestCluster;
const user = { username: 'app', password: 'app p@ss/word' };

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, tls: true, password: 'default-secret', users: [user] });
});

afterAll(async () => {
  await cluster?.stop();
});

const ca = () => {
  if (cluster.tls === undefined) throw new Error('the cluster has no TLS material');
  return cluster.tls.ca;
};

describe('a TLS cluster with an ACL user', () => {
  it('connects to every discovered node with the same TLS options and credentials', async () => {
    const client = newClient({ startupNodes: [cluster.startupNodes[0]], tls: { ca: ca() }, ...user });
    const keys = Array.from({ length: 100 }, (_, i) => `tls:${i}`);
    expect(await Promise.all(keys.map((key) => client.call('SET', key, key)))).toEqual(keys.map(() => 'OK'));
    expect(await Promise.all(keys.map((key) => client.call('GET', key)))).toEqual(keys);
    // One startup node, yet commands reached all three masters: discovered nodes got TLS and AUTH too.
    expect(client.nodes('master')).toHaveLength(3);
    expect(await client.call('ACL', 'WHOAMI')).toBe('app');
  });

  it('connects from a rediss:// URL with percent-encoded credentials', async () => {
    const { host, port } = cluster.startupNodes[0];
    const url = `rediss://${encodeURIComponent(user.username)}:${encodeURIComponent(user.password)}@${host}:${port}`;
    const client = trackClient(RedisCluster.fromUrl(url, { tls: { ca: ca() } }));
    expect(await client.call('SET', 'tls:url', 'yes')).toBe('OK');
    expect(await client.call('GET', 'tls:url')).toBe('yes');
  });

  it('authenticates as the default user with a password alone', async () => {
    const client = newClient({ startupNodes: cluster.startupNodes, tls: { ca: ca() }, password: 'default-secret' });
    expect(await client.call('ACL', 'WHOAMI')).toBe('default');
  });

  it('verifies each discovered node against the hostname it announces, though it connects by ip', async () => {
    const running = cluster.nodes.filter((node) => node.status === 'running');
    await Promise.all(running.map((node) => cluster.cli(node, 'CONFIG', 'SET', 'cluster-announce-hostname', 'localhost')));
    try {
      // The table's endpoint stays the ip (preferred endpoint type ip); the hostname comes with it.
      await waitFor(async () => {
        const shards = JSON.stringify(await cluster.cliJson(running[0], 'CLUSTER', 'SHARDS'));
        return (shards.match(/"hostname":"localhost"/g) ?? []).length === running.length;
      }, { description: 'every node to announce its hostname' });
      const checked: string[] = [];
      const client = newClient({
        startupNodes: [cluster.startupNodes[0]],
        ...user,
        tls: { ca: ca(), checkServerIdentity: (host) => void checked.push(host) },
      });
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.call('SET', `tls:name:${i}`, 'v')));
      expect(client.nodes('master').every((node) => node.host === '127.0.0.1')).toBe(true);
      // The startup node was given by ip; every node found in the table is checked as localhost.
      expect(checked.filter((host) => host === 'localhost').length).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(running.map((node) => cluster.cli(node, 'CONFIG', 'SET', 'cluster-announce-hostname', '')));
    }
  });

  it('names each node\'s AUTH failure without showing the password', async () => {
    const client = newClient({ startupNodes: cluster.startupNodes.slice(0, 2), tls: { ca: ca() }, username: 'app', password: 'wrong-secret' });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    const failures = (error as ClusterError).failures;
    expect(failures).toHaveLength(2);
    for (const failure of failures) expect(failure.error.message).toMatch(/WRONGPASS/);
    expect((error as ClusterError).message).not.toContain('wrong-secret');
  });

  it('names a TLS verification failure per node', async () => {
    const client = newClient({ startupNodes: cluster.startupNodes.slice(0, 1), tls: true, ...user, connectTimeout: 3000 });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).failures[0].error.message).toMatch(/certificate|self.signed/i);
  });
});
