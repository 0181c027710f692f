/**
 * The timed part: each contender parses each whole stream, in an order that rotates every round
 * so that none always runs first (cold caches) or right after the heaviest allocator.
 */
import { rotate } from '../stats.js';
import type { Contender } from './peers.js';
import type { RespStream } from './streams.js';
import { tallyOf, talliesFor, type Tally, type Tallies } from './tally.js';

/** Untimed rounds per stream, the usual `warmupRounds` (see the loop in `measure`). */
export const WARMUP_ROUNDS = 2;

export interface StreamTimings {
  readonly stream: RespStream;
  /** Wall time of each timed run in ms, by contender name, warm-up excluded. */
  readonly timesMs: ReadonlyMap<string, readonly number[]>;
}

export interface MeasureOptions {
  /** Timed rounds; each runs every contender once. */
  readonly rounds: number;
  /** Untimed rounds before them, in the same rotating order. */
  readonly warmupRounds: number;
  /** Called before each round, warm-ups included (numbered from 1 - warmupRounds). */
  readonly onRound?: (stream: RespStream, round: number) => void;
  /** The contenders' reply sinks; pass the self-check's so each parser sees one callback. */
  readonly tallies?: Tallies;
}

export function measure(
  contenders: readonly Contender[],
  streams: readonly RespStream[],
  options: MeasureOptions,
): StreamTimings[] {
  const tallies = options.tallies ?? talliesFor(contenders);
  const results: StreamTimings[] = [];
  for (const stream of streams) {
    const timesMs = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]));
    // Warm-up rounds (round <= 0) let each parser's code settle for this kind of reply: the
    // first two runs of a stream measured up to 3x slower than the rest.
    for (let round = 1 - options.warmupRounds; round <= options.rounds; round++) {
      options.onRound?.(stream, round);
      for (const contender of rotate(contenders, round)) {
        const elapsed = timeRun(contender, stream, tallyOf(tallies, contender));
        if (round > 0) timesMs.get(contender.name)?.push(elapsed);
      }
    }
    results.push({ stream, timesMs });
  }
  return results;
}

/** One timed parse of the whole stream, in ms. */
function timeRun(contender: Contender, stream: RespStream, tally: Tally): number {
  tally.reset();
  // No forced GC between runs: each run's garbage is young and is swept by scavenges inside
  // the runs, which rotation spreads evenly, while a full GC deoptimised the parsers' code.
  const start = performance.now();
  contender.parse(stream.chunks, tally.sink);
  const elapsed = performance.now() - start;
  if (tally.count !== stream.replyCount || Number.isNaN(tally.touched)) {
    throw new Error(`${contender.name} delivered ${tally.count} replies of ${stream.name}, expected ${stream.replyCount}`);
  }
  return elapsed;
}
