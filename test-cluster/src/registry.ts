import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './process-state.js';
import { spawnReaper } from './reaper.js';

const PID_FILE = '.pids';

/**
 * The cleanup obligations of one run: its directory and the server processes in it.
 *
 * Three layers make sure they are met: `stop()` in the normal case; synchronous handlers on
 * exit/SIGINT/SIGTERM/SIGHUP when the test process ends without stopping; and the detached reaper
 * when the test process is killed outright. The pid file is what the reaper reads, so it is
 * rewritten (atomically) on every change.
 */
export class RunCleanup {
  private readonly pids = new Map<number, string>();
  private readonly reaperPid: number;
  private released = false;

  constructor(readonly runDir: string) {
    this.writePidFile();
    this.reaperPid = spawnReaper(runDir, join(runDir, PID_FILE));
    activeRuns.add(this);
    installHandlers();
  }

  /** Registers a server process; `program` is the binary's name, checked before killing. */
  track(pid: number, program: string): void {
    this.pids.set(pid, program);
    this.writePidFile();
  }

  untrack(pid: number): void {
    if (this.pids.delete(pid)) this.writePidFile();
  }

  /** Last-resort cleanup, synchronous because it runs inside `exit` and signal handlers. */
  killAllSync(): void {
    for (const pid of this.pids.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.removeDirSync();
    this.release();
  }

  /** The run's processes are gone and its directory removed: the watchdog can go too. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (isProcessAlive(this.reaperPid)) {
      try {
        process.kill(this.reaperPid, 'SIGKILL');
      } catch {
        // It saw the run dir vanish and left on its own.
      }
    }
    activeRuns.delete(this);
    if (activeRuns.size === 0) uninstallHandlers();
  }

  removeDirSync(): void {
    rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
  }

  private writePidFile(): void {
    if (this.released) return;
    const file = join(this.runDir, PID_FILE);
    const lines = [...this.pids].map(([pid, program]) => `${pid} ${program}\n`).join('');
    try {
      writeFileSync(`${file}.tmp`, lines);
      renameSync(`${file}.tmp`, file);
    } catch {
      // The run dir is already being removed; nothing left to guard.
    }
  }
}

// The one piece of module state: the runs that still need cleaning if the process ends now.
const activeRuns = new Set<RunCleanup>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function cleanupAll(): void {
  for (const run of [...activeRuns]) run.killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  const othersListen = process.listenerCount(signal) > 1;
  cleanupAll();
  // Listening replaced Node's default of exiting on the signal; restore it unless another
  // listener (a CLI's graceful shutdown, a test runner) took responsibility for exiting.
  if (!othersListen) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (process.listeners('exit').includes(cleanupAll)) return;
  process.on('exit', cleanupAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstallHandlers(): void {
  process.off('exit', cleanupAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}
