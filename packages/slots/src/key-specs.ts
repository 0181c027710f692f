import type { CommandArgument } from '@hashslot/resp';
import { isKeyword, parseCount } from './command-arguments.js';
import type { KeySpec } from './command-info.js';

/**
 * The key-spec interpreter: which arguments one key spec selects.
 * https://redis.io/docs/latest/develop/reference/key-specs/
 *
 * Where the page leaves a detail open, this follows what redis-server 7.0 does in
 * `getKeysUsingKeySpecs` (src/db.c), because the test compares with its COMMAND GETKEYS:
 * - a keyword search never looks at the last argument when searching forwards (nothing could
 *   follow it), nor at argument 1 when searching backwards;
 * - a keyword that is absent skips the spec (optional clauses like GEORADIUS ... STORE);
 * - with `limit`, the last key is `first + (remaining / limit) - 1`, remaining = arguments from
 *   the first key on, divided as integers;
 * - a spec whose keys would start or end outside the arguments, end before they start (numkeys
 *   0), or whose numkeys is not a non-negative integer, cannot be applied: the server then drops
 *   every spec's keys and uses its command-specific key finder, which finds none in such an
 *   invocation (the command itself is refused with a syntax error wherever it runs);
 * - an `incomplete` spec that applies also counts as not applicable, after its keys are known.
 */

/** The keys one spec selects: arguments `first`, `first + step` ... up to `last`, all present. */
export interface KeyRange {
  first: number;
  last: number;
  step: number;
}

/** The spec selected the arguments in the range. */
export const SPEC_APPLIED = 0;
/** The spec's keyword is absent: it selects nothing, and the other specs still count. */
export const SPEC_SKIPPED = 1;
/** The spec cannot be applied to these arguments: no spec of the command counts. */
export const SPEC_INVALID = 2;

export type SpecOutcome = typeof SPEC_APPLIED | typeof SPEC_SKIPPED | typeof SPEC_INVALID;

/**
 * Applies one key spec to a command's arguments (`args[0]` is the command name). On
 * `SPEC_APPLIED`, `range` holds the keys; it is an out-parameter so that routing a command does
 * not allocate a result per spec.
 */
export function resolveKeySpec(spec: KeySpec, args: readonly CommandArgument[], range: KeyRange): SpecOutcome {
  const argc = args.length;
  let first: number;
  const begin = spec.beginSearch;
  if (begin.type === 'index') {
    first = begin.index;
  } else if (begin.type === 'keyword') {
    first = findAfterKeyword(args, begin.keyword, begin.startFrom);
    if (first === -1) return SPEC_SKIPPED;
  } else {
    return SPEC_INVALID;
  }

  let last: number;
  let step: number;
  const find = spec.findKeys;
  if (find.type === 'range') {
    step = find.keyStep;
    if (find.lastKey >= 0) last = first + find.lastKey;
    else if (find.limit === 0) last = argc + find.lastKey;
    else last = first + (Math.trunc((argc - first) / find.limit) + find.lastKey);
  } else if (find.type === 'keynum') {
    step = find.keyStep;
    const countAt = first + find.keyNumIndex;
    if (countAt >= argc) return SPEC_INVALID;
    const count = parseCount(args[countAt]);
    if (count < 0) return SPEC_INVALID;
    first += find.firstKey;
    last = first + count - 1;
  } else {
    return SPEC_INVALID;
  }

  // A step below 1 would never reach `last`; no server sends one, but the loop must end.
  if (first < 1 || first >= argc || last >= argc || last < first || step < 1) return SPEC_INVALID;
  if (spec.incomplete) return SPEC_INVALID;
  range.first = first;
  range.last = last;
  range.step = step;
  return SPEC_APPLIED;
}

/** Index of the argument after `keyword`, or -1 when the keyword is not where the spec looks. */
function findAfterKeyword(args: readonly CommandArgument[], keyword: string, startFrom: number): number {
  const argc = args.length;
  if (startFrom > 0) {
    for (let i = startFrom; i < argc - 1; i++) if (isKeyword(args[i], keyword)) return i + 1;
  } else {
    for (let i = argc + startFrom; i > 1 && i < argc; i--) if (isKeyword(args[i], keyword)) return i + 1;
  }
  return -1;
}
