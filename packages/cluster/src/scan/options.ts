import { InvalidArgumentError, type CommandArgument } from '@hashslot/resp';

/** Options of `scanIterator` (SCAN on every master). */
export interface ScanOptions extends CollectionScanOptions {
  /** `TYPE`: only keys of this type (`'string'`, `'hash'`, `'zset'`, a module type's name...). */
  type?: string;
}

/** Options of `hscanIterator`, `sscanIterator` and `zscanIterator`. */
export interface CollectionScanOptions {
  /** `MATCH`: a glob-style pattern; the server filters after fetching, so pages may be empty. */
  match?: string | Buffer;
  /**
   * `COUNT`: how much work each call does (a hint, not a page size). Server default: 10; use
   * hundreds or more on big keyspaces, since each call is a round trip.
   */
  count?: number;
  /**
   * How long (ms) to wait for a failed node to be replaced (or to come back) before the iterator
   * rejects with a `ClusterError`. A failover takes about twice `cluster-node-timeout` plus an
   * election, so raise it with that setting. Default 30 000.
   */
  failoverTimeout?: number;
}

/** `ScanOptions` checked and turned into what each page's command ends with. */
export interface ResolvedScanOptions {
  /** `MATCH p COUNT n TYPE t`, as given. */
  readonly tail: readonly CommandArgument[];
  readonly failoverTimeout: number;
}

const DEFAULT_FAILOVER_TIMEOUT = 30_000;
const MAX_TIMER = 2 ** 31 - 1;
const COLLECTION_OPTIONS = ['match', 'count', 'failoverTimeout'] as const;
const SCAN_OPTIONS = [...COLLECTION_OPTIONS, 'type'] as const;

/**
 * Checks the options of a scan before anything is sent. `command` names the command in messages;
 * `TYPE` is SCAN's alone.
 */
export function resolveScanOptions(command: 'SCAN' | 'HSCAN' | 'SSCAN' | 'ZSCAN', options: ScanOptions | undefined): ResolvedScanOptions {
  if (options === undefined) return { tail: [], failoverTimeout: DEFAULT_FAILOVER_TIMEOUT };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${command}: options must be an object; got ${describe(options)}`);
  }
  const known: readonly string[] = command === 'SCAN' ? SCAN_OPTIONS : COLLECTION_OPTIONS;
  for (const name of Object.keys(options)) {
    // A typo (`matches`) would otherwise scan everything without a word.
    if (!known.includes(name)) throw new InvalidArgumentError(`${command}: unknown option ${name}; known: ${known.join(', ')}`);
  }
  const tail: CommandArgument[] = [];
  const { match, count, type, failoverTimeout } = options;
  if (match !== undefined) {
    if (typeof match !== 'string' && !Buffer.isBuffer(match)) {
      throw new InvalidArgumentError(`${command}: option match must be a string or a Buffer; got ${describe(match)}`);
    }
    tail.push('MATCH', match);
  }
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      throw new InvalidArgumentError(`${command}: option count must be an integer >= 1; got ${describe(count)}`);
    }
    tail.push('COUNT', count);
  }
  if (type !== undefined) {
    if (typeof type !== 'string' || type === '') throw new InvalidArgumentError(`${command}: option type must be a non-empty string; got ${describe(type)}`);
    tail.push('TYPE', type);
  }
  if (failoverTimeout !== undefined) {
    if (typeof failoverTimeout !== 'number' || !Number.isInteger(failoverTimeout) || failoverTimeout < 0 || failoverTimeout > MAX_TIMER) {
      throw new InvalidArgumentError(`${command}: option failoverTimeout must be milliseconds from 0 to ${MAX_TIMER}; got ${describe(failoverTimeout)}`);
    }
  }
  return { tail, failoverTimeout: failoverTimeout ?? DEFAULT_FAILOVER_TIMEOUT };
}

/** Throws unless `key` is a key name. */
export function checkKey(command: string, key: unknown): void {
  if (typeof key !== 'string' && !Buffer.isBuffer(key)) throw new InvalidArgumentError(`${command}: key must be a string or a Buffer; got ${describe(key)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'number') return String(value);
  return typeof value;
}
