import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { read, readExact } from './exact.js';
import { copyKeys, slotOf } from './keys.js';
import { allRead, value } from './outcome.js';
import { WITH_COPIES } from './scripts.js';

/**
 * PFCOUNT and PFMERGE across slots: the HyperLogLogs of other slots are read (GET, byte for
 * byte: they are binary), then one script on the anchor's node copies them into temporary keys
 * of its slot (a hash tag), runs the native command over its own keys and the copies, and
 * deletes the copies, all at once. The server does the HyperLogLog arithmetic itself, so the
 * estimate is exactly the one a single node gives. A missing key needs no copy (it counts as
 * empty); a key of another type fails the GET with the same WRONGTYPE as the native command.
 */
async function withCopies(
  core: ClusterCore,
  command: 'PFCOUNT' | 'PFMERGE',
  anchor: CommandArgument,
  local: readonly CommandArgument[],
  remote: readonly CommandArgument[],
): Promise<RespReply> {
  const values = allRead(await readExact(core, remote.map((key) => read('GET', [key])), true)) as (Buffer | null)[];
  const present = values.filter((hll): hll is Buffer => hll !== null);
  const copies = copyKeys(anchor, present.length);
  const [reply] = await core.batch([['EVAL', WITH_COPIES, local.length + copies.length, ...local, ...copies, command, ...present]]);
  return value(reply);
}

/** PFCOUNT over keys of several slots: the union's estimate, counted on the first key's node. */
export async function pfcount(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  const keys = args.slice(1);
  if (keys.length === 0) throw new InvalidArgumentError('PFCOUNT: wrong number of arguments');
  const anchor = slotOf(keys[0]);
  return withCopies(core, 'PFCOUNT', keys[0], keys.filter((key) => slotOf(key) === anchor), keys.filter((key) => slotOf(key) !== anchor));
}

/** PFMERGE with sources in other slots than the destination: merged on the destination's node. */
export async function pfmerge(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  if (args.length < 2) throw new InvalidArgumentError('PFMERGE: wrong number of arguments');
  const destination = args[1];
  const sources = args.slice(2);
  const anchor = slotOf(destination);
  const local = [destination, ...sources.filter((key) => slotOf(key) === anchor)];
  return withCopies(core, 'PFMERGE', destination, local, sources.filter((key) => slotOf(key) !== anchor));
}
