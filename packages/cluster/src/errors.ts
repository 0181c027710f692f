/**
 * The cluster layer's errors. Redirections and cluster states the server reports are parsed once,
 * here, at the boundary, into their own `ReplyError` kinds; the router switches on the class.
 */
import { RedisError, ReplyError } from '@hashslot/resp';
import { SLOT_COUNT } from '@hashslot/slots';

/** Where a command was sent and what it was, as every reply error of this layer records. */
interface ReplyContext {
  command?: string;
  address?: string;
}

/** A redirection the server answered: the slot and the node to ask instead. */
export abstract class RedirectionError extends ReplyError {
  readonly slot: number;
  /** The target's host; the sender's own host when the server left it empty. */
  readonly host: string;
  readonly port: number;

  constructor(message: string, target: Redirection, context?: ReplyContext) {
    super(message, context);
    this.slot = target.slot;
    this.host = target.host;
    this.port = target.port;
  }
}

/** `MOVED <slot> <host>:<port>`: the slot now lives on another node, for good. */
export class MovedError extends RedirectionError {
  override readonly code: string = 'ERR_HASHSLOT_MOVED';
}

/** `ASK <slot> <host>:<port>`: this one key is being migrated; ask the target once, with ASKING. */
export class AskError extends RedirectionError {
  override readonly code: string = 'ERR_HASHSLOT_ASK';
}

/** `TRYAGAIN`: a multi-key command hit a slot in the middle of a migration. */
export class TryAgainError extends ReplyError {
  override readonly code: string = 'ERR_HASHSLOT_TRYAGAIN';
}

/** `CLUSTERDOWN`: the cluster (or, client side, the slot) is not served right now. */
export class ClusterDownError extends ReplyError {
  override readonly code: string = 'ERR_HASHSLOT_CLUSTERDOWN';
}

/** `LOADING`: the node is loading its dataset and cannot answer yet. */
export class LoadingError extends ReplyError {
  override readonly code: string = 'ERR_HASHSLOT_LOADING';
}

/** `READONLY`: a write reached a replica; the node we took for the master was demoted. */
export class ReadOnlyError extends ReplyError {
  override readonly code: string = 'ERR_HASHSLOT_READONLY';
}

/** One node's own reason for failing a discovery, a refresh or a command's last attempt. */
export interface NodeFailure {
  /** `host:port` of the node. */
  readonly address: string;
  readonly error: Error;
}

/**
 * The client could not do what was asked of the cluster as a whole: discovery or refresh failed
 * on every node (each node's own failure is in `failures`), or a command used up its
 * redirections (`TTL exhausted`, the last reply in `cause`).
 */
export class ClusterError extends RedisError {
  override readonly code: string = 'ERR_HASHSLOT_CLUSTER';
  /** The command this is about, when it is about one. */
  readonly command: string | undefined;
  /** Every node tried, with its own error (DNS, TLS, AUTH, timeout, refused, a bad reply...). */
  readonly failures: readonly NodeFailure[];

  constructor(message: string, context: { command?: string; failures?: readonly NodeFailure[]; cause?: unknown } = {}) {
    const failures = context.failures ?? [];
    super(failures.length === 0 ? message : `${message}: ${failures.map(describeFailure).join('; ')}`, { cause: context.cause });
    this.command = context.command;
    this.failures = failures;
  }
}

/** The client's own CLUSTERDOWN: its slot table names no master for the slot. */
export function slotNotServed(slot: number | undefined, command: string): ClusterDownError {
  const what = slot === undefined ? 'the slot table lists no master' : `Hash slot ${slot} is not served by any node in the client's slot table`;
  return new ClusterDownError(`CLUSTERDOWN ${what}`, { command });
}

/** The error after `maxRedirections + 1` sends of one operation; the last refusal is the cause. */
export function ttlExhausted(what: string, command: string, maxRedirections: number, lastError: Error | undefined): ClusterError {
  const last = lastError === undefined ? '' : `; last reply: ${lastError.message}`;
  return new ClusterError(`TTL exhausted: ${what} was sent ${maxRedirections + 1} times (maxRedirections ${maxRedirections})${last}`, {
    command,
    cause: lastError,
  });
}

/** Anything thrown, as the `RedisError` a batch position or a node's reply holds. */
export function asRedisError(error: unknown): RedisError {
  return error instanceof RedisError ? error : new RedisError(String(error), { cause: error });
}

function describeFailure(failure: NodeFailure): string {
  // A connection error already names its node; do not say it twice.
  const message = failure.error.message;
  return message.includes(failure.address) ? message : `${failure.address}: ${message}`;
}

/** A parsed MOVED or ASK target. */
export interface Redirection {
  readonly slot: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Turns a server error reply into its kind, or returns it unchanged. Managed services and some
 * proxies write redirections as `ERR MOVED ...`; they are understood too. A redirection whose
 * slot or address does not parse is left a plain `ReplyError`: following it would be a guess.
 */
export function classifyReplyError(error: ReplyError, senderHost: string): ReplyError {
  let prefix = error.prefix;
  let message = error.message;
  if (prefix === 'ERR' && (message.startsWith('ERR MOVED ') || message.startsWith('ERR ASK '))) {
    message = message.slice(4);
    prefix = message.slice(0, message.indexOf(' '));
  }
  const context = { command: error.command, address: error.address };
  switch (prefix) {
    case 'MOVED':
    case 'ASK': {
      const target = parseRedirection(message, senderHost);
      if (target === undefined) return error;
      return prefix === 'MOVED' ? new MovedError(message, target, context) : new AskError(message, target, context);
    }
    case 'TRYAGAIN':
      return new TryAgainError(message, context);
    case 'CLUSTERDOWN':
      return new ClusterDownError(message, context);
    case 'LOADING':
      return new LoadingError(message, context);
    case 'READONLY':
      return new ReadOnlyError(message, context);
    default:
      return error;
  }
}

/**
 * Parses `MOVED 3999 127.0.0.1:6381` (or ASK). The host may be empty (the node does not know
 * the target's endpoint: the spec says to use the sender's host) or an IPv6 address, so the port
 * is taken after the last colon.
 */
export function parseRedirection(message: string, senderHost: string): Redirection | undefined {
  const parts = message.split(' ');
  if (parts.length !== 3) return undefined;
  const slotText = parts[1];
  const address = parts[2];
  if (!/^\d{1,5}$/.test(slotText)) return undefined;
  const slot = Number(slotText);
  if (slot >= SLOT_COUNT) return undefined;
  const colon = address.lastIndexOf(':');
  if (colon === -1) return undefined;
  const portText = address.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || host === '?') host = senderHost;
  return { slot, host, port };
}
