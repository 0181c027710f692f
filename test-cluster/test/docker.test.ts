import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerUnavailableError, dockerAvailable, isProcessAlive, parseInfo, startCluster, waitFor } from '../src/index.js';
import type { TestCluster } from '../src/index.js';

const docker = await dockerAvailable();
const reason = docker === true ? 'an engine answers' : docker;

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('hashslot-')).sort();
}

// reason: these need a Docker engine with host networking; where none answers they are skipped, and say why.
describe.skipIf(docker !== true)(`docker backend (skipped without a Docker engine; reason: ${reason})`, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ backend: 'docker', masters: 3, replicasPerMaster: 1 });
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('boots a healthy cluster of containers', async () => {
    expect(cluster.backend).toBe('docker');
    for (const node of cluster.nodes) {
      expect(parseInfo(await cluster.cli(node, 'CLUSTER', 'INFO')).get('cluster_state')).toBe('ok');
    }
  });

  it('kill stops the container; its replica is promoted; restart rejoins', async () => {
    const master = cluster.masters()[0];
    const replica = cluster.replicasOf(master)[0];
    await cluster.kill(master);
    expect(isProcessAlive(master.pid)).toBe(false);
    await waitFor(async () => (await cluster.refreshNodes()).find((n) => n.id === replica.id)?.role === 'master', {
      timeoutMs: 20_000, description: 'promotion',
    });
    const back = await cluster.restart(master);
    expect(back).toMatchObject({ id: master.id, role: 'replica', masterId: replica.id });
  });

  it('pause freezes the container and resume thaws it', async () => {
    const node = cluster.replicas()[0];
    await cluster.pause(node);
    await expect(cluster.cliWith(node, { timeoutMs: 500 }, 'PING')).rejects.toMatchObject({ timedOut: true });
    await cluster.resume(node);
    expect(await cluster.cli(node, 'PING')).toBe('PONG');
  });
});

describe.skipIf(docker === true)('docker backend where no engine answers', () => {
  it('dockerAvailable() says why instead of throwing', () => {
    expect(typeof docker).toBe('string');
    expect(String(docker).length).toBeGreaterThan(10);
  });

  it('startCluster refuses with DockerUnavailableError and leaves no run dir behind', async () => {
    const before = runDirs();
    const error = await startCluster({ backend: 'docker' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as DockerUnavailableError).reason).toBe(docker);
    expect(runDirs()).toEqual(before);
  });

  it('TEST_CLUSTER_BACKEND=docker selects the docker backend', async () => {
    const previous = process.env.TEST_CLUSTER_BACKEND;
    process.env.TEST_CLUSTER_BACKEND = 'docker';
    try {
      await expect(startCluster()).rejects.toBeInstanceOf(DockerUnavailableError);
    } finally {
      if (previous === undefined) delete process.env.TEST_CLUSTER_BACKEND;
      else process.env.TEST_CLUSTER_BACKEND = previous;
    }
  });
});

describe('backend selection', () => {
  it('rejects an unknown TEST_CLUSTER_BACKEND value by name', async () => {
    const previous = process.env.TEST_CLUSTER_BACKEND;
    process.env.TEST_CLUSTER_BACKEND = 'kubernetes';
    try {
      await expect(startCluster()).rejects.toThrow(/unknown test-cluster backend "kubernetes"/);
    } finally {
      if (previous === undefined) delete process.env.TEST_CLUSTER_BACKEND;
      else process.env.TEST_CLUSTER_BACKEND = previous;
    }
  });
});
