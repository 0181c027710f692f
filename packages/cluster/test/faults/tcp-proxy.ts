/**
 * A TCP proxy in front of one real node, for the network faults a cluster client meets: a link
 * that stops carrying bytes, one that is slow, one that breaks in the middle of a reply. The
 * client reaches the node through it by `natMap`.
 *
 * Bytes are never lost or reordered inside a connection, as TCP promises: a `drop` holds them
 * (a partition that heals delivers what was retransmitted), it does not discard them. Discarding
 * would split RESP frames, a fault no real network produces on a live connection. A side that
 * closes is passed on the same way: after the bytes it sent before, held like them.
 */
import * as net from 'node:net';

export type ProxyMode =
  /** Forward at once. */
  | { readonly kind: 'pass' }
  /** Forward nothing either way, keeping every socket open (new ones are accepted, then held too). */
  | { readonly kind: 'drop' }
  /** Forward each chunk `ms` after it arrived, in order. */
  | { readonly kind: 'delay'; readonly ms: number }
  /**
   * Forward requests; for the next `replies` replies (chunks from the node), forward the first
   * half of the chunk, then destroy the client's socket and the node's; then back to `pass`.
   */
  | { readonly kind: 'cut'; readonly replies: number };

/** One direction of one proxied connection: bytes waiting to go out, in order, then maybe its end. */
class Pipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The sender closed its side: once what it sent is through, so is the end. */
  private ending = false;

  constructor(
    private readonly out: net.Socket,
    private readonly proxy: TcpProxy,
  ) {}

  push(chunk: Buffer): void {
    const mode = this.proxy.mode;
    if (mode.kind === 'pass' && this.queue.length === 0) {
      this.out.write(chunk);
      return;
    }
    this.queue.push({ chunk, due: performance.now() + (mode.kind === 'delay' ? mode.ms : 0) });
    this.pump();
  }

  /**
   * The sender closed (or reset) its side. TCP would still deliver what it sent before, and
   * its FIN after that: a partition that heals delivers both, so a dropped link holds them.
   */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** Writes what is due, in order; called on every chunk and every mode change. */
  pump(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.proxy.mode.kind === 'drop' || this.out.destroyed) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].due <= now) this.out.write((this.queue.shift() as { chunk: Buffer }).chunk);
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), Math.max(1, this.queue[0].due - now));
    else if (this.ending) this.out.end();
  }

  /** Forgets what is queued: the link is gone. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

export class TcpProxy {
  /** Connections accepted so far. */
  accepted = 0;
  /** Replies cut so far. */
  cuts = 0;
  /** Client connections that closed their side so far (FIN or reset). */
  clientsClosed = 0;
  private current: ProxyMode = { kind: 'pass' };
  private readonly pipes = new Set<Pipe>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 in front of `target`. */
  static async start(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    // Half-open allowed: each side's FIN is passed on in its turn, after the bytes before it.
    const server = net.createServer({ allowHalfOpen: true }, (client) => proxy?.accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, '127.0.0.1', (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get mode(): ProxyMode {
    return this.current;
  }

  /** `host:port` of the proxy, as the client names the node it reaches through it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  setMode(mode: ProxyMode): void {
    this.current = mode;
    for (const pipe of this.pipes) pipe.pump();
  }

  /** Destroys every proxied connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const pipe of this.pipes) pipe.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { readonly host: string; readonly port: number }): void {
    this.accepted++;
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      this.sockets.add(socket);
    }
    const toNode = new Pipe(upstream, this);
    const toClient = new Pipe(client, this);
    this.pipes.add(toNode).add(toClient);
    client.on('data', (chunk: Buffer) => toNode.push(chunk));
    upstream.on('data', (chunk: Buffer) => {
      const mode = this.current;
      if (mode.kind !== 'cut') {
        toClient.push(chunk);
        return;
      }
      // Half a reply, then the link breaks: the client has read part of it and must not take
      // the command for unsent.
      this.cuts++;
      this.current = mode.replies > 1 ? { kind: 'cut', replies: mode.replies - 1 } : { kind: 'pass' };
      const cut = (): void => {
        toNode.close();
        toClient.close();
        client.destroy();
        upstream.destroy();
      };
      const half = Math.floor(chunk.length / 2);
      if (half > 0) client.write(chunk.subarray(0, half), cut);
      else cut();
    });
    // A side that ends or breaks: the other gets what was sent before, then the end.
    let clientClosed = false;
    const clientCloses = (): void => {
      if (!clientClosed) this.clientsClosed++;
      clientClosed = true;
    };
    client.on('end', () => {
      clientCloses();
      toNode.end();
    });
    upstream.on('end', () => toClient.end());
    client.on('error', () => client.destroy());
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => {
      clientCloses();
      toClient.close();
      toNode.end();
      this.forget(client, upstream, toNode, toClient);
    });
    upstream.on('close', () => {
      toNode.close();
      toClient.end();
      this.forget(client, upstream, toNode, toClient);
    });
  }

  private forget(client: net.Socket, upstream: net.Socket, toNode: Pipe, toClient: Pipe): void {
    if (!client.destroyed || !upstream.destroyed) return;
    this.pipes.delete(toNode);
    this.pipes.delete(toClient);
    this.sockets.delete(client);
    this.sockets.delete(upstream);
  }
}
