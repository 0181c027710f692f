import { ConnectionError, RedisError, ReplyError, TimeoutError, type BatchReply, type RespReply } from '@hashslot/resp';
import { AskError, ClusterDownError, classifyReplyError, LoadingError, MovedError, ReadOnlyError, TryAgainError } from '../errors.js';
import type { QueuedCommand } from './command.js';

/** A refusal that says where the slot is (or that it is moving), not that the command is wrong. */
export type SlotError = MovedError | AskError | TryAgainError | ClusterDownError | LoadingError | ReadOnlyError;

/** What one `[ASKING] MULTI ... EXEC` write came to. */
export type ExecOutcome =
  /** EXEC ran: one entry per command, shaped, a `ReplyError` where the command failed. */
  | { readonly kind: 'committed'; readonly results: unknown[] }
  /** EXEC answered null: a watched key changed. Nothing ran. */
  | { readonly kind: 'conflict' }
  /** Discarded because of where the slot is or its state (MOVED, ASK, TRYAGAIN...). Nothing ran. */
  | { readonly kind: 'slot'; readonly error: SlotError }
  /** EXEC never reached the node (its connection failed first): nothing ran. */
  | { readonly kind: 'unsent'; readonly error: RedisError }
  /** Refused (EXECABORT for a wrong command...), or no answer to EXEC: it may have run. */
  | { readonly kind: 'failed'; readonly error: RedisError };

export interface ReadExecContext {
  /** `host:port` of the node, for the errors. */
  readonly address: string;
  /** The node's host, for redirections that leave theirs empty. */
  readonly host: string;
  /** Whether the batch began with ASKING. */
  readonly asking: boolean;
}

/**
 * Reads the replies of `[ASKING,] MULTI, ...commands, EXEC` sent in one write. `reusable` says
 * whether the connection is back to a clean state (no MULTI, no WATCH, replies in step): true
 * once EXEC got an answer from the server, which always ends the transaction and its watches.
 */
export function readExec(
  replies: readonly BatchReply[],
  commands: readonly QueuedCommand[],
  context: ReadExecContext,
): { outcome: ExecOutcome; reusable: boolean } {
  const base = context.asking ? 1 : 0;
  const multi = replies[base];
  const exec = replies[replies.length - 1];
  if (exec instanceof RedisError && !(exec instanceof ReplyError)) {
    // A connection failure or a timeout: whether MULTI's transaction ran depends on EXEC alone.
    const unsent = (exec instanceof ConnectionError || exec instanceof TimeoutError) && !exec.written;
    return { outcome: unsent ? { kind: 'unsent', error: exec } : { kind: 'failed', error: exec }, reusable: false };
  }
  if (multi instanceof ReplyError) {
    // Never seen on a fresh connection; the commands that followed may have run one by one.
    return { outcome: { kind: 'failed', error: multi }, reusable: false };
  }
  if (Array.isArray(exec)) {
    if (exec.length !== commands.length) {
      const error = new RedisError(`EXEC on ${context.address} answered ${exec.length} replies for ${commands.length} commands`);
      return { outcome: { kind: 'failed', error }, reusable: false };
    }
    return { outcome: { kind: 'committed', results: exec.map((reply, i) => shape(reply, commands[i], context.address)) }, reusable: true };
  }
  if (exec === null) return { outcome: { kind: 'conflict' }, reusable: true };
  if (!(exec instanceof ReplyError)) {
    const error = new RedisError(`EXEC on ${context.address} answered ${typeof exec} instead of an array, null or an error`);
    return { outcome: { kind: 'failed', error }, reusable: false };
  }
  const execError = classifyReplyError(exec, context.host);
  if (isSlotError(execError)) return { outcome: { kind: 'slot', error: execError as SlotError }, reusable: true };
  if (execError.prefix !== 'EXECABORT') return { outcome: { kind: 'failed', error: execError }, reusable: true };
  return { outcome: aborted(execError, replies.slice(base + 1, replies.length - 1), commands, context), reusable: true };
}

/**
 * Why EXEC aborted, from the commands refused when queued. A refusal of the command itself
 * (syntax, arity, OOM...) wins over one about the slot: it would be refused on any node.
 */
function aborted(execError: ReplyError, queued: readonly BatchReply[], commands: readonly QueuedCommand[], context: ReadExecContext): ExecOutcome {
  let slotError: SlotError | undefined;
  for (const [i, reply] of queued.entries()) {
    if (!(reply instanceof ReplyError)) continue;
    const error = classifyReplyError(reply, context.host);
    if (!isSlotError(error)) {
      const message = `${execError.message.replace(/\.$/, '')}: ${commands[i].name} (command ${i + 1} of ${commands.length}) was refused: ${error.message}`;
      return { kind: 'failed', error: new ReplyError(message, { command: 'EXEC', address: context.address }) };
    }
    if (slotError === undefined || rank(error as SlotError) < rank(slotError)) slotError = error as SlotError;
  }
  return slotError === undefined ? { kind: 'failed', error: execError } : { kind: 'slot', error: slotError };
}

/** MOVED first (the slot's owner for good), then ASK, then the states that pass. */
function rank(error: SlotError): number {
  if (error instanceof MovedError) return 0;
  if (error instanceof AskError) return 1;
  return 2;
}

/**
 * Not a type guard: the kinds add nothing structural to `ReplyError`, so TypeScript would
 * narrow the other branch to `never`.
 */
function isSlotError(error: ReplyError): boolean {
  return (
    error instanceof MovedError ||
    error instanceof AskError ||
    error instanceof TryAgainError ||
    error instanceof ClusterDownError ||
    error instanceof LoadingError ||
    error instanceof ReadOnlyError
  );
}

/** One EXEC entry as the caller gets it: shaped by its typed method, or the error with its context. */
function shape(reply: RespReply, command: QueuedCommand, address: string): unknown {
  // Errors nested in EXEC's array come from the parser without the command they belong to.
  if (reply instanceof ReplyError) return new ReplyError(reply.message, { command: command.name, address });
  if (command.transform === undefined) return reply;
  try {
    return command.transform(reply);
  } catch (error) {
    return new RedisError(`the reply of ${command.name} could not be shaped: ${String(error)}`, { cause: error });
  }
}
