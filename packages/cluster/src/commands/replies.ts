import type { RespReply } from '@hashslot/resp';
import type { ScoredMember, StreamEntry } from './types.js';

/**
 * Reply shapers shared by the definitions. A bulk string arrives as a string, or as a Buffer when
 * the client was made with `decodeResponses: false`; every helper takes both. Results are typed
 * with `D = boolean`, where a bulk string is `string | Buffer`; the method signatures narrow that.
 *
 * The shapes are the server's documented RESP2 replies (checked against Redis 7.0); the helpers
 * do not re-validate them.
 */

type Bulk = string | Buffer;

/** A reply as text: for numbers, ids and names that are always ASCII. */
export function text(reply: RespReply): string {
  return typeof reply === 'string' ? reply : String(reply);
}

/** `text`, keeping null. */
export function textOrNull(reply: RespReply): string | null {
  return reply === null ? null : text(reply);
}

/** A reply as a number: integers pass through; doubles arrive as bulk strings, infinities spelled `inf`. */
export function toNumber(reply: RespReply): number {
  if (typeof reply === 'number') return reply;
  const value = text(reply);
  const n = Number(value);
  if (n === n) return n;
  switch (value) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return NaN;
  }
}

/** `toNumber`, keeping null. */
export function toNumberOrNull(reply: RespReply): number | null {
  return reply === null ? null : toNumber(reply);
}

/** Each element through `toNumberOrNull`. */
export function toNumbersOrNull(reply: RespReply): (number | null)[] {
  const items = reply as RespReply[];
  const out = new Array<number | null>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = toNumberOrNull(items[i]);
  return out;
}

/** Each element through `text`. */
export function toTexts(reply: RespReply): string[] {
  const items = reply as RespReply[];
  const out = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = text(items[i]);
  return out;
}

/**
 * Sets an own, enumerable property. A plain assignment of `__proto__` would replace the object's
 * prototype instead, so a hash field of that name would vanish and change the object.
 */
export function setField(record: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[name] = value;
  }
}

/** `[name, value, name, value ...]` -> `{ name: value }`; names become strings (UTF-8), values stay as they came. */
export function toRecord(reply: RespReply): Record<string, Bulk> {
  const items = reply as Bulk[];
  const record: Record<string, Bulk> = {};
  for (let i = 0; i + 1 < items.length; i += 2) setField(record, text(items[i]), items[i + 1]);
  return record;
}

/** `[member, score, member, score ...]` -> `[{ member, score }]`. */
export function toScoredMembers(reply: RespReply): ScoredMember<boolean>[] {
  const items = reply as Bulk[];
  const out: ScoredMember<boolean>[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push({ member: items[i], score: toNumber(items[i + 1]) });
  return out;
}

/** `[[member, score], ...]` (the nested form of ZMPOP and BZMPOP) -> `[{ member, score }]`. */
export function toScoredPairs(reply: RespReply): ScoredMember<boolean>[] {
  const items = reply as Bulk[][];
  const out = new Array<ScoredMember<boolean>>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = { member: items[i][0], score: toNumber(items[i][1]) };
  return out;
}

/** `[id, [field, value ...]]` -> `{ id, fields }`; `fields` is null for an entry deleted while pending. */
export function toStreamEntryOrDeleted(reply: RespReply): { id: string; fields: Record<string, Bulk> | null } {
  const item = reply as RespReply[];
  return { id: text(item[0]), fields: item[1] === null ? null : toRecord(item[1]) };
}

export function toStreamEntry(reply: RespReply): StreamEntry<boolean> {
  const item = reply as RespReply[];
  return { id: text(item[0]), fields: toRecord(item[1]) };
}

/** `[[id, [field, value ...]], ...]` -> `[{ id, fields }]`. */
export function toStreamEntries(reply: RespReply): StreamEntry<boolean>[] {
  const items = reply as RespReply[];
  const out = new Array<StreamEntry<boolean>>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = toStreamEntry(items[i]);
  return out;
}

/** `xinfo-field-name` -> `xinfoFieldName`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The flat `[name, value ...]` records of XINFO -> an object with camel-cased names. Values go
 * through `convert[name]` when there is one and pass through otherwise, so that fields a newer
 * server adds still appear (untyped).
 */
export function toInfoRecord(
  reply: RespReply,
  convert: Readonly<Record<string, (value: RespReply) => unknown>>,
): Record<string, unknown> {
  const items = reply as RespReply[];
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < items.length; i += 2) {
    const name = camelCase(text(items[i]));
    const value = items[i + 1];
    setField(record, name, Object.hasOwn(convert, name) ? convert[name](value) : value);
  }
  return record;
}
