/**
 * Scripts and functions on a cluster. The script cache is per node and SCRIPT LOAD/FLUSH are not
 * replicated, so the cache commands run on every master (or every node) and their replies are
 * combined as the server's response policies say: LOAD the one SHA1, FLUSH all succeeded, EXISTS
 * a logical AND. EVAL/EVALSHA/FCALL themselves are typed methods routed by their keys.
 */
import { InvalidArgumentError, type RespReply } from '@hashslot/resp';
import { text } from '../commands/replies.js';
import { CORE, type HasCore, defineMethods } from '../core.js';
import { defineScript, type ClusterScript, type ScriptDefinition } from './define-script.js';
import { agreed, onEveryNode } from './every-node.js';

export type { ClusterScript, ScriptDefinition } from './define-script.js';

/** Which nodes a script-cache command runs on. */
export interface ScriptNodesOptions {
  /**
   * `'masters'` (default): enough when scripts run on masters. `'all'`: replicas too (the
   * server's own request policy for SCRIPT LOAD and FLUSH), for EVALSHA_RO served by replicas
   * under `readFrom`. Every selected node must succeed.
   */
  nodes?: 'masters' | 'all';
}

/** How SCRIPT FLUSH and FUNCTION FLUSH free memory. */
export type ScriptFlushMode = 'ASYNC' | 'SYNC';

export interface ScriptMethods<D extends boolean> {
  /**
   * SCRIPT LOAD on every master (or node): resolves with the script's SHA1 once all have it.
   * Rejects with a `ClusterError` listing each node that failed (the others did load it).
   */
  scriptLoad(script: string | Buffer, options?: ScriptNodesOptions): Promise<string>;
  /**
   * SCRIPT EXISTS on every master: per SHA1, `true` only when every master has it cached.
   * Rejects with a `ClusterError` when a master cannot answer.
   */
  scriptExists(...sha1s: string[]): Promise<boolean[]>;
  /** SCRIPT FLUSH on every master (or node): `true` when all succeeded, else a `ClusterError` listing the failures. */
  scriptFlush(mode?: ScriptFlushMode, options?: ScriptNodesOptions): Promise<true>;
  /**
   * A script object whose `run(keys, args)` sends EVALSHA and falls back to EVAL on NOSCRIPT, so
   * that callers never load scripts by hand. See `ClusterScript.run`.
   */
  defineScript(definition: ScriptDefinition): ClusterScript<D>;
  /**
   * FUNCTION LOAD on every master (functions are replicated to replicas): resolves with the
   * library name. `replace` overwrites a library of that name. Rejects with a `ClusterError`
   * listing each master that failed; the others did load it.
   */
  functionLoad(code: string | Buffer, options?: { replace?: boolean }): Promise<string>;
  /** FUNCTION DELETE on every master: `true` when all deleted it. */
  functionDelete(library: string): Promise<true>;
  /** FUNCTION FLUSH on every master: `true` when all succeeded. */
  functionFlush(mode?: ScriptFlushMode): Promise<true>;
}

const methods = {
  async scriptLoad(this: HasCore, script: string | Buffer, options?: ScriptNodesOptions): Promise<string> {
    if (typeof script !== 'string' && !Buffer.isBuffer(script)) throw new InvalidArgumentError('SCRIPT LOAD: script must be a string or a Buffer');
    const answers = await onEveryNode(this[CORE], 'SCRIPT LOAD', ['SCRIPT', 'LOAD', script], nodesOption('SCRIPT LOAD', options));
    return agreed('SCRIPT LOAD', answers, text);
  },

  async scriptExists(this: HasCore, ...sha1s: string[]): Promise<boolean[]> {
    if (sha1s.length === 0) throw new InvalidArgumentError('SCRIPT EXISTS: needs at least one sha1');
    for (const sha1 of sha1s) if (typeof sha1 !== 'string') throw new InvalidArgumentError('SCRIPT EXISTS: each sha1 must be a string');
    const answers = await onEveryNode(this[CORE], 'SCRIPT EXISTS', ['SCRIPT', 'EXISTS', ...sha1s], 'masters');
    return sha1s.map((_, i) => answers.every((answer) => (answer.reply as RespReply[])[i] === 1));
  },

  async scriptFlush(this: HasCore, mode?: ScriptFlushMode, options?: ScriptNodesOptions): Promise<true> {
    await onEveryNode(this[CORE], 'SCRIPT FLUSH', ['SCRIPT', 'FLUSH', ...flushMode('SCRIPT FLUSH', mode)], nodesOption('SCRIPT FLUSH', options));
    return true;
  },

  defineScript(this: HasCore, definition: ScriptDefinition): ClusterScript<boolean> {
    return defineScript(this[CORE], definition);
  },

  async functionLoad(this: HasCore, code: string | Buffer, options?: { replace?: boolean }): Promise<string> {
    if (typeof code !== 'string' && !Buffer.isBuffer(code)) throw new InvalidArgumentError('FUNCTION LOAD: code must be a string or a Buffer');
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw new InvalidArgumentError('FUNCTION LOAD: options must be an object');
    const replace = options?.replace;
    if (replace !== undefined && typeof replace !== 'boolean') throw new InvalidArgumentError('FUNCTION LOAD: option replace must be a boolean');
    const args = replace === true ? ['FUNCTION', 'LOAD', 'REPLACE', code] : ['FUNCTION', 'LOAD', code];
    return agreed('FUNCTION LOAD', await onEveryNode(this[CORE], 'FUNCTION LOAD', args, 'masters'), text);
  },

  async functionDelete(this: HasCore, library: string): Promise<true> {
    if (typeof library !== 'string' || library === '') throw new InvalidArgumentError('FUNCTION DELETE: library must be a non-empty string');
    await onEveryNode(this[CORE], 'FUNCTION DELETE', ['FUNCTION', 'DELETE', library], 'masters');
    return true;
  },

  async functionFlush(this: HasCore, mode?: ScriptFlushMode): Promise<true> {
    await onEveryNode(this[CORE], 'FUNCTION FLUSH', ['FUNCTION', 'FLUSH', ...flushMode('FUNCTION FLUSH', mode)], 'masters');
    return true;
  },
};

export function installScriptMethods(prototype: object): void {
  defineMethods(prototype, methods);
}

function nodesOption(command: string, options: ScriptNodesOptions | undefined): 'masters' | 'all' {
  if (options === undefined) return 'masters';
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${command}: options must be an object`);
  const nodes = options.nodes ?? 'masters';
  if (nodes !== 'masters' && nodes !== 'all') throw new InvalidArgumentError(`${command}: option nodes must be 'masters' or 'all'; got ${String(nodes)}`);
  return nodes;
}

function flushMode(command: string, mode: ScriptFlushMode | undefined): ScriptFlushMode[] {
  if (mode === undefined) return [];
  if (mode !== 'ASYNC' && mode !== 'SYNC') throw new InvalidArgumentError(`${command}: mode must be 'ASYNC' or 'SYNC'; got ${String(mode)}`);
  return [mode];
}
