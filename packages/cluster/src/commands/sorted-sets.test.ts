import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { sortedSetDefinitions as Z } from './sorted-sets.js';

const b = (text: string): Buffer => Buffer.from(text);

describe('ZADD', () => {
  it('sends conditions, CH and score/member pairs', () => {
    expect(Z.zadd.build('z', [{ score: 1, member: 'a' }, { score: -Infinity, member: b('b') }], undefined)).toEqual([
      'ZADD', 'z', 1, 'a', -Infinity, b('b'),
    ]);
    expect(Z.zadd.build('z', [{ score: 1, member: 'a' }], { nx: true, ch: true })).toEqual(['ZADD', 'z', 'NX', 'CH', 1, 'a']);
    expect(Z.zadd.build('z', [{ score: 1, member: 'a' }], { xx: true, gt: true })).toEqual(['ZADD', 'z', 'XX', 'GT', 1, 'a']);
    expect(Z.zadd.build('z', [{ score: 1, member: 'a' }], { lt: true, ch: true })).toEqual(['ZADD', 'z', 'LT', 'CH', 1, 'a']);
  });

  it('refuses the combinations the server refuses, and no members', () => {
    const one = [{ score: 1, member: 'a' }];
    expect(() => Z.zadd.build('z', one, { nx: true, xx: true })).toThrow('ZADD: options nx and xx cannot be used together');
    expect(() => Z.zadd.build('z', one, { nx: true, gt: true })).toThrow('ZADD: options nx and gt cannot be used together');
    expect(() => Z.zadd.build('z', one, { nx: true, lt: true })).toThrow('ZADD: options nx and lt cannot be used together');
    expect(() => Z.zadd.build('z', one, { gt: true, lt: true })).toThrow('ZADD: options gt and lt cannot be used together');
    expect(() => Z.zadd.build('z', [], undefined)).toThrow('ZADD: needs at least one member');
  });

  it('zaddIncr sends INCR with one member and reads the new score or null', () => {
    expect(Z.zaddIncr.build('z', 2.5, 'm', undefined)).toEqual(['ZADD', 'z', 'INCR', 2.5, 'm']);
    expect(Z.zaddIncr.build('z', 1, 'm', { xx: true, lt: true })).toEqual(['ZADD', 'z', 'XX', 'LT', 'INCR', 1, 'm']);
    expect(() => Z.zaddIncr.build('z', 1, 'm', { nx: true, xx: true })).toThrow(InvalidArgumentError);
    expect(Z.zaddIncr.transform('3.5')).toBe(3.5);
    expect(Z.zaddIncr.transform(b('inf'))).toBe(Infinity);
    expect(Z.zaddIncr.transform(null)).toBeNull();
  });
});

describe('ZRANGE', () => {
  it('by index, by score, by lex, reversed, limited', () => {
    expect(Z.zrange.build('z', 0, -1, undefined)).toEqual(['ZRANGE', 'z', 0, -1]);
    expect(Z.zrange.build('z', '(1', Infinity, { by: 'SCORE' })).toEqual(['ZRANGE', 'z', '(1', Infinity, 'BYSCORE']);
    expect(Z.zrange.build('z', '[a', '+', { by: 'LEX', limit: { offset: 1, count: 2 } })).toEqual([
      'ZRANGE', 'z', '[a', '+', 'BYLEX', 'LIMIT', 1, 2,
    ]);
    expect(Z.zrange.build('z', 10, 0, { by: 'SCORE', rev: true, limit: { offset: 0, count: -1 } })).toEqual([
      'ZRANGE', 'z', 10, 0, 'BYSCORE', 'REV', 'LIMIT', 0, -1,
    ]);
    expect(Z.zrange.build('z', 0, 1, { rev: true })).toEqual(['ZRANGE', 'z', 0, 1, 'REV']);
  });

  it('refuses LIMIT without BY, and BYLEX with scores', () => {
    expect(() => Z.zrange.build('z', 0, 1, { limit: { offset: 0, count: 1 } })).toThrow("ZRANGE: limit needs by: 'SCORE' or 'LEX'");
    expect(() => Z.zrangeWithScores.build('z', '-', '+', { by: 'LEX' } as never)).toThrow("ZRANGE: by: 'LEX' cannot be used with scores");
    expect(() => Z.zrange.build('z', 0, 1, { by: 'RANK' as 'SCORE' })).toThrow(InvalidArgumentError);
  });

  it('zrangeWithScores adds WITHSCORES and pairs members with scores', () => {
    expect(Z.zrangeWithScores.build('z', 0, -1, { by: 'SCORE', rev: true })).toEqual(['ZRANGE', 'z', 0, -1, 'BYSCORE', 'REV', 'WITHSCORES']);
    expect(Z.zrangeWithScores.transform(['a', '1', 'b', '-inf'])).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: -Infinity },
    ]);
    expect(Z.zrangeWithScores.transform([b('a'), b('0.5')])).toEqual([{ member: b('a'), score: 0.5 }]);
  });

  it('ZRANGESTORE takes the same options', () => {
    expect(Z.zrangestore.build('d', 's', 0, 5, { by: 'SCORE', limit: { offset: 0, count: 2 } })).toEqual([
      'ZRANGESTORE', 'd', 's', 0, 5, 'BYSCORE', 'LIMIT', 0, 2,
    ]);
  });
});

describe('sorted-set commands', () => {
  it('scores and counts', () => {
    expect(Z.zrem.build('z', 'a', 'b')).toEqual(['ZREM', 'z', 'a', 'b']);
    expect(Z.zscore.build('z', 'a')).toEqual(['ZSCORE', 'z', 'a']);
    expect(Z.zmscore.build('z', 'a', 'b')).toEqual(['ZMSCORE', 'z', 'a', 'b']);
    expect(Z.zincrby.build('z', -1.5, 'a')).toEqual(['ZINCRBY', 'z', -1.5, 'a']);
    expect(Z.zcard.build('z')).toEqual(['ZCARD', 'z']);
    expect(Z.zcount.build('z', '-inf', '(5')).toEqual(['ZCOUNT', 'z', '-inf', '(5']);
    expect(Z.zlexcount.build('z', '-', '[m')).toEqual(['ZLEXCOUNT', 'z', '-', '[m']);
    expect(Z.zrank.build('z', 'a')).toEqual(['ZRANK', 'z', 'a']);
    expect(Z.zrevrank.build('z', 'a')).toEqual(['ZREVRANK', 'z', 'a']);
    expect(Z.zremrangebyrank.build('z', 0, 1)).toEqual(['ZREMRANGEBYRANK', 'z', 0, 1]);
    expect(Z.zremrangebyscore.build('z', 1, '+inf')).toEqual(['ZREMRANGEBYSCORE', 'z', 1, '+inf']);
    expect(Z.zremrangebylex.build('z', '[a', '(c')).toEqual(['ZREMRANGEBYLEX', 'z', '[a', '(c']);
  });

  it('ZSCORE, ZMSCORE and ZINCRBY read doubles from strings and Buffers', () => {
    expect(Z.zscore.transform('1.5')).toBe(1.5);
    expect(Z.zscore.transform(b('inf'))).toBe(Infinity);
    expect(Z.zscore.transform(null)).toBeNull();
    expect(Z.zmscore.transform(['1', null, b('-inf')])).toEqual([1, null, -Infinity]);
    expect(Z.zincrby.transform(b('2'))).toBe(2);
  });

  it('pops and random members', () => {
    expect(Z.zpopmin.build('z', undefined)).toEqual(['ZPOPMIN', 'z']);
    expect(Z.zpopmax.build('z', 3)).toEqual(['ZPOPMAX', 'z', 3]);
    expect(() => Z.zpopmin.build('z', 1.5)).toThrow('ZPOPMIN: count must be an integer >= 0; got 1.5');
    expect(Z.zpopmin.transform(['a', '1'])).toEqual([{ member: 'a', score: 1 }]);
    expect(Z.zpopmax.transform([])).toEqual([]);
    expect(Z.zrandmember.build('z')).toEqual(['ZRANDMEMBER', 'z']);
    expect(Z.zrandmemberCount.build('z', -2)).toEqual(['ZRANDMEMBER', 'z', -2]);
    expect(Z.zrandmemberWithScores.build('z', 2)).toEqual(['ZRANDMEMBER', 'z', 2, 'WITHSCORES']);
    expect(Z.zrandmemberWithScores.transform([b('a'), b('1'), b('a'), b('1')])).toEqual([
      { member: b('a'), score: 1 },
      { member: b('a'), score: 1 },
    ]);
  });

  it('ZUNION, ZINTER and ZDIFF count their keys, and take WEIGHTS and AGGREGATE', () => {
    expect(Z.zunion.build(['a', 'b'], undefined)).toEqual(['ZUNION', 2, 'a', 'b']);
    expect(Z.zunion.build(['a', 'b'], { weights: [1, 0.5], aggregate: 'MAX' })).toEqual([
      'ZUNION', 2, 'a', 'b', 'WEIGHTS', 1, 0.5, 'AGGREGATE', 'MAX',
    ]);
    expect(Z.zunionWithScores.build(['a'], { aggregate: 'MIN' })).toEqual(['ZUNION', 1, 'a', 'AGGREGATE', 'MIN', 'WITHSCORES']);
    expect(Z.zinter.build(['a', 'b'], { aggregate: 'SUM' })).toEqual(['ZINTER', 2, 'a', 'b', 'AGGREGATE', 'SUM']);
    expect(Z.zinterWithScores.build(['a', 'b'], undefined)).toEqual(['ZINTER', 2, 'a', 'b', 'WITHSCORES']);
    expect(Z.zdiff.build(['a', 'b'])).toEqual(['ZDIFF', 2, 'a', 'b']);
    expect(Z.zdiffWithScores.build(['a', 'b'])).toEqual(['ZDIFF', 2, 'a', 'b', 'WITHSCORES']);
    expect(Z.zunionstore.build('d', ['a', 'b'], { weights: [2, 3] })).toEqual(['ZUNIONSTORE', 'd', 2, 'a', 'b', 'WEIGHTS', 2, 3]);
    expect(Z.zinterstore.build('d', ['a'], undefined)).toEqual(['ZINTERSTORE', 'd', 1, 'a']);
    expect(Z.zdiffstore.build('d', ['a', 'b'])).toEqual(['ZDIFFSTORE', 'd', 2, 'a', 'b']);
    expect(Z.zintercard.build(['a', 'b'], { limit: 5 })).toEqual(['ZINTERCARD', 2, 'a', 'b', 'LIMIT', 5]);
    expect(Z.zunionWithScores.transform(['x', '3'])).toEqual([{ member: 'x', score: 3 }]);
    expect(Z.zinterWithScores.transform([b('x'), b('3')])).toEqual([{ member: b('x'), score: 3 }]);
    expect(Z.zdiffWithScores.transform(['x', 'inf'])).toEqual([{ member: 'x', score: Infinity }]);
  });

  it('refuses a weight count that differs from the key count, and an unknown aggregate', () => {
    expect(() => Z.zunion.build(['a', 'b'], { weights: [1] })).toThrow('ZUNION: weights needs one weight per key (2); got 1');
    expect(() => Z.zinterstore.build('d', ['a'], { weights: [1, 2] })).toThrow(InvalidArgumentError);
    expect(() => Z.zunion.build(['a'], { aggregate: 'AVG' as 'SUM' })).toThrow(InvalidArgumentError);
    expect(() => Z.zdiff.build([])).toThrow('ZDIFF: needs at least one key');
  });

  it('ZMPOP and BZMPOP', () => {
    expect(Z.zmpop.build(['a', 'b'], 'MIN', undefined)).toEqual(['ZMPOP', 2, 'a', 'b', 'MIN']);
    expect(Z.zmpop.build(['a'], 'MAX', { count: 10 })).toEqual(['ZMPOP', 1, 'a', 'MAX', 'COUNT', 10]);
    expect(Z.bzmpop.build(0, ['a'], 'MIN', { count: 2 })).toEqual(['BZMPOP', 0, 1, 'a', 'MIN', 'COUNT', 2]);
    expect(() => Z.zmpop.build(['a'], 'LOW' as 'MIN', undefined)).toThrow(InvalidArgumentError);
    expect(Z.zmpop.transform(['z', [['a', '1'], ['b', 'inf']]])).toEqual({
      key: 'z',
      members: [
        { member: 'a', score: 1 },
        { member: 'b', score: Infinity },
      ],
    });
    expect(Z.bzmpop.transform([b('z'), [[b('a'), b('2')]]])).toEqual({ key: b('z'), members: [{ member: b('a'), score: 2 }] });
    expect(Z.zmpop.transform(null)).toBeNull();
  });

  it('BZPOPMIN and BZPOPMAX', () => {
    expect(Z.bzpopmin.build(['a', 'b'], 0.1)).toEqual(['BZPOPMIN', 'a', 'b', 0.1]);
    expect(Z.bzpopmax.build(['a'], 0)).toEqual(['BZPOPMAX', 'a', 0]);
    expect(() => Z.bzpopmax.build(['a'], NaN)).toThrow(InvalidArgumentError);
    expect(Z.bzpopmin.transform(['z', 'a', '1'])).toEqual({ key: 'z', member: 'a', score: 1 });
    expect(Z.bzpopmax.transform([b('z'), b('a'), b('-inf')])).toEqual({ key: b('z'), member: b('a'), score: -Infinity });
    expect(Z.bzpopmin.transform(null)).toBeNull();
  });
});
