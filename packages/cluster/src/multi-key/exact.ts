import { RedisError, type BatchReply, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { value } from './outcome.js';
import { READ, REPLACE } from './scripts.js';

/**
 * Reading values byte for byte, whatever `decodeResponses` says, and writing computed values
 * back. A client that decodes replies turns every byte sequence that is not UTF-8 into U+FFFD,
 * so two different binary members would look equal and a DUMP payload would be ruined; what the
 * client computes from or writes back must be the bytes the server holds.
 */

/** One script run on the slot of its keys; `args` follow the hex flag (ARGV[1]). */
export interface ScriptCall {
  readonly script: string;
  readonly keys: readonly CommandArgument[];
  readonly args: readonly CommandArgument[];
}

/** `command key... arg...` as a READ script call. */
export function read(command: string, keys: readonly CommandArgument[], args: readonly CommandArgument[] = []): ScriptCall {
  return { script: READ, keys, args: [command, ...args] };
}

/** The EVAL command of a script call; `hex` asks for bulk strings as hex (scripts that take the flag). */
export function evalArgs(call: ScriptCall, hex = false): CommandArgument[] {
  return ['EVAL', call.script, call.keys.length, ...call.keys, hex ? '1' : '0', ...call.args];
}

function mapStrings(reply: RespReply, toBytes: (text: string) => Buffer): RespReply {
  if (typeof reply === 'string') return toBytes(reply);
  if (Array.isArray(reply)) return reply.map((item) => mapStrings(item, toBytes));
  return reply;
}

function hasReplacementChar(reply: RespReply): boolean {
  if (typeof reply === 'string') return reply.includes('\uFFFD');
  if (Array.isArray(reply)) return reply.some(hasReplacementChar);
  return false;
}

const fromUtf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const fromHex = (text: string): Buffer => Buffer.from(text, 'hex');

function fromTransport(reply: BatchReply, toBytes: (text: string) => Buffer): BatchReply {
  return reply instanceof RedisError ? reply : mapStrings(reply, toBytes);
}

/**
 * Runs read scripts (each on the master of its slot, all nodes' batches written together) and
 * gives their replies with every bulk string as a Buffer holding the server's exact bytes.
 * Only for scripts whose replies hold no status strings: those would be converted too.
 *
 * A Buffer client reads bytes already. A decoding client first reads plainly: text without
 * U+FFFD decoded from valid UTF-8 and encodes back to the same bytes. Only a reply with U+FFFD
 * (invalid UTF-8, or that character itself) is read again as hex, so text pays nothing extra.
 * `binary` skips the first try for values that are never text (DUMP payloads, HyperLogLogs).
 */
export async function readExact(core: ClusterCore, calls: readonly ScriptCall[], binary = false): Promise<BatchReply[]> {
  if (!core.decodeResponses) return core.batch(calls.map((call) => evalArgs(call, false)));
  if (binary) return (await core.batch(calls.map((call) => evalArgs(call, true)))).map((reply) => fromTransport(reply, fromHex));
  const replies = await core.batch(calls.map((call) => evalArgs(call, false)));
  const again: number[] = [];
  for (let i = 0; i < replies.length; i++) {
    const reply = replies[i];
    if (!(reply instanceof RedisError) && hasReplacementChar(reply)) again.push(i);
    else replies[i] = fromTransport(reply, fromUtf8);
  }
  if (again.length > 0) {
    const hexReplies = await core.batch(again.map((i) => evalArgs(calls[i], true)));
    for (const [k, i] of again.entries()) replies[i] = fromTransport(hexReplies[k], fromHex);
  }
  return replies;
}

/** A value read by `readExact` as the client hands bulk strings out: a string when it decodes, else the Buffer. */
export function output(core: ClusterCore, bytes: Buffer): string | Buffer {
  return core.decodeResponses ? bytes.toString('utf8') : bytes;
}

/** Whether a plain bulk-string reply may have lost bytes to UTF-8 decoding. */
export function mayBeLossy(reply: string | Buffer): boolean {
  return typeof reply === 'string' && reply.includes('\uFFFD');
}

/**
 * Replaces `key` with a set, a sorted set (`items` as score, member pairs) or a list, at once
 * (a script on the key's master); no items deletes the key, as the *STORE commands do. Resolves
 * with the size stored.
 */
export async function replaceWith(
  core: ClusterCore,
  key: CommandArgument,
  kind: 'set' | 'zset' | 'list',
  items: readonly CommandArgument[],
): Promise<number> {
  const [reply] = await core.batch([['EVAL', REPLACE, 1, key, kind, ...items]]);
  return value(reply) as number;
}
