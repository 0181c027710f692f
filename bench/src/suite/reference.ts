/** redis-benchmark --cluster: the C client, the yardstick of what the servers can take. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Endpoint } from './drivers/index.js';

const execFileAsync = promisify(execFile);

export const REFERENCE_NAME = 'redis-benchmark (C)';

export interface BenchmarkRow {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface BenchmarkRun {
  /** `-t` tests, e.g. `set,get`. */
  readonly tests: string;
  readonly clients: number;
  readonly requests: number;
  readonly pipeline?: number;
  readonly valueBytes?: number;
}

/** One redis-benchmark run; its CSV rows by test name (upper case, as it prints them). */
export async function redisBenchmark(node: Endpoint, run: BenchmarkRun): Promise<Map<string, BenchmarkRow>> {
  const args = [
    '--cluster', '-h', node.host, '-p', String(node.port),
    '-t', run.tests, '-c', String(run.clients), '-n', String(run.requests),
    '-P', String(run.pipeline ?? 1), '-d', String(run.valueBytes ?? 64),
    // Random keys over the same key space size as the Node workloads.
    '-r', '100000', '--csv',
  ];
  const { stdout } = await execFileAsync('redis-benchmark', args, { timeout: 120_000 });
  const rows = new Map<string, BenchmarkRow>();
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
    if (cells.length < 7 || cells[0] === 'test') continue;
    rows.set(cells[0], { requestsPerSecond: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) });
  }
  for (const test of run.tests.toUpperCase().split(',')) {
    const row = rows.get(test);
    if (row === undefined || !(row.requestsPerSecond > 0)) throw new Error(`redis-benchmark gave no ${test} figure: ${stdout}`);
  }
  return rows;
}

export async function redisServerVersion(): Promise<string> {
  const { stdout } = await execFileAsync('redis-server', ['--version']);
  return /v=(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
}
