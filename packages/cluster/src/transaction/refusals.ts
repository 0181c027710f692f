import { commandName, type CommandArgument } from '@hashslot/resp';
import { lookupCommand } from '@hashslot/slots';

/** Where a command would run: queued inside MULTI, or sent on a watch session before it. */
export type Place = 'transaction' | 'session';

// A transaction's connection goes back to the pool after EXEC, so nothing queued may leave it in
// a state the next user would not expect, nor break the one-reply-per-command FIFO.
const POOLED = 'would change the state of the connection, which other transactions reuse';
const SUBSCRIBED = 'would leave the connection subscribed: use client.subscriber()';

const COMMON = new Map<string, string>([
  ...['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'].map((name): [string, string] => [name, SUBSCRIBED]),
  ['MONITOR', 'would turn the connection into a stream of every command the node runs'],
  ['CLIENT|REPLY', 'would stop the node answering the commands that follow'],
  ['CLIENT|TRACKING', POOLED],
  ['READONLY', `${POOLED}: use the readFrom option`],
  ['READWRITE', `${POOLED}: use the readFrom option`],
  ['RESET', POOLED],
  ['AUTH', `${POOLED}: use the username and password options`],
  ['HELLO', `${POOLED}: the client speaks RESP2`],
  ['SELECT', 'makes no sense on a cluster: it has database 0 only'],
  ['QUIT', 'would close the connection: use quit() of the client'],
  ['ASKING', 'is sent by the client itself when a node answers ASK'],
]);

const IN_TRANSACTION = new Map<string, string>([
  ['MULTI', 'is sent by the transaction itself: queue the commands, then call exec()'],
  ['EXEC', 'is sent by the transaction itself: call exec()'],
  ['DISCARD', 'is what discard() does: nothing is sent before exec()'],
  ['WATCH', 'must come before MULTI: use client.watch(...keys), then multi() of the session it gives'],
  ['UNWATCH', 'must come before MULTI: use unwatch() of the watch session'],
]);

const IN_SESSION = new Map<string, string>([
  ['MULTI', 'starts the transaction of the session: use session.multi()'],
  ['EXEC', 'ends the transaction of the session: use exec() of session.multi()'],
  ['DISCARD', 'ends the transaction of the session: use discard() of session.multi()'],
  ['UNWATCH', 'ends the session: use session.unwatch(), which also gives its connection back'],
]);

/**
 * Why `args` may not be sent at `place`, or `undefined` when it may. Commands the server refuses
 * inside MULTI (`no_multi`) are refused here first, so that the whole transaction is not aborted.
 */
export function refusal(args: readonly CommandArgument[], place: Place): string | undefined {
  const info = lookupCommand(args);
  const name = info === undefined ? commandName(args) : info.name.toUpperCase();
  const reason = (place === 'transaction' ? IN_TRANSACTION : IN_SESSION).get(name) ?? COMMON.get(name);
  if (reason !== undefined) return `${name.replace('|', ' ')} ${reason}`;
  if (place === 'transaction' && info?.noMulti === true) return `${name.replace('|', ' ')} is not allowed inside a transaction`;
  return undefined;
}
