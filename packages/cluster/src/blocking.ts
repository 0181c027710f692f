import type { CommandArgument } from '@hashslot/resp';

/**
 * How long a blocking command may legitimately wait, read from its own arguments, in ms:
 * 0 for "forever", `undefined` when it does not block this time (XREAD without BLOCK) or the
 * command is not one whose timeout we know. Its reply deadline is that plus `commandTimeout`,
 * so a hung node is still noticed while a long BLPOP is not cut short.
 */
export function blockTime(name: string, args: readonly CommandArgument[]): number | undefined {
  switch (name) {
    case 'BLPOP':
    case 'BRPOP':
    case 'BZPOPMIN':
    case 'BZPOPMAX':
    case 'BRPOPLPUSH':
    case 'BLMOVE':
      return seconds(args[args.length - 1]);
    case 'BLMPOP':
    case 'BZMPOP':
      return seconds(args[1]);
    case 'XREAD':
    case 'XREADGROUP':
      // XREADGROUP's group and consumer names come first and may be any word, BLOCK included.
      for (let i = name === 'XREADGROUP' ? 4 : 1; i < args.length - 1; i++) {
        const word = String(args[i]).toUpperCase();
        if (word === 'STREAMS') return undefined;
        if (word === 'BLOCK') return milliseconds(args[i + 1]);
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The command with its block time set to `ms` (at least 1: 0 would block for ever), the argument
 * `blockTime` reads; the arguments unchanged for a command whose block time it does not know.
 */
export function withBlockTime(name: string, args: readonly CommandArgument[], ms: number): readonly CommandArgument[] {
  const wait = Math.max(1, Math.ceil(ms));
  // Seconds as a decimal, which servers since 6.0 accept for every blocking list and sorted set command.
  const seconds = (wait / 1000).toFixed(3);
  const copy = [...args];
  switch (name) {
    case 'BLPOP':
    case 'BRPOP':
    case 'BZPOPMIN':
    case 'BZPOPMAX':
    case 'BRPOPLPUSH':
    case 'BLMOVE':
      copy[copy.length - 1] = seconds;
      return copy;
    case 'BLMPOP':
    case 'BZMPOP':
      copy[1] = seconds;
      return copy;
    case 'XREAD':
    case 'XREADGROUP':
      for (let i = name === 'XREADGROUP' ? 4 : 1; i < copy.length - 1; i++) {
        const word = String(copy[i]).toUpperCase();
        if (word === 'STREAMS') return args;
        if (word === 'BLOCK') {
          copy[i + 1] = String(wait);
          return copy;
        }
      }
      return args;
    default:
      return args;
  }
}

/** The reply deadline of a blocking command: its block time plus `commandTimeout`; 0 for none. */
export function blockingDeadline(blockMs: number | undefined, commandTimeout: number): number {
  if (blockMs === undefined) return commandTimeout;
  if (blockMs === 0 || commandTimeout === 0) return 0;
  return Math.min(blockMs + commandTimeout, 2 ** 31 - 1);
}

function seconds(argument: CommandArgument | undefined): number | undefined {
  const value = Number(String(argument));
  // A malformed timeout is the server's to refuse; until it does, wait as if unbounded.
  return Number.isFinite(value) && value >= 0 ? Math.ceil(value * 1000) : 0;
}

function milliseconds(argument: CommandArgument | undefined): number | undefined {
  const value = Number(String(argument));
  return Number.isFinite(value) && value >= 0 ? Math.ceil(value) : 0;
}
