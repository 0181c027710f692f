import type { CommandArgument } from '@hashslot/resp';
import { list } from './arguments.js';
import type { Definitions } from './definition.js';
import type { RedisKey, RedisValue, ScriptReply } from './types.js';

/**
 * https://redis.io/docs/latest/commands/?group=scripting
 * Keys and arguments are separate lists, so that the client can route by the keys (which must
 * share a slot). Loading scripts and functions is a per-node server command, not here.
 */
export interface ScriptingCommands<D extends boolean> {
  /** EVAL. */
  eval(script: string | Buffer, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
  /** EVALSHA. */
  evalsha(sha1: string, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
  /** EVAL_RO: a read-only script, allowed on replicas. */
  evalRo(script: string | Buffer, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
  /** EVALSHA_RO. */
  evalshaRo(sha1: string, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
  /** FCALL. */
  fcall(fn: string, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
  /** FCALL_RO. */
  fcallRo(fn: string, keys: readonly RedisKey[], args?: readonly RedisValue[]): ScriptReply<D>;
}

/** `COMMAND body numkeys key ... arg ...`. */
function buildScript(
  command: string,
  body: string | Buffer,
  keys: readonly RedisKey[],
  args: readonly RedisValue[] | undefined,
): CommandArgument[] {
  list(command, 'keys', keys);
  if (args !== undefined) list(command, 'args', args);
  const out: CommandArgument[] = [command, body, keys.length];
  for (let i = 0; i < keys.length; i++) out.push(keys[i]);
  if (args !== undefined) for (let i = 0; i < args.length; i++) out.push(args[i]);
  return out;
}

export const scriptingDefinitions = {
  eval: { build: (script, keys, args) => buildScript('EVAL', script, keys, args) },
  evalsha: { build: (sha1, keys, args) => buildScript('EVALSHA', sha1, keys, args) },
  evalRo: { build: (script, keys, args) => buildScript('EVAL_RO', script, keys, args) },
  evalshaRo: { build: (sha1, keys, args) => buildScript('EVALSHA_RO', sha1, keys, args) },
  fcall: { build: (fn, keys, args) => buildScript('FCALL', fn, keys, args) },
  fcallRo: { build: (fn, keys, args) => buildScript('FCALL_RO', fn, keys, args) },
} satisfies Definitions<ScriptingCommands<boolean>>;
