import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type CommandArgument } from '@hashslot/resp';
import { hashTag, keyBytes, keySlot, SLOT_COUNT } from '@hashslot/slots';
import { ClusterError } from '../errors.js';

export function slotOf(arg: CommandArgument): number {
  return keySlot(keyBytes(arg));
}

/** Positions of `keys` per slot, slots in the order their first key comes, positions in key order. */
export function groupBySlot(keys: readonly CommandArgument[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const slot = slotOf(keys[i]);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [i]);
    else group.push(i);
  }
  return groups;
}

/** A key as text, for messages. */
export function keyText(arg: CommandArgument): string {
  const key = keyBytes(arg);
  return typeof key === 'string' ? key : key.toString('utf8');
}

/**
 * A `{tag}` prefix whose keys hash to the slot of `key`: the key's own hash tag (or the key
 * itself as the tag) when that works, which keeps temporary keys next to what they belong to in
 * listings; otherwise the first short tag found for that slot.
 */
function slotPrefix(key: string | Buffer): string | Buffer {
  const slot = keySlot(key);
  const own = typeof key === 'string' ? `{${hashTag(key)}}` : Buffer.concat([Buffer.from('{'), hashTag(key), Buffer.from('}')]);
  if (keySlot(own) === slot) return own;
  // A key such as "a}b" has no tag and cannot be one; about SLOT_COUNT tries find another.
  for (let i = 0; i < SLOT_COUNT * 64; i++) {
    const candidate = `{${i.toString(36)}}`;
    if (keySlot(candidate) === slot) return candidate;
  }
  throw new ClusterError(`no hash tag found for slot ${slot}`);
}

/**
 * A new, unique key in the same slot as `key`, for a value in transit (a list element being
 * moved). The name says what it is, in case a crash leaves it behind.
 */
export function transitKey(key: CommandArgument): string | Buffer {
  const prefix = slotPrefix(keyBytes(key));
  const suffix = `hashslot:transit:${randomBytes(8).toString('hex')}`;
  return typeof prefix === 'string' ? prefix + suffix : Buffer.concat([prefix, Buffer.from(suffix)]);
}

/** `count` new keys in the slot of `key`, for temporary copies that a script creates and deletes. */
export function copyKeys(key: CommandArgument, count: number): (string | Buffer)[] {
  const prefix = slotPrefix(keyBytes(key));
  const id = randomBytes(8).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const suffix = `hashslot:copy:${id}:${i}`;
    return typeof prefix === 'string' ? prefix + suffix : Buffer.concat([prefix, Buffer.from(suffix)]);
  });
}

/** Whether an argument spells `keyword` (upper case), ignoring ASCII case, as the server compares. */
export function isKeyword(arg: CommandArgument | undefined, keyword: string): boolean {
  if (typeof arg === 'string') return arg.length === keyword.length && arg.toUpperCase() === keyword;
  if (Buffer.isBuffer(arg)) return arg.length === keyword.length && arg.toString('latin1').toUpperCase() === keyword;
  return false;
}

/** Throws the server's arity complaint, client-side, when `args` (name included) is not `count` long (or at least `-count`). */
export function arity(command: string, args: readonly CommandArgument[], count: number): void {
  if (count >= 0 ? args.length !== count : args.length < -count) {
    throw new InvalidArgumentError(`${command}: wrong number of arguments`);
  }
}

/** LEFT or RIGHT, as list moves take them. */
export function side(command: string, arg: CommandArgument | undefined): 'LEFT' | 'RIGHT' {
  if (isKeyword(arg, 'LEFT')) return 'LEFT';
  if (isKeyword(arg, 'RIGHT')) return 'RIGHT';
  throw new InvalidArgumentError(`${command}: a side must be LEFT or RIGHT; got ${arg === undefined ? 'nothing' : String(arg)}`);
}
