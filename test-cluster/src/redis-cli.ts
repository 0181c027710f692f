import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Credentials } from './config.js';
import { CliCommandError, InvalidOperationError } from './errors.js';
import { quoteArg } from './quote.js';

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

/** Which words of the command are secrets; `*` for AUTH and HELLO, whose every argument may be. */
function secretWords(words: readonly string[]): Set<number> | '*' {
  const name = (words[0] ?? '').toUpperCase();
  // AUTH [user] pass and HELLO ... AUTH user pass: nothing after the name is worth showing.
  if (name === 'AUTH' || name === 'HELLO') return '*';
  const isAcl = name === 'ACL';
  const secret = new Set<number>();
  let hide = 0;
  words.forEach((word, i) => {
    if (hide > 0 || (isAcl && /^[<>#!]/.test(word))) {
      secret.add(i);
      hide = Math.max(0, hide - 1);
      return;
    }
    hide = SECRET_AFTER[word.toUpperCase()] ?? 0;
  });
  return secret;
}

/** True when the command carries a password, which must then travel on stdin, never in argv. */
export function carriesSecret(args: readonly CliArg[]): boolean {
  const secret = secretWords(args.map(String));
  return secret === '*' ? args.length > 1 : secret.size > 0;
}

/** The command as safe to print in an error: passwords become `***`. */
export function describeCommand(args: readonly CliArg[]): string {
  const words = args.map(String);
  const secret = secretWords(words);
  if (secret === '*') return `${words[0]} ***`;
  const out = words.map((word, i) =>
    secret.has(i) ? '***' : /\s/.test(word) || word === '' ? JSON.stringify(word) : word);
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
  // argv is world-readable through `ps` and /proc for as long as redis-cli runs.
  if (options.stdin === undefined && carriesSecret(args)) {
    return Promise.reject(new InvalidOperationError(
      `${describeCommand(args)} would show its password in redis-cli's argv; pipe it on redis-cli's stdin instead`,
    ));
  }
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

/** How an error reply looks in `--json` output, where values are quoted and so cannot look alike. */
const JSON_ERROR = /^error:/;

/** One section of `--json` output: JSON strings unquoted; verbatim replies (INFO, CLUSTER NODES) come raw. */
function decodeReply(text: string): string {
  if (!text.startsWith('"')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : text;
  } catch {
    return text;
  }
}

/**
 * Runs several commands on one connection of one redis-cli process and returns each reply; the
 * first error reply rejects with a CliCommandError naming that command and carrying only its reply.
 *
 * Commands go on stdin: one process instead of one per command (health polls run often, on the
 * same two cores as the client under test), and secrets in them (MIGRATE ... AUTH) stay out of
 * `ps`. Piped commands ignore `-e`, so replies are read as `--json`, where an error reply is
 * `error:"..."` and no value can look like one; an ECHO of a random marker separates the replies
 * because INFO-like replies span lines.
 */
export async function redisCliBatch(
  target: CliTarget, commands: readonly (readonly CliArg[])[], options: Pick<CliOptions, 'timeoutMs'> = {},
): Promise<string[]> {
  const marker = `--hashslot-reply-end-${randomBytes(8).toString('hex')}--`;
  const markerLine = JSON.stringify(marker);
  const script = commands.map((command) => `${command.map(quoteArg).join(' ')}\nECHO ${marker}\n`).join('');
  const out = await redisCli(target, [], { ...options, json: true, stdin: script });
  const sections: string[][] = [[]];
  for (const line of out.split('\n')) {
    if (line.replace(/\r$/, '') === markerLine) sections.push([]);
    else sections[sections.length - 1].push(line);
  }
  const node = `${target.host}:${target.port}`;
  return commands.map((command, i) => {
    const lines = sections[i];
    if (i >= sections.length - 1 || !lines) {
      throw new CliCommandError(node, describeCommand(command), 'no reply (the connection ended early)', false);
    }
    const text = lines.join('\n').trim();
    if (JSON_ERROR.test(text)) {
      throw new CliCommandError(node, describeCommand(command), decodeReply(text.replace(JSON_ERROR, '')), false);
    }
    return decodeReply(text);
  });
}
