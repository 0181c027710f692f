import { connect as tlsConnect } from 'node:tls';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive, parseInfo, startCluster, startServer } from '../src/index.js';
import type { TestCluster, TestServer } from '../src/index.js';
import { rawCli, slotsOwnerPort } from './helpers.js';

/** One PING over a verified TLS connection, written by hand so nothing of the harness is involved. */
function tlsPing(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername }, () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

describe('TLS cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ tls: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('boots healthy with replicas syncing over TLS', async () => {
    expect(cluster.nodes).toHaveLength(6);
    for (const replica of cluster.replicas()) {
      expect(parseInfo(await cluster.cli(replica, 'INFO', 'replication')).get('master_link_status')).toBe('up');
    }
    expect(await cluster.cli(cluster.nodes[0], 'CONFIG', 'GET', 'tls-cluster')).toBe('tls-cluster\nyes');
  });

  it('hands clients the PEMs and files; the certificate verifies for 127.0.0.1 and localhost', async () => {
    const tls = cluster.tls!;
    expect(tls.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(tls.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(tls.key).toMatch(/PRIVATE KEY-----/);
    for (const file of [tls.caFile, tls.certFile, tls.keyFile]) expect(existsSync(file)).toBe(true);
    const port = cluster.nodes[0].port;
    expect(await tlsPing(port, tls.ca, 'localhost')).toBe('+PONG\r\n');
    await expect(tlsPing(port, tls.ca, 'example.com')).rejects.toThrow(/altnames|certificate/i);
  });

  it('answers redis-cli --tls and rejects plain TCP', async () => {
    const tls = cluster.tls!;
    const port = String(cluster.nodes[0].port);
    const ok = await rawCli(['-p', port, '--tls', '--cacert', tls.caFile, 'PING']);
    expect(ok.stdout).toBe('PONG');
    const plain = await rawCli(['-p', port, 'PING']);
    expect(plain.stdout).not.toBe('PONG');
  });

  it('moves a slot with keys between TLS nodes', async () => {
    const slot = Number(await cluster.cli(cluster.nodes[0], 'CLUSTER', 'KEYSLOT', '{tls}'));
    const source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    await cluster.cli(source, 'SET', '{tls}', 'x');
    await cluster.moveSlot(slot, target);
    expect(await cluster.cli(target, 'GET', '{tls}')).toBe('x');
  });
});

describe('password cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ password: 'pa ss"word', replicasPerMaster: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('requires the password; replicas authenticate with masterauth', async () => {
    const port = String(cluster.nodes[0].port);
    expect((await rawCli(['-p', port, 'GET', 'k'])).stderr).toMatch(/NOAUTH/);
    expect((await rawCli(['-p', port, 'PING'], { REDISCLI_AUTH: 'pa ss"word' })).stdout).toBe('PONG');
    for (const replica of cluster.replicas()) {
      expect(parseInfo(await cluster.cli(replica, 'INFO', 'replication')).get('master_link_status')).toBe('up');
    }
    expect(cluster.password).toBe('pa ss"word');
  });

  it('migrates keys with MIGRATE ... AUTH', async () => {
    const slot = Number(await cluster.cli(cluster.nodes[0], 'CLUSTER', 'KEYSLOT', '{pw}'));
    const source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    await cluster.cli(source, 'SET', '{pw}', 'x');
    await cluster.moveSlot(slot, target);
    expect(await cluster.cli(target, 'GET', '{pw}')).toBe('x');
    expect(await slotsOwnerPort(cluster, source, slot)).toBe(target.port);
  });
});

describe('ACL users cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({
      password: 'default-pw',
      users: [
        { username: 'alice', password: 'alice-pw' },
        { username: 'reader', password: 'reader-pw', rules: 'on ~* +@read +@connection' },
      ],
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates the users with their rules; the harness keeps its own admin account', async () => {
    const port = String(cluster.nodes[0].port);
    const alice = await rawCli(['-p', port, '--user', 'alice', 'ACL', 'WHOAMI'], { REDISCLI_AUTH: 'alice-pw' });
    expect(alice.stdout).toBe('alice');
    // ACLs are checked before slot routing, so any node answers NOPERM whoever owns `k`.
    const reader = await rawCli(['-p', port, '--user', 'reader', 'SET', 'k', 'v'], { REDISCLI_AUTH: 'reader-pw' });
    expect(reader.stderr).toMatch(/NOPERM/);
    const wrong = await rawCli(['-p', port, '--user', 'alice', 'PING'], { REDISCLI_AUTH: 'nope' });
    expect(wrong.stderr).toMatch(/WRONGPASS/);
    expect(wrong.stdout).not.toBe('PONG');
    expect(cluster.users.map((user) => user.username)).toEqual(['alice', 'reader']);
    expect(await cluster.cli(cluster.nodes[0], 'ACL', 'WHOAMI')).toBe('hashslot-admin');
  });

  it('keeps working after a test disables the default user, and migrates with MIGRATE ... AUTH2', async () => {
    await Promise.all(cluster.nodes.map((node) => cluster.cli(node, 'ACL', 'SETUSER', 'default', 'off')));
    const slot = Number(await cluster.cli(cluster.nodes[0], 'CLUSTER', 'KEYSLOT', '{acl}'));
    const source = await cluster.slotOwner(slot);
    const target = cluster.masters().find((node) => node.id !== source.id)!;
    await cluster.cli(source, 'SET', '{acl}', 'x');
    await cluster.moveSlot(slot, target);
    expect(await cluster.cli(target, 'GET', '{acl}')).toBe('x');
    await cluster.waitForHealthy();
  });
});

describe('startServer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ tls: true, users: [{ username: 'app', password: 'app-pw' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is a standalone TLS server with the ACL user', async () => {
    const tls = server.tls!;
    expect(parseInfo(await server.cli('INFO', 'cluster')).get('cluster_enabled')).toBe('0');
    const app = await rawCli(['-p', String(server.port), '--tls', '--cacert', tls.caFile, '--user', 'app', 'PING'], { REDISCLI_AUTH: 'app-pw' });
    expect(app.stdout).toBe('PONG');
    const wrong = await rawCli(['-p', String(server.port), '--tls', '--cacert', tls.caFile, '--user', 'app', 'PING'], { REDISCLI_AUTH: 'nope' });
    // redis-cli reports the failed AUTH and goes on as `default`, which is open here.
    expect(wrong.stderr).toMatch(/WRONGPASS/);
    // Without `password` the default user stays open: users are added, nothing is taken away.
    expect(await tlsPing(server.port, tls.ca, 'localhost')).toBe('+PONG\r\n');
  });

  it('pause makes it unresponsive, resume brings it back', async () => {
    await server.pause();
    await expect(server.cliWith({ timeoutMs: 400 }, 'PING')).rejects.toMatchObject({ timedOut: true });
    await server.resume();
    expect(await server.cli('PING')).toBe('PONG');
  });

  it('kill ends the process; restart brings it back on the same port, empty', async () => {
    await server.cli('SET', 'k', 'v');
    const { pid, port } = server;
    await server.kill();
    expect(isProcessAlive(pid)).toBe(false);
    expect(server.status).toBe('stopped');
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await server.cli('PING')).toBe('PONG');
    expect(await server.cli('EXISTS', 'k')).toBe('0');
  });

  it('stop removes everything', async () => {
    const { pid, dir } = server;
    await server.stop();
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
