import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeStartError, startCluster, startServer } from '../src/index.js';
import { cliTarget, killProcess, launchNode } from '../src/node-launcher.js';
import { redisCli } from '../src/redis-cli.js';
import { PortAllocator } from '../src/ports.js';
import { createRun } from '../src/run.js';

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('hashslot-')).sort();
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

describe('startup failures', () => {
  it('a missing redis-server binary is a NodeStartError naming it, and nothing is left behind', async () => {
    const before = runDirs();
    const error = await startServer({ redisServerBin: '/nonexistent/redis-server' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStartError);
    expect((error as Error).message).toContain('/nonexistent/redis-server');
    expect(runDirs()).toEqual(before);
  });

  it('a config the server rejects fails with what the server printed', async () => {
    const before = runDirs();
    const error = await startCluster({ masters: 1, replicasPerMaster: 0, extraConfig: { 'no-such-directive': 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStartError);
    expect((error as NodeStartError).logTail).toMatch(/Bad directive or wrong number of arguments/);
    expect((error as Error).message).toMatch(/exited during startup \(exit code 1\)/);
    expect(runDirs()).toEqual(before);
  });

  it('a port taken between the check and the bind is retried on fresh ports', async () => {
    const allocator = new PortAllocator();
    const [taken, bus] = [await allocator.next(), await allocator.next()];
    const blocker = await listen(taken);
    const handedOut: number[] = [];
    const run = await createRun({}, 'server');
    const ports = {
      // First the occupied port, as if another process had grabbed it; then real free ones.
      next: async (): Promise<number> => {
        const port = handedOut.length === 0 ? taken : handedOut.length === 1 ? bus : await allocator.next();
        handedOut.push(port);
        return port;
      },
    };
    try {
      const node = await launchNode({ ...run, ports }, 'n0', { nodeTimeoutMs: 1000 });
      expect(node.port).not.toBe(taken);
      expect(handedOut).toHaveLength(4);
      expect(readFileSync(join(node.dir, 'redis.log'), 'utf8')).toMatch(/Address already in use/);
      await killProcess(node.proc, 'n0');
    } finally {
      blocker.close();
      run.cleanup.killAllSync();
    }
    expect(existsSync(run.runDir)).toBe(false);
  });

  it('a port already served by another redis-server does not count as our node being ready', async () => {
    // Another server answers PING on the port our node is handed first; ours dies of EADDRINUSE.
    const other = await startServer();
    const allocator = new PortAllocator();
    const handedOut: number[] = [];
    const run = await createRun({}, 'server');
    const ports = {
      next: async (): Promise<number> => {
        const port = handedOut.length === 0 ? other.port : await allocator.next();
        handedOut.push(port);
        return port;
      },
    };
    try {
      const node = await launchNode({ ...run, ports }, 'n0', { nodeTimeoutMs: 1000 });
      // Retried on fresh ports, and what answers there is our own child.
      expect(node.port).not.toBe(other.port);
      const info = await redisCli(cliTarget(run, node.port), ['INFO', 'server']);
      expect(info).toContain(`process_id:${node.proc.pid}`);
      await killProcess(node.proc, 'n0');
    } finally {
      run.cleanup.killAllSync();
      await other.stop();
    }
  });
});
