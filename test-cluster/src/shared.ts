import { inject } from 'vitest';

/** The cluster the integration project's global setup booted, as plain JSON (it crosses a process boundary). */
export interface SharedClusterInfo {
  /** `cluster-node-timeout` of the shared cluster (5 000 ms): how long a node may stall before failover. */
  readonly nodeTimeoutMs: number;
  readonly startupNodes: readonly { readonly host: string; readonly port: number }[];
  readonly nodes: readonly {
    readonly id: string;
    readonly host: string;
    readonly port: number;
    readonly role: 'master' | 'replica';
    readonly masterId: string | null;
  }[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    testCluster: SharedClusterInfo;
  }
}

/**
 * The shared, healthy cluster for non-destructive tests. Tests that kill, pause, fail over or
 * reshard must boot their own with `startCluster()` so every other file keeps a healthy one.
 */
export function sharedCluster(): SharedClusterInfo {
  return inject('testCluster');
}
