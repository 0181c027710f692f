import { RedisError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { ClusterError } from '../errors.js';
import { mayBeLossy, read, readExact } from './exact.js';
import { arity, keyText, side, transitKey } from './keys.js';
import { mayHaveRun, value } from './outcome.js';

type Side = 'LEFT' | 'RIGHT';
type MoveName = 'LMOVE' | 'RPOPLPUSH' | 'BLMOVE' | 'BRPOPLPUSH';

/**
 * List moves across slots. The element is first moved, natively and atomically, into a new
 * "transit" key in the source's slot (LMOVE, or BLMOVE, which blocks on the source alone), then
 * pushed onto the destination, then the transit key is deleted. Until the push succeeds the
 * element is always in a key, never only in this process's memory; if the push fails without
 * having run it goes back to the end of the source it came from (a native LMOVE again).
 */
export function move(name: MoveName) {
  return async (core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> => {
    switch (name) {
      case 'LMOVE':
        arity(name, args, 5);
        return moveElement(core, name, args[1], args[2], side(name, args[3]), side(name, args[4]), undefined);
      case 'RPOPLPUSH':
        arity(name, args, 3);
        return moveElement(core, name, args[1], args[2], 'RIGHT', 'LEFT', undefined);
      case 'BLMOVE':
        arity(name, args, 6);
        return moveElement(core, name, args[1], args[2], side(name, args[3]), side(name, args[4]), args[5]);
      case 'BRPOPLPUSH':
        arity(name, args, 4);
        return moveElement(core, name, args[1], args[2], 'RIGHT', 'LEFT', args[3]);
    }
  };
}

async function moveElement(
  core: ClusterCore,
  name: MoveName,
  source: CommandArgument,
  destination: CommandArgument,
  from: Side,
  to: Side,
  timeout: CommandArgument | undefined,
): Promise<RespReply> {
  const transit = transitKey(source);
  const park: CommandArgument[] = timeout === undefined ? ['LMOVE', source, transit, from, 'LEFT'] : ['BLMOVE', source, transit, from, 'LEFT', timeout];
  const [parked] = await core.batch([park]);
  if (parked instanceof RedisError && mayHaveRun(parked)) {
    // The pop into the transit key may have run: the element may be there, and must be findable.
    throw new ClusterError(
      `${name}: moving the element out of "${keyText(source)}" failed after it may have run, so it may be in "${keyText(transit)}"`,
      { command: name, cause: parked },
    );
  }
  const element = value(parked) as string | Buffer | null;
  if (element === null) return null;
  let bytes: string | Buffer = element;
  if (mayBeLossy(element)) {
    const [exact] = await readExact(core, [read('LINDEX', [transit], [0])]);
    bytes = value(exact) as Buffer;
  }
  const [pushed] = await core.batch([[to === 'LEFT' ? 'LPUSH' : 'RPUSH', destination, bytes]]);
  if (pushed instanceof RedisError) {
    if (mayHaveRun(pushed)) {
      throw new ClusterError(
        `${name}: pushing onto "${keyText(destination)}" failed after it may have run, so the element was left in ` +
          `"${keyText(transit)}" (the slot of "${keyText(source)}") rather than risk a duplicate or a loss`,
        { command: name, cause: pushed },
      );
    }
    const [back] = await core.batch([['LMOVE', transit, source, 'LEFT', from]]);
    if (back instanceof RedisError) {
      throw new ClusterError(
        `${name}: pushing onto "${keyText(destination)}" failed (${pushed.message}) and the element could not be put back ` +
          `into "${keyText(source)}"; it is in "${keyText(transit)}"`,
        { command: name, cause: back },
      );
    }
    throw pushed;
  }
  // The move is done; a failure here leaves a copy in the transit key (see the README) but must
  // not report a move that happened as failed.
  await core.batch([['DEL', transit]]);
  return element;
}
