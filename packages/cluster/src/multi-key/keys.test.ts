import { InvalidArgumentError } from '@hashslot/resp';
import { keyBytes, keySlot } from '@hashslot/slots';
import { describe, expect, it } from 'vitest';
import { copyKeys, groupBySlot, isKeyword, side, transitKey } from './keys.js';

describe('transitKey and copyKeys', () => {
  const keys: (string | Buffer | number)[] = [
    'plain',
    'user:{42}:cart',
    'a}b',
    '}{',
    '{}x',
    'ünïcode',
    Buffer.from([0xff, 0x7b, 0x7d, 0xfe]),
    Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x01]),
    12345,
  ];

  it('makes keys in the slot of the key they belong to, whatever its braces', () => {
    for (const key of keys) {
      const slot = keySlot(keyBytes(key));
      expect(keySlot(transitKey(key)), String(key)).toBe(slot);
      for (const copy of copyKeys(key, 3)) expect(keySlot(copy), String(key)).toBe(slot);
    }
  });

  it('makes a new name each time, saying what it is', () => {
    expect(transitKey('k')).not.toEqual(transitKey('k'));
    expect(String(transitKey('k'))).toMatch(/^\{k\}hashslot:transit:[0-9a-f]{16}$/);
    expect(new Set(copyKeys('k', 5)).size).toBe(5);
  });
});

describe('groupBySlot', () => {
  it('groups positions per slot, slots in order of first appearance, positions in key order', () => {
    const groups = groupBySlot(['{a}1', '{b}1', '{a}2', '{a}1', '{b}2']);
    expect([...groups.keys()]).toEqual([keySlot('a'), keySlot('b')]);
    expect([...groups.values()]).toEqual([[0, 2, 3], [1, 4]]);
  });
});

describe('argument words', () => {
  it('compares keywords ignoring ASCII case, as strings or Buffers', () => {
    expect(isKeyword('weights', 'WEIGHTS')).toBe(true);
    expect(isKeyword(Buffer.from('Aggregate'), 'AGGREGATE')).toBe(true);
    expect(isKeyword('weight', 'WEIGHTS')).toBe(false);
    expect(isKeyword(1, 'WEIGHTS')).toBe(false);
  });

  it('takes LEFT and RIGHT in any case and refuses anything else', () => {
    expect(side('LMOVE', 'left')).toBe('LEFT');
    expect(side('LMOVE', Buffer.from('RIGHT'))).toBe('RIGHT');
    expect(() => side('LMOVE', 'UP')).toThrow(InvalidArgumentError);
  });
});
