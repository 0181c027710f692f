/** Turns timings into rates, ratios and target verdicts. */
import { median, relativeSpread } from '../stats.js';
import type { StreamTimings } from './measure.js';

/** The peer the targets are set against: the parser ioredis used for years. */
export const TARGET_PEER = 'redis-parser';

/** Least throughput of ours over TARGET_PEER's, by stream name. */
export const TARGETS: Readonly<Record<string, number>> = {
  statuses: 1.3,
  integers: 1.0,
  'bulk-64': 1.3,
  'arrays-10x8': 1.3,
  'bulk-16k': 1.0,
};

export interface ContenderSummary {
  readonly name: string;
  readonly medianMs: number;
  readonly repliesPerSecond: number;
  /** Megabytes (10^6 bytes) of RESP per second. */
  readonly megabytesPerSecond: number;
  /** (slowest - fastest) / median of the timed runs. */
  readonly spread: number;
  readonly timesMs: readonly number[];
}

export interface TargetVerdict {
  readonly peer: string;
  readonly minimum: number;
  readonly ratio: number;
  readonly met: boolean;
}

export interface StreamSummary {
  readonly stream: string;
  readonly description: string;
  readonly bytes: number;
  readonly replies: number;
  readonly chunks: number;
  /** Ours first, then the peers in the order they were given. */
  readonly contenders: readonly ContenderSummary[];
  /** Our throughput over each peer's (their median time over ours), by peer name. */
  readonly ratios: Readonly<Record<string, number>>;
  readonly target: TargetVerdict | undefined;
}

export function summarize(timings: readonly StreamTimings[], ours: string): StreamSummary[] {
  return timings.map(({ stream, timesMs }) => {
    const contenders = [...timesMs].map(([name, times]): ContenderSummary => {
      const medianMs = median(times);
      return {
        name,
        medianMs,
        repliesPerSecond: stream.replyCount / (medianMs / 1000),
        megabytesPerSecond: stream.bytes.length / 1e6 / (medianMs / 1000),
        spread: relativeSpread(times),
        timesMs: times,
      };
    });
    const our = contenders.find((contender) => contender.name === ours);
    if (our === undefined) throw new Error(`no timings of ${ours}`);
    const ratios: Record<string, number> = {};
    for (const peer of contenders) if (peer !== our) ratios[peer.name] = peer.medianMs / our.medianMs;
    const minimum = TARGETS[stream.name];
    const ratio = ratios[TARGET_PEER];
    const target =
      minimum === undefined || ratio === undefined
        ? undefined
        : { peer: TARGET_PEER, minimum, ratio, met: ratio >= minimum };
    return {
      stream: stream.name,
      description: stream.description,
      bytes: stream.bytes.length,
      replies: stream.replyCount,
      chunks: stream.chunks.length,
      contenders,
      ratios,
      target,
    };
  });
}
