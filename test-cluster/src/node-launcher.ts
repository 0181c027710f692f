import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeProcess } from './backend.js';
import { renderConfig } from './config.js';
import { NodeStartError, TestClusterError, errorMessage } from './errors.js';
import { logSize, logTail } from './logs.js';
import { redisCli } from './redis-cli.js';
import type { CliTarget } from './redis-cli.js';
import type { RunContext } from './run.js';
import { parseInfo } from './topology.js';

export const HOST = '127.0.0.1';

/** A node's fixed identity on disk and on the network; the process behind it can change. */
export interface LaunchedNode {
  readonly name: string;
  readonly dir: string;
  readonly configFile: string;
  readonly port: number;
  /** Cluster bus port; undefined for a standalone server. */
  readonly busPort: number | undefined;
  proc: NodeProcess;
}

export interface LaunchOptions {
  /** Cluster node timeout; omit for a standalone server. */
  readonly nodeTimeoutMs?: number;
  readonly startTimeoutMs?: number;
}

const MAX_PORT_ATTEMPTS = 5;
// Bind failures as redis-server 7 logs them, for the listener and the cluster bus.
const PORT_TAKEN = /address already in use|failed listening on port|could not bind/i;

export function cliTarget(run: RunContext, port: number): CliTarget {
  return { host: HOST, port, tls: run.tls, auth: run.admin };
}

export function nodeLabel(name: string, port: number): string {
  return `${name} ${HOST}:${port}`;
}

function tcpReachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function failureTail(dir: string, proc: NodeProcess, logOffset: number): Promise<string> {
  const [log, early] = await Promise.all([logTail(dir, 25, logOffset), proc.earlyOutput()]);
  return [early.trim(), log].filter(Boolean).join('\n');
}

/**
 * Why whatever answers on the port is not (yet) our ready node, or undefined when it is: it must
 * answer INFO as the harness's admin, and with the process backend report our child's pid. A
 * port can be served by another server that won the race for it while ours is still dying of
 * "address already in use"; its PONG must not count.
 */
async function notOursYet(run: RunContext, port: number, proc: NodeProcess): Promise<string | undefined> {
  // Short: whatever holds the port may not be our server, and the exit check must get its turn.
  const info = parseInfo(await redisCli(cliTarget(run, port), ['INFO', 'server'], { timeoutMs: 1_000 }));
  // A container's redis-server sees its own pid namespace, so only the process backend can compare.
  if (run.backend.name === 'process') {
    const pid = info.get('process_id');
    if (pid !== String(proc.pid)) return `port ${port} is served by process ${pid ?? '?'}, not by our pid ${proc.pid}`;
  }
  // It could have died between answering and now; the caller's exit check then explains why.
  if (proc.exited) return 'exited right after answering';
  return undefined;
}

/**
 * Waits until our server accepts connections and answers as the harness's admin.
 * Returns 'port-taken' when it exited because a port was grabbed in the meantime.
 */
async function waitUntilReady(
  run: RunContext, label: string, dir: string, port: number, proc: NodeProcess, logOffset: number, timeoutMs: number,
): Promise<'ready' | 'port-taken'> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not listening yet';
  for (;;) {
    if (proc.exited) {
      const tail = await failureTail(dir, proc, logOffset);
      if (PORT_TAKEN.test(tail)) return 'port-taken';
      throw new NodeStartError(label, `exited during startup (${proc.exitReason ?? 'unknown'})`, tail);
    }
    if (await tcpReachable(port)) {
      try {
        const problem = await notOursYet(run, port, proc);
        if (problem === undefined) return 'ready';
        lastError = problem;
      } catch (error) {
        lastError = errorMessage(error);
      }
    }
    if (Date.now() > deadline) {
      await proc.signal('SIGKILL');
      throw new NodeStartError(label, `not ready after ${timeoutMs} ms (${lastError})`, await failureTail(dir, proc, logOffset));
    }
    await sleep(25);
  }
}

function defaultStartTimeout(run: RunContext): number {
  // Containers may need an image pull on first use.
  return run.backend.name === 'docker' ? 180_000 : 20_000;
}

/** Creates a node dir and config on free ports and starts it; retries with new ports if one was taken. */
export async function launchNode(run: RunContext, name: string, options: LaunchOptions = {}): Promise<LaunchedNode> {
  const dir = join(run.runDir, name);
  const configFile = join(dir, 'redis.conf');
  await mkdir(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await run.ports.next();
    const busPort = options.nodeTimeoutMs === undefined ? undefined : await run.ports.next();
    const config = renderConfig({
      dir,
      port,
      cluster: busPort === undefined ? undefined : { busPort, nodeTimeoutMs: options.nodeTimeoutMs ?? 1000 },
      tls: run.tls,
      password: run.password,
      users: run.users,
      admin: run.admin,
      extraConfig: run.extraConfig,
    });
    await writeFile(configFile, config);
    const label = nodeLabel(name, port);
    const logOffset = await logSize(dir);
    const proc = await run.backend.start({ label, dir, configFile });
    const state = await waitUntilReady(run, label, dir, port, proc, logOffset, options.startTimeoutMs ?? defaultStartTimeout(run));
    if (state === 'ready') return { name, dir, configFile, port, busPort, proc };
    if (attempt >= MAX_PORT_ATTEMPTS) {
      throw new NodeStartError(label, `ports taken on ${MAX_PORT_ATTEMPTS} attempts`, await logTail(dir));
    }
  }
}

/** Starts a stopped node again from its own dir and config: same ports, same nodes.conf. */
export async function relaunchNode(run: RunContext, node: LaunchedNode, startTimeoutMs?: number): Promise<NodeProcess> {
  const label = nodeLabel(node.name, node.port);
  const logOffset = await logSize(node.dir);
  const proc = await run.backend.start({ label, dir: node.dir, configFile: node.configFile });
  const state = await waitUntilReady(run, label, node.dir, node.port, proc, logOffset, startTimeoutMs ?? defaultStartTimeout(run));
  if (state === 'port-taken') {
    throw new NodeStartError(label, `its port ${node.port} (or bus port ${node.busPort ?? '-'}) is now taken by another process`, await logTail(node.dir));
  }
  return proc;
}

/** Kills the process (resuming it first if frozen, so it can die) and waits until it is gone. */
export async function killProcess(proc: NodeProcess, label: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (proc.exited) return;
  await proc.signal(signal);
  // A stopped process only acts on SIGTERM/SIGINT once continued; SIGKILL needs no help.
  if (signal !== 'SIGKILL') await proc.resume();
  const gracefulMs = signal === 'SIGKILL' ? 10_000 : 5_000;
  if (await proc.waitForExit(gracefulMs)) return;
  await proc.signal('SIGKILL');
  if (!(await proc.waitForExit(10_000))) {
    throw new TestClusterError('ERR_NODE_STOP', `${label}: process ${proc.pid} did not exit after ${signal} and SIGKILL`);
  }
}
