import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { keyDefinitions as K } from './keys.js';

describe('key commands', () => {
  it('DEL, UNLINK, EXISTS and TOUCH take one key or more', () => {
    expect(K.del.build('a', Buffer.from('b'))).toEqual(['DEL', 'a', Buffer.from('b')]);
    expect(K.unlink.build('a')).toEqual(['UNLINK', 'a']);
    expect(K.exists.build('a', 'a')).toEqual(['EXISTS', 'a', 'a']);
    expect(K.touch.build('a')).toEqual(['TOUCH', 'a']);
    expect(() => K.del.build()).toThrow('DEL: needs at least one key');
  });

  it('EXPIRE and its siblings take NX, or XX with GT or LT', () => {
    expect(K.expire.build('k', 10, undefined)).toEqual(['EXPIRE', 'k', 10]);
    expect(K.expire.build('k', 10, { nx: true })).toEqual(['EXPIRE', 'k', 10, 'NX']);
    expect(K.pexpire.build('k', 10, { xx: true, gt: true })).toEqual(['PEXPIRE', 'k', 10, 'XX', 'GT']);
    expect(K.expireat.build('k', 10, { lt: true })).toEqual(['EXPIREAT', 'k', 10, 'LT']);
    expect(K.pexpireat.build('k', 10, { xx: true })).toEqual(['PEXPIREAT', 'k', 10, 'XX']);
    expect(() => K.expire.build('k', 10, { nx: true, xx: true })).toThrow('EXPIRE: options nx and xx cannot be used together');
    expect(() => K.expire.build('k', 10, { nx: true, gt: true })).toThrow('EXPIRE: options nx and gt cannot be used together');
    expect(() => K.expire.build('k', 10, { gt: true, lt: true })).toThrow('EXPIRE: options gt and lt cannot be used together');
    expect(() => K.expire.build('k', 1.5, undefined)).toThrow('EXPIRE: seconds must be an integer; got 1.5');
  });

  it('the one-key queries', () => {
    for (const [name, command] of [
      ['expiretime', 'EXPIRETIME'],
      ['pexpiretime', 'PEXPIRETIME'],
      ['ttl', 'TTL'],
      ['pttl', 'PTTL'],
      ['persist', 'PERSIST'],
      ['type', 'TYPE'],
      ['dump', 'DUMP'],
    ] as const) {
      expect(K[name].build('k')).toEqual([command, 'k']);
    }
    expect(K.objectEncoding.build('k')).toEqual(['OBJECT', 'ENCODING', 'k']);
    expect(K.objectFreq.build('k')).toEqual(['OBJECT', 'FREQ', 'k']);
    expect(K.objectIdleTime.build('k')).toEqual(['OBJECT', 'IDLETIME', 'k']);
    expect(K.objectRefCount.build('k')).toEqual(['OBJECT', 'REFCOUNT', 'k']);
  });

  it('OBJECT ENCODING is a string even when the client reads Buffers', () => {
    expect(K.objectEncoding.transform(Buffer.from('listpack'))).toBe('listpack');
    expect(K.objectEncoding.transform('raw')).toBe('raw');
    expect(K.objectEncoding.transform(null)).toBeNull();
  });

  it('RENAME, RENAMENX and COPY', () => {
    expect(K.rename.build('a', 'b')).toEqual(['RENAME', 'a', 'b']);
    expect(K.renamenx.build('a', 'b')).toEqual(['RENAMENX', 'a', 'b']);
    expect(K.copy.build('a', 'b', undefined)).toEqual(['COPY', 'a', 'b']);
    expect(K.copy.build('a', 'b', { replace: true })).toEqual(['COPY', 'a', 'b', 'REPLACE']);
  });

  it('RESTORE with every option, and not IDLETIME with FREQ', () => {
    const payload = Buffer.from([0, 1, 2]);
    expect(K.restore.build('k', 0, payload, undefined)).toEqual(['RESTORE', 'k', 0, payload]);
    expect(K.restore.build('k', 5, payload, { replace: true, absTtl: true, idleTime: 10 })).toEqual([
      'RESTORE', 'k', 5, payload, 'REPLACE', 'ABSTTL', 'IDLETIME', 10,
    ]);
    expect(K.restore.build('k', 0, payload, { freq: 3 })).toEqual(['RESTORE', 'k', 0, payload, 'FREQ', 3]);
    expect(() => K.restore.build('k', 0, payload, { idleTime: 1, freq: 1 })).toThrow(InvalidArgumentError);
    expect(() => K.restore.build('k', -1, payload, undefined)).toThrow('RESTORE: ttl must be an integer >= 0; got -1');
  });

  it('SORT puts its options in the server order, STORE last', () => {
    expect(K.sort.build('k', undefined)).toEqual(['SORT', 'k']);
    expect(
      K.sort.build('k', { by: 'w_*', limit: { offset: 0, count: 5 }, get: ['#', 'o_*'], order: 'DESC', alpha: true }),
    ).toEqual(['SORT', 'k', 'BY', 'w_*', 'LIMIT', 0, 5, 'GET', '#', 'GET', 'o_*', 'DESC', 'ALPHA']);
    expect(K.sortStore.build('k', 'dst', { order: 'ASC' })).toEqual(['SORT', 'k', 'ASC', 'STORE', 'dst']);
    expect(K.sortStore.build('k', 'dst', undefined)).toEqual(['SORT', 'k', 'STORE', 'dst']);
    expect(K.sortRo.build('k', { alpha: true })).toEqual(['SORT_RO', 'k', 'ALPHA']);
    expect(() => K.sort.build('k', { order: 'UP' as 'ASC' })).toThrow('SORT: order must be one of ASC, DESC; got "UP"');
    expect(() => K.sort.build('k', { limit: { offset: 0, count: 1.5 } })).toThrow('SORT: limit.count must be an integer; got 1.5');
  });
});
