/**
 * RESP2 parser benchmark: hashslot's parser against redis-parser (ioredis until v5) and the
 * node-redis decoder (ioredis 6), on streams of one reply kind each.
 *
 *   node bench/dist/resp.js [--rounds N] [--quick] [--json] [--streams a,b]
 *
 * Prints a markdown report to stdout (progress goes to stderr); `--json` also writes the raw
 * timings to bench/results/resp-latest.json.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selfCheck } from './resp/check.js';
import { WARMUP_ROUNDS, measure } from './resp/measure.js';
import { CONTENDERS, HASHSLOT } from './resp/peers.js';
import { markdownReport, writeJsonReport, type RunInfo } from './resp/report.js';
import { CHUNK_SIZE, generateStream, QUICK_STREAM_BYTES, STREAM_BYTES, STREAM_KINDS } from './resp/streams.js';
import { summarize } from './resp/summary.js';
import { talliesFor } from './resp/tally.js';

const ROUNDS = 7;
const QUICK_ROUNDS = 3;

const RESULTS_FILE = new URL('../results/resp-latest.json', import.meta.url);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      streams: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node bench/dist/resp.js [--rounds N] [--quick] [--json] [--streams ' +
        `${STREAM_KINDS.map((kind) => kind.name).join(',')}]\n`,
    );
    return;
  }
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? QUICK_ROUNDS : ROUNDS) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, not ${values.rounds}`);
  const wanted = values.streams?.split(',') ?? STREAM_KINDS.map((kind) => kind.name);
  const unknown = wanted.filter((name) => !STREAM_KINDS.some((kind) => kind.name === name));
  if (unknown.length > 0) throw new Error(`unknown stream ${unknown.join(', ')}`);

  // Taken before the run: a machine already busy is the usual reason for a wide run spread.
  const loadAverage = loadavg()[0];
  const streamBytes = quick ? QUICK_STREAM_BYTES : STREAM_BYTES;
  const streams = STREAM_KINDS.filter((kind) => wanted.includes(kind.name)).map((kind) =>
    generateStream(kind, streamBytes),
  );
  progress(`self-check of ${CONTENDERS.length} parsers on ${streams.map((stream) => `${stream.name} (${mib(stream.bytes.length)})`).join(', ')}`);
  const tallies = talliesFor(CONTENDERS);
  selfCheck(CONTENDERS, streams, tallies);

  const timings = measure(CONTENDERS, streams, {
    rounds,
    tallies,
    warmupRounds: WARMUP_ROUNDS,
    onRound: (stream, round) =>
      progress(
        `${stream.name}: ${round <= 0 ? `warm-up ${round + WARMUP_ROUNDS}/${WARMUP_ROUNDS}` : `round ${round}/${rounds}`}`,
      ),
  });
  const summaries = summarize(timings, HASHSLOT.name);
  const info: RunInfo = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    loadAverage,
    rounds,
    warmupRounds: WARMUP_ROUNDS,
    quick,
    chunkSize: CHUNK_SIZE,
    packages: CONTENDERS.map((contender) => contender.package),
  };
  process.stdout.write(`${markdownReport(summaries, info)}\n`);
  if (values.json) {
    await writeJsonReport(summaries, info, RESULTS_FILE);
    progress(`raw data written to ${RESULTS_FILE.pathname}`);
  }
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
