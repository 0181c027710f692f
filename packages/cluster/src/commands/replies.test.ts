import { describe, expect, it } from 'vitest';
import { camelCase, text, toInfoRecord, toNumber, toNumberOrNull, toRecord, toScoredMembers, toStreamEntries } from './replies.js';

describe('reply shapers', () => {
  it('toNumber reads integers, doubles and the server spelling of infinities, from strings and Buffers', () => {
    expect(toNumber(3)).toBe(3);
    expect(toNumber('1.5')).toBe(1.5);
    expect(toNumber(Buffer.from('-2.25'))).toBe(-2.25);
    expect(toNumber('inf')).toBe(Infinity);
    expect(toNumber(Buffer.from('-inf'))).toBe(-Infinity);
    expect(toNumber('+inf')).toBe(Infinity);
    expect(toNumber('nan')).toBeNaN();
    expect(toNumberOrNull(null)).toBeNull();
  });

  it('text decodes Buffers as UTF-8', () => {
    expect(text(Buffer.from('é-1'))).toBe('é-1');
    expect(text('1-0')).toBe('1-0');
  });

  it('toRecord makes string names, keeps values as they came', () => {
    expect(toRecord(['a', '1', 'b', '2'])).toEqual({ a: '1', b: '2' });
    expect(toRecord([Buffer.from('a'), Buffer.from('1')])).toEqual({ a: Buffer.from('1') });
    expect(toRecord([])).toEqual({});
  });

  it('a hash field named __proto__ becomes an own property, not the prototype', () => {
    const record = toRecord(['__proto__', 'x', 'toString', 'y']);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(['__proto__', 'toString']);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe('x');
  });

  it('toScoredMembers pairs members with numeric scores', () => {
    expect(toScoredMembers(['a', '1', 'b', 'inf'])).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: Infinity },
    ]);
    expect(toScoredMembers([Buffer.from('a'), Buffer.from('1.5')])).toEqual([{ member: Buffer.from('a'), score: 1.5 }]);
  });

  it('toStreamEntries gives string ids and field records', () => {
    const reply = [['1-1', ['a', '1', 'b', '2']]];
    expect(toStreamEntries(reply)).toEqual([{ id: '1-1', fields: { a: '1', b: '2' } }]);
    const buffers = [[Buffer.from('1-1'), ['a', '1', 'b', '2'].map((s) => Buffer.from(s))]];
    expect(toStreamEntries(buffers)).toEqual([{ id: '1-1', fields: { a: Buffer.from('1'), b: Buffer.from('2') } }]);
  });

  it('toInfoRecord camel-cases names, converts the fields it is told about and keeps unknown ones', () => {
    expect(camelCase('radix-tree-keys')).toBe('radixTreeKeys');
    expect(toInfoRecord(['last-generated-id', Buffer.from('1-1'), 'new-field', 7, 'constructor', 1], { lastGeneratedId: text })).toEqual({
      lastGeneratedId: '1-1',
      newField: 7,
      constructor: 1,
    });
  });
});
