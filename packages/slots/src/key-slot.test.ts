import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc16, crc16Bytes } from './crc16.js';
import { hashTag, keySlot, SLOT_COUNT } from './key-slot.js';

describe('crc16', () => {
  it('gives 0x31C3 for "123456789", the XMODEM check value the cluster spec names', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('hashes a string exactly as the UTF-8 bytes the encoder sends, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(crc16(text)).toBe(crc16Bytes(Buffer.from(text, 'utf8')));
      }),
      { numRuns: 2000 },
    );
    for (const text of ['é', '€', '😀', 'a\uD800', '\uDC00b', '\uD800\uD800', '\uDBFF\uDFFF']) {
      expect(crc16(text)).toBe(crc16Bytes(Buffer.from(text, 'utf8')));
    }
  });
});

describe('hashTag and keySlot', () => {
  it.each([
    ['{user1000}.following', 'user1000'],
    ['foo{}{bar}', 'foo{}{bar}'],
    ['foo{{bar}}zap', '{bar'],
    ['foo{bar}{zap}', 'bar'],
    ['{}', '{}'],
    ['{', '{'],
    ['}{', '}{'],
    ['}{a}', 'a'],
    ['{a}{b}', 'a'],
    ['{{a}}', '{a'],
    ['', ''],
  ])('tags %j as %j, for strings and Buffers alike', (key, tag) => {
    expect(hashTag(key)).toBe(tag);
    expect(hashTag(Buffer.from(key)).toString()).toBe(tag);
    expect(keySlot(key)).toBe(keySlot(tag === key ? key : tag));
    expect(keySlot(Buffer.from(key))).toBe(keySlot(key));
  });

  it('matches slots known from the server for plain and tagged keys', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('{user1}.following')).toBe(8106);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
  });

  it('gives a slot in 0..16383 and the same slot for a string and its UTF-8 Buffer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        const slot = keySlot(key);
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(slot).toBeLessThan(SLOT_COUNT);
        expect(keySlot(Buffer.from(key, 'utf8'))).toBe(slot);
      }),
      { numRuns: 2000 },
    );
  });
});
