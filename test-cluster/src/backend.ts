import type { RunCleanup } from './registry.js';

export type BackendName = 'process' | 'docker';

/** What a backend needs to start a node; every path is a host path. */
export interface NodeSpec {
  /** For messages: `n3 127.0.0.1:24001`. */
  readonly label: string;
  readonly dir: string;
  readonly configFile: string;
}

/** One running (or exited) redis-server, however it is hosted. */
export interface NodeProcess {
  /** Host pid of the redis-server process. */
  readonly pid: number;
  readonly exited: boolean;
  /** `exit code 1`, `signal SIGKILL`, or undefined while running. */
  readonly exitReason: string | undefined;
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Freezes the process: its sockets stay open but nothing is read or answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Resolves true once exited, false if `timeoutMs` passed first. */
  waitForExit(timeoutMs: number): Promise<boolean>;
  /** What the process printed before its log file was open (config errors land here). */
  earlyOutput(): Promise<string>;
}

export interface Backend {
  readonly name: BackendName;
  start(spec: NodeSpec): Promise<NodeProcess>;
  /** Releases backend resources once every node is gone. */
  close(): Promise<void>;
}

export interface BackendContext {
  readonly cleanup: RunCleanup;
  readonly runDir: string;
  readonly redisServerBin: string;
}

export function resolveBackendName(requested: BackendName | undefined): BackendName {
  const value = requested ?? process.env.TEST_CLUSTER_BACKEND ?? 'process';
  if (value !== 'process' && value !== 'docker') {
    throw new Error(`unknown test-cluster backend ${JSON.stringify(value)} (expected "process" or "docker")`);
  }
  return value;
}

export async function createBackend(name: BackendName, context: BackendContext): Promise<Backend> {
  if (name === 'docker') {
    const { createDockerBackend } = await import('./docker-backend.js');
    return createDockerBackend(context);
  }
  const { createProcessBackend } = await import('./process-backend.js');
  return createProcessBackend(context);
}
