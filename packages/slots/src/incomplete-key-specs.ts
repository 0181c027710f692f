import type { CommandArgument } from '@hashslot/resp';
import { isEmptyArgument, isKeyword } from './command-arguments.js';

/**
 * Key finders for the commands whose key specs the server itself marks `unknown` or
 * `incomplete`. For those, the key-specs page says a client must ask COMMAND GETKEYS or know the
 * command; the server uses a finder of its own (a `getkeys_proc` in src/db.c), and these give
 * the same keys in the same order as redis-server 7.0's, so that routing agrees with the server.
 * https://redis.io/docs/latest/develop/reference/key-specs/
 *
 * A unit test fails when a regenerated table has another such command without a finder here.
 */

/** The keys of one invocation, found by reading its arguments rather than by its key specs. */
export type KeyFinder = (args: readonly CommandArgument[]) => CommandArgument[];

/**
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]:
 * the sorted key and the STORE destination. BY and GET patterns are not keys: they name keys
 * only through the values being sorted (in a cluster the server checks their hash tag itself).
 * The options' own arguments are skipped so that `GET store` does not read as STORE; the last
 * STORE wins, as in the command.
 */
function sortKeys(args: readonly CommandArgument[]): CommandArgument[] {
  const argc = args.length;
  if (argc < 2) return [];
  let store = -1;
  for (let i = 2; i < argc; i++) {
    const arg = args[i];
    if (isKeyword(arg, 'LIMIT')) i += 2;
    else if (isKeyword(arg, 'GET') || isKeyword(arg, 'BY')) i += 1;
    else if (isKeyword(arg, 'STORE') && i + 1 < argc) store = i + 1;
  }
  return store === -1 ? [args[1]] : [args[1], args[store]];
}

/** SORT_RO key ...: only the sorted key (it has no STORE). */
function sortReadOnlyKeys(args: readonly CommandArgument[]): CommandArgument[] {
  return args.length < 2 ? [] : [args[1]];
}

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password | AUTH2 user password]
 * [KEYS key ...]. The spec for KEYS is incomplete because a password may read "KEYS": the
 * options are walked from argument 6, skipping AUTH's and AUTH2's arguments. With KEYS the key
 * argument must be empty; otherwise the server finds no keys (and the command fails).
 */
function migrateKeys(args: readonly CommandArgument[]): CommandArgument[] {
  const argc = args.length;
  let first = 3;
  let count = 1;
  for (let i = 6; i < argc; i++) {
    const arg = args[i];
    if (isKeyword(arg, 'KEYS')) {
      if (!isEmptyArgument(args[3])) return [];
      first = i + 1;
      count = argc - first;
      break;
    }
    if (isKeyword(arg, 'AUTH')) i += 1;
    else if (isKeyword(arg, 'AUTH2')) i += 2;
  }
  const keys: CommandArgument[] = [];
  for (let i = first; i < first + count && i < argc; i++) keys.push(args[i]);
  return keys;
}

/** By lower-case command name. */
export const INCOMPLETE_KEY_SPEC_FINDERS: ReadonlyMap<string, KeyFinder> = new Map([
  ['sort', sortKeys],
  ['sort_ro', sortReadOnlyKeys],
  ['migrate', migrateKeys],
]);
