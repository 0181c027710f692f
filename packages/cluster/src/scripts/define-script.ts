import { createHash } from 'node:crypto';
import { InvalidArgumentError, ReplyError, type CommandArgument, type RespReply } from '@hashslot/resp';
import type { RedisKey, RedisValue, ScriptReply } from '../commands/index.js';
import type { ClusterCore } from '../core.js';

/** What `defineScript` takes. */
export interface ScriptDefinition {
  /** The Lua body. */
  script: string | Buffer;
  /** When given, every `run` must pass exactly this many keys (checked before sending). */
  numberOfKeys?: number;
  /**
   * A read-only script: runs with EVALSHA_RO / EVAL_RO, which a replica may serve when the
   * client's `readFrom` allows. The server refuses a write inside it.
   */
  readOnly?: boolean;
}

/** A script bound to a client: run it by its SHA1, sending the body only where it is missing. */
export interface ClusterScript<D extends boolean> {
  /** SHA1 of the body, hex, as SCRIPT LOAD and EVALSHA know it. */
  readonly sha1: string;
  readonly script: string | Buffer;
  readonly numberOfKeys: number | undefined;
  readonly readOnly: boolean;
  /**
   * EVALSHA (EVALSHA_RO) on the node of `keys`, which must share a slot (otherwise a
   * `CrossSlotError`, before anything is sent; no keys: some master). When that node answers
   * NOSCRIPT (a node that never saw the script, or flushed its cache, or restarted, or a
   * replica), the body is sent once with EVAL (EVAL_RO), which also caches it there for the
   * next runs. Other errors, the script's own included, reject as they are.
   */
  run(keys?: readonly RedisKey[], args?: readonly RedisValue[]): Promise<ScriptReply<D>>;
}

export function defineScript(core: ClusterCore, definition: ScriptDefinition): ClusterScript<boolean> {
  if (typeof definition !== 'object' || definition === null) throw new InvalidArgumentError('defineScript: needs an object with a script');
  const { script, numberOfKeys, readOnly = false } = definition;
  if (typeof script !== 'string' && !Buffer.isBuffer(script)) throw new InvalidArgumentError('defineScript: option script must be a string or a Buffer');
  if (numberOfKeys !== undefined && (typeof numberOfKeys !== 'number' || !Number.isInteger(numberOfKeys) || numberOfKeys < 0)) {
    throw new InvalidArgumentError(`defineScript: option numberOfKeys must be an integer >= 0; got ${String(numberOfKeys)}`);
  }
  if (typeof readOnly !== 'boolean') throw new InvalidArgumentError('defineScript: option readOnly must be a boolean');
  const sha1 = createHash('sha1').update(script).digest('hex');
  const [bySha, byBody] = readOnly ? ['EVALSHA_RO', 'EVAL_RO'] : ['EVALSHA', 'EVAL'];

  return Object.freeze({
    sha1,
    script,
    numberOfKeys,
    readOnly,
    async run(keys: readonly RedisKey[] = [], args: readonly RedisValue[] = []): Promise<RespReply> {
      if (!Array.isArray(keys)) throw new InvalidArgumentError(`${bySha}: keys must be an array`);
      if (!Array.isArray(args)) throw new InvalidArgumentError(`${bySha}: args must be an array`);
      if (numberOfKeys !== undefined && keys.length !== numberOfKeys) {
        throw new InvalidArgumentError(`${bySha}: the script takes numberOfKeys ${numberOfKeys} keys; got ${keys.length}`);
      }
      const tail: CommandArgument[] = [keys.length, ...keys, ...args];
      try {
        return await core.send([bySha, sha1, ...tail]);
      } catch (error) {
        if (!(error instanceof ReplyError) || error.prefix !== 'NOSCRIPT') throw error;
        return core.send([byBody, script, ...tail]);
      }
    },
  });
}
