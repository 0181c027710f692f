/**
 * Every failure of the harness is one of these, so a test that fails during setup says which
 * node, which command and what the server logged, instead of a bare "timeout".
 */
export class TestClusterError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A `redis-cli` invocation failed: connection refused, error reply, or no answer in time. */
export class CliCommandError extends TestClusterError {
  constructor(
    /** `host:port` the command was sent to. */
    readonly node: string,
    /** The command with credentials redacted. */
    readonly command: string,
    /** What the server or redis-cli said (the error reply, e.g. `ASK 12 127.0.0.1:7001`). */
    readonly reply: string,
    readonly timedOut: boolean,
  ) {
    super(
      timedOut ? 'ERR_CLI_TIMEOUT' : 'ERR_CLI',
      timedOut
        ? `redis-cli ${command} on ${node}: no answer in time`
        : `redis-cli ${command} on ${node} failed: ${reply || '(no output)'}`,
    );
  }
}

/** A redis-server process did not come up (bad config, port taken, crashed). */
export class NodeStartError extends TestClusterError {
  constructor(
    readonly node: string,
    readonly reason: string,
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_NODE_START', `redis-server ${node} did not start: ${reason}${formatTail(logTail)}`, options);
  }
}

/** `waitFor` ran out of time. `lastError` is what the predicate threw on its final attempt. */
export class WaitTimeoutError extends TestClusterError {
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
  ) {
    const last = lastError === undefined ? '' : `; last check: ${errorMessage(lastError)}`;
    super('ERR_WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${description}${last}`, {
      cause: lastError,
    });
  }
}

/** The cluster did not reach (or return to) a healthy state; carries what was wrong and the logs. */
export class ClusterUnhealthyError extends TestClusterError {
  constructor(
    readonly problems: readonly string[],
    readonly logTails: Readonly<Record<string, string>>,
    readonly timeoutMs: number,
  ) {
    const logs = Object.entries(logTails)
      .map(([node, tail]) => `--- ${node} ---\n${tail}`)
      .join('\n');
    super(
      'ERR_CLUSTER_UNHEALTHY',
      `cluster not healthy after ${timeoutMs} ms:\n  ${problems.join('\n  ')}` + (logs ? `\n${logs}` : ''),
    );
  }
}

/** A helper was asked for something the cluster cannot do as it stands (e.g. remove a node that owns slots). */
export class InvalidOperationError extends TestClusterError {
  constructor(message: string) {
    super('ERR_INVALID_OPERATION', message);
  }
}

/** The docker backend was selected but no engine answers. */
export class DockerUnavailableError extends TestClusterError {
  constructor(readonly reason: string) {
    super('ERR_DOCKER_UNAVAILABLE', `docker backend unavailable: ${reason}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatTail(tail: string): string {
  return tail ? `\n--- log tail ---\n${tail}` : '';
}
