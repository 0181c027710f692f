import type { CommandArgument, RespReply } from '@hashslot/resp';
import type { ClusterCore } from '../core.js';
// Filled in by its own change; the client already installs it so that each area stays in its directory.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface MultiKeyMethods<D extends boolean> {}

export function installMultiKeyMethods(prototype: object): void {
  void prototype;
}

/**
 * The client-side version of a multi-key command whose keys span slots, or undefined when the
 * command has none (the caller then reports the CrossSlotError). Used by `call()`.
 */
export function crossSlotHandler(name: string): ((core: ClusterCore, args: readonly CommandArgument[]) => Promise<RespReply>) | undefined {
  void name;
  return undefined;
}
