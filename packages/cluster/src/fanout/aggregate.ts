import { RedisError, type RespReply } from '@hashslot/resp';
import type { ResponsePolicy } from '@hashslot/slots';
import { ClusterError, type NodeFailure } from '../errors.js';
import type { NodeReply } from '../core.js';

/**
 * Combines the replies of a command sent to several nodes as its response policy says
 * (https://redis.io/docs/reference/command-tips/). `undefined` policy: array replies are
 * concatenated (KEYS), as the tips' default for keyless commands. `special` has no generic
 * combination: the caller must know the command.
 */
export function aggregateReplies(command: string, policy: ResponsePolicy | undefined, replies: readonly NodeReply[]): RespReply {
  const failures = failuresOf(replies);
  if (policy === 'one_succeeded') {
    const success = replies.find((entry) => !(entry.reply instanceof RedisError));
    if (success !== undefined) return success.reply as RespReply;
    // Every node refused alike (SCRIPT KILL with nothing running: NOTBUSY): the server's own words.
    throw failures[0]?.error ?? failed(command, failures, 'every node');
  }
  if (failures.length > 0) throw failed(command, failures, `${failures.length} of ${replies.length} nodes`);
  const values = replies.map((entry) => entry.reply as RespReply);
  switch (policy) {
    case 'all_succeeded':
      return values[0] ?? null;
    case 'agg_sum':
      return combineNumbers(command, values, (a, b) => a + b);
    case 'agg_min':
      return combineNumbers(command, values, Math.min);
    case 'agg_max':
      return combineNumbers(command, values, Math.max);
    case 'agg_logical_and':
      return combineNumbers(command, values, (a, b) => (a !== 0 && b !== 0 ? 1 : 0));
    case 'agg_logical_or':
      return combineNumbers(command, values, (a, b) => (a !== 0 || b !== 0 ? 1 : 0));
    case undefined:
      if (values.every(Array.isArray)) return (values as RespReply[][]).flat();
      throw new ClusterError(`${command} has no rule to combine the replies of several nodes; ask for them per node`, { command });
    default:
      throw new ClusterError(`${command} replies are combined in a way of its own (response policy ${policy}); ask for them per node`, { command });
  }
}

/** Numbers combined, or arrays of numbers combined position by position (SCRIPT EXISTS). */
function combineNumbers(command: string, values: readonly RespReply[], combine: (a: number, b: number) => number): RespReply {
  if (values.every((value) => typeof value === 'number')) return (values as number[]).reduce(combine);
  if (values.every((value) => Array.isArray(value) && value.every((item) => typeof item === 'number'))) {
    const arrays = values as number[][];
    return arrays[0].map((_, i) => arrays.map((array) => array[i]).reduce(combine));
  }
  throw new ClusterError(`${command}: the nodes' replies are not numbers, so they cannot be combined`, { command });
}

function failuresOf(replies: readonly NodeReply[]): NodeFailure[] {
  return replies.filter((entry) => entry.reply instanceof RedisError).map((entry) => ({ address: entry.node.address, error: entry.reply as RedisError }));
}

function failed(command: string, failures: NodeFailure[], where: string): ClusterError {
  return new ClusterError(`${command} failed on ${where}`, { command, failures });
}

/** Per-node replies keyed by node id (the address when the table gave no id); failures thrown as one. */
export function perNode(command: string, replies: readonly NodeReply[]): Map<string, RespReply> {
  const failures = failuresOf(replies);
  if (failures.length > 0) throw failed(command, failures, `${failures.length} of ${replies.length} nodes`);
  return new Map(replies.map((entry) => [entry.node.id ?? entry.node.address, entry.reply as RespReply]));
}
