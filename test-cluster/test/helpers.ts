import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { isProcessAlive, waitFor } from '../src/index.js';
import type { TestCluster } from '../src/index.js';

const execFileAsync = promisify(execFile);

/** redis-cli as a client would run it, with explicit flags (no harness credentials). */
export async function rawCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync('redis-cli', ['-e', '--no-auth-warning', ...args], {
      env: { PATH: process.env.PATH, ...env },
      timeout: 10_000,
    });
    return { stdout: stdout.trim(), stderr: stderr.trim(), code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: (failed.stdout ?? '').trim(), stderr: (failed.stderr ?? '').trim(), code: failed.code ?? -1 };
  }
}

/** Waits (briefly) until none of the pids is alive and the dir is gone; fails the test otherwise. */
export async function expectGone(pids: readonly number[], dir: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => pids.every((pid) => !isProcessAlive(pid)) && !existsSync(dir), {
    timeoutMs,
    description: `pids ${pids.join(',')} and ${dir} to be gone`,
  }).catch(() => undefined);
  expect(pids.filter((pid) => isProcessAlive(pid))).toEqual([]);
  expect(existsSync(dir)).toBe(false);
}

/** Node ids each running node lists in CLUSTER NODES. */
export async function knownIds(cluster: TestCluster): Promise<string[][]> {
  const running = cluster.nodes.filter((node) => node.status === 'running');
  return Promise.all(running.map(async (node) =>
    (await cluster.cli(node, 'CLUSTER', 'NODES')).split('\n').map((line) => line.split(' ')[0]).sort()));
}

/** Which port serves `slot` according to CLUSTER SLOTS on `node`. */
export async function slotsOwnerPort(cluster: TestCluster, node: Parameters<TestCluster['cli']>[0], slot: number): Promise<number | undefined> {
  const slots = (await cluster.cliJson(node, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  return slots.find(([start, end]) => slot >= start && slot <= end)?.[2][1];
}
