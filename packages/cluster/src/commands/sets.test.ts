import { describe, expect, it } from 'vitest';
import { setDefinitions as S } from './sets.js';

describe('set commands', () => {
  it('members in, members out', () => {
    expect(S.sadd.build('s', 'a', 1)).toEqual(['SADD', 's', 'a', 1]);
    expect(S.srem.build('s', 'a')).toEqual(['SREM', 's', 'a']);
    expect(() => S.sadd.build('s')).toThrow('SADD: needs at least one member');
    expect(S.smembers.build('s')).toEqual(['SMEMBERS', 's']);
    expect(S.sismember.build('s', 'a')).toEqual(['SISMEMBER', 's', 'a']);
    expect(S.smismember.build('s', 'a', 'b')).toEqual(['SMISMEMBER', 's', 'a', 'b']);
    expect(S.scard.build('s')).toEqual(['SCARD', 's']);
    expect(S.spop.build('s')).toEqual(['SPOP', 's']);
    expect(S.spopCount.build('s', 2)).toEqual(['SPOP', 's', 2]);
    expect(() => S.spopCount.build('s', 0.5)).toThrow('SPOP: count must be an integer >= 0; got 0.5');
    expect(S.srandmember.build('s')).toEqual(['SRANDMEMBER', 's']);
    expect(S.srandmemberCount.build('s', -5)).toEqual(['SRANDMEMBER', 's', -5]);
    expect(S.smove.build('a', 'b', 'm')).toEqual(['SMOVE', 'a', 'b', 'm']);
  });

  it('the algebra, with and without a destination', () => {
    expect(S.sinter.build('a', 'b')).toEqual(['SINTER', 'a', 'b']);
    expect(S.sunion.build('a')).toEqual(['SUNION', 'a']);
    expect(S.sdiff.build('a', 'b')).toEqual(['SDIFF', 'a', 'b']);
    expect(S.sinterstore.build('d', 'a', 'b')).toEqual(['SINTERSTORE', 'd', 'a', 'b']);
    expect(S.sunionstore.build('d', 'a')).toEqual(['SUNIONSTORE', 'd', 'a']);
    expect(S.sdiffstore.build('d', 'a', 'b')).toEqual(['SDIFFSTORE', 'd', 'a', 'b']);
    expect(() => S.sinterstore.build('d')).toThrow('SINTERSTORE: needs at least one key');
    expect(() => S.sinter.build()).toThrow('SINTER: needs at least one key');
  });

  it('SINTERCARD counts its keys and takes a LIMIT', () => {
    expect(S.sintercard.build(['a', 'b'], undefined)).toEqual(['SINTERCARD', 2, 'a', 'b']);
    expect(S.sintercard.build(['a'], { limit: 10 })).toEqual(['SINTERCARD', 1, 'a', 'LIMIT', 10]);
    expect(() => S.sintercard.build(['a'], { limit: -1 })).toThrow('SINTERCARD: limit must be an integer >= 0; got -1');
  });
});
