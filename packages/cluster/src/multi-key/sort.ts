import { InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import { commandKeys, CrossSlotError } from '@hashslot/slots';
import type { ClusterCore } from '../core.js';
import { read, readExact, replaceWith } from './exact.js';
import { isKeyword } from './keys.js';
import { value } from './outcome.js';

/** SORT's arguments with every `STORE destination` taken out (the server keeps the last one). */
export function withoutStore(args: readonly CommandArgument[]): { options: CommandArgument[]; destination: CommandArgument | undefined } {
  const options: CommandArgument[] = [];
  let destination: CommandArgument | undefined;
  // The server's own walk: a word takes as many arguments after it as its option has.
  for (let j = 2; j < args.length; j++) {
    const left = args.length - j - 1;
    const word = args[j];
    if (isKeyword(word, 'ASC') || isKeyword(word, 'DESC') || isKeyword(word, 'ALPHA')) {
      options.push(word);
    } else if (isKeyword(word, 'LIMIT') && left >= 2) {
      options.push(word, args[j + 1], args[j + 2]);
      j += 2;
    } else if (isKeyword(word, 'STORE') && left >= 1) {
      destination = args[++j];
    } else if ((isKeyword(word, 'BY') || isKeyword(word, 'GET')) && left >= 1) {
      options.push(word, args[++j]);
    } else {
      throw new InvalidArgumentError('SORT: syntax error');
    }
  }
  return { options, destination };
}

/**
 * SORT ... STORE across slots: the sort runs on the source's node, inside a script, which makes
 * the server sort a set given `BY nosort` exactly as it does for STORE (it forces ALPHA order
 * there so that the stored list is deterministic); the list is then written to the destination
 * at once. A GET pattern that matches nothing stores an empty string, as STORE does.
 */
export async function sortStore(core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> {
  if (args.length < 2) throw new InvalidArgumentError('SORT: wrong number of arguments');
  const { options, destination } = withoutStore(args);
  if (destination === undefined) throw new CrossSlotError('SORT', commandKeys(args));
  const [sorted] = await readExact(core, [read('SORT_RO', [args[1]], options)]);
  const elements = value(sorted) as (Buffer | null)[];
  return replaceWith(core, destination, 'list', elements.map((element) => element ?? ''));
}
