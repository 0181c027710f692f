/**
 * One shape for the replies of every parser under test, so that they can be compared: each
 * parser has its own error class, and only ours is typed.
 */

/** A reply as plain data; an error reply keeps only its message. */
export type PlainReply = string | number | null | { readonly error: string } | readonly PlainReply[];

/**
 * Converts a reply as a parser delivered it. Error replies of any class become `{ error }`.
 * @throws TypeError for anything else a RESP2 parser configured for strings must not return
 * (a Buffer above all: it would mean the peer was not decoding UTF-8 like the others).
 */
export function toPlain(reply: unknown): PlainReply {
  if (typeof reply === 'string' || typeof reply === 'number' || reply === null) return reply;
  if (Array.isArray(reply)) return reply.map((item: unknown) => toPlain(item));
  if (reply instanceof Error) return { error: reply.message };
  const what = Buffer.isBuffer(reply) ? 'a Buffer' : typeof reply;
  throw new TypeError(`unexpected reply: ${what} (bulk strings must decode to strings)`);
}

/** FNV-1a step over one 32-bit value. */
function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 0x01000193) >>> 0;
}

export const EMPTY_HASH = 0x811c9dc5;

/**
 * Folds one reply into a running hash of a whole stream, content and order included, so that a
 * self-check sees every reply without keeping them all.
 */
export function hashReply(hash: number, reply: PlainReply): number {
  if (typeof reply === 'string') return mixString(mix(hash, 1), reply);
  if (typeof reply === 'number') return mixString(mix(hash, 2), String(reply));
  if (reply === null) return mix(hash, 3);
  if (isPlainArray(reply)) {
    hash = mix(mix(hash, 4), reply.length);
    for (const item of reply) hash = hashReply(hash, item);
    return hash;
  }
  return mixString(mix(hash, 5), reply.error);
}

function mixString(hash: number, text: string): number {
  hash = mix(hash, text.length);
  for (let i = 0; i < text.length; i++) hash = mix(hash, text.charCodeAt(i));
  return hash;
}

function isPlainArray(reply: PlainReply): reply is readonly PlainReply[] {
  return Array.isArray(reply);
}

/** A short rendering of a reply for a failure message. */
export function preview(reply: PlainReply | undefined): string {
  const text = reply === undefined ? 'nothing' : JSON.stringify(reply);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
