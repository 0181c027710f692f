/** The timing loops the cluster workloads share. */
import { rotate } from '../stats.js';
import type { ExtraColumn, Role, Sample } from './results.js';

/** The report columns of `LatencyRecorder.percentiles()`. */
export const LATENCY_COLUMNS: readonly ExtraColumn[] = [
  { key: 'p50Ms', label: 'p50 ms' },
  { key: 'p99Ms', label: 'p99 ms' },
];

/**
 * Latencies of individual commands, kept in one preallocated array: pushing to a growing JS
 * array in the timed loop would add allocation to what is measured. Past its capacity the
 * recorder keeps counting but samples no more.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    if (this.count < this.samples.length) this.samples[this.count] = milliseconds;
    this.count++;
  }

  percentiles(): { p50Ms: number; p99Ms: number } {
    return { p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99) };
  }

  /** The `fraction` quantile (0.5, 0.99) of what was recorded, nearest rank. */
  quantile(fraction: number): number {
    const recorded = this.samples.subarray(0, Math.min(this.count, this.samples.length)).slice().sort();
    if (recorded.length === 0) return Number.NaN;
    return recorded[Math.min(recorded.length - 1, Math.ceil(fraction * recorded.length) - 1)];
  }
}

/**
 * Runs `callers` concurrent loops of `step` for `durationMs`; the operations done per second.
 * `step` returns how many operations it did.
 */
export async function callersFor(callers: number, durationMs: number, step: (caller: number) => Promise<number>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < deadline) {
        // Not `done += await step()`: that reads `done` before the await and drops every
        // other caller's count made meanwhile.
        const operations = await step(caller);
        done += operations;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

export interface Contender {
  readonly name: string;
  readonly role: Role;
  /** One timed run. */
  measure(): Promise<Sample>;
  /** An untimed run first, for JIT and connections; default: `measure` once, result dropped. */
  warmUp?(): Promise<void>;
}

/**
 * Every contender once per round, in an order rotated each round so that none always runs
 * first or right after the heaviest; after one warm-up each.
 */
export async function alternate(
  contenders: readonly Contender[],
  rounds: number,
  onRun: (contender: Contender, round: number) => void,
): Promise<Map<string, { role: Role; runs: Sample[] }>> {
  const samples = new Map(contenders.map((contender) => [contender.name, { role: contender.role, runs: [] as Sample[] }]));
  for (const contender of contenders) {
    onRun(contender, 0);
    if (contender.warmUp !== undefined) await contender.warmUp();
    else await contender.measure();
  }
  for (let round = 1; round <= rounds; round++) {
    for (const contender of rotate(contenders, round - 1)) {
      onRun(contender, round);
      samples.get(contender.name)?.runs.push(await contender.measure());
    }
  }
  return samples;
}
