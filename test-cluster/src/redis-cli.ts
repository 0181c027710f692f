import { execFile } from 'node:child_process';
import type { Credentials } from './config.js';
import { CliCommandError } from './errors.js';

/** Where and how redis-cli connects. Paths are host paths. */
export interface CliTarget {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  readonly auth?: Credentials;
}

export interface CliOptions {
  /** Kill redis-cli and fail after this long (default 15 000 ms); a paused node never answers. */
  readonly timeoutMs?: number;
  /** Ask for `--json` output (RESP3 replies as JSON), for nested replies such as CLUSTER SLOTS. */
  readonly json?: boolean;
  /**
   * Commands to pipe on stdin, one per line, instead of argv: they run on one connection, which
   * is what `ASKING` needs to apply to the command after it.
   */
  readonly stdin?: string;
}

export type CliArg = string | number;

/** Arguments that are followed by secrets, and how many. */
const SECRET_AFTER: Readonly<Record<string, number>> = { AUTH: 1, AUTH2: 2, REQUIREPASS: 1, MASTERAUTH: 1 };

const MAX_SHOWN_ARGS = 12;

/** The command as safe to print in an error: passwords become `***`. */
export function describeCommand(args: readonly CliArg[]): string {
  const words = args.map(String);
  const name = (words[0] ?? '').toUpperCase();
  // AUTH [user] pass and HELLO ... AUTH user pass: nothing after the name is worth showing.
  if (name === 'AUTH' || name === 'HELLO') return `${words[0]} ***`;
  const isAcl = name === 'ACL';
  const out: string[] = [];
  let hide = 0;
  for (const word of words) {
    if (hide > 0 || (isAcl && /^[<>#!]/.test(word))) {
      out.push('***');
      hide = Math.max(0, hide - 1);
      continue;
    }
    out.push(/\s/.test(word) || word === '' ? JSON.stringify(word) : word);
    hide = SECRET_AFTER[word.toUpperCase()] ?? 0;
  }
  // An MSET of hundreds of keys would bury the reply in the message.
  return out.length > MAX_SHOWN_ARGS
    ? `${out.slice(0, MAX_SHOWN_ARGS).join(' ')} ... (${out.length - MAX_SHOWN_ARGS} more)`
    : out.join(' ');
}

/** The argv for redis-cli, without the command. The password travels in the environment. */
export function cliConnectionArgs(target: CliTarget, json = false): string[] {
  const args = ['-h', target.host, '-p', String(target.port), '-e', '--no-auth-warning'];
  if (target.tls) {
    args.push('--tls', '--cacert', target.tls.caFile, '--cert', target.tls.certFile, '--key', target.tls.keyFile);
  }
  if (target.auth?.username !== undefined) args.push('--user', target.auth.username);
  if (json) args.push('--json');
  return args;
}

/**
 * Runs one command through redis-cli and returns its trimmed stdout.
 *
 * redis-cli rather than a socket of our own: the harness that verifies the client must not share
 * code with it. `-e` makes an error reply a non-zero exit, so errors cannot pass for values.
 */
export function redisCli(target: CliTarget, args: readonly CliArg[], options: CliOptions = {}): Promise<string> {
  const argv = cliConnectionArgs(target, options.json);
  if (options.stdin === undefined) argv.push(...args.map(String));
  const env: NodeJS.ProcessEnv = { ...process.env };
  // REDISCLI_AUTH keeps the password out of `ps`; an inherited one must not leak into other targets.
  if (target.auth) env.REDISCLI_AUTH = target.auth.password;
  else delete env.REDISCLI_AUTH;
  const node = `${target.host}:${target.port}`;
  const command = options.stdin === undefined ? describeCommand(args) : '(script on stdin)';

  return new Promise((resolve, reject) => {
    const child = execFile(
      'redis-cli',
      argv,
      { env, timeout: options.timeoutMs ?? 15_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout.trim());
          return;
        }
        const timedOut = (error as { killed?: boolean }).killed === true;
        const reply = (stderr.trim() || stdout.trim()).replace(/^\(error\)\s*/, '');
        reject(new CliCommandError(node, command, reply, timedOut));
      },
    );
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}
