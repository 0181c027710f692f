/**
 * Checks shared by the scenarios of fault matrix 7 to 15: how long a command may take past its
 * timeout, which error kinds a scenario may show, and how many requests the nodes received.
 */
import { expect } from 'vitest';
import type { ClusterNode, Endpoint, TestCluster } from '@hashslot/test-cluster';
import { RedisError, type RedisCluster } from '@hashslot/cluster';
import { commandStats } from './cluster-tool.js';
import { verify, type LoadReport, type Verdict } from './load.js';

/**
 * How far past its timeout a command may settle: timers and the replies that end a command are
 * late by the event loop's delay, which on two shared cores running six servers is not 0.
 */
export const SETTLE_MARGIN_MS = 1_000;

/**
 * The load's invariants where the server loses nothing (no automatic failover): no acknowledged
 * write lost, nothing repeated, reordered or made up, every read its own value, and every
 * command settled within `timeoutMs` (plus the margin).
 */
export async function expectSound(client: RedisCluster, report: LoadReport, timeoutMs: number): Promise<Verdict> {
  const verdict = await verify(client, report);
  expect(verdict, verdict.details.join('\n')).toMatchObject({ lostAcknowledged: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 });
  expect(report.wrongReads).toBe(0);
  expect(report.slowestMs).toBeLessThanOrEqual(timeoutMs + SETTLE_MARGIN_MS);
  return verdict;
}

/** Every error kind the load saw is one of `allowed` (kinds as `errorKind` names them). */
export function expectErrorKinds(report: LoadReport, allowed: readonly string[]): void {
  const unexpected = Object.keys(report.errors).filter((kind) => !allowed.includes(kind));
  expect(unexpected, JSON.stringify(report.errors)).toEqual([]);
}

/** Errors of the load, all kinds together. */
export function errorCount(report: LoadReport): number {
  return Object.values(report.errors).reduce((sum, count) => sum + count, 0);
}

/** How a promise ended, with the time it took: for commands whose error and timing are the point. */
export async function timed<T>(work: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await work;
    return { value, ms: performance.now() - started };
  } catch (error) {
    expect(error).toBeInstanceOf(RedisError);
    return { error, ms: performance.now() - started };
  }
}

/**
 * Requests the nodes received for these commands, run or refused before running (a redirection,
 * CLUSTERDOWN): `calls` plus `rejected_calls` of `INFO commandstats`, summed over `nodes`, by
 * default the running masters (a replica counts the writes its master replicates to it as calls).
 */
export async function requestsFor(cluster: TestCluster, commands: readonly string[], nodes?: readonly (ClusterNode | Endpoint)[]): Promise<number> {
  const asked = nodes ?? cluster.masters().filter((node) => node.status === 'running');
  const infos = await Promise.all(asked.map((node) => cluster.cli(node, 'INFO', 'commandstats')));
  let total = 0;
  for (const info of infos) {
    for (const command of commands) {
      const stats = commandStats(info, command);
      total += stats.calls + stats.rejected;
    }
  }
  return total;
}

/** `CONFIG SET` of each setting on every running node. */
export async function configureAll(cluster: TestCluster, settings: Readonly<Record<string, string>>): Promise<void> {
  const nodes = cluster.nodes.filter((node) => node.status === 'running');
  await Promise.all(nodes.map((node) => cluster.cli(node, 'CONFIG', 'SET', ...Object.entries(settings).flat())));
}

/** A field of `CLUSTER INFO` on one node. */
export async function clusterInfo(cluster: TestCluster, node: ClusterNode | Endpoint, field: string): Promise<string> {
  const info = await cluster.cli(node, 'CLUSTER', 'INFO');
  return new RegExp(`^${field}:(\\S*)`, 'm').exec(info)?.[1] ?? '';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
