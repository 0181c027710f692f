import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { expectGone } from './helpers.js';

// The child runs the compiled package: a plain `node` cannot load the TypeScript sources.
const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly pids: number[];
  readonly dir: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a child process that boots a run, prints its pids and dir, then does `then`. */
async function startChild(boot: string, then: string): Promise<Started> {
  expect(existsSync(DIST_INDEX), `${DIST_INDEX} missing: run \`pnpm build\` first`).toBe(true);
  const script = `
    const harness = await import(${JSON.stringify(pathToFileURL(DIST_INDEX).href)});
    const run = await harness.${boot};
    const pids = 'nodes' in run ? run.nodes.map((n) => n.pid) : [run.pid];
    const dir = 'runDir' in run ? run.runDir : run.dir.replace(/\\/server$/, '');
    console.log(JSON.stringify({ pids, dir }));
    ${then}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then(({ code }) => reject(new Error(`child exited (${code}) before printing its run`)));
  });
  const { pids, dir } = JSON.parse(first) as { pids: number[]; dir: string };
  return { child, pids, dir, exited };
}

/** Processes whose command line mentions `dir`: the reaper names the run dir in its argv. */
function processesMentioning(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // Gone while listing.
    }
  }
  return found;
}

describe('cleanup when the test process dies', () => {
  it('SIGKILL of the process that started a cluster: the reaper kills its nodes and removes its dir', async () => {
    const { child, pids, dir, exited } = await startChild(
      'startCluster({ masters: 3, replicasPerMaster: 0 })',
      'setInterval(() => {}, 1000);',
    );
    expect(pids).toHaveLength(3);
    expect(existsSync(dir)).toBe(true);
    expect(processesMentioning(dir).length).toBeGreaterThan(0);

    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');

    await expectGone(pids, dir, 5_000);
    // The reaper itself leaves once done.
    expect(processesMentioning(dir)).toEqual([]);
  });

  it('process.exit() without stop(): the exit handler cleans up before the process is gone', async () => {
    const { pids, dir, exited } = await startChild('startServer()', 'process.exit(0);');
    expect((await exited).code).toBe(0);
    // Synchronous in the exit handler, so already done; the reaper polls far more slowly.
    expect(existsSync(dir)).toBe(false);
    await expectGone(pids, dir, 2_000);
  });

  it('SIGTERM: the signal handler cleans up and the process still dies of SIGTERM', async () => {
    const { child, pids, dir, exited } = await startChild('startServer()', 'setInterval(() => {}, 1000);');
    child.kill('SIGTERM');
    expect((await exited).signal).toBe('SIGTERM');
    expect(existsSync(dir)).toBe(false);
    await expectGone(pids, dir, 2_000);
  });
});
