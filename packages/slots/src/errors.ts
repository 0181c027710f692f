import { RedisError, ReplyError } from '@hashslot/resp';
import type { CommandArgument } from '@hashslot/resp';
import { keyBytes, keyText } from './command-arguments.js';
import { keySlot } from './key-slot.js';

/** A CLUSTER SHARDS or CLUSTER SLOTS reply that does not have the shape the server documents. */
export class SlotMapError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_SLOT_MAP';
  /** `host:port` of the node whose reply it was. */
  readonly address: string;

  constructor(message: string, address: string) {
    super(`${message} (in the reply of ${address})`);
    this.address = address;
  }
}

/** Keys beyond this many are counted, not listed, in the message; the `keys` field has them all. */
const LISTED_KEYS = 8;
/** Longer keys are cut in the message, so that one huge key cannot make a huge log line. */
const LISTED_KEY_CHARS = 80;

/**
 * The keys of one command hash to different slots, so no single node can run it: the client's
 * counterpart of the server's `-CROSSSLOT` reply (its `prefix` reads `CROSSSLOT` too). Carries
 * the keys, never the command's other arguments, which may be values or passwords.
 */
export class CrossSlotError extends ReplyError {
  override readonly code: string = 'ERR_HASHSLOT_CROSSSLOT';
  /** The command, upper case (`MSET`, `XINFO STREAM`). */
  override readonly command: string;
  /** Every key, in argument order, as text: Buffers as UTF-8, or with `\xNN` escapes when not UTF-8. */
  readonly keys: readonly string[];
  /** The distinct slots of the keys, in the order the keys first reach them. */
  readonly slots: readonly number[];

  /** @param keys The command's keys (see `commandKeys`), not its other arguments. */
  constructor(command: string, keys: readonly CommandArgument[]) {
    const texts = keys.map(keyText);
    const keySlots = keys.map((key) => keySlot(keyBytes(key)));
    super(crossSlotMessage(command, texts, keySlots), { command });
    this.command = command;
    this.keys = Object.freeze(texts);
    this.slots = Object.freeze([...new Set(keySlots)]);
  }
}

function crossSlotMessage(command: string, keys: readonly string[], slots: readonly number[]): string {
  const listed = keys
    .slice(0, LISTED_KEYS)
    .map((key, i) => `"${key.length > LISTED_KEY_CHARS ? `${key.slice(0, LISTED_KEY_CHARS)}...` : key}" (slot ${slots[i]})`);
  if (keys.length > LISTED_KEYS) listed.push(`and ${keys.length - LISTED_KEYS} more`);
  return (
    `CROSSSLOT Keys in request don't hash to the same slot: ${command} got ${listed.join(', ')}. ` +
    'Keys used together need a common hash tag: only the text between the first { and the next } is hashed, ' +
    'so {user:1}:a and {user:1}:b share a slot.'
  );
}
