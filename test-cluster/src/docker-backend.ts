import type { Backend, BackendContext, NodeProcess, NodeSpec } from './backend.js';
import { DockerUnavailableError, NodeStartError, errorMessage } from './errors.js';

/** Image for the docker backend; override with TEST_CLUSTER_DOCKER_IMAGE. */
export const DEFAULT_DOCKER_IMAGE = 'redis:7.0';

/**
 * Whether the docker backend can run here: `true`, or the reason it cannot.
 *
 * testcontainers is imported lazily so the process backend never loads it.
 */
export async function dockerAvailable(): Promise<true | string> {
  // Nodes announce 127.0.0.1 and the ports they bind; only host networking makes those the same
  // addresses for the client, the host and every other node, and only a Linux engine has it.
  if (process.platform !== 'linux') {
    return `the docker backend needs host networking, which only a Linux Docker engine provides (this is ${process.platform})`;
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch (error) {
    return `no Docker engine answers (${errorMessage(error)})`;
  }
}

interface DockerContainerHandle {
  kill(options: { signal: string }): Promise<unknown>;
  pause(): Promise<unknown>;
  unpause(): Promise<unknown>;
  wait(): Promise<{ StatusCode: number }>;
  inspect(): Promise<{ State: { Pid: number } }>;
}

async function readStream(stream: NodeJS.ReadableStream, limitMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    const timer = setTimeout(done, limitMs);
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
    stream.on('end', () => {
      clearTimeout(timer);
      done();
    });
    stream.on('error', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/**
 * Nodes as containers of the official image, with host networking and the run dir bind-mounted at
 * the same path, so the generated config, TLS files and logs are shared with the host unchanged.
 * The container runs as the host user so the files it writes can be removed by the host.
 * If this process is killed, testcontainers' own reaper (Ryuk) removes the containers; our
 * watchdog removes the run dir.
 */
export async function createDockerBackend(context: BackendContext): Promise<Backend> {
  const available = await dockerAvailable();
  if (available !== true) throw new DockerUnavailableError(available);
  const tc = await import('testcontainers');
  const client = await tc.getContainerRuntimeClient();
  const image = process.env.TEST_CLUSTER_DOCKER_IMAGE ?? DEFAULT_DOCKER_IMAGE;
  const started = new Set<{ stop(options?: { timeout?: number }): Promise<unknown> }>();
  const user = typeof process.getuid === 'function' && typeof process.getgid === 'function'
    ? `${process.getuid()}:${process.getgid()}`
    : undefined;

  return {
    name: 'docker',
    async start(spec: NodeSpec): Promise<NodeProcess> {
      let builder = new tc.GenericContainer(image)
        .withNetworkMode('host')
        .withBindMounts([{ source: context.runDir, target: context.runDir, mode: 'rw' }])
        .withWorkingDir(spec.dir)
        .withCommand(['redis-server', spec.configFile])
        .withStartupTimeout(120_000);
      if (user) builder = builder.withUser(user);
      const container = await builder.start().catch((error: unknown) => {
        throw new NodeStartError(spec.label, `container did not start: ${errorMessage(error)}`, '', { cause: error });
      });
      started.add(container);
      const handle: DockerContainerHandle = client.container.getById(container.getId());
      const pid = (await handle.inspect()).State.Pid;

      let exitReason: string | undefined;
      // Docker refuses to signal a paused container, where a frozen process would just take it.
      let paused = false;
      const exited = handle.wait().then(
        (result) => {
          exitReason = `exit code ${result.StatusCode}`;
        },
        (error: unknown) => {
          exitReason = `container lost: ${errorMessage(error)}`;
        },
      );

      return {
        pid,
        get exited() {
          return exitReason !== undefined;
        },
        get exitReason() {
          return exitReason;
        },
        async signal(signal: NodeJS.Signals): Promise<void> {
          if (exitReason !== undefined) return;
          if (paused) {
            await handle.unpause();
            paused = false;
          }
          await handle.kill({ signal });
        },
        // The cgroup freezer: the same observable effect as SIGSTOP, done the way docker does it.
        pause: async () => {
          await handle.pause();
          paused = true;
        },
        resume: async () => {
          if (!paused) return;
          await handle.unpause();
          paused = false;
        },
        async waitForExit(timeoutMs: number): Promise<boolean> {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          });
          const result = await Promise.race([exited.then(() => true), timeout]);
          clearTimeout(timer);
          return result;
        },
        async earlyOutput(): Promise<string> {
          try {
            return await readStream(await container.logs({ tail: 50 }), 2_000);
          } catch {
            return '';
          }
        },
      };
    },
    async close(): Promise<void> {
      await Promise.allSettled([...started].map((container) => container.stop({ timeout: 0 })));
      started.clear();
    },
  };
}
