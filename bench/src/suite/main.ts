/**
 * `pnpm bench`: hashslot against the clients users would pick instead, on one cluster it boots
 * (3 masters, 3 replicas), every workload in one run.
 *
 *   node bench/dist/suite/main.js [--quick] [--rounds N] [--only concurrent,mget,...] [--out DIR]
 *
 * Writes latest.md, latest.json and latest.svg to bench/results (a --quick run writes quick.* so
 * that a smoke run never replaces the committed figures), and prints the markdown.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from '@hashslot/test-cluster';
import { svgChart } from './chart.js';
import type { SuiteContext } from './context.js';
import { CLIENTS, type ClientId, type Driver } from './drivers/index.js';
import { Progress } from './progress.js';
import { REFERENCE_NAME, redisServerVersion } from './reference.js';
import { markdownReport } from './report.js';
import type { SuiteResult, WorkloadId, WorkloadResult } from './results.js';
import { concurrent } from './workloads/concurrent.js';
import { memory } from './workloads/memory.js';
import { mget } from './workloads/mget.js';
import { pipelines } from './workloads/pipeline.js';
import { replicaReads } from './workloads/replica-reads.js';
import { respParsing } from './workloads/resp.js';

const WORKLOADS: readonly { id: WorkloadId; run(context: SuiteContext): Promise<WorkloadResult> }[] = [
  { id: 'concurrent', run: concurrent },
  { id: 'pipeline', run: pipelines },
  { id: 'mget', run: mget },
  { id: 'replica-reads', run: replicaReads },
  { id: 'resp', run: respParsing },
  { id: 'memory', run: memory },
];

const DEFAULT_OUT = fileURLToPath(new URL('../../results', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: pnpm bench [--quick] [--rounds N] [--only ${WORKLOADS.map((workload) => workload.id).join(',')}] [--out DIR]\n`);
    return;
  }
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? 2 : 5) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, not ${values.rounds}`);
  const wanted = values.only?.split(',') ?? WORKLOADS.map((workload) => workload.id);
  const unknown = wanted.filter((id) => !WORKLOADS.some((workload) => workload.id === id));
  if (unknown.length > 0) throw new Error(`--only: unknown workload ${unknown.join(', ')}`);
  const outDir = resolve(values.out ?? DEFAULT_OUT);
  const stem = quick ? 'quick' : 'latest';

  const started = performance.now();
  const loadAverage = loadavg()[0];
  const progress = new Progress(process.stderr);
  progress.update('booting a cluster (3 masters, 3 replicas)');
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  const drivers = new Map<ClientId, Driver>();
  const workloads: WorkloadResult[] = [];
  try {
    const startupNodes = cluster.startupNodes.map(({ host, port }) => ({ host, port }));
    for (const client of CLIENTS) drivers.set(client.id, await (await client.load())(startupNodes));
    const context: SuiteContext = {
      cluster,
      startupNodes,
      quick,
      rounds,
      durationMs: quick ? 300 : 2000,
      drivers,
      clientNames: new Map(CLIENTS.map((client) => [client.id, client.name])),
      progress: (message) => progress.update(message),
    };
    for (const workload of WORKLOADS.filter((candidate) => wanted.includes(candidate.id))) {
      workloads.push(await workload.run(context));
    }
  } finally {
    await Promise.all([...drivers.values()].map((driver) => driver.close()));
    await cluster.stop();
    progress.done();
  }

  const result: SuiteResult = {
    info: {
      date: new Date().toISOString(),
      quick,
      rounds,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cpus: cpus().length,
      loadAverage,
      redisServer: await redisServerVersion(),
      packages: [...new Set(CLIENTS.map((client) => client.package)), REFERENCE_NAME],
      durationSeconds: (performance.now() - started) / 1000,
    },
    workloads,
  };
  const markdown = markdownReport(result, `${stem}.svg`);
  await mkdir(outDir, { recursive: true });
  await writeWhole(join(outDir, `${stem}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeWhole(join(outDir, `${stem}.svg`), svgChart(result));
  await writeWhole(join(outDir, `${stem}.md`), markdown);
  process.stdout.write(markdown);
  process.stderr.write(`written to ${join(outDir, `${stem}.{md,json,svg}`)}\n`);
}

/** Through a temporary file, so that a failed run never leaves half a report. */
async function writeWhole(file: string, content: string): Promise<void> {
  await writeFile(`${file}.tmp`, content);
  await rename(`${file}.tmp`, file);
}

main().catch((error: unknown) => {
  process.stderr.write(`\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
