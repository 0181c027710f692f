import type * as tls from 'node:tls';
import { InvalidArgumentError, type RespParserOptions } from '@hashslot/resp';

/** A node address: `{ host, port }` or `'host:port'`. */
export type NodeAddress = { host: string; port: number } | string;

/** Where replies of read-only commands come from. */
export type ReadFrom = 'master' | 'replica' | 'preferReplica';

/** Maps an address the cluster announces to the one this client can reach. */
export type NatMap =
  | Readonly<Record<string, { host: string; port: number }>>
  | ((address: { host: string; port: number }) => { host: string; port: number } | undefined);

/** Base delays (ms) before retrying after each kind of refusal; attempt n waits n times the base. */
export interface RetryDelays {
  /** After TRYAGAIN (a multi-key command met a slot being migrated). Default 50. */
  tryAgain?: number;
  /** After CLUSTERDOWN, or a slot no master serves. Default 100. */
  clusterDown?: number;
  /** After LOADING (a node loading its dataset). Default 100. */
  loading?: number;
  /** After a connection that failed before the command was written. Default 100. */
  connection?: number;
  /** No wait is longer than this. Default 2000. */
  max?: number;
}

export interface ClusterOptions<D extends boolean = boolean> {
  /** Nodes to discover the cluster from; the first that answers is used. */
  startupNodes: readonly NodeAddress[];
  /** Bulk replies as strings (`true`, the default) or Buffers (`false`). */
  decodeResponses?: D;
  /** ACL user for AUTH on every node; needs `password`. */
  username?: string;
  /** AUTH password for every node. Never shown in errors, events or `util.inspect`. */
  password?: string;
  /** TLS for every node: `true` or Node's TLS options. The servername follows each node's hostname. */
  tls?: boolean | tls.ConnectionOptions;
  /** Milliseconds to connect and handshake with a node. Default 10 000. */
  connectTimeout?: number;
  /** Milliseconds a command may wait for its reply (0: forever). Default 10 000. Blocking commands get their own block time on top. */
  commandTimeout?: number;
  /** Redirections and retries one command may take before `ClusterError('TTL exhausted')`. Default 16. */
  maxRedirections?: number;
  /** Refresh the slot table after this many MOVED replies, counted across the client. Default 25. */
  reinitializeSteps?: number;
  /** Milliseconds between periodic refreshes, with ±10% jitter; 0 turns it off. Default 0. */
  refreshInterval?: number;
  /** Accept a slot table that does not cover every slot without asking the nodes. Default false. */
  skipFullCoverageCheck?: boolean;
  /** Refresh from the nodes the cluster announced, not only from `startupNodes`. Default true. */
  followCluster?: boolean;
  /** Rewrites announced addresses (NAT, containers, tunnels): an object keyed `host:port`, or a function. */
  natMap?: NatMap;
  /** Connections across all nodes, multiplexed and dedicated. Default Infinity. */
  maxConnections?: number;
  /** Connections to one node, the multiplexed one included. Default 64. */
  maxConnectionsPerNode?: number;
  /** Where read-only commands go. Default `'master'`. */
  readFrom?: ReadFrom;
  /** Backoff before retries; see `RetryDelays`. */
  retryDelays?: RetryDelays;
  /** Sent with CLIENT SETNAME on every connection. */
  clientName?: string;
  /** TCP keep-alive initial delay (ms, at least 1000) or `false`. Default 30 000. */
  keepAlive?: number | false;
  /** Limits of the reply parser on every connection. */
  parserLimits?: Pick<RespParserOptions, 'maxBulkLength' | 'maxArrayLength' | 'maxDepth'>;
}

/** Options after defaults, as the rest of the client reads them. */
export interface ResolvedOptions {
  readonly startupNodes: readonly { host: string; port: number }[];
  readonly decodeResponses: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean | tls.ConnectionOptions | undefined;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  readonly maxRedirections: number;
  readonly reinitializeSteps: number;
  readonly refreshInterval: number;
  readonly skipFullCoverageCheck: boolean;
  readonly followCluster: boolean;
  readonly natMap: NatMap | undefined;
  readonly maxConnections: number;
  readonly maxConnectionsPerNode: number;
  readonly readFrom: ReadFrom;
  readonly retryDelays: Required<RetryDelays>;
  readonly clientName: string | undefined;
  readonly keepAlive: number | false | undefined;
  readonly parserLimits: Pick<RespParserOptions, 'maxBulkLength' | 'maxArrayLength' | 'maxDepth'> | undefined;
}

const KNOWN_OPTIONS = new Set<string>([
  'startupNodes', 'decodeResponses', 'username', 'password', 'tls', 'connectTimeout', 'commandTimeout',
  'maxRedirections', 'reinitializeSteps', 'refreshInterval', 'skipFullCoverageCheck', 'followCluster',
  'natMap', 'maxConnections', 'maxConnectionsPerNode', 'readFrom', 'retryDelays', 'clientName',
  'keepAlive', 'parserLimits',
]);

const RETRY_DELAY_NAMES = ['tryAgain', 'clusterDown', 'loading', 'connection', 'max'] as const;
const DEFAULT_RETRY_DELAYS: Required<RetryDelays> = { tryAgain: 50, clusterDown: 100, loading: 100, connection: 100, max: 2000 };
const MAX_TIMER = 2 ** 31 - 1;

/**
 * Checks every option and fills in defaults. A wrong option fails here, naming it, rather than
 * at the first command: an unknown name too, since a typo (`maxRedirects`) would otherwise be
 * silently ignored.
 */
export function resolveOptions(options: ClusterOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('RedisCluster options must be an object with startupNodes');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new InvalidArgumentError(`unknown option ${name}`);
  }
  const startupNodes = parseStartupNodes(options.startupNodes);
  const boolean = (name: keyof ClusterOptions, fallback: boolean): boolean => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`option ${name} must be a boolean; got ${describe(value)}`);
    return value;
  };
  const string = (name: 'username' | 'password' | 'clientName'): string | undefined => {
    const value = options[name];
    if (value === undefined) return undefined;
    // Never echo a credential, not even a wrong one.
    if (typeof value !== 'string') throw new InvalidArgumentError(`option ${name} must be a string; got ${typeof value}`);
    return value;
  };
  const username = string('username');
  const password = string('password');
  if (username !== undefined && password === undefined) {
    throw new InvalidArgumentError('option username needs option password: AUTH takes both');
  }
  const clientName = string('clientName');
  if (clientName !== undefined && !/^[\x21-\x7e]*$/.test(clientName)) {
    throw new InvalidArgumentError('option clientName must be printable ASCII without spaces (CLIENT SETNAME refuses the rest)');
  }
  const tlsOption = options.tls;
  if (tlsOption !== undefined && typeof tlsOption !== 'boolean' && (typeof tlsOption !== 'object' || tlsOption === null)) {
    throw new InvalidArgumentError(`option tls must be a boolean or Node's TLS options; got ${describe(tlsOption)}`);
  }
  const readFrom = options.readFrom ?? 'master';
  if (readFrom !== 'master' && readFrom !== 'replica' && readFrom !== 'preferReplica') {
    throw new InvalidArgumentError(`option readFrom must be 'master', 'replica' or 'preferReplica'; got ${describe(readFrom)}`);
  }
  const natMap = options.natMap;
  if (natMap !== undefined && typeof natMap !== 'function') {
    if (typeof natMap !== 'object' || natMap === null) {
      throw new InvalidArgumentError(`option natMap must be an object or a function; got ${describe(natMap)}`);
    }
    for (const [from, to] of Object.entries(natMap)) {
      if (typeof to !== 'object' || to === null || typeof to.host !== 'string' || to.host === '' || !isPort(to.port)) {
        throw new InvalidArgumentError(`option natMap[${JSON.stringify(from)}] must be { host, port }`);
      }
    }
  }
  const keepAlive = options.keepAlive;
  if (keepAlive !== undefined && keepAlive !== false && !(typeof keepAlive === 'number' && Number.isFinite(keepAlive) && keepAlive >= 1000)) {
    throw new InvalidArgumentError(`option keepAlive must be false or milliseconds >= 1000; got ${describe(keepAlive)}`);
  }
  const parserLimits = resolveParserLimits(options.parserLimits);
  return {
    startupNodes,
    decodeResponses: boolean('decodeResponses', true),
    username,
    password,
    tls: tlsOption,
    connectTimeout: milliseconds(options, 'connectTimeout', 10_000),
    commandTimeout: milliseconds(options, 'commandTimeout', 10_000),
    // Finite: a command stuck on a migration that never ends must give up some day.
    maxRedirections: integer(options, 'maxRedirections', 16, 0, false),
    reinitializeSteps: integer(options, 'reinitializeSteps', 25, 1),
    refreshInterval: milliseconds(options, 'refreshInterval', 0),
    skipFullCoverageCheck: boolean('skipFullCoverageCheck', false),
    followCluster: boolean('followCluster', true),
    natMap,
    maxConnections: integer(options, 'maxConnections', Infinity, 1),
    // One multiplexed connection plus at least one for a blocking command.
    maxConnectionsPerNode: integer(options, 'maxConnectionsPerNode', 64, 2),
    readFrom,
    retryDelays: resolveRetryDelays(options.retryDelays),
    clientName,
    keepAlive,
    parserLimits,
  };
}

function resolveRetryDelays(value: RetryDelays | undefined): Required<RetryDelays> {
  if (value === undefined) return DEFAULT_RETRY_DELAYS;
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`option retryDelays must be an object; got ${describe(value)}`);
  const delays = { ...DEFAULT_RETRY_DELAYS };
  for (const name of Object.keys(value)) {
    if (!(RETRY_DELAY_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown option retryDelays.${name}; known: ${RETRY_DELAY_NAMES.join(', ')}`);
    }
  }
  for (const name of RETRY_DELAY_NAMES) {
    const delay = value[name];
    if (delay === undefined) continue;
    if (!(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 && delay <= MAX_TIMER)) {
      throw new InvalidArgumentError(`option retryDelays.${name} must be milliseconds from 0 to ${MAX_TIMER}; got ${describe(delay)}`);
    }
    delays[name] = delay;
  }
  return delays;
}

const PARSER_LIMIT_NAMES = ['maxBulkLength', 'maxArrayLength', 'maxDepth'] as const;

/**
 * Checked here, not left to each connection's parser: that would fail only at the first connect,
 * inside a discovery error, with a typo silently ignored.
 */
function resolveParserLimits(value: ClusterOptions['parserLimits']): ResolvedOptions['parserLimits'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`option parserLimits must be an object; got ${describe(value)}`);
  for (const name of Object.keys(value)) {
    if (!(PARSER_LIMIT_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown option parserLimits.${name}; known: ${PARSER_LIMIT_NAMES.join(', ')}`);
    }
  }
  for (const name of PARSER_LIMIT_NAMES) {
    const limit = value[name];
    if (limit !== undefined && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1)) {
      throw new InvalidArgumentError(`option parserLimits.${name} must be an integer >= 1; got ${describe(limit)}`);
    }
  }
  return value;
}

function milliseconds(options: ClusterOptions, name: keyof ClusterOptions, fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TIMER)) {
    throw new InvalidArgumentError(`option ${name} must be milliseconds from 0 to ${MAX_TIMER}; got ${describe(value)}`);
  }
  return value;
}

function integer(options: ClusterOptions, name: keyof ClusterOptions, fallback: number, min: number, infinite = true): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && (Number.isInteger(value) || (infinite && value === Infinity)) && value >= min)) {
    throw new InvalidArgumentError(`option ${name} must be ${infinite ? 'Infinity or ' : ''}an integer >= ${min}; got ${describe(value)}`);
  }
  return value;
}

function parseStartupNodes(value: unknown): { host: string; port: number }[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(`option startupNodes must be a non-empty array of 'host:port' or { host, port }; got ${describe(value)}`);
  }
  return value.map((node: unknown, i) => {
    const parsed = typeof node === 'string' ? parseAddress(node) : node;
    if (typeof parsed !== 'object' || parsed === null) {
      throw new InvalidArgumentError(`option startupNodes[${i}] must be 'host:port' or { host, port }; got ${describe(node)}`);
    }
    const { host, port } = parsed as { host?: unknown; port?: unknown };
    if (typeof host !== 'string' || host === '') {
      throw new InvalidArgumentError(`option startupNodes[${i}].host must be a non-empty string; got ${describe(host)}`);
    }
    if (!isPort(port)) throw new InvalidArgumentError(`option startupNodes[${i}].port must be an integer from 1 to 65535; got ${describe(port)}`);
    return { host, port };
  });
}

/** A kind of refusal that is waited out before the next attempt. */
export type RetryKind = Exclude<keyof RetryDelays, 'max'>;

/**
 * Waits before attempt `attempt + 1` of `attempts`: `attempt` times the kind's base delay, at
 * most `max` and at most `limitMs` (what is left of the command's timeout). Nothing follows the
 * last attempt, so after it there is nothing to wait for.
 */
export async function backoff(delays: Required<RetryDelays>, kind: RetryKind, attempt: number, attempts: number, limitMs = Infinity): Promise<void> {
  if (attempt >= attempts) return;
  const delay = Math.min(delays[kind] * attempt, delays.max, limitMs);
  if (!(delay > 0)) return;
  // A timer may fire up to 1 ms before performance.now() says its delay passed (libuv counts
  // whole milliseconds). A backoff cut to a command's deadline that ended early would let one
  // more attempt go out with about 1 ms left: a refused write would then end as a TimeoutError
  // that says it may have run, instead of the refusal.
  const until = performance.now() + delay;
  do {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(until - performance.now()))));
  } while (performance.now() < until);
}

/** The address to connect to for one the cluster announced, after `natMap`. */
export function mapAddress(natMap: NatMap | undefined, host: string, port: number, ip?: string): { host: string; port: number } {
  if (natMap === undefined) return { host, port };
  let mapped: unknown;
  if (typeof natMap === 'function') {
    mapped = natMap({ host, port });
  } else {
    // Keyed by what the node announced; a node announced by hostname may be keyed by its ip.
    const key = `${host}:${port}`;
    const byIp = ip === undefined ? undefined : `${ip}:${port}`;
    mapped = Object.hasOwn(natMap, key) ? natMap[key] : byIp !== undefined && Object.hasOwn(natMap, byIp) ? natMap[byIp] : undefined;
  }
  if (mapped === undefined || mapped === null) return { host, port };
  const target = mapped as { host?: unknown; port?: unknown };
  if (typeof target.host !== 'string' || target.host === '' || !isPort(target.port)) {
    throw new InvalidArgumentError(`option natMap gave ${describe(mapped)} for ${host}:${port}; it must give { host, port } or undefined`);
  }
  return { host: target.host, port: target.port };
}

/** `host:port`, `[v6]:port`, or a bare host (port 6379). Undefined when the port is not a port. */
export function parseAddress(text: string): { host: string; port: number } | undefined {
  if (text.startsWith('[')) {
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    return bracket === null ? undefined : withPort(bracket[1], bracket[2]);
  }
  const colon = text.lastIndexOf(':');
  // A bare IPv6 address has several colons and no port.
  if (colon === -1 || text.indexOf(':') !== colon) return withPort(text, undefined);
  return withPort(text.slice(0, colon), text.slice(colon + 1));
}

function withPort(host: string, portText: string | undefined): { host: string; port: number } | undefined {
  if (portText === undefined) return { host, port: 6379 };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return isPort(port) ? { host, port } : undefined;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
