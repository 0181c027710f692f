import { readFileSync } from 'node:fs';

/**
 * Whether a pid still names a live process. A zombie counts as gone: it holds no port and no
 * file, and its parent (possibly an init that never reaps) decides when it disappears.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name before it is parenthesised.
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    // No /proc (not Linux): kill(0) succeeded, so it is alive. ENOENT: it just went away.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
