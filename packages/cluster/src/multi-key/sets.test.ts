import { describe, expect, it } from 'vitest';
import { combineSets } from './sets.js';
import { withoutStore } from './sort.js';

const members = (...texts: (string | number[])[]): Buffer[] => texts.map((text) => (typeof text === 'string' ? Buffer.from(text) : Buffer.from(text)));
const hex = (result: Buffer[]): string[] => result.map((member) => member.toString('hex')).sort();

describe('combineSets', () => {
  it('computes union, intersection and difference by bytes', () => {
    const a = members('a', 'b', [0xff], [0xfe]);
    const b = members('b', [0xfe], 'c');
    expect(hex(combineSets('SUNION', [a, b]))).toEqual(hex(members('a', 'b', 'c', [0xff], [0xfe])));
    expect(hex(combineSets('SINTER', [a, b]))).toEqual(hex(members('b', [0xfe])));
    expect(hex(combineSets('SDIFF', [a, b]))).toEqual(hex(members('a', [0xff])));
    expect(combineSets('SINTER', [a, []])).toEqual([]);
  });
});

describe('SORT arguments without STORE', () => {
  it('takes every STORE out, keeps the last destination, and leaves patterns that spell STORE alone', () => {
    expect(withoutStore(['SORT', 'k', 'BY', 'store', 'STORE', 'd1', 'LIMIT', 0, 5, 'store', 'd2', 'GET', '#', 'ALPHA'])).toEqual({
      options: ['BY', 'store', 'LIMIT', 0, 5, 'GET', '#', 'ALPHA'],
      destination: 'd2',
    });
    expect(withoutStore(['SORT', 'k'])).toEqual({ options: [], destination: undefined });
    expect(() => withoutStore(['SORT', 'k', 'LIMIT', 1])).toThrow();
  });
});
