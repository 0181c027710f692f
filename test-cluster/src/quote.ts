/**
 * Quotes one argument the way Redis's own tokenizer (sdssplitargs) reads it back: used for
 * redis.conf lines and for commands piped to redis-cli. Every byte that is not printable ASCII is
 * escaped, so passwords, paths and binary keys survive the trip.
 */
export function quoteArg(value: string | number): string {
  let out = '"';
  for (const byte of Buffer.from(String(value), 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}
