import { isIP } from 'node:net';
import { Connection, type ConnectionOptions } from '@hashslot/resp';
import { ClusterError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** A node the client knows, with its connections. Keyed by the address the client connects to. */
export class ClusterNode {
  /** `host:port` as the client connects to it (after `natMap`). */
  readonly address: string;
  /** Cluster node id, once a slot table named it. */
  id: string | undefined;
  /** The hostname the node announces, which TLS verifies against when the host is an IP. */
  hostname: string | undefined;
  role: 'master' | 'replica';
  /** The multiplexed connection for ordinary commands; replaced when it closes. */
  shared: Connection | undefined;
  /** Dedicated connections (blocking commands, transactions) not in use. */
  readonly idle: Connection[] = [];
  /** Dedicated connections in use. */
  readonly busy = new Set<Connection>();
  /** When a command last failed to reach it; `preferReplica` avoids such a replica for a while. */
  failedAt = -Infinity;

  constructor(
    readonly host: string,
    readonly port: number,
    role: 'master' | 'replica',
  ) {
    this.address = `${host}:${port}`;
    this.role = role;
  }

  get connectionCount(): number {
    return (this.shared === undefined ? 0 : 1) + this.idle.length + this.busy.size;
  }
}

interface Waiter {
  node: ClusterNode;
  resolve: (connection: Connection) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Every node's connections: one multiplexed connection per node, created on first use, and
 * dedicated ones handed out and taken back for commands that hold a connection. The limits
 * count both kinds; a dedicated connection asked for at a limit waits for one to be released.
 */
export class NodePool {
  readonly #options: ResolvedOptions;
  private readonly nodes = new Map<string, ClusterNode>();
  private readonly waiters: Waiter[] = [];
  private total = 0;
  private closed = false;
  private closingDedicated = false;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  get(address: string): ClusterNode | undefined {
    return this.nodes.get(address);
  }

  /** The node at `host:port`, created (without connecting) when it is new. */
  ensure(host: string, port: number, role: 'master' | 'replica' = 'master'): ClusterNode {
    const address = `${host}:${port}`;
    let node = this.nodes.get(address);
    if (node === undefined) {
      node = new ClusterNode(host, port, role);
      this.nodes.set(address, node);
    }
    return node;
  }

  all(): ClusterNode[] {
    return [...this.nodes.values()];
  }

  get connectionCount(): number {
    return this.total;
  }

  /** The node's multiplexed connection, opened lazily by the first command sent on it. */
  shared(node: ClusterNode): Connection {
    const current = node.shared;
    if (current !== undefined && (current.state === 'idle' || current.state === 'connecting' || current.state === 'ready')) return current;
    if (this.closed) throw new ClusterError('the client is closed');
    if (node.connectionCount >= this.#options.maxConnectionsPerNode || this.total >= this.#options.maxConnections) {
      if (!this.evictIdle(node)) {
        throw new ClusterError(
          `no connection left for ${node.address}: maxConnectionsPerNode (${this.#options.maxConnectionsPerNode}) or maxConnections (${this.#options.maxConnections}) reached`,
        );
      }
    }
    const connection = this.open(node);
    node.shared = connection;
    connection.once('close', () => {
      if (node.shared === connection) node.shared = undefined;
      this.released();
    });
    return connection;
  }

  /**
   * A connection for this caller alone, connected. Resolves with an idle one when there is one,
   * a new one under the limits, or the next one released, waiting at most `connectTimeout`.
   */
  async acquire(node: ClusterNode): Promise<Connection> {
    if (this.closed || this.closingDedicated) throw new ClusterError('the client is closed');
    while (node.idle.length > 0) {
      const connection = node.idle.pop() as Connection;
      if (connection.state === 'ready') {
        node.busy.add(connection);
        return connection;
      }
    }
    if (node.connectionCount >= this.#options.maxConnectionsPerNode || (this.total >= this.#options.maxConnections && !this.evictIdle(node))) {
      return this.waitForRelease(node);
    }
    const connection = this.open(node);
    node.busy.add(connection);
    connection.once('close', () => {
      node.busy.delete(connection);
      const at = node.idle.indexOf(connection);
      if (at !== -1) node.idle.splice(at, 1);
      this.released();
    });
    await connection.connect();
    return connection;
  }

  /** Gives back a dedicated connection; one that cannot be reused is closed instead. */
  release(node: ClusterNode, connection: Connection, reusable: boolean): void {
    node.busy.delete(connection);
    if (!reusable || connection.state !== 'ready' || this.closed || this.nodes.get(node.address) !== node) {
      connection.destroy();
      return;
    }
    const waiter = this.waiters.findIndex((candidate) => candidate.node === node);
    if (waiter !== -1) {
      const [next] = this.waiters.splice(waiter, 1);
      if (next.timer !== undefined) clearTimeout(next.timer);
      node.busy.add(connection);
      next.resolve(connection);
      return;
    }
    node.idle.push(connection);
  }

  /** Forgets a node that left the cluster; its connections finish what they were sent, then close. */
  remove(node: ClusterNode): Promise<void> {
    if (this.nodes.get(node.address) !== node) return Promise.resolve();
    this.nodes.delete(node.address);
    for (const waiter of this.waiters.filter((candidate) => candidate.node === node)) {
      this.dropWaiter(waiter, new ClusterError(`${node.address} left the cluster`));
    }
    return closeAll(node);
  }

  /** Destroys the dedicated connections in use: their blocking commands fail with a ConnectionError. */
  cutOffDedicated(): void {
    // A read-only blocking command (XREAD BLOCK) would be retried on a fresh connection.
    this.closingDedicated = true;
    for (const node of this.nodes.values()) for (const connection of node.busy) connection.destroy();
  }

  /** Closes every connection: gracefully (`quit`) or at once (`destroy`). */
  async close(graceful: boolean): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.waiters]) this.dropWaiter(waiter, new ClusterError('the client is closed'));
    const nodes = this.all();
    this.nodes.clear();
    if (graceful) {
      await Promise.all(nodes.map(closeAll));
    } else {
      for (const node of nodes) for (const connection of connectionsOf(node)) connection.destroy();
    }
  }

  private open(node: ClusterNode): Connection {
    this.total++;
    return new Connection(this.connectionOptions(node));
  }

  /** The same options for every node, startup or discovered: TLS, credentials, timeouts. */
  private connectionOptions(node: ClusterNode): ConnectionOptions {
    const options = this.#options;
    return {
      host: node.host,
      port: node.port,
      tls: this.tlsFor(node),
      connectTimeout: options.connectTimeout,
      commandTimeout: options.commandTimeout,
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
      // READONLY is harmless on a master and lets a node that becomes a replica keep serving reads.
      readOnly: options.readFrom !== 'master',
      returnBuffers: !options.decodeResponses,
      ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }),
      ...(options.parserLimits === undefined ? {} : { parserLimits: options.parserLimits }),
    };
  }

  /**
   * A node announced by hostname but reached by IP (natMap, `ip` fallback) must still present a
   * certificate for its hostname; an explicit servername from the caller wins.
   */
  private tlsFor(node: ClusterNode): ConnectionOptions['tls'] {
    const option = this.#options.tls;
    if (option === undefined || option === false) return undefined;
    const base = option === true ? {} : option;
    if (base.servername !== undefined) return base;
    const name = node.hostname !== undefined && node.hostname !== '' ? node.hostname : isIP(node.host) === 0 ? node.host : undefined;
    return name === undefined ? base : { ...base, servername: name };
  }

  private evictIdle(preferred: ClusterNode): boolean {
    const candidates = [preferred, ...this.nodes.values()];
    for (const node of candidates) {
      const connection = node.idle.pop();
      if (connection !== undefined) {
        connection.destroy();
        return true;
      }
    }
    return false;
  }

  private released(): void {
    this.total--;
    // A waiter may now open a connection of its own.
    const waiter = this.waiters.find((candidate) => candidate.node.connectionCount < this.#options.maxConnectionsPerNode && this.total < this.#options.maxConnections);
    if (waiter === undefined) return;
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    this.acquire(waiter.node).then(waiter.resolve, waiter.reject);
  }

  private waitForRelease(node: ClusterNode): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = { node, resolve, reject, timer: undefined };
      const timeout = this.#options.connectTimeout;
      if (timeout > 0) {
        waiter.timer = setTimeout(() => {
          this.dropWaiter(
            waiter,
            new ClusterError(
              `no connection to ${node.address} was free within ${timeout} ms: maxConnectionsPerNode (${this.#options.maxConnectionsPerNode}) or maxConnections (${this.#options.maxConnections}) in use`,
            ),
          );
        }, timeout);
      }
      this.waiters.push(waiter);
    });
  }

  private dropWaiter(waiter: Waiter, error: Error): void {
    const at = this.waiters.indexOf(waiter);
    if (at === -1) return;
    this.waiters.splice(at, 1);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.reject(error);
  }
}

function connectionsOf(node: ClusterNode): Connection[] {
  return [...(node.shared === undefined ? [] : [node.shared]), ...node.idle, ...node.busy];
}

async function closeAll(node: ClusterNode): Promise<void> {
  // Idle dedicated connections owe nothing; the rest finish the replies they owe.
  for (const connection of node.idle.splice(0)) connection.destroy();
  await Promise.all(connectionsOf(node).map((connection) => connection.quit()));
}
