/**
 * Workload 6: memory. Each client in a fresh process (memory-child.ts) runs 1,000,000
 * commands as workload 1's callers do, then opens idle clients to price a connection.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { keySlot } from '@hashslot/slots';
import { CLIENTS } from '../drivers/index.js';
import type { MemoryJob, MemoryReport } from '../memory-child.js';
import { summarise, type WorkloadResult } from '../results.js';
import { runRounds, type SuiteContext } from '../context.js';

const execFileAsync = promisify(execFile);
const CHILD = fileURLToPath(new URL('../memory-child.js', import.meta.url));
const CALLERS = 50;
const IDLE_CLIENTS = 10;
const MIB = 2 ** 20;

export async function memory(context: SuiteContext): Promise<WorkloadResult> {
  const commands = context.quick ? 100_000 : 1_000_000;
  const keyPerMaster = await oneKeyPerMaster(context);
  const contenders = CLIENTS.map((client) => ({
    name: client.name,
    role: client.id === 'hashslot' ? ('ours' as const) : ('peer' as const),
    // A fresh process per run has nothing to warm.
    warmUp: async () => {},
    measure: async () => {
      const job = { client: client.id, startupNodes: context.startupNodes, commands, callers: CALLERS, idleClients: IDLE_CLIENTS, keyPerMaster };
      const busy = await runChild({ ...job, phase: 'commands' });
      const idle = await runChild({ ...job, phase: 'idle' });
      return {
        value: busy.after.rss / MIB,
        extras: {
          heapMiB: busy.after.heapUsed / MIB,
          baselineRssMiB: busy.baseline.rss / MIB,
          rssPerConnectionKiB: (idle.after.rss - idle.baseline.rss) / idle.sockets / 1024,
          heapPerConnectionKiB: (idle.after.heapUsed - idle.baseline.heapUsed) / idle.sockets / 1024,
          socketsPerClient: idle.sockets / IDLE_CLIENTS,
        },
      };
    },
  }));
  const samples = await runRounds({ ...context, rounds: memoryRounds(context) }, 'memory', contenders);
  return summarise(
    {
      id: 'memory',
      title: `Memory after ${commands.toLocaleString('en-US')} commands`,
      unit: 'MiB RSS',
      higherIsBetter: false,
      method: `Each client in a fresh node process (--expose-gc): ${CALLERS} callers run ${commands.toLocaleString('en-US')} commands (SET then GET, 64-byte values), then two full GCs; RSS and heap used are read then. "baseline" is the RSS after loading the client's code, before connecting. Per idle connection, in another fresh process: ${IDLE_CLIENTS} clients, each having read one key on every master, then left idle; the growth in RSS and heap divided by the sockets they opened.`,
      extraColumns: [
        { key: 'heapMiB', label: 'heap MiB' },
        { key: 'baselineRssMiB', label: 'baseline RSS MiB' },
        { key: 'rssPerConnectionKiB', label: 'RSS KiB / idle conn' },
        { key: 'heapPerConnectionKiB', label: 'heap KiB / idle conn' },
        { key: 'socketsPerClient', label: 'sockets / client' },
      ],
      target: 1,
    },
    samples,
  );
}

async function runChild(job: MemoryJob): Promise<MemoryReport> {
  const { stdout } = await execFileAsync(process.execPath, ['--expose-gc', CHILD, JSON.stringify(job)], { timeout: 600_000 });
  return JSON.parse(stdout) as MemoryReport;
}

/** A million commands per client per round is slow; memory figures barely move between rounds. */
function memoryRounds(context: SuiteContext): number {
  return context.quick ? 1 : Math.min(context.rounds, 3);
}

async function oneKeyPerMaster(context: SuiteContext): Promise<string[]> {
  const keys = new Map<string, string>();
  for (let i = 0; keys.size < context.cluster.masters().length; i++) {
    const key = `bench:idle:${i}`;
    const owner = (await context.cluster.slotOwner(keySlot(key))).id;
    if (!keys.has(owner)) keys.set(owner, key);
  }
  return [...keys.values()];
}
