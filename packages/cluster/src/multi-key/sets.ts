import { InvalidArgumentError, RedisError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { ClusterError } from '../errors.js';
import { evalArgs, output, read, readExact, replaceWith } from './exact.js';
import { arity, keyText, transitKey } from './keys.js';
import { allRead, mayHaveRun, value, wrongType } from './outcome.js';

export type SetOperation = 'SINTER' | 'SUNION' | 'SDIFF';

/** Members as the identity the server gives them: their bytes (latin1 maps each byte to one char). */
function identity(member: Buffer): string {
  return member.toString('latin1');
}

/** The server's set algebra over members read byte for byte; each input holds distinct members. */
export function combineSets(operation: SetOperation, sets: readonly (readonly Buffer[])[]): Buffer[] {
  if (operation === 'SUNION') {
    const union = new Map<string, Buffer>();
    for (const set of sets) for (const member of set) if (!union.has(identity(member))) union.set(identity(member), member);
    return [...union.values()];
  }
  const [first, ...rest] = sets;
  if (operation === 'SINTER') {
    const others = rest.map((set) => new Set(set.map(identity)));
    return first.filter((member) => others.every((other) => other.has(identity(member))));
  }
  const removed = new Set(rest.flatMap((set) => set.map(identity)));
  return first.filter((member) => !removed.has(identity(member)));
}

/**
 * SINTER, SUNION, SDIFF and their STORE forms across slots: SMEMBERS of every key (on the
 * masters, byte for byte), the algebra done here, and for STORE the destination replaced at
 * once by a script. Every key is type-checked, as the server does, before any result.
 */
export function setOperation(operation: SetOperation, store: boolean) {
  const name = store ? `${operation}STORE` : operation;
  return async (core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> => {
    const keys = args.slice(store ? 2 : 1);
    if (keys.length === 0) throw new InvalidArgumentError(`${name}: wrong number of arguments`);
    const sets = allRead(await readExact(core, keys.map((key) => read('SMEMBERS', [key])))) as Buffer[][];
    const result = combineSets(operation, sets);
    if (store) return replaceWith(core, args[1], 'set', result);
    return result.map((member) => output(core, member));
  };
}

/**
 * SMOVE across slots: both types checked (as the server does, before anything changes), SREM
 * from the source, SADD to the destination; if the SADD fails the member is added back to the
 * source (SADD is idempotent, so that is right whether or not the failed SADD ran).
 */
export async function smove(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  arity('SMOVE', args, 4);
  const [, source, destination, member] = args;
  const [sourceType, destinationType] = allRead(await core.batch([evalArgs(read('TYPE', [source])), evalArgs(read('TYPE', [destination]))])).map(String);
  if (sourceType === 'none') return 0;
  if (sourceType !== 'set' || (destinationType !== 'none' && destinationType !== 'set')) throw wrongType('SMOVE');
  // Native SMOVE into a transit set of the source's slot: atomic, and the member is never in
  // no set at all; a step that may have run names the transit set instead of losing the member.
  const transit = transitKey(source);
  const [parked] = await core.batch([['SMOVE', source, transit, member]]);
  if (parked instanceof RedisError && mayHaveRun(parked)) {
    throw new ClusterError(`SMOVE: moving the member out of "${keyText(source)}" failed after it may have run, so it may be in "${keyText(transit)}"`, {
      command: 'SMOVE',
      cause: parked,
    });
  }
  if (value(parked) === 0) return 0;
  const [added] = await core.batch([['SADD', destination, member]]);
  if (added instanceof RedisError) {
    if (mayHaveRun(added)) {
      throw new ClusterError(
        `SMOVE: adding to "${keyText(destination)}" failed after it may have run, so the member was left in "${keyText(transit)}" (the slot of "${keyText(source)}") rather than risk a duplicate`,
        { command: 'SMOVE', cause: added },
      );
    }
    const [back] = await core.batch([['SMOVE', transit, source, member]]);
    if (back instanceof RedisError) {
      throw new ClusterError(
        `SMOVE: adding to "${keyText(destination)}" failed (${added.message}) and the member could not be put back into "${keyText(source)}"; it is in "${keyText(transit)}"`,
        { command: 'SMOVE', cause: back },
      );
    }
    throw added;
  }
  // The move is done; a failure here leaves the member also in the transit set, never lost.
  await core.batch([['DEL', transit]]);
  return 1;
}
