import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LOG_FILE } from './config.js';

/** The last `lines` lines of a node's redis.log ('' when there is none yet). */
export async function logTail(dir: string, lines = 25, fromOffset = 0): Promise<string> {
  try {
    const text = (await readFile(join(dir, LOG_FILE))).subarray(fromOffset).toString('utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function logSize(dir: string): Promise<number> {
  try {
    return (await stat(join(dir, LOG_FILE))).size;
  } catch {
    return 0;
  }
}
