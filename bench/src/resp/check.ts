/**
 * The self-check that runs before anything is timed: every contender must turn every stream
 * into exactly the expected replies, or the timings would compare different work.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Contender } from './peers.js';
import { EMPTY_HASH, hashReply, preview, toPlain, type PlainReply } from './replies.js';
import { FIRST_REPLIES, type RespStream } from './streams.js';
import { Tally, tallyOf, talliesFor, type Tallies } from './tally.js';

/** What one contender made of one stream. */
export interface Parsed {
  readonly count: number;
  readonly firstReplies: readonly PlainReply[];
  readonly hash: number;
}

/** Parses `chunks` with `contender`, keeping the first replies and a hash of all of them. */
export function parseAll(
  contender: Contender,
  chunks: readonly Buffer[],
  keep = FIRST_REPLIES,
  tally: Tally = new Tally(),
): Parsed {
  let count = 0;
  let hash = EMPTY_HASH;
  const firstReplies: PlainReply[] = [];
  tally.reset();
  tally.tap = (reply) => {
    const plain = toPlain(reply);
    hash = hashReply(hash, plain);
    if (count < keep) firstReplies.push(plain);
    count++;
  };
  try {
    contender.parse(chunks, tally.sink);
  } finally {
    tally.tap = undefined;
  }
  return { count, firstReplies, hash };
}

/** Why `contender` got `stream` wrong, or `undefined` when it got it right. */
export function checkStream(contender: Contender, stream: RespStream, tally?: Tally): string | undefined {
  let parsed: Parsed;
  try {
    parsed = parseAll(contender, stream.chunks, FIRST_REPLIES, tally);
  } catch (error) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  for (let i = 0; i < stream.firstReplies.length; i++) {
    if (!isDeepStrictEqual(parsed.firstReplies[i], stream.firstReplies[i])) {
      return `reply #${i} is ${preview(parsed.firstReplies[i])}, expected ${preview(stream.firstReplies[i])}`;
    }
  }
  if (parsed.count !== stream.replyCount) return `${parsed.count} replies, expected ${stream.replyCount}`;
  if (parsed.hash !== stream.hash) return 'a reply past the first few differs from the expected one (hash mismatch)';
  return undefined;
}

/** @throws Error naming every contender and stream that failed; nothing should be timed then. */
export function selfCheck(
  contenders: readonly Contender[],
  streams: readonly RespStream[],
  tallies: Tallies = talliesFor(contenders),
): void {
  const failures: string[] = [];
  for (const stream of streams) {
    for (const contender of contenders) {
      const failure = checkStream(contender, stream, tallyOf(tallies, contender));
      if (failure !== undefined) failures.push(`${contender.name} on ${stream.name}: ${failure}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`self-check failed, so nothing was timed:\n  - ${failures.join('\n  - ')}`);
  }
}
