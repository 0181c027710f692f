import { crc16Bytes, crc16Utf8 } from './crc16.js';

/** Slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;
const SLOT_MASK = SLOT_COUNT - 1;

const OPEN_BRACE = 123; // '{'
const CLOSE_BRACE = 125; // '}'

/**
 * The part of a key that decides its slot: the text between the first `{` and the first `}`
 * after it, when that text is not empty; otherwise the whole key.
 * https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */
export function hashTag(key: string): string;
export function hashTag(key: Buffer): Buffer;
export function hashTag(key: string | Buffer): string | Buffer {
  if (typeof key === 'string') {
    const [start, end] = tagRangeOfString(key);
    return start === 0 && end === key.length ? key : key.slice(start, end);
  }
  const [start, end] = tagRangeOfBytes(key);
  return start === 0 && end === key.length ? key : key.subarray(start, end);
}

/** The slot (0 to 16383) of a key: CRC16 of its hash tag, modulo 16384. */
export function keySlot(key: string | Buffer): number {
  // Written out rather than through the tag-range helpers: this runs for every command, and
  // returning a range would allocate.
  if (typeof key === 'string') {
    // '{' and '}' are ASCII, and UTF-8 never uses an ASCII byte inside a multi-byte character,
    // so searching the chars finds the same braces as searching the encoded bytes.
    const open = key.indexOf('{');
    if (open !== -1) {
      const close = key.indexOf('}', open + 1);
      if (close > open + 1) return crc16Utf8(key, open + 1, close) & SLOT_MASK;
    }
    return crc16Utf8(key, 0, key.length) & SLOT_MASK;
  }
  const open = key.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return crc16Bytes(key, open + 1, close) & SLOT_MASK;
  }
  return crc16Bytes(key, 0, key.length) & SLOT_MASK;
}

function tagRangeOfString(key: string): [number, number] {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return [open + 1, close];
  }
  return [0, key.length];
}

function tagRangeOfBytes(key: Buffer): [number, number] {
  const open = key.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return [open + 1, close];
  }
  return [0, key.length];
}
