import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { stringDefinitions as S } from './strings.js';

const b = (text: string): Buffer => Buffer.from(text);

describe('SET', () => {
  it('sends each expiry option and condition as the server spells it', () => {
    expect(S.set.build('k', 'v', undefined)).toEqual(['SET', 'k', 'v']);
    expect(S.set.build('k', 1, { ex: 10 })).toEqual(['SET', 'k', 1, 'EX', 10]);
    expect(S.set.build('k', 'v', { px: 1500, nx: true })).toEqual(['SET', 'k', 'v', 'PX', 1500, 'NX']);
    expect(S.set.build('k', 'v', { exat: 1_700_000_000, xx: true })).toEqual(['SET', 'k', 'v', 'EXAT', 1_700_000_000, 'XX']);
    expect(S.set.build('k', 'v', { pxat: 1_700_000_000_000 })).toEqual(['SET', 'k', 'v', 'PXAT', 1_700_000_000_000]);
    expect(S.set.build('k', 'v', { keepTtl: true, xx: true })).toEqual(['SET', 'k', 'v', 'KEEPTTL', 'XX']);
    expect(S.set.build(b('k'), b('v'), { nx: false, ex: undefined })).toEqual(['SET', b('k'), b('v')]);
  });

  it('setGet adds GET after the other options', () => {
    expect(S.setGet.build('k', 'v', { ex: 5, nx: true })).toEqual(['SET', 'k', 'v', 'EX', 5, 'NX', 'GET']);
    expect(S.setGet.build('k', 'v', undefined)).toEqual(['SET', 'k', 'v', 'GET']);
  });

  it('refuses two expiries, nx with xx, a non-integer or non-positive time, and a get option', () => {
    expect(() => S.set.build('k', 'v', { ex: 1, px: 1000 })).toThrow(new InvalidArgumentError('SET: options ex and px cannot be used together'));
    expect(() => S.set.build('k', 'v', { keepTtl: true, exat: 5 })).toThrow('SET: options exat and keepTtl cannot be used together');
    expect(() => S.set.build('k', 'v', { nx: true, xx: true })).toThrow('SET: options nx and xx cannot be used together');
    expect(() => S.set.build('k', 'v', { ex: 1.5 })).toThrow('SET: ex must be an integer >= 1; got 1.5');
    expect(() => S.set.build('k', 'v', { px: 0 })).toThrow('SET: px must be an integer >= 1; got 0');
    expect(() => S.set.build('k', 'v', { get: true } as never)).toThrow(/call setGet/);
  });
});

describe('string commands', () => {
  it('GETEX takes one expiry or PERSIST', () => {
    expect(S.getex.build('k', undefined)).toEqual(['GETEX', 'k']);
    expect(S.getex.build('k', { ex: 1 })).toEqual(['GETEX', 'k', 'EX', 1]);
    expect(S.getex.build('k', { px: 2 })).toEqual(['GETEX', 'k', 'PX', 2]);
    expect(S.getex.build('k', { exat: 3 })).toEqual(['GETEX', 'k', 'EXAT', 3]);
    expect(S.getex.build('k', { pxat: 4 })).toEqual(['GETEX', 'k', 'PXAT', 4]);
    expect(S.getex.build('k', { persist: true })).toEqual(['GETEX', 'k', 'PERSIST']);
    expect(() => S.getex.build('k', { ex: 1, persist: true })).toThrow('GETEX: options ex and persist cannot be used together');
  });

  it('MGET, MSET and MSETNX', () => {
    expect(S.mget.build('a', b('b'))).toEqual(['MGET', 'a', b('b')]);
    expect(() => S.mget.build()).toThrow('MGET: needs at least one key');
    expect(S.mset.build({ a: 1, b: 'x' })).toEqual(['MSET', 'a', 1, 'b', 'x']);
    expect(S.msetnx.build([[b('a'), 1n]])).toEqual(['MSETNX', b('a'), 1n]);
    expect(() => S.mset.build({})).toThrow('MSET: needs at least one name/value pair');
  });

  it('the simple ones', () => {
    expect(S.get.build('k')).toEqual(['GET', 'k']);
    expect(S.getdel.build('k')).toEqual(['GETDEL', 'k']);
    expect(S.getset.build('k', 'v')).toEqual(['GETSET', 'k', 'v']);
    expect(S.setnx.build('k', 'v')).toEqual(['SETNX', 'k', 'v']);
    expect(S.setex.build('k', 10, 'v')).toEqual(['SETEX', 'k', 10, 'v']);
    expect(S.psetex.build('k', 100, 'v')).toEqual(['PSETEX', 'k', 100, 'v']);
    expect(() => S.setex.build('k', 0, 'v')).toThrow(InvalidArgumentError);
    expect(S.append.build('k', 'v')).toEqual(['APPEND', 'k', 'v']);
    expect(S.strlen.build('k')).toEqual(['STRLEN', 'k']);
    expect(S.incr.build('k')).toEqual(['INCR', 'k']);
    expect(S.incrby.build('k', 2n ** 62n)).toEqual(['INCRBY', 'k', 2n ** 62n]);
    expect(() => S.incrby.build('k', 0.5)).toThrow('INCRBY: increment must be an integer; got 0.5');
    expect(S.incrbyfloat.build('k', 0.1)).toEqual(['INCRBYFLOAT', 'k', 0.1]);
    expect(S.decr.build('k')).toEqual(['DECR', 'k']);
    expect(S.decrby.build('k', 3)).toEqual(['DECRBY', 'k', 3]);
    expect(S.getrange.build('k', 0, -1)).toEqual(['GETRANGE', 'k', 0, -1]);
    expect(S.setrange.build('k', 2, 'v')).toEqual(['SETRANGE', 'k', 2, 'v']);
    expect(() => S.setrange.build('k', -1, 'v')).toThrow(InvalidArgumentError);
  });

  it('INCRBYFLOAT reads the decimal reply from a string or a Buffer', () => {
    expect(S.incrbyfloat.transform('10.5')).toBe(10.5);
    expect(S.incrbyfloat.transform(b('-3e-7'))).toBe(-3e-7);
  });

  it('LCS in its three forms', () => {
    expect(S.lcs.build('a', 'b')).toEqual(['LCS', 'a', 'b']);
    expect(S.lcsLen.build('a', 'b')).toEqual(['LCS', 'a', 'b', 'LEN']);
    expect(S.lcsIdx.build('a', 'b', undefined)).toEqual(['LCS', 'a', 'b', 'IDX']);
    expect(S.lcsIdx.build('a', 'b', { minMatchLen: 4, withMatchLen: true })).toEqual(['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', 4, 'WITHMATCHLEN']);
  });

  it('LCS IDX becomes matches with ranges, with and without lengths, from strings or Buffers', () => {
    const reply = ['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6];
    expect(S.lcsIdx.transform(reply)).toEqual({
      matches: [
        { a: [4, 7], b: [5, 8] },
        { a: [2, 3], b: [0, 1] },
      ],
      length: 6,
    });
    expect(S.lcsIdx.transform([b('matches'), [[[4, 7], [5, 8], 4]], b('len'), 6])).toEqual({
      matches: [{ a: [4, 7], b: [5, 8], length: 4 }],
      length: 6,
    });
  });
});
