import type { BeginSearchRow, CommandRow, FindKeysRow, KeySpecRow } from './command-row.js';

/**
 * What the server says about a command in its `COMMAND` reply, in the shape a router reads.
 * https://redis.io/docs/latest/commands/command/
 */

/**
 * How a keyless command is spread over a cluster (the `request_policy` tip).
 * https://redis.io/docs/latest/develop/reference/command-tips/
 * - `all_nodes`: run on every node, masters and replicas (CONFIG SET, SCRIPT LOAD).
 * - `all_shards`: run on every master (DBSIZE, KEYS, FLUSHALL).
 * - `multi_shard`: split the keys by slot and send each part to its shard (MGET, DEL).
 * - `special`: needs command-specific handling.
 */
export type RequestPolicy = 'all_nodes' | 'all_shards' | 'multi_shard' | 'special';

/**
 * How the replies of a fanned-out command combine into one (the `response_policy` tip).
 * https://redis.io/docs/latest/develop/reference/command-tips/
 */
export type ResponsePolicy =
  | 'one_succeeded'
  | 'all_succeeded'
  | 'agg_logical_and'
  | 'agg_logical_or'
  | 'agg_min'
  | 'agg_max'
  | 'agg_sum'
  | 'special';

/** Where the search for a key spec's first key begins. */
export type BeginSearch =
  /** The first key is argument `index` (the command name is argument 0). */
  | { readonly type: 'index'; readonly index: number }
  /**
   * The first key follows `keyword`, searched for from argument `startFrom` towards the end, or,
   * when `startFrom` is negative, from that many arguments before the end towards the start.
   */
  | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number }
  /** The server does not describe it (SORT's BY/GET/STORE). */
  | { readonly type: 'unknown' };

/** Which arguments, counted from the begin-search position, are keys. */
export type FindKeys =
  /**
   * Keys up to `lastKey` (relative to the first key; negative: counted from the end of the
   * arguments), every `keyStep` arguments. With `lastKey` -1, a `limit` of N > 1 keeps the first
   * 1/N of the remaining arguments (XREAD's STREAMS: keys, then as many ids).
   */
  | { readonly type: 'range'; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  /**
   * The argument `keyNumIndex` after the begin-search position holds the number of keys; they
   * start `firstKey` arguments after that position, every `keyStep` arguments (EVAL's numkeys).
   */
  | { readonly type: 'keynum'; readonly keyNumIndex: number; readonly firstKey: number; readonly keyStep: number }
  /** The server does not describe it. */
  | { readonly type: 'unknown' };

/**
 * One rule for finding keys in a command's arguments.
 * https://redis.io/docs/latest/develop/reference/key-specs/
 */
export interface KeySpec {
  /** As the server reports them: `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `not_key`, `incomplete`, `variable_flags`. */
  readonly flags: ReadonlySet<string>;
  readonly beginSearch: BeginSearch;
  readonly findKeys: FindKeys;
  /** `not_key`: the arguments are not keys but hash like keys (sharded pub/sub channels). */
  readonly notKey: boolean;
  /** `incomplete`: the spec may miss keys or find non-keys; the server uses its own key finder then. */
  readonly incomplete: boolean;
}

/** A command or a subcommand as the server describes it, with the flags a router needs as booleans. */
export interface CommandInfo {
  /** Lower case; `container|subcommand` for a subcommand (`client|list`, `xinfo|stream`). */
  readonly name: string;
  /** Argument count including the name; negative: at least that many. */
  readonly arity: number;
  /** Every flag the server reports (`readonly`, `write`, `denyoom`, `fast`, `movablekeys` ...). */
  readonly flags: ReadonlySet<string>;
  /** `readonly`: reads data only; a replica may serve it. */
  readonly readonly: boolean;
  /** `write`: may modify data. */
  readonly write: boolean;
  /** `denyoom`: refused when the server is out of memory. */
  readonly denyOom: boolean;
  /** `admin`: an administrative command. */
  readonly admin: boolean;
  /** `pubsub`: a pub/sub command. */
  readonly pubsub: boolean;
  /** `noscript`: not allowed in scripts. */
  readonly noscript: boolean;
  /** `blocking`: may block the connection (BLPOP; XREAD only with BLOCK). */
  readonly blocking: boolean;
  /** `loading`: allowed while the server loads its data. */
  readonly loading: boolean;
  /** `stale`: allowed on a replica with stale data. */
  readonly stale: boolean;
  /** `fast`: constant or log time. */
  readonly fast: boolean;
  /** `movablekeys`: key positions depend on the arguments, not only on the legacy first/last/step. */
  readonly movableKeys: boolean;
  /** `no_mandatory_keys`: may be called without keys (EVAL with numkeys 0). */
  readonly noMandatoryKeys: boolean;
  /** `no_multi`: not allowed inside MULTI. */
  readonly noMulti: boolean;
  /** Legacy key positions: first key, last key (negative: from the end), step; 0 when keyless. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly keySpecs: readonly KeySpec[];
  /** Every tip as the server reports it (`request_policy:all_shards`, `nondeterministic_output` ...). */
  readonly tips: readonly string[];
  /** From the `request_policy` tip; `undefined` for commands that go to the node of their keys (or any node). */
  readonly requestPolicy: RequestPolicy | undefined;
  /** From the `response_policy` tip; `undefined` means the default for the request policy. */
  readonly responsePolicy: ResponsePolicy | undefined;
  /** `nondeterministic_output`: the reply may differ for the same data (RANDOMKEY, SCAN). */
  readonly nondeterministicOutput: boolean;
  /** `nondeterministic_output_order`: the reply is a set in no particular order (KEYS, SMEMBERS). */
  readonly nondeterministicOutputOrder: boolean;
}

const REQUEST_POLICIES: ReadonlySet<string> = new Set<RequestPolicy>(['all_nodes', 'all_shards', 'multi_shard', 'special']);
const RESPONSE_POLICIES: ReadonlySet<string> = new Set<ResponsePolicy>([
  'one_succeeded',
  'all_succeeded',
  'agg_logical_and',
  'agg_logical_or',
  'agg_min',
  'agg_max',
  'agg_sum',
  'special',
]);

function isRequestPolicy(value: string): value is RequestPolicy {
  return REQUEST_POLICIES.has(value);
}

function isResponsePolicy(value: string): value is ResponsePolicy {
  return RESPONSE_POLICIES.has(value);
}

function beginSearch(row: BeginSearchRow): BeginSearch {
  switch (row[0]) {
    case 'index':
      return Object.freeze({ type: 'index', index: row[1] });
    case 'keyword':
      // Upper case once here, so that matching arguments needs no case conversion.
      return Object.freeze({ type: 'keyword', keyword: row[1].toUpperCase(), startFrom: row[2] });
    default:
      return Object.freeze({ type: 'unknown' });
  }
}

function findKeys(row: FindKeysRow): FindKeys {
  switch (row[0]) {
    case 'range':
      return Object.freeze({ type: 'range', lastKey: row[1], keyStep: row[2], limit: row[3] });
    case 'keynum':
      return Object.freeze({ type: 'keynum', keyNumIndex: row[1], firstKey: row[2], keyStep: row[3] });
    default:
      return Object.freeze({ type: 'unknown' });
  }
}

function keySpec(row: KeySpecRow): KeySpec {
  const flags = new Set(row[0]);
  return Object.freeze({
    flags,
    beginSearch: beginSearch(row[1]),
    findKeys: findKeys(row[2]),
    notKey: flags.has('not_key'),
    incomplete: flags.has('incomplete'),
  });
}

/** Builds the public description of one generated row. */
export function commandInfoFromRow(row: CommandRow): CommandInfo {
  const [name, arity, flagList, firstKey, lastKey, step, specRows, tips] = row;
  const flags = new Set(flagList);
  let requestPolicy: RequestPolicy | undefined;
  let responsePolicy: ResponsePolicy | undefined;
  for (const tip of tips) {
    const colon = tip.indexOf(':');
    if (colon === -1) continue;
    const kind = tip.slice(0, colon);
    const value = tip.slice(colon + 1);
    // A policy a newer server invents is left undefined rather than passed on untyped.
    if (kind === 'request_policy' && isRequestPolicy(value)) requestPolicy = value;
    else if (kind === 'response_policy' && isResponsePolicy(value)) responsePolicy = value;
  }
  return Object.freeze({
    name,
    arity,
    flags,
    readonly: flags.has('readonly'),
    write: flags.has('write'),
    denyOom: flags.has('denyoom'),
    admin: flags.has('admin'),
    pubsub: flags.has('pubsub'),
    noscript: flags.has('noscript'),
    blocking: flags.has('blocking'),
    loading: flags.has('loading'),
    stale: flags.has('stale'),
    fast: flags.has('fast'),
    movableKeys: flags.has('movablekeys'),
    noMandatoryKeys: flags.has('no_mandatory_keys'),
    noMulti: flags.has('no_multi'),
    firstKey,
    lastKey,
    step,
    keySpecs: Object.freeze(specRows.map(keySpec)),
    tips: Object.freeze([...tips]),
    requestPolicy,
    responsePolicy,
    nondeterministicOutput: tips.includes('nondeterministic_output'),
    nondeterministicOutputOrder: tips.includes('nondeterministic_output_order'),
  });
}
