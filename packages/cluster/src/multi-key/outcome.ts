import { ConnectionError, RedisError, ReplyError, TimeoutError, type BatchReply, type RespReply } from '@hashslot/resp';
import { ClusterError } from '../errors.js';

/** The reply, or its error thrown as it came. */
export function value(reply: BatchReply): RespReply {
  if (reply instanceof RedisError) throw reply;
  return reply;
}

/** The replies of a read split per slot; the first failure (in order) is thrown as it came. */
export function allRead(replies: readonly BatchReply[]): RespReply[] {
  for (const reply of replies) if (reply instanceof RedisError) throw reply;
  return replies as RespReply[];
}

/**
 * The replies of a write split per slot. When some parts ran and others failed, the keys are
 * partly written, and a plain server error would hide that: a ClusterError says so, with the
 * first failure as its cause.
 */
export function allWritten(command: string, replies: readonly BatchReply[]): RespReply[] {
  let failure: RedisError | undefined;
  let done = 0;
  for (const reply of replies) {
    if (reply instanceof RedisError) failure ??= reply;
    else done++;
  }
  if (failure === undefined) return replies as RespReply[];
  if (done === 0) throw failure;
  throw new ClusterError(
    `${command} across slots: ${done} of ${replies.length} per-slot commands ran and ${replies.length - done} failed, ` +
      `so the keys are partly written (first failure: ${failure.message})`,
    { command, cause: failure },
  );
}

/**
 * Whether a failed command may still have run on the server, so that undoing its effect would
 * be a guess: a server error means it did not run; a connection lost after the write means it
 * may have; anything else is assumed to have run.
 */
export function mayHaveRun(error: RedisError): boolean {
  if (error instanceof ReplyError) return false;
  if (error instanceof ConnectionError || error instanceof TimeoutError) return error.written;
  return true;
}

/** The server's WRONGTYPE reply, for checks the client makes before a move. */
export function wrongType(command: string): ReplyError {
  return new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value', { command });
}
