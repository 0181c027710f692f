/**
 * CRC16 as Redis Cluster uses it to place keys: the XMODEM variant (polynomial 0x1021, initial
 * value 0, no reflection, no final xor; "123456789" gives 0x31C3).
 * https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model
 */

/** Byte-at-a-time lookup table, built once when the module loads and never written again. */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

/** CRC16 of bytes `start` to `end` of `bytes`. */
export function crc16Bytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * CRC16 of the UTF-8 encoding of chars `start` to `end` of `text`, without encoding it into a
 * Buffer first. A lone surrogate counts as U+FFFD, as Buffer.from and our encoder send it.
 */
export function crc16Utf8(text: string, start = 0, end = text.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ code) & 0xff];
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    }
    if (code < 0x800) {
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0xc0 | (code >> 6))) & 0xff];
    } else {
      if (code < 0x10000) {
        crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0xe0 | (code >> 12))) & 0xff];
      } else {
        crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0xf0 | (code >> 18))) & 0xff];
        crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0x80 | ((code >> 12) & 0x3f))) & 0xff];
      }
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0x80 | ((code >> 6) & 0x3f))) & 0xff];
    }
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ (0x80 | (code & 0x3f))) & 0xff];
  }
  return crc;
}

/** CRC16 of a Buffer's bytes, or of a string's UTF-8 bytes. */
export function crc16(data: string | Uint8Array): number {
  return typeof data === 'string' ? crc16Utf8(data) : crc16Bytes(data);
}
