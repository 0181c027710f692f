/** What a run produces: the JSON beside the report holds exactly these shapes. */
import { median, relativeSpread } from '../stats.js';

/** `ours` is hashslot; `peer` a client users would pick instead; `reference` a yardstick (C). */
export type Role = 'ours' | 'peer' | 'reference';

export interface ContenderResult {
  readonly name: string;
  readonly role: Role;
  /** Median of `samples`, in the workload's unit. */
  readonly value: number;
  readonly samples: readonly number[];
  /** (max - min) / median of `samples`; a margin smaller than it is noise. */
  readonly spread: number;
  /** Secondary measures (latency percentiles, per-stream rates), medians over the rounds. */
  readonly extras: Readonly<Record<string, number>>;
}

export interface ExtraColumn {
  readonly key: string;
  readonly label: string;
}

export interface WorkloadResult {
  readonly id: WorkloadId;
  readonly title: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** How it was measured, for the report. */
  readonly method: string;
  readonly contenders: readonly ContenderResult[];
  readonly extraColumns: readonly ExtraColumn[];
  readonly bestPeer: string;
  /** Ours against the best peer, oriented so that above 1 means ours is better. */
  readonly ratio: number;
  /** The least `ratio` the project aims for, when it has set one. */
  readonly target?: number;
}

export type WorkloadId = 'concurrent' | 'pipeline' | 'mget' | 'replica-reads' | 'resp' | 'memory';

export interface RunInfo {
  readonly date: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly node: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly loadAverage: number;
  readonly redisServer: string;
  readonly packages: readonly string[];
  readonly durationSeconds: number;
}

export interface SuiteResult {
  readonly info: RunInfo;
  readonly workloads: readonly WorkloadResult[];
}

/** A contender's raw rounds; `extras` per round, summarised by median like the values. */
export interface Sample {
  readonly value: number;
  readonly extras?: Readonly<Record<string, number>>;
}

/**
 * Medians per contender, the best peer, and ours against it. `better` orients the ratio: a
 * throughput is better higher, a memory figure lower.
 */
export function summarise(
  workload: Omit<WorkloadResult, 'contenders' | 'bestPeer' | 'ratio'>,
  samples: ReadonlyMap<string, { readonly role: Role; readonly runs: readonly Sample[] }>,
): WorkloadResult {
  const contenders = [...samples].map(([name, { role, runs }]): ContenderResult => {
    if (runs.length === 0) throw new Error(`${workload.title}: ${name} produced no sample`);
    const values = runs.map((run) => run.value);
    const extraKeys = new Set(runs.flatMap((run) => Object.keys(run.extras ?? {})));
    const extras: Record<string, number> = {};
    for (const key of extraKeys) extras[key] = median(runs.flatMap((run) => (run.extras?.[key] === undefined ? [] : [run.extras[key]])));
    return { name, role, value: median(values), samples: values, spread: relativeSpread(values), extras };
  });
  const ours = contenders.find((contender) => contender.role === 'ours');
  const peers = contenders.filter((contender) => contender.role === 'peer');
  if (ours === undefined || peers.length === 0) throw new Error(`${workload.title}: needs ours and at least one peer`);
  const best = peers.reduce((a, b) => (workload.higherIsBetter ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
  return {
    ...workload,
    contenders,
    bestPeer: best.name,
    ratio: relative(workload.higherIsBetter, ours.value, best.value),
  };
}

/** `value` against `baseline`, above 1 when `value` is the better one. */
export function relative(higherIsBetter: boolean, value: number, baseline: number): number {
  return higherIsBetter ? value / baseline : baseline / value;
}
