/**
 * `redis-cli --cluster ...`, the operator's own tool, run against a test cluster: resharding and
 * rebalancing as production does them, not as the harness's `moveSlot` does.
 */
import { execFile } from 'node:child_process';
import type { ClusterNode, Endpoint } from '@hashslot/test-cluster';

/**
 * Runs `redis-cli --cluster <command> <host:port> ...args` and resolves with its output (colours
 * stripped). Rejects with the output when the tool fails: its complaints are on stdout.
 */
export function clusterTool(command: string, node: Endpoint, ...args: string[]): Promise<string> {
  const argv = ['--cluster', command, `${node.host}:${node.port}`, ...args];
  return new Promise((resolve, reject) => {
    // Moving thousands of slots on a busy two-core machine takes a while; a hung tool must not
    // outlive the test's own timeout.
    execFile('redis-cli', argv, { timeout: 150_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = stripColours(`${stdout}${stderr}`);
      if (error === null) resolve(output);
      else reject(new Error(`redis-cli ${argv.join(' ')} failed (${error.message.split('\n')[0]}):\n${output.slice(-4000)}`));
    });
  });
}

/** The tool colours its lines even when its output is not a terminal. */
function stripColours(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** `calls`, `rejected_calls` (refused before running: redirections, TRYAGAIN) and `failed_calls` of one command on one node. */
export interface CommandStats {
  readonly calls: number;
  readonly rejected: number;
  readonly failed: number;
}

/** Parses one command's line of `INFO commandstats` (zeros when the node never saw it). */
export function commandStats(info: string, command: string): CommandStats {
  const line = new RegExp(`^cmdstat_${command.toLowerCase()}:(.*)$`, 'm').exec(info)?.[1] ?? '';
  const field = (name: string): number => Number(new RegExp(`(?:^|,)${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  return { calls: field('calls'), rejected: field('rejected_calls'), failed: field('failed_calls') };
}

/** Every slot the node served at the cluster's last `refreshNodes()`, ascending. */
export function slotsOf(node: ClusterNode): number[] {
  return node.slots.flatMap(({ start, end }) => Array.from({ length: end - start + 1 }, (_, i) => start + i));
}
