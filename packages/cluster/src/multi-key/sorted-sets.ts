import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { readExact, replaceWith } from './exact.js';
import { isKeyword } from './keys.js';
import { allRead } from './outcome.js';
import { SORTED_SET_SOURCE } from './scripts.js';

export type SortedSetOperation = 'UNION' | 'INTER' | 'DIFF';
export type Aggregate = 'SUM' | 'MIN' | 'MAX';

/** One input: members with their scores (a plain set gives score 1 to each member). */
export interface ScoredSource {
  readonly members: readonly Buffer[];
  readonly scores: readonly number[];
}

export interface Scored {
  member: Buffer;
  score: number;
}

function identity(member: Buffer): string {
  return member.toString('latin1');
}

/** t_zset.c `zunionInterAggregate`, NaN (inf + -inf) made 0 as the server does. */
function aggregateInto(target: number, value: number, aggregate: Aggregate): number {
  switch (aggregate) {
    case 'SUM': {
      const sum = target + value;
      return Number.isNaN(sum) ? 0 : sum;
    }
    case 'MIN':
      return value < target ? value : target;
    case 'MAX':
      return value > target ? value : target;
  }
}

/**
 * ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE computed as t_zset.c does, step for step, so that doubles
 * round the same way: union and intersection visit the inputs from the smallest to the largest
 * (a stable sort, as glibc's qsort is for small arrays), weigh each score (a NaN product, such as
 * inf * 0, becomes 0; in an intersection only for the first input, as on the server) and
 * aggregate in that order; a difference keeps the first input's unweighted scores.
 */
export function combineSortedSets(
  operation: SortedSetOperation,
  sources: readonly ScoredSource[],
  weights: readonly number[],
  aggregate: Aggregate,
): Scored[] {
  if (operation === 'DIFF') {
    const removed = new Set(sources.slice(1).flatMap((source) => source.members.map(identity)));
    const out: Scored[] = [];
    const [first] = sources;
    for (let k = 0; k < first.members.length; k++) {
      if (!removed.has(identity(first.members[k]))) out.push({ member: first.members[k], score: first.scores[k] });
    }
    return out;
  }
  const order = sources.map((_, i) => i).sort((a, b) => sources[a].members.length - sources[b].members.length);
  if (operation === 'INTER') {
    const [first, ...rest] = order;
    const smallest = sources[first];
    const lookups = rest.map((i) => {
      const scores = new Map<string, number>();
      for (let k = 0; k < sources[i].members.length; k++) scores.set(identity(sources[i].members[k]), sources[i].scores[k]);
      return scores;
    });
    const out: Scored[] = [];
    for (let k = 0; k < smallest.members.length; k++) {
      const member = smallest.members[k];
      let score = weights[first] * smallest.scores[k];
      if (Number.isNaN(score)) score = 0;
      let inAll = true;
      for (let r = 0; r < rest.length; r++) {
        const found = lookups[r].get(identity(member));
        if (found === undefined) {
          inAll = false;
          break;
        }
        score = aggregateInto(score, found * weights[rest[r]], aggregate);
      }
      if (inAll) out.push({ member, score });
    }
    return out;
  }
  const union = new Map<string, Scored>();
  for (const i of order) {
    const source = sources[i];
    for (let k = 0; k < source.members.length; k++) {
      let score = weights[i] * source.scores[k];
      if (Number.isNaN(score)) score = 0;
      const id = identity(source.members[k]);
      const existing = union.get(id);
      if (existing === undefined) union.set(id, { member: source.members[k], score });
      else existing.score = aggregateInto(existing.score, score, aggregate);
    }
  }
  return [...union.values()];
}

/** A score as ZADD reads it back to the same double: -0 keeps its sign, infinities are spelled as the server spells them. */
export function scoreText(score: number): string {
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  if (Object.is(score, -0)) return '-0';
  return String(score);
}

/** A score as the server writes it (`%.17g`, `inf`, `-inf`), back to the double. */
function parseScore(text: Buffer): number {
  const t = text.toString('latin1');
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  return Number(t);
}

/**
 * A WEIGHTS value as the server's `strtod` reads it: a decimal with an optional exponent, or
 * inf/infinity. Anything else (NaN, spaces, hex floats) is refused client-side.
 */
export function parseWeight(command: string, arg: CommandArgument): number {
  let weight = NaN;
  if (typeof arg === 'number') weight = arg;
  else if (typeof arg === 'bigint') weight = Number(arg);
  else {
    const text = typeof arg === 'string' ? arg : arg.toString('latin1');
    if (/^[+-]?inf(inity)?$/i.test(text)) weight = text.startsWith('-') ? -Infinity : Infinity;
    else if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) weight = Number(text);
  }
  if (Number.isNaN(weight)) throw new InvalidArgumentError(`${command}: weight value is not a float; got ${String(arg)}`);
  return weight;
}

interface CombineArguments {
  destination: CommandArgument;
  keys: CommandArgument[];
  weights: number[];
  aggregate: Aggregate;
}

/** `destination numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`, walked as the server walks it. */
export function parseCombine(command: string, operation: SortedSetOperation, args: readonly CommandArgument[]): CombineArguments {
  if (args.length < 4) throw new InvalidArgumentError(`${command}: wrong number of arguments`);
  const numkeys = /^-?\d+$/.test(String(args[2])) ? Number(String(args[2])) : NaN;
  if (!Number.isSafeInteger(numkeys)) throw new InvalidArgumentError(`${command}: numkeys is not an integer or out of range`);
  if (numkeys < 1) throw new InvalidArgumentError(`${command}: at least 1 input key is needed`);
  if (numkeys > args.length - 3) throw new InvalidArgumentError(`${command}: syntax error (numkeys is more than the keys given)`);
  const keys = args.slice(3, 3 + numkeys);
  const weights = keys.map(() => 1);
  let aggregate: Aggregate = 'SUM';
  let j = 3 + numkeys;
  while (j < args.length) {
    const remaining = args.length - j;
    if (operation !== 'DIFF' && remaining >= numkeys + 1 && isKeyword(args[j], 'WEIGHTS')) {
      j++;
      for (let i = 0; i < numkeys; i++, j++) weights[i] = parseWeight(command, args[j]);
    } else if (operation !== 'DIFF' && remaining >= 2 && isKeyword(args[j], 'AGGREGATE')) {
      const word = args[j + 1];
      if (isKeyword(word, 'SUM')) aggregate = 'SUM';
      else if (isKeyword(word, 'MIN')) aggregate = 'MIN';
      else if (isKeyword(word, 'MAX')) aggregate = 'MAX';
      else throw new InvalidArgumentError(`${command}: syntax error (AGGREGATE takes SUM, MIN or MAX)`);
      j += 2;
    } else {
      throw new InvalidArgumentError(`${command}: syntax error at argument ${j}`);
    }
  }
  return { destination: args[1], keys, weights, aggregate };
}

/**
 * ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE across slots: every input's type and content read at once
 * on its master (byte for byte), combined here as the server would, and the destination replaced
 * at once by a script.
 */
export function sortedSetStore(operation: SortedSetOperation) {
  const command = `Z${operation}STORE`;
  return async (core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> => {
    const { destination, keys, weights, aggregate } = parseCombine(command, operation, args);
    const replies = allRead(await readExact(core, keys.map((key) => ({ script: SORTED_SET_SOURCE, keys: [key], args: [] }))));
    const sources = replies.map((reply): ScoredSource => {
      const [kind, content] = reply as [Buffer, Buffer[]];
      if (kind.toString('latin1') === 'set') return { members: content, scores: content.map(() => 1) };
      const members: Buffer[] = [];
      const scores: number[] = [];
      for (let k = 0; k + 1 < content.length; k += 2) {
        members.push(content[k]);
        scores.push(parseScore(content[k + 1]));
      }
      return { members, scores };
    });
    const result = combineSortedSets(operation, sources, weights, aggregate);
    const items: CommandArgument[] = [];
    for (const { member, score } of result) items.push(scoreText(score), member);
    return replaceWith(core, destination, 'zset', items);
  };
}
