import type { CommandArgument, RespReply } from '@hashslot/resp';
import type { ClusterCore, NodeSelection, NodeSummary } from '../core.js';
import { ClusterError, type NodeFailure } from '../errors.js';

/** One node's successful reply. */
export interface NodeAnswer {
  readonly node: NodeSummary;
  readonly reply: RespReply;
}

/**
 * Runs `args` on every selected node at once and gives every reply, or rejects with a
 * `ClusterError` listing each node that failed and why. A script cache that holds a script on
 * some masters only is the inconsistency this family exists to avoid, so one failure fails all.
 */
export async function onEveryNode(core: ClusterCore, command: string, args: readonly CommandArgument[], nodes: NodeSelection): Promise<NodeAnswer[]> {
  const replies = await core.onEachNode(args, nodes);
  const which = nodes === 'all' ? 'nodes' : nodes;
  if (replies.length === 0) throw new ClusterError(`${command}: the slot table lists no ${which}`, { command });
  const failures: NodeFailure[] = [];
  const answers: NodeAnswer[] = [];
  for (const { node, reply } of replies) {
    if (reply instanceof Error) failures.push({ address: node.address, error: reply });
    else answers.push({ node, reply });
  }
  if (failures.length > 0) throw new ClusterError(`${command} failed on ${failures.length} of ${replies.length} ${which}`, { command, failures });
  return answers;
}

/** The one value every node answered, or a `ClusterError` naming what each said. */
export function agreed(command: string, answers: readonly NodeAnswer[], read: (reply: RespReply) => string): string {
  const values = answers.map((answer) => read(answer.reply));
  if (values.every((value) => value === values[0])) return values[0];
  const said = answers.map((answer, i) => `${answer.node.address}: ${values[i]}`).join('; ');
  throw new ClusterError(`${command}: the nodes disagree: ${said}`, { command });
}
