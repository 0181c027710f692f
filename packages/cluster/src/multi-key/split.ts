import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { evalArgs, read } from './exact.js';
import { groupBySlot } from './keys.js';
import { allRead, allWritten } from './outcome.js';

/**
 * Commands whose keys split cleanly: each key stands alone, so one command per slot (all of a
 * node's commands in one write, every node written before any reply is awaited) gives the same
 * result as the whole command, only without atomicity across slots.
 */

function perSlot(name: string, keys: readonly CommandArgument[]): { commands: CommandArgument[][]; groups: number[][] } {
  const groups = [...groupBySlot(keys).values()];
  return { commands: groups.map((group) => [name, ...group.map((i) => keys[i])]), groups };
}

/** MGET: values back in the caller's key order. */
export async function mget(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  const keys = args.slice(1);
  const { commands, groups } = perSlot('MGET', keys);
  const replies = allRead(await core.batch(commands));
  const values = new Array<RespReply>(keys.length);
  for (const [g, group] of groups.entries()) {
    const slotValues = replies[g] as RespReply[];
    for (const [k, i] of group.entries()) values[i] = slotValues[k];
  }
  return values;
}

/** DEL, UNLINK, EXISTS, TOUCH: the per-slot counts summed (a key named twice stays in one slot's command, so EXISTS counts it twice). */
export function counting(name: 'DEL' | 'UNLINK' | 'EXISTS' | 'TOUCH') {
  const write = name === 'DEL' || name === 'UNLINK';
  return async (core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> => {
    const { commands } = perSlot(name, args.slice(1));
    const replies = await core.batch(commands);
    const counts = write ? allWritten(name, replies) : allRead(replies);
    return counts.reduce<number>((sum, count) => sum + (count as number), 0);
  };
}

function pairsOf(name: string, args: readonly CommandArgument[]): { keys: CommandArgument[]; values: CommandArgument[] } {
  if (args.length < 3 || (args.length - 1) % 2 !== 0) throw new InvalidArgumentError(`${name}: wrong number of arguments`);
  const keys: CommandArgument[] = [];
  const values: CommandArgument[] = [];
  for (let i = 1; i < args.length; i += 2) {
    keys.push(args[i]);
    values.push(args[i + 1]);
  }
  return { keys, values };
}

function msetCommands(keys: readonly CommandArgument[], values: readonly CommandArgument[]): CommandArgument[][] {
  return [...groupBySlot(keys).values()].map((group) => {
    const command: CommandArgument[] = ['MSET'];
    // Pairs keep their order within a slot, so a key given twice ends with its last value.
    for (const i of group) command.push(keys[i], values[i]);
    return command;
  });
}

/** MSET: one MSET per slot. */
export async function mset(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  const { keys, values } = pairsOf('MSET', args);
  allWritten('MSET', await core.batch(msetCommands(keys, values)));
  return 'OK';
}

/**
 * MSETNX: EXISTS on every key (on the masters), then, when none exists, one MSET per slot.
 * Not atomic: see the README of this directory for the race.
 */
export async function msetnx(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  const { keys, values } = pairsOf('MSETNX', args);
  // On the masters (a script), so that a replica's lag does not widen the race.
  const checks = [...groupBySlot(keys).values()].map((group) => evalArgs(read('EXISTS', group.map((i) => keys[i]))));
  const existing = allRead(await core.batch(checks));
  if (existing.some((count) => (count as number) > 0)) return 0;
  allWritten('MSETNX', await core.batch(msetCommands(keys, values)));
  return 1;
}
