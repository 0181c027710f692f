import { spawn } from 'node:child_process';

/**
 * The watchdog that cleans up after a test process that died without running its handlers
 * (SIGKILL, OOM killer, a crashed worker). It runs as a separate, detached node process so that
 * it survives its parent and whatever killed its parent's process group.
 *
 * It is kept as source text, run with `node -e`, because it must work the same whether this
 * package is loaded from `dist/` or from `src/` by vitest, where there is no compiled file to point
 * at. It is plain CommonJS with no imports beyond `fs`, and deliberately small.
 *
 * argv: parent pid, run dir, pid file. The pid file holds one `pid name` line per server process;
 * `name` (the server binary's name) is checked against /proc/<pid>/cmdline so that a pid reused by
 * an unrelated process after the run is never killed.
 */
const REAPER_SOURCE = String.raw`
'use strict';
const fs = require('node:fs');
const [parentArg, runDir, pidFile] = process.argv.slice(1);
const parent = Number(parentArg);

function alive(pid) {
  try { process.kill(pid, 0); } catch (e) { return e.code === 'EPERM'; }
  try { return !/^\d+ \(.*\) Z/s.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); }
  catch (e) { return e.code !== 'ENOENT'; }
}

function sameProgram(pid, name) {
  try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(name); }
  catch (e) { return e.code !== 'ENOENT'; }
}

function reap() {
  let entries = [];
  try {
    entries = fs.readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map((line) => {
      const space = line.indexOf(' ');
      return { pid: Number(line.slice(0, space)), name: line.slice(space + 1) };
    });
  } catch {}
  const victims = entries.filter((e) => e.pid > 0 && alive(e.pid) && sameProgram(e.pid, e.name));
  for (const { pid } of victims) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const deadline = Date.now() + 5000;
  (function finish() {
    if (victims.some((v) => alive(v.pid)) && Date.now() < deadline) return void setTimeout(finish, 50);
    try { fs.rmSync(runDir, { recursive: true, force: true }); } catch {}
    process.exit(0);
  })();
}

const timer = setInterval(() => {
  // The run was stopped normally: nothing left to guard.
  if (!fs.existsSync(runDir)) process.exit(0);
  // Reparenting (ppid change) catches the parent's death even if its pid was reused meanwhile.
  if (process.ppid === parent && alive(parent)) return;
  clearInterval(timer);
  reap();
}, 200);
`;

/** Starts the watchdog for one run and returns its pid (so a normal stop can end it). */
export function spawnReaper(runDir: string, pidFile: string): number {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A loader or inspector flag meant for the test process has no business in the watchdog.
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid), runDir, pidFile], {
    detached: true,
    stdio: 'ignore',
    env,
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the cleanup watchdog process');
  return child.pid;
}
