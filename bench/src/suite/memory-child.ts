/**
 * One client's memory, measured in a process of its own (RSS is per process, and a process that
 * had loaded the other clients would charge their code to this one). Run with --expose-gc by
 * the memory workload; prints one JSON line of `MemoryReport`.
 *
 *   node --expose-gc bench/dist/suite/memory-child.js '<MemoryJob as JSON>'
 */
import { clientKind, type Driver, type Endpoint } from './drivers/index.js';
import { VALUE, randomKey } from './context.js';

export interface MemoryJob {
  readonly client: string;
  readonly startupNodes: readonly Endpoint[];
  /**
   * `commands`: one client runs `commands` commands from `callers` loops. `idle`: `idleClients`
   * clients each read one key of `keyPerMaster`, then sit idle. Separate processes, so that
   * neither phase's garbage or sockets blur the other's figure.
   */
  readonly phase: 'commands' | 'idle';
  readonly commands: number;
  readonly callers: number;
  readonly idleClients: number;
  /** One key per master, so that each idle client holds a connection to every master. */
  readonly keyPerMaster: readonly string[];
}

export interface Usage {
  readonly rss: number;
  readonly heapUsed: number;
}

export interface MemoryReport {
  /** After loading the client's code, before connecting. */
  readonly baseline: Usage;
  /** After the phase's work and a full GC. */
  readonly after: Usage;
  /** Sockets the phase left open. */
  readonly sockets: number;
}

async function main(): Promise<void> {
  const job: MemoryJob = JSON.parse(process.argv[2] ?? '') as MemoryJob;
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const connect = await clientKind(job.client).load();
  const settle = async (): Promise<Usage> => {
    // Two collections: the first may only queue finalizers whose memory the second frees.
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    return { rss, heapUsed };
  };

  const baseline = await settle();
  const socketsBefore = openSockets();
  const clients: Driver[] = [];
  if (job.phase === 'commands') {
    const driver = await connect(job.startupNodes);
    clients.push(driver);
    let remaining = job.commands;
    await Promise.all(
      Array.from({ length: job.callers }, async () => {
        while (remaining > 0) {
          remaining -= 2;
          const key = randomKey('bench:mem:');
          await driver.set(key, VALUE);
          await driver.get(key);
        }
      }),
    );
  } else {
    for (let i = 0; i < job.idleClients; i++) {
      const client = await connect(job.startupNodes);
      clients.push(client);
      await Promise.all(job.keyPerMaster.map((key) => client.get(key)));
    }
    // Lets connections that a client opens after its first replies finish their handshakes.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const after = await settle();
  const report: MemoryReport = { baseline, after, sockets: openSockets() - socketsBefore };
  await Promise.all(clients.map((client) => client.close()));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
