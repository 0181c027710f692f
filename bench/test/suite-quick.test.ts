/**
 * `pnpm bench --quick` end to end: it boots its own cluster, runs every workload and writes
 * its three files. Checks that every client produced a figure for every workload, not what
 * the figures are: speed is for the benchmark to report, not for a test to assert.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS } from '../src/suite/drivers/index.js';
import { REFERENCE_NAME } from '../src/suite/reference.js';
import type { SuiteResult, WorkloadId } from '../src/suite/results.js';

const execFileAsync = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/suite/main.js', import.meta.url));

const ALL_WORKLOADS: readonly WorkloadId[] = ['concurrent', 'pipeline', 'mget', 'replica-reads', 'resp', 'memory'];
/** Where redis-benchmark has an equivalent; it cannot read from replicas, parse alone or report a Node heap. */
const WITH_REFERENCE: readonly WorkloadId[] = ['concurrent', 'pipeline', 'mget'];

describe('pnpm bench --quick', () => {
  let out: string;
  let result: SuiteResult;
  let stderr: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'hashslot-bench-'));
    const run = await execFileAsync(process.execPath, [MAIN, '--quick', '--out', out], { timeout: 110_000, maxBuffer: 16 * 2 ** 20 });
    stderr = run.stderr;
    result = JSON.parse(await readFile(join(out, 'quick.json'), 'utf8')) as SuiteResult;
  }, 120_000);

  afterAll(async () => {
    if (out !== undefined) await rm(out, { recursive: true, force: true });
  });

  it('runs every workload', () => {
    expect(result.info.quick).toBe(true);
    expect(result.workloads.map((workload) => workload.id)).toEqual(ALL_WORKLOADS);
  });

  it.each(ALL_WORKLOADS.filter((id) => id !== 'resp'))('%s: a figure from every Node client', (id) => {
    const workload = result.workloads.find((candidate) => candidate.id === id);
    const names = workload?.contenders.map((contender) => contender.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(CLIENTS.map((client) => client.name)));
    expect(names.includes(REFERENCE_NAME)).toBe(WITH_REFERENCE.includes(id));
    for (const contender of workload?.contenders ?? []) {
      expect(contender.samples.length, contender.name).toBeGreaterThan(0);
      expect(contender.value, contender.name).toBeGreaterThan(0);
      expect(Number.isFinite(contender.value), contender.name).toBe(true);
      for (const column of workload?.extraColumns ?? []) {
        expect(Number.isFinite(contender.extras[column.key]), `${contender.name} ${column.key}`).toBe(true);
      }
    }
  });

  it('resp: a figure from every parser on every stream', () => {
    const workload = result.workloads.find((candidate) => candidate.id === 'resp');
    expect(workload?.contenders.map((contender) => contender.role)).toEqual(['ours', 'peer', 'peer']);
    for (const contender of workload?.contenders ?? []) {
      expect(contender.value, contender.name).toBeGreaterThan(0);
      expect(workload?.extraColumns.map((column) => contender.extras[column.key] > 0)).toEqual(workload?.extraColumns.map(() => true));
    }
  });

  it('reads from replicas when each client is told to', () => {
    const workload = result.workloads.find((candidate) => candidate.id === 'replica-reads');
    expect(workload?.contenders.length).toBe(CLIENTS.length);
    for (const contender of workload?.contenders ?? []) {
      // node-redis's useReplicas spreads reads over the master and its replica (half each here).
      expect(contender.extras.replicaShare, contender.name).toBeGreaterThan(contender.name === 'node-redis' ? 0.3 : 0.9);
    }
  });

  it('compares with the best peer and writes the markdown and the chart', async () => {
    for (const workload of result.workloads) {
      expect(workload.contenders.some((contender) => contender.name === workload.bestPeer && contender.role === 'peer')).toBe(true);
      expect(workload.ratio).toBeGreaterThan(0);
    }
    const markdown = await readFile(join(out, 'quick.md'), 'utf8');
    for (const workload of result.workloads) expect(markdown).toContain(`## ${workload.title}`);
    const svg = await readFile(join(out, 'quick.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*height="16"/g)?.length).toBe(result.workloads.reduce((bars, workload) => bars + workload.contenders.length, 0));
  });

  it('shows its progress', () => {
    expect(stderr).toMatch(/booting a cluster/);
    expect(stderr).toMatch(/memory: hashslot, round 1\/1/);
  });
});
