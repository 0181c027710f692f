import type { CommandArgument } from '@hashslot/resp';

/**
 * Reading command arguments the way the server reads them, without converting them first: these
 * run for every routed command, and an argument may be a string, a Buffer, a number or a bigint.
 */

const LOWER_A = 97;
const LOWER_Z = 122;
const ASCII_CASE_BIT = 32;
const DIGIT_0 = 48;
const DIGIT_1 = 49;
const DIGIT_9 = 57;

/**
 * Whether `arg` spells `keyword` (given in upper case), ignoring ASCII case, as the server's
 * `strcasecmp` does. A non-ASCII char never equals an ASCII byte, so comparing UTF-16 code units
 * of a string gives the same answer as comparing its UTF-8 bytes.
 */
export function isKeyword(arg: CommandArgument, keyword: string): boolean {
  if (typeof arg === 'string') {
    if (arg.length !== keyword.length) return false;
    for (let i = 0; i < arg.length; i++) {
      let c = arg.charCodeAt(i);
      if (c >= LOWER_A && c <= LOWER_Z) c -= ASCII_CASE_BIT;
      if (c !== keyword.charCodeAt(i)) return false;
    }
    return true;
  }
  if (Buffer.isBuffer(arg)) {
    if (arg.length !== keyword.length) return false;
    for (let i = 0; i < arg.length; i++) {
      let c = arg[i];
      if (c >= LOWER_A && c <= LOWER_Z) c -= ASCII_CASE_BIT;
      if (c !== keyword.charCodeAt(i)) return false;
    }
    return true;
  }
  // Numbers are sent as digits (or +inf/-inf), and no keyword is made of those.
  return false;
}

/**
 * Longest decimal we parse; longer ones exceed any argument count (a command of 10^15 arguments
 * cannot be sent), so they are as invalid for a numkeys as text is.
 */
const MAX_DIGITS = 15;

/**
 * A numkeys argument as the server's `string2ll` reads it, or -1 when it is not a non-negative
 * integer: plain decimal digits, no sign, no leading zero, no spaces.
 */
export function parseCount(arg: CommandArgument | undefined): number {
  if (typeof arg === 'string') {
    const length = arg.length;
    if (length === 0 || length > MAX_DIGITS) return -1;
    const first = arg.charCodeAt(0);
    if (length > 1 && first === DIGIT_0) return -1;
    let value = 0;
    for (let i = 0; i < length; i++) {
      const c = arg.charCodeAt(i);
      if (c < DIGIT_0 || c > DIGIT_9) return -1;
      value = value * 10 + (c - DIGIT_0);
    }
    return value;
  }
  if (Buffer.isBuffer(arg)) {
    const length = arg.length;
    if (length === 0 || length > MAX_DIGITS) return -1;
    if (length > 1 && arg[0] < DIGIT_1) return -1;
    let value = 0;
    for (let i = 0; i < length; i++) {
      const c = arg[i];
      if (c < DIGIT_0 || c > DIGIT_9) return -1;
      value = value * 10 + (c - DIGIT_0);
    }
    return value;
  }
  // The encoder sends String(n): -0 goes out as "0", fractions and exponents are not integers.
  if (typeof arg === 'number') return Number.isSafeInteger(arg) && arg >= 0 ? arg + 0 : -1;
  if (typeof arg === 'bigint') return arg >= 0n && arg <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(arg) : -1;
  return -1;
}

/** Whether an argument is sent as zero bytes. */
export function isEmptyArgument(arg: CommandArgument): boolean {
  return (typeof arg === 'string' || Buffer.isBuffer(arg)) && arg.length === 0;
}

/** A key argument as keySlot takes it: numbers as the text the encoder sends for them. */
export function keyBytes(arg: CommandArgument): string | Buffer {
  if (typeof arg === 'string' || Buffer.isBuffer(arg)) return arg;
  // Same spelling as the encoder, so the slot is that of the bytes that reach the server.
  if (arg === Infinity) return '+inf';
  if (arg === -Infinity) return '-inf';
  return String(arg);
}

/**
 * A key as readable text for errors: strings and valid UTF-8 as they are, other bytes as `\xNN`.
 * Control characters are escaped either way, so a key cannot break a log line.
 */
export function keyText(arg: CommandArgument): string {
  const key = keyBytes(arg);
  let text: string;
  if (typeof key === 'string') {
    text = key;
  } else {
    const decoded = key.toString('utf8');
    text = Buffer.byteLength(decoded, 'utf8') === key.length && Buffer.from(decoded, 'utf8').equals(key) ? decoded : latin1Escaped(key);
  }
  return escapeControls(text);
}

function latin1Escaped(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return text;
}

function escapeControls(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : text[i];
  }
  return out;
}
