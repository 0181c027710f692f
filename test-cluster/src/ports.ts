import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports are drawn below the kernel's ephemeral range on purpose: outgoing connections (redis-cli,
 * the cluster bus, the client under test) take their local port from that range, so a port picked
 * there could be occupied by a random connection by the time a node is restarted on it.
 */
const DEFAULT_EPHEMERAL_START = 32768;
const LOWEST_PORT = 20000;

function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(start);
    return Number.isInteger(value) && value > LOWEST_PORT + 1000 ? value : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Where the launcher gets ports from; an interface so a test can hand out a taken one on purpose. */
export interface PortSource {
  next(host?: string): Promise<number>;
}

/**
 * Hands out ports that were free when checked and never the same one twice, so the nodes of one
 * run do not race each other. Another process can still take a port before redis-server binds it;
 * the launcher retries with fresh ports when that happens.
 */
export class PortAllocator implements PortSource {
  private readonly handedOut = new Set<number>();
  private readonly upper = ephemeralStart();

  async next(host = '127.0.0.1'): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = LOWEST_PORT + Math.floor(Math.random() * (this.upper - LOWEST_PORT));
      if (this.handedOut.has(port)) continue;
      if (await canBind(port, host)) {
        this.handedOut.add(port);
        return port;
      }
    }
    throw new Error(`no free port found on ${host} between ${LOWEST_PORT} and ${this.upper}`);
  }
}
