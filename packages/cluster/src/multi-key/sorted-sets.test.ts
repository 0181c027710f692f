import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { combineSortedSets, parseCombine, parseWeight, scoreText, type ScoredSource } from './sorted-sets.js';

const source = (entries: Record<string, number>): ScoredSource => ({
  members: Object.keys(entries).map((member) => Buffer.from(member)),
  scores: Object.values(entries),
});

function plain(result: { member: Buffer; score: number }[]): Record<string, number> {
  return Object.fromEntries(result.map(({ member, score }) => [member.toString(), score]));
}

describe('combineSortedSets', () => {
  it('unions with weights and every aggregate', () => {
    const sources = [source({ a: 1, b: 2 }), source({ b: 3, c: 4 })];
    expect(plain(combineSortedSets('UNION', sources, [1, 2], 'SUM'))).toEqual({ a: 1, b: 8, c: 8 });
    expect(plain(combineSortedSets('UNION', sources, [1, 2], 'MIN'))).toEqual({ a: 1, b: 2, c: 8 });
    expect(plain(combineSortedSets('UNION', sources, [1, 2], 'MAX'))).toEqual({ a: 1, b: 6, c: 8 });
  });

  it('makes a NaN score 0, as the server does (inf * 0, inf + -inf)', () => {
    expect(plain(combineSortedSets('UNION', [source({ a: Infinity })], [0], 'SUM'))).toEqual({ a: 0 });
    expect(plain(combineSortedSets('UNION', [source({ a: Infinity }), source({ a: -Infinity })], [1, 1], 'SUM'))).toEqual({ a: 0 });
  });

  it('intersects from the smallest input, so that MIN keeps the sign of zero the server keeps', () => {
    // The server visits { m: -0 } first (it is smaller): MIN(-0, 0) keeps -0.
    const result = combineSortedSets('INTER', [source({ m: 0, x: 1 }), source({ m: -0 })], [1, 1], 'MIN');
    expect(result).toHaveLength(1);
    expect(Object.is(result[0].score, -0)).toBe(true);
    expect(plain(combineSortedSets('INTER', [source({ a: 1, b: 2 }), source({ b: 3 })], [2, 1], 'SUM'))).toEqual({ b: 7 });
    expect(combineSortedSets('INTER', [source({ a: 1 }), source({})], [1, 1], 'SUM')).toEqual([]);
  });

  it('differences keep the first input, unweighted, in its order', () => {
    const result = combineSortedSets('DIFF', [source({ a: 1, b: 2, c: 3 }), source({ b: 0 }), source({ z: 0 })], [5, 5, 5], 'SUM');
    expect(plain(result)).toEqual({ a: 1, c: 3 });
  });

  it('tells members apart by their bytes', () => {
    const binary: ScoredSource = { members: [Buffer.from([0xff]), Buffer.from([0xfe])], scores: [1, 2] };
    expect(combineSortedSets('UNION', [binary, binary], [1, 1], 'SUM').map(({ score }) => score)).toEqual([2, 4]);
  });
});

describe('scoreText', () => {
  it('spells scores so that ZADD reads the same double back', () => {
    expect(scoreText(Infinity)).toBe('+inf');
    expect(scoreText(-Infinity)).toBe('-inf');
    expect(scoreText(-0)).toBe('-0');
    expect(scoreText(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(Number(scoreText(5e-324))).toBe(5e-324);
  });
});

describe('parseCombine and parseWeight', () => {
  it('reads keys, WEIGHTS and AGGREGATE as the server walks them', () => {
    expect(parseCombine('ZUNIONSTORE', 'UNION', ['ZUNIONSTORE', 'd', 2, 'a', 'b', 'aggregate', 'max', 'WEIGHTS', '2', 'inf'])).toEqual({
      destination: 'd',
      keys: ['a', 'b'],
      weights: [2, Infinity],
      aggregate: 'MAX',
    });
    expect(parseCombine('ZDIFFSTORE', 'DIFF', ['ZDIFFSTORE', 'd', '1', 'a'])).toEqual({ destination: 'd', keys: ['a'], weights: [1], aggregate: 'SUM' });
  });

  it('refuses what the server refuses', () => {
    const refused = [
      ['ZUNIONSTORE', 'd', 0, 'a'],
      ['ZUNIONSTORE', 'd', 3, 'a', 'b'],
      ['ZUNIONSTORE', 'd', 2, 'a', 'b', 'WEIGHTS', 1],
      ['ZUNIONSTORE', 'd', 2, 'a', 'b', 'AGGREGATE', 'AVG'],
      ['ZUNIONSTORE', 'd', 2, 'a', 'b', 'WITHSCORES'],
    ];
    for (const args of refused) expect(() => parseCombine('ZUNIONSTORE', 'UNION', args), args.join(' ')).toThrow(InvalidArgumentError);
    expect(() => parseCombine('ZDIFFSTORE', 'DIFF', ['ZDIFFSTORE', 'd', 1, 'a', 'WEIGHTS', 1])).toThrow(InvalidArgumentError);
  });

  it('reads weights as strtod does, without NaN', () => {
    expect(parseWeight('Z', '1e3')).toBe(1000);
    expect(parseWeight('Z', '-Infinity')).toBe(-Infinity);
    expect(parseWeight('Z', '.5')).toBe(0.5);
    expect(parseWeight('Z', Buffer.from('-2'))).toBe(-2);
    for (const bad of ['', ' 1', 'nan', 'abc', '1e', NaN]) expect(() => parseWeight('Z', bad), String(bad)).toThrow(InvalidArgumentError);
  });
});
