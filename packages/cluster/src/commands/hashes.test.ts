import { describe, expect, it } from 'vitest';
import { hashDefinitions as H } from './hashes.js';

const b = (text: string): Buffer => Buffer.from(text);

describe('hash commands', () => {
  it('HSET takes an object, a Map or pairs', () => {
    expect(H.hset.build('h', { f: 'v', n: 1 })).toEqual(['HSET', 'h', 'f', 'v', 'n', 1]);
    expect(H.hset.build('h', new Map([[b('f'), b('v')]]))).toEqual(['HSET', 'h', b('f'), b('v')]);
    expect(H.hset.build('h', [[1, 2]])).toEqual(['HSET', 'h', 1, 2]);
    expect(() => H.hset.build('h', {})).toThrow('HSET: needs at least one name/value pair');
  });

  it('the rest of the family', () => {
    expect(H.hsetnx.build('h', 'f', 'v')).toEqual(['HSETNX', 'h', 'f', 'v']);
    expect(H.hget.build('h', 'f')).toEqual(['HGET', 'h', 'f']);
    expect(H.hmget.build('h', 'a', 'b')).toEqual(['HMGET', 'h', 'a', 'b']);
    expect(() => H.hmget.build('h')).toThrow('HMGET: needs at least one field');
    expect(H.hgetall.build('h')).toEqual(['HGETALL', 'h']);
    expect(H.hdel.build('h', 'a')).toEqual(['HDEL', 'h', 'a']);
    expect(H.hexists.build('h', 'a')).toEqual(['HEXISTS', 'h', 'a']);
    expect(H.hincrby.build('h', 'a', -2)).toEqual(['HINCRBY', 'h', 'a', -2]);
    expect(() => H.hincrby.build('h', 'a', 0.5)).toThrow('HINCRBY: increment must be an integer; got 0.5');
    expect(H.hincrbyfloat.build('h', 'a', 0.5)).toEqual(['HINCRBYFLOAT', 'h', 'a', 0.5]);
    expect(H.hkeys.build('h')).toEqual(['HKEYS', 'h']);
    expect(H.hvals.build('h')).toEqual(['HVALS', 'h']);
    expect(H.hlen.build('h')).toEqual(['HLEN', 'h']);
    expect(H.hstrlen.build('h', 'f')).toEqual(['HSTRLEN', 'h', 'f']);
    expect(H.hrandfield.build('h')).toEqual(['HRANDFIELD', 'h']);
    expect(H.hrandfieldCount.build('h', -3)).toEqual(['HRANDFIELD', 'h', -3]);
    expect(H.hrandfieldWithValues.build('h', 2)).toEqual(['HRANDFIELD', 'h', 2, 'WITHVALUES']);
    expect(() => H.hrandfieldCount.build('h', 1.5)).toThrow('HRANDFIELD: count must be an integer; got 1.5');
  });

  it('HGETALL gives a record with string names, values as strings or Buffers', () => {
    expect(H.hgetall.transform(['f', 'v', 'g', 'w'])).toEqual({ f: 'v', g: 'w' });
    expect(H.hgetall.transform([b('f'), b('v'), b('é'), b('w')])).toEqual({ f: b('v'), é: b('w') });
    expect(H.hgetall.transform([])).toEqual({});
  });

  it('HINCRBYFLOAT and HRANDFIELD WITHVALUES', () => {
    expect(H.hincrbyfloat.transform(b('1.25'))).toBe(1.25);
    expect(H.hrandfieldWithValues.transform(['f', 'v', 'f', 'v'])).toEqual([
      { field: 'f', value: 'v' },
      { field: 'f', value: 'v' },
    ]);
    expect(H.hrandfieldWithValues.transform([b('f'), b('v')])).toEqual([{ field: b('f'), value: b('v') }]);
  });
});
