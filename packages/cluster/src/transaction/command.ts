import { commandName, encodeCommand, InvalidArgumentError, type CommandArgument, type RespReply } from '@hashslot/resp';
import { lookupCommand } from '@hashslot/slots';
import { refusal, type Place } from './refusals.js';

/** One command of a transaction, checked when it was queued. */
export interface QueuedCommand {
  readonly args: readonly CommandArgument[];
  /** Upper case, with its subcommand (`CLIENT LIST`), for errors. */
  readonly name: string;
  /** Shapes its reply as its typed method does; absent for `call()`. */
  readonly transform: ((reply: RespReply) => unknown) | undefined;
}

/**
 * Checks a command before it is queued or sent, throwing `InvalidArgumentError`: not an array,
 * refused at `place` (see `refusal`), or an argument that cannot be encoded. The last matters
 * inside MULTI: a connection fails an unencodable command alone and sends the rest, so EXEC
 * would commit the transaction without it.
 */
export function checkCommand(args: readonly CommandArgument[], place: Place): string {
  if (!Array.isArray(args) || args.length === 0) throw new InvalidArgumentError('a command needs at least its name');
  const reason = refusal(args, place);
  if (reason !== undefined) throw new InvalidArgumentError(reason);
  if (!args.every(encodable)) {
    // The encoder's own message names the command and the argument; it throws here.
    encodeCommand(args);
  }
  const info = lookupCommand(args);
  return info === undefined ? commandName(args) : info.name.replace('|', ' ').toUpperCase();
}

/** What the encoder accepts, without encoding (and copying) large values twice. */
function encodable(arg: unknown): boolean {
  switch (typeof arg) {
    case 'string':
    case 'bigint':
      return true;
    case 'number':
      return !Number.isNaN(arg);
    default:
      return Buffer.isBuffer(arg);
  }
}
