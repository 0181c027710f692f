import type { CommandArgument } from '@hashslot/resp';

/** Where a blocking command says how long it blocks, and in which unit. */
interface BlockArgument {
  readonly index: number;
  readonly unit: 'seconds' | 'milliseconds';
}

function blockArgument(name: string, args: readonly CommandArgument[]): BlockArgument | undefined {
  switch (name) {
    case 'BLPOP':
    case 'BRPOP':
    case 'BZPOPMIN':
    case 'BZPOPMAX':
    case 'BRPOPLPUSH':
    case 'BLMOVE':
      return { index: args.length - 1, unit: 'seconds' };
    case 'BLMPOP':
    case 'BZMPOP':
      return { index: 1, unit: 'seconds' };
    case 'XREAD':
    case 'XREADGROUP':
      // XREADGROUP's group and consumer names come first and may be any word, BLOCK included.
      for (let i = name === 'XREADGROUP' ? 4 : 1; i < args.length - 1; i++) {
        const word = String(args[i]).toUpperCase();
        if (word === 'STREAMS') return undefined;
        if (word === 'BLOCK') return { index: i + 1, unit: 'milliseconds' };
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * How long a blocking command may legitimately wait, read from its own arguments, in ms:
 * 0 for "forever", `undefined` when it does not block this time (XREAD without BLOCK) or the
 * command is not one whose timeout we know. Its reply deadline is that plus `commandTimeout`,
 * so a hung node is still noticed while a long BLPOP is not cut short.
 */
export function blockTime(name: string, args: readonly CommandArgument[]): number | undefined {
  const where = blockArgument(name, args);
  if (where === undefined) return undefined;
  const value = Number(String(args[where.index]));
  // A malformed timeout is the server's to refuse; until it does, wait as if unbounded.
  if (!(Number.isFinite(value) && value >= 0)) return 0;
  return Math.ceil(where.unit === 'seconds' ? value * 1000 : value);
}

/**
 * The command with its block time set to `ms` (at least 1: 0 would block for ever), the argument
 * `blockTime` reads; the arguments unchanged for a command whose block time it does not know.
 */
export function withBlockTime(name: string, args: readonly CommandArgument[], ms: number): readonly CommandArgument[] {
  const where = blockArgument(name, args);
  if (where === undefined) return args;
  const wait = Math.max(1, Math.ceil(ms));
  const copy = [...args];
  // Seconds as a decimal, which servers since 6.0 accept for every blocking list and sorted set command.
  copy[where.index] = where.unit === 'seconds' ? (wait / 1000).toFixed(3) : String(wait);
  return copy;
}

/** The reply deadline of a blocking command: its block time plus `commandTimeout`; 0 for none. */
export function blockingDeadline(blockMs: number | undefined, commandTimeout: number): number {
  if (blockMs === undefined) return commandTimeout;
  if (blockMs === 0 || commandTimeout === 0) return 0;
  return Math.min(blockMs + commandTimeout, 2 ** 31 - 1);
}
