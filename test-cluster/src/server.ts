import type { AclUser } from './config.js';
import { InvalidOperationError } from './errors.js';
import { logTail } from './logs.js';
import { HOST, cliTarget, killProcess, launchNode, nodeLabel, relaunchNode } from './node-launcher.js';
import type { LaunchedNode } from './node-launcher.js';
import { redisCli } from './redis-cli.js';
import { createRun } from './run.js';
import type { RunContext, ServerOptions } from './run.js';
import type { TlsMaterial } from './tls.js';
import type { CliCallOptions, KillSignal, NodeStatus } from './types.js';

/** One standalone (non-cluster) redis-server, for connection-level tests. */
export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** Changes on restart(). */
  readonly pid: number;
  readonly dir: string;
  readonly status: NodeStatus;
  readonly tls?: TlsMaterial;
  readonly password?: string;
  readonly users: readonly AclUser[];
  cli(...args: (string | number)[]): Promise<string>;
  cliWith(options: CliCallOptions, ...args: (string | number)[]): Promise<string>;
  logTail(lines?: number): Promise<string>;
  /** Ends the process and waits until it is gone. */
  kill(signal?: KillSignal): Promise<void>;
  /** SIGSTOP: the socket stays open but nothing is answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Starts it again on the same port (killing it first if it runs). Data is not kept. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

class RunningServer implements TestServer {
  readonly host = HOST;
  status: NodeStatus = 'running';
  private stopping: Promise<void> | undefined;

  constructor(private readonly run: RunContext, private readonly node: LaunchedNode) {}

  get port(): number {
    return this.node.port;
  }

  get pid(): number {
    return this.node.proc.pid;
  }

  get dir(): string {
    return this.node.dir;
  }

  get tls(): TlsMaterial | undefined {
    return this.run.tls;
  }

  get password(): string | undefined {
    return this.run.password;
  }

  get users(): readonly AclUser[] {
    return this.run.users;
  }

  private get label(): string {
    return nodeLabel(this.node.name, this.node.port);
  }

  cli(...args: (string | number)[]): Promise<string> {
    return redisCli(cliTarget(this.run, this.port), args);
  }

  cliWith(options: CliCallOptions, ...args: (string | number)[]): Promise<string> {
    return redisCli(cliTarget(this.run, this.port), args, options);
  }

  logTail(lines?: number): Promise<string> {
    return logTail(this.dir, lines);
  }

  async kill(signal: KillSignal = 'SIGKILL'): Promise<void> {
    await killProcess(this.node.proc, this.label, signal);
    this.status = 'stopped';
  }

  async pause(): Promise<void> {
    if (this.status !== 'running') throw new InvalidOperationError(`${this.label} is ${this.status}, cannot pause it`);
    await this.node.proc.pause();
    this.status = 'paused';
  }

  async resume(): Promise<void> {
    if (this.status !== 'paused') throw new InvalidOperationError(`${this.label} is ${this.status}, not paused`);
    await this.node.proc.resume();
    this.status = 'running';
  }

  async restart(): Promise<void> {
    if (this.stopping) throw new InvalidOperationError(`${this.label} was stopped for good`);
    if (this.status !== 'stopped') await this.kill();
    this.node.proc = await relaunchNode(this.run, this.node);
    this.status = 'running';
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await killProcess(this.node.proc, this.label);
        this.status = 'stopped';
        await this.run.backend.close();
      } finally {
        this.run.cleanup.killAllSync();
      }
    })();
    return this.stopping;
  }
}

/** Boots one standalone redis-server on a free loopback port; resolves once it answers PING. */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const run = await createRun(options, 'server');
  try {
    return new RunningServer(run, await launchNode(run, 'server'));
  } catch (error) {
    await run.backend.close().catch(() => undefined);
    run.cleanup.killAllSync();
    throw error;
  }
}
