import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, resolveBackendName } from './backend.js';
import type { Backend, BackendName } from './backend.js';
import type { AclUser, Credentials } from './config.js';
import { PortAllocator } from './ports.js';
import type { PortSource } from './ports.js';
import { RunCleanup } from './registry.js';
import { generateTls } from './tls.js';
import type { TlsMaterial } from './tls.js';

/** Options shared by standalone servers and clusters. */
export interface ServerOptions {
  /** Serve TLS only, with a freshly generated CA and certificate (see `tls` on the result). */
  tls?: boolean;
  /** `requirepass`: the password of the `default` user. */
  password?: string;
  /**
   * ACL users to create on every node. The `default` user keeps its usual rights (open unless
   * `password` is set); the harness then authenticates as its own admin user.
   */
  users?: readonly AclUser[];
  /** Extra `key value` config lines, written last so they override the generated ones. */
  extraConfig?: Readonly<Record<string, string | number>>;
  /** Default: env REDIS_SERVER_BIN, else `redis-server` from PATH. */
  redisServerBin?: string;
  /** Default: env TEST_CLUSTER_BACKEND, else 'process'. */
  backend?: BackendName;
}

/** Everything the nodes of one run share. */
export interface RunContext {
  readonly runDir: string;
  readonly backend: Backend;
  readonly cleanup: RunCleanup;
  readonly ports: PortSource;
  readonly tls: TlsMaterial | undefined;
  /** What the harness itself authenticates with; undefined when the server needs no AUTH. */
  readonly admin: Credentials | undefined;
  readonly password: string | undefined;
  readonly users: readonly AclUser[];
  readonly extraConfig: Readonly<Record<string, string | number>>;
}

/** The harness's own ACL user, so tests may restrict or disable `default` without locking it out. */
export const ADMIN_USERNAME = 'hashslot-admin';

/** Creates the run dir (guarded by the cleanup registry from the first moment), TLS material and backend. */
export async function createRun(options: ServerOptions, kind: 'cluster' | 'server'): Promise<RunContext> {
  const backendName = resolveBackendName(options.backend);
  const runDir = await mkdtemp(join(tmpdir(), `hashslot-${kind}-`));
  const cleanup = new RunCleanup(runDir);
  try {
    const users = options.users ?? [];
    const admin: Credentials | undefined = users.length > 0
      ? { username: ADMIN_USERNAME, password: randomBytes(18).toString('base64url') }
      : options.password !== undefined
        ? { password: options.password }
        : undefined;
    const tls = options.tls ? await generateTls(join(runDir, 'tls')) : undefined;
    const redisServerBin = options.redisServerBin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
    const backend = await createBackend(backendName, { cleanup, runDir, redisServerBin });
    return {
      runDir,
      backend,
      cleanup,
      ports: new PortAllocator(),
      tls,
      admin,
      password: options.password,
      users,
      extraConfig: options.extraConfig ?? {},
    };
  } catch (error) {
    cleanup.killAllSync();
    throw error;
  }
}
