import { isIP } from 'node:net';
import { Connection, ConnectionError, type ConnectionOptions } from '@hashslot/resp';
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
  command: string;
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

  /**
   * The node's multiplexed connection, opened lazily by the first command sent on it. At a
   * limit, an idle dedicated connection (this node's first) makes room; ordinary commands never
   * wait behind blocking ones for a connection.
   */
  shared(node: ClusterNode): Connection {
    const current = node.shared;
    if (current !== undefined && (current.state === 'idle' || current.state === 'connecting' || current.state === 'ready')) return current;
    if (this.closed) throw new ClusterError('the client is closed');
    if (!this.makeRoom(node)) {
      throw new ClusterError(
        `no connection left for ${node.address}: maxConnectionsPerNode (${this.#options.maxConnectionsPerNode}) or maxConnections (${this.#options.maxConnections}) in use by blocking commands`,
      );
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
   * Stops handing out a multiplexed connection whose timed-out command still owes its reply: a
   * hung command (a stuck WAIT, a long script) must not hold every later command of the node
   * hostage. It finishes what it was sent, then closes; the next command opens a fresh one.
   */
  retireShared(node: ClusterNode, connection: Connection): void {
    if (node.shared !== connection) return;
    node.shared = undefined;
    void connection.quit();
  }

  /**
   * A connection for this caller alone, connected. Resolves with an idle one when there is one,
   * a new one under the limits, or the next one released, waiting at most `connectTimeout`.
   * A failure to connect is a `ConnectionError` with `written: false`: nothing was sent.
   */
  async acquire(node: ClusterNode, command: string): Promise<Connection> {
    if (this.closed || this.closingDedicated) throw new ClusterError('the client is closed');
    while (node.idle.length > 0) {
      const connection = node.idle.pop() as Connection;
      if (connection.state === 'ready') {
        node.busy.add(connection);
        return connection;
      }
    }
    if (!this.fitsDedicated(node) || !this.makeRoom(node)) {
      return this.waitForRelease(node, command);
    }
    const connection = this.open(node);
    node.busy.add(connection);
    connection.once('close', () => {
      node.busy.delete(connection);
      const at = node.idle.indexOf(connection);
      if (at !== -1) node.idle.splice(at, 1);
      this.released();
    });
    try {
      await connection.connect();
    } catch (error) {
      connection.destroy();
      throw new ConnectionError(`${command} could not get a connection to ${node.address}: ${(error as Error).message}`, {
        command,
        address: node.address,
        written: false,
      }, { cause: error });
    }
    return connection;
  }

  /** Gives back a dedicated connection; one that cannot be reused is closed instead. */
  release(node: ClusterNode, connection: Connection, reusable: boolean): void {
    node.busy.delete(connection);
    if (!reusable || connection.state !== 'ready' || this.closed || this.nodes.get(node.address) !== node) {
      connection.destroy();
      return;
    }
    const waiter = this.waiters.find((candidate) => candidate.node === node);
    if (waiter !== undefined) {
      this.takeWaiter(waiter);
      node.busy.add(connection);
      waiter.resolve(connection);
      return;
    }
    if (this.waiters.length > 0) {
      // Someone waits for another node under maxConnections: closing this one makes room there.
      connection.destroy();
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
    // Counted only once it exists: a constructor that throws must not leak a place.
    const connection = new Connection(this.connectionOptions(node));
    this.total++;
    return connection;
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

  /**
   * Whether one more connection to `node` fits under both limits, closing idle dedicated
   * connections to make room: the node's own for its limit, any node's for the global one.
   */
  private makeRoom(node: ClusterNode): boolean {
    const options = this.#options;
    while (node.connectionCount >= options.maxConnectionsPerNode) {
      const idle = node.idle.pop();
      if (idle === undefined) return false;
      idle.destroy();
    }
    while (this.total >= options.maxConnections) {
      const owner = node.idle.length > 0 ? node : [...this.nodes.values()].find((candidate) => candidate.idle.length > 0);
      const idle = owner?.idle.pop();
      if (idle === undefined) return false;
      idle.destroy();
    }
    return true;
  }

  /** The node's multiplexed connection keeps a place of its own under the per-node limit. */
  private fitsDedicated(node: ClusterNode): boolean {
    return node.connectionCount + (node.shared === undefined ? 1 : 0) < this.#options.maxConnectionsPerNode;
  }

  private fits(node: ClusterNode): boolean {
    return this.fitsDedicated(node) && this.total < this.#options.maxConnections;
  }

  private released(): void {
    this.total--;
    if (this.waiters.length === 0) return;
    // Later, so that a caller making room right now takes the place it made before a waiter does;
    // the waiter then checks the limits again.
    process.nextTick(() => {
      const waiter = this.waiters.find((candidate) => this.fits(candidate.node));
      if (waiter === undefined) return;
      this.takeWaiter(waiter);
      this.acquire(waiter.node, waiter.command).then(waiter.resolve, waiter.reject);
    });
  }

  private waitForRelease(node: ClusterNode, command: string): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const waiter: Waiter = { node, command, resolve, reject, timer: undefined };
      const timeout = this.#options.connectTimeout;
      if (timeout > 0) {
        waiter.timer = setTimeout(() => {
          this.dropWaiter(
            waiter,
            new ClusterError(
              `${command}: no connection to ${node.address} was free within ${timeout} ms (maxConnectionsPerNode ${this.#options.maxConnectionsPerNode}, maxConnections ${this.#options.maxConnections})`,
              { command },
            ),
          );
        }, timeout);
      }
      this.waiters.push(waiter);
    });
  }

  private takeWaiter(waiter: Waiter): void {
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
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
