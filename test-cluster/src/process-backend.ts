import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, BackendContext, NodeProcess, NodeSpec } from './backend.js';
import { NodeStartError } from './errors.js';

const EARLY_OUTPUT_FILE = 'stdout.log';

/** Nodes as child processes of this one: the default, needs only a redis-server binary. */
export function createProcessBackend(context: BackendContext): Backend {
  const program = basename(context.redisServerBin);
  return {
    name: 'process',
    async start(spec: NodeSpec): Promise<NodeProcess> {
      const outputFile = join(spec.dir, EARLY_OUTPUT_FILE);
      // stdout/stderr to a file rather than a pipe: a pipe would keep this process alive and
      // could fill up and block the server.
      const fd = openSync(outputFile, 'a');
      const child = (() => {
        try {
          return spawn(context.redisServerBin, [spec.configFile], { cwd: spec.dir, stdio: ['ignore', fd, fd] });
        } finally {
          closeSync(fd);
        }
      })();
      // Tracked at once, not after the 'spawn' event: if this process dies in between, the exit
      // handlers and the watchdog must already know the server exists.
      if (child.pid !== undefined) context.cleanup.track(child.pid, program);
      const spawned = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', resolve);
      });
      if (spawned || child.pid === undefined) {
        if (child.pid !== undefined) context.cleanup.untrack(child.pid);
        throw new NodeStartError(spec.label, `cannot run ${context.redisServerBin}: ${spawned?.message ?? 'no pid'}`, '');
      }
      const pid = child.pid;
      // The run's lifetime is managed by stop() and the cleanup registry, not by the event loop:
      // a script that forgets stop() still exits (and its exit handler kills the nodes).
      child.unref();

      let exitReason: string | undefined;
      const exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          exitReason = signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
          context.cleanup.untrack(pid);
          resolve();
        });
      });

      const send = async (signal: NodeJS.Signals): Promise<void> => {
        if (exitReason !== undefined) return;
        try {
          process.kill(pid, signal);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      };

      return {
        pid,
        get exited() {
          return exitReason !== undefined;
        },
        get exitReason() {
          return exitReason;
        },
        signal: send,
        pause: () => send('SIGSTOP'),
        resume: () => send('SIGCONT'),
        async waitForExit(timeoutMs: number): Promise<boolean> {
          if (exitReason !== undefined) return true;
          const controller = new AbortController();
          // The timer (not the exit promise) keeps the event loop alive while we wait.
          const timeout = sleep(timeoutMs, false, { signal: controller.signal }).catch(() => false);
          const result = await Promise.race([exited.then(() => true), timeout]);
          controller.abort();
          return result;
        },
        earlyOutput: () => readFile(outputFile, 'utf8').catch(() => ''),
      };
    },
    async close(): Promise<void> {
      // Nothing shared between nodes.
    },
  };
}
