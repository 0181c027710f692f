import type { BatchReply, CommandArgument, Connection, RedisError, RespReply } from '@hashslot/resp';
import type { RetryDelays } from './options.js';
import type { RefreshEvent } from './topology.js';

/** A node as the client describes it to callers. */
export interface NodeSummary {
  /** `host:port` the client connects to. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Cluster node id, when the slot table gave it. */
  readonly id: string | undefined;
  readonly role: 'master' | 'replica';
}

/** One node's answer to a command sent to several nodes. */
export interface NodeReply {
  readonly node: NodeSummary;
  /** The reply, or the error that node gave (a server error or a connection failure). */
  readonly reply: RespReply | RedisError;
}

/** Which nodes a command sent to several nodes goes to. */
export type NodeSelection = 'masters' | 'replicas' | 'all';

/**
 * What the client's command families (fanout, cross-slot commands, scans, scripts) are built
 * on: the router's primitives, without the rest of the client. One instance per client.
 */
export interface ClusterCore {
  /** Whether bulk replies are strings (`decodeResponses`), as transforms need to know. */
  readonly decodeResponses: boolean;
  /** The client's `maxRedirections`: attempts of one operation are `maxRedirections + 1`. */
  readonly maxRedirections: number;
  /** The client's base retry delays (ms), attempt n waiting n times the base, at most `max`. */
  readonly retryDelays: Readonly<Required<RetryDelays>>;
  /** The client's `commandTimeout` (ms, 0: none): what bounds an operation's attempts together. */
  readonly commandTimeout: number;
  /** One command routed by its keys, redirections followed. Rejects with its error. */
  send(args: readonly CommandArgument[]): Promise<RespReply>;
  /**
   * Many single-slot commands, one batch per node written together, replies in order,
   * redirections recovered. Never rejects: a failed command holds its error in its position.
   */
  batch(commands: readonly (readonly CommandArgument[])[]): Promise<BatchReply[]>;
  /** One command on every selected node of the table, at once; each node's reply or error. */
  onEachNode(args: readonly CommandArgument[], nodes: NodeSelection): Promise<NodeReply[]>;
  /** One command on the node at `address`, not redirected. */
  sendToNode(address: string, args: readonly CommandArgument[]): Promise<RespReply>;
  /** The masters of the table now (discovering the cluster first when needed). */
  masters(): Promise<NodeSummary[]>;
  /** The master serving `slot` now, per the table. */
  masterOf(slot: number): NodeSummary | undefined;
  /**
   * A connected connection to the node at `address` for the caller alone (pub/sub, a scan that
   * must stay on one node...), counted under the pool limits. Give it back with
   * `releaseDedicated`; a connection in a state others cannot use (subscribed) is closed then.
   */
  acquireDedicated(address: string, command: string): Promise<Connection>;
  releaseDedicated(address: string, connection: Connection, reusable: boolean): void;
  /** Calls `listener` after every refresh of the slot table; returns how to stop. */
  onRefresh(listener: (event: RefreshEvent) => void): () => void;
  /** Calls `listener` when a graceful quit() starts; quit awaits it before cutting dedicated connections off. Returns how to stop. */
  onClose(listener: () => Promise<void>): () => void;
}

/** Where an installed method finds its client's core; not exported from the package. */
export const CORE: unique symbol = Symbol('hashslot cluster core');

/** What installed methods see as `this`. */
export interface HasCore {
  readonly [CORE]: ClusterCore;
}

/** Commands whose replies come back per node. */
export type PerNode<T> = Map<string, T>;

/**
 * Puts a command family's methods on the client's prototype: not enumerable, like class
 * methods, so they do not show up in `util.inspect` or `Object.keys` of a client.
 */
export function defineMethods(prototype: object, methods: Readonly<Record<string, unknown>>): void {
  for (const [name, method] of Object.entries(methods)) {
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}

/** What operations that retry across refreshes (scans, transactions) use of their client. */
export interface ClientHost {
  readonly core: ClusterCore;
  /** Reloads the slot table (shared with a refresh in flight); rejects when every node refuses. */
  refresh(): Promise<void>;
  /** Whether the client is closing or closed: nothing is retried then. */
  closed(): boolean;
}

/** The host of a client whose methods were installed with `defineMethods`. */
export function hostOf(client: HasCore & { refresh(): Promise<void>; readonly status: string }): ClientHost {
  return {
    core: client[CORE],
    refresh: () => client.refresh(),
    closed: () => client.status === 'closing' || client.status === 'closed',
  };
}
