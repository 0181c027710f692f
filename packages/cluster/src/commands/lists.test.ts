import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { listDefinitions as L } from './lists.js';

const b = (text: string): Buffer => Buffer.from(text);

describe('list commands', () => {
  it('pushes take one element or more', () => {
    expect(L.lpush.build('l', 'a', 1)).toEqual(['LPUSH', 'l', 'a', 1]);
    expect(L.rpush.build('l', b('a'))).toEqual(['RPUSH', 'l', b('a')]);
    expect(L.lpushx.build('l', 'a')).toEqual(['LPUSHX', 'l', 'a']);
    expect(L.rpushx.build('l', 'a')).toEqual(['RPUSHX', 'l', 'a']);
    expect(() => L.rpush.build('l')).toThrow('RPUSH: needs at least one element');
  });

  it('pops with and without a count', () => {
    expect(L.lpop.build('l')).toEqual(['LPOP', 'l']);
    expect(L.lpopCount.build('l', 3)).toEqual(['LPOP', 'l', 3]);
    expect(L.rpop.build('l')).toEqual(['RPOP', 'l']);
    expect(L.rpopCount.build('l', 0)).toEqual(['RPOP', 'l', 0]);
    expect(() => L.lpopCount.build('l', 1.5)).toThrow('LPOP: count must be an integer >= 0; got 1.5');
    expect(() => L.rpopCount.build('l', -1)).toThrow(InvalidArgumentError);
  });

  it('indexes, ranges and edits', () => {
    expect(L.llen.build('l')).toEqual(['LLEN', 'l']);
    expect(L.lrange.build('l', 0, -1)).toEqual(['LRANGE', 'l', 0, -1]);
    expect(L.lindex.build('l', -1)).toEqual(['LINDEX', 'l', -1]);
    expect(L.lset.build('l', 0, 'x')).toEqual(['LSET', 'l', 0, 'x']);
    expect(L.linsert.build('l', 'BEFORE', 'p', 'x')).toEqual(['LINSERT', 'l', 'BEFORE', 'p', 'x']);
    expect(L.linsert.build('l', 'AFTER', 'p', 'x')).toEqual(['LINSERT', 'l', 'AFTER', 'p', 'x']);
    expect(() => L.linsert.build('l', 'AT' as 'AFTER', 'p', 'x')).toThrow('LINSERT: where must be one of BEFORE, AFTER; got "AT"');
    expect(L.lrem.build('l', -2, 'x')).toEqual(['LREM', 'l', -2, 'x']);
    expect(L.ltrim.build('l', 1, -1)).toEqual(['LTRIM', 'l', 1, -1]);
  });

  it('LPOS with RANK, MAXLEN and COUNT', () => {
    expect(L.lpos.build('l', 'x', undefined)).toEqual(['LPOS', 'l', 'x']);
    expect(L.lpos.build('l', 'x', { rank: -2, maxLen: 100 })).toEqual(['LPOS', 'l', 'x', 'RANK', -2, 'MAXLEN', 100]);
    expect(L.lposCount.build('l', 'x', 0, undefined)).toEqual(['LPOS', 'l', 'x', 'COUNT', 0]);
    expect(L.lposCount.build('l', 'x', 2, { rank: 1, maxLen: 0 })).toEqual(['LPOS', 'l', 'x', 'RANK', 1, 'MAXLEN', 0, 'COUNT', 2]);
    expect(() => L.lpos.build('l', 'x', { rank: 0 })).toThrow('LPOS: rank must not be 0');
    expect(() => L.lposCount.build('l', 'x', -1, undefined)).toThrow(InvalidArgumentError);
  });

  it('moves, and the multi-key pops with their key count', () => {
    expect(L.lmove.build('a', 'b', 'LEFT', 'RIGHT')).toEqual(['LMOVE', 'a', 'b', 'LEFT', 'RIGHT']);
    expect(() => L.lmove.build('a', 'b', 'left' as 'LEFT', 'RIGHT')).toThrow(InvalidArgumentError);
    expect(L.rpoplpush.build('a', 'b')).toEqual(['RPOPLPUSH', 'a', 'b']);
    expect(L.lmpop.build(['a', 'b'], 'LEFT', undefined)).toEqual(['LMPOP', 2, 'a', 'b', 'LEFT']);
    expect(L.lmpop.build(['a'], 'RIGHT', { count: 3 })).toEqual(['LMPOP', 1, 'a', 'RIGHT', 'COUNT', 3]);
    expect(() => L.lmpop.build([], 'LEFT', undefined)).toThrow('LMPOP: needs at least one key');
    expect(() => L.lmpop.build(['a'], 'LEFT', { count: 0 })).toThrow('LMPOP: count must be an integer >= 1; got 0');
  });

  it('blocking commands take the timeout in seconds, decimals allowed', () => {
    expect(L.blpop.build(['a', 'b'], 0)).toEqual(['BLPOP', 'a', 'b', 0]);
    expect(L.brpop.build(['a'], 0.5)).toEqual(['BRPOP', 'a', 0.5]);
    expect(L.blmove.build('a', 'b', 'RIGHT', 'LEFT', 1)).toEqual(['BLMOVE', 'a', 'b', 'RIGHT', 'LEFT', 1]);
    expect(L.brpoplpush.build('a', 'b', 2)).toEqual(['BRPOPLPUSH', 'a', 'b', 2]);
    expect(L.blmpop.build(1.5, ['a', 'b'], 'LEFT', { count: 2 })).toEqual(['BLMPOP', 1.5, 2, 'a', 'b', 'LEFT', 'COUNT', 2]);
    expect(() => L.blpop.build(['a'], -1)).toThrow('BLPOP: timeout must be a finite number >= 0; got -1');
    expect(() => L.blpop.build(['a'], Infinity)).toThrow(InvalidArgumentError);
    expect(() => L.blpop.build([], 1)).toThrow('BLPOP: needs at least one key');
  });

  it('BLPOP/BRPOP replies become { key, element }, null on timeout', () => {
    expect(L.blpop.transform(['l', 'x'])).toEqual({ key: 'l', element: 'x' });
    expect(L.brpop.transform([b('l'), b('x')])).toEqual({ key: b('l'), element: b('x') });
    expect(L.blpop.transform(null)).toBeNull();
  });

  it('LMPOP/BLMPOP replies become { key, elements }, null when nothing was popped', () => {
    expect(L.lmpop.transform(['l', ['a', 'b']])).toEqual({ key: 'l', elements: ['a', 'b'] });
    expect(L.blmpop.transform([b('l'), [b('a')]])).toEqual({ key: b('l'), elements: [b('a')] });
    expect(L.lmpop.transform(null)).toBeNull();
  });
});
