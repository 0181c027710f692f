import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { bitmapDefinitions as B } from './bitmaps.js';

describe('bitmap commands', () => {
  it('SETBIT and GETBIT', () => {
    expect(B.setbit.build('b', 7, 1)).toEqual(['SETBIT', 'b', 7, 1]);
    expect(B.getbit.build('b', 7)).toEqual(['GETBIT', 'b', 7]);
    expect(() => B.setbit.build('b', 7, 2 as 1)).toThrow('SETBIT: value must be 0 or 1; got 2');
    expect(() => B.getbit.build('b', -1)).toThrow(InvalidArgumentError);
  });

  it('BITCOUNT and BITPOS ranges, with the unit', () => {
    expect(B.bitcount.build('b', undefined)).toEqual(['BITCOUNT', 'b']);
    expect(B.bitcount.build('b', { start: 0, end: -1 })).toEqual(['BITCOUNT', 'b', 0, -1]);
    expect(B.bitcount.build('b', { start: 0, end: 7, unit: 'BIT' })).toEqual(['BITCOUNT', 'b', 0, 7, 'BIT']);
    expect(B.bitpos.build('b', 1, undefined)).toEqual(['BITPOS', 'b', 1]);
    expect(B.bitpos.build('b', 0, { start: 2 })).toEqual(['BITPOS', 'b', 0, 2]);
    expect(B.bitpos.build('b', 1, { start: 0, end: 10, unit: 'BYTE' })).toEqual(['BITPOS', 'b', 1, 0, 10, 'BYTE']);
    expect(() => B.bitpos.build('b', 1, { start: 0, unit: 'BIT' })).toThrow('BITPOS: unit needs end');
    expect(() => B.bitcount.build('b', { start: 0, end: 1, unit: 'WORD' as 'BIT' })).toThrow(InvalidArgumentError);
  });

  it('BITOP, with exactly one source for NOT', () => {
    expect(B.bitop.build('AND', 'd', 'a', 'b')).toEqual(['BITOP', 'AND', 'd', 'a', 'b']);
    expect(B.bitop.build('NOT', 'd', 'a')).toEqual(['BITOP', 'NOT', 'd', 'a']);
    expect(() => B.bitop.build('NOT', 'd', 'a', 'b')).toThrow('BITOP: NOT takes exactly one source key; got 2');
    expect(() => B.bitop.build('OR', 'd')).toThrow('BITOP: needs at least one source key');
    expect(() => B.bitop.build('NAND' as 'AND', 'd', 'a')).toThrow(InvalidArgumentError);
  });

  it('BITFIELD sends each operation in order', () => {
    expect(
      B.bitfield.build('b', [
        { type: 'SET', encoding: 'u8', offset: 0, value: 255 },
        { type: 'GET', encoding: 'i5', offset: '#1' },
        { type: 'OVERFLOW', behavior: 'SAT' },
        { type: 'INCRBY', encoding: 'u2', offset: 100, increment: -1 },
      ]),
    ).toEqual(['BITFIELD', 'b', 'SET', 'u8', 0, 255, 'GET', 'i5', '#1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', 100, -1]);
    expect(B.bitfieldRo.build('b', [{ encoding: 'u8', offset: 0 }, { encoding: 'i64', offset: 8 }])).toEqual([
      'BITFIELD_RO', 'b', 'GET', 'u8', 0, 'GET', 'i64', 8,
    ]);
  });

  it('BITFIELD refuses encodings the server does not have, unknown operations and none at all', () => {
    expect(() => B.bitfield.build('b', [{ type: 'GET', encoding: 'u64', offset: 0 }])).toThrow(
      'BITFIELD: encoding must be i1..i64 or u1..u63; got u64',
    );
    expect(() => B.bitfield.build('b', [{ type: 'GET', encoding: 'i0', offset: 0 }])).toThrow(InvalidArgumentError);
    expect(() => B.bitfieldRo.build('b', [{ encoding: 'x8' as 'u8', offset: 0 }])).toThrow(InvalidArgumentError);
    expect(() => B.bitfield.build('b', [{ type: 'DEL' } as never])).toThrow('BITFIELD: unknown operation type DEL');
    const badOverflow = [{ type: 'OVERFLOW', behavior: 'WRAP' }, { type: 'OVERFLOW', behavior: 'X' as 'SAT' }] as const;
    expect(() => B.bitfield.build('b', badOverflow)).toThrow(InvalidArgumentError);
    expect(() => B.bitfield.build('b', [])).toThrow('BITFIELD: needs at least one operation');
  });
});
