import { RedisError, ReplyError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
import { ClusterError } from '../errors.js';
import { readExact } from './exact.js';
import { arity, keyText } from './keys.js';
import { value } from './outcome.js';
import { SNAPSHOT } from './scripts.js';

/**
 * RENAME and RENAMENX across slots: the source's DUMP and absolute expiry read at once, RESTORE
 * on the destination (ABSTTL keeps the exact expiry time), then DEL of the source. RENAMENX
 * restores without REPLACE, so a destination that appears in the meantime still wins (BUSYKEY
 * -> 0) and the source is left alone.
 */
export function rename(nx: boolean) {
  const name = nx ? 'RENAMENX' : 'RENAME';
  return async (core: ClusterCore, args: readonly CommandArgument[]): Promise<RespReply> => {
    arity(name, args, 3);
    const [, source, destination] = args;
    // A DUMP payload is binary: read it as hex whatever decodeResponses says.
    const [snapshot] = await readExact(core, [{ script: SNAPSHOT, keys: [source], args: [] }], true);
    const taken = value(snapshot);
    if (taken === null) throw new ReplyError('ERR no such key', { command: name });
    const [payload, expiry] = taken as [Buffer, number];
    const restore: CommandArgument[] = ['RESTORE', destination, expiry > 0 ? expiry : 0, payload, 'ABSTTL'];
    if (!nx) restore.push('REPLACE');
    const [restored] = await core.batch([restore]);
    if (nx && restored instanceof ReplyError && restored.prefix === 'BUSYKEY') return 0;
    value(restored);
    const [deleted] = await core.batch([['DEL', source]]);
    if (deleted instanceof RedisError) {
      throw new ClusterError(
        `${name}: "${keyText(destination)}" holds the value, but deleting "${keyText(source)}" failed, so both keys exist now`,
        { command: name, cause: deleted },
      );
    }
    return nx ? 1 : 'OK';
  };
}
