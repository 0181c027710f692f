/**
 * One face for every client the suite compares. Each method is written the way that client's
 * users write the operation, so a workload measures idiomatic code, not a lowest common
 * denominator: a batch over several nodes is a pipeline with hashslot but a burst of concurrent
 * commands with the others, whose pipelines refuse keys on more than one node.
 */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface DriverOptions {
  /** Send reads to replicas: hashslot `readFrom: 'replica'`, ioredis `scaleReads: 'slave'`, node-redis `useReplicas`. */
  readonly replicaReads?: boolean;
}

export interface Driver {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** SETs every key; the keys fall on every master. */
  setMany(keys: readonly string[], value: string): Promise<void>;
  /** Values of keys on every master, in order. */
  getMany(keys: readonly string[]): Promise<readonly unknown[]>;
  close(): Promise<void>;
}

export type Connect = (startupNodes: readonly Endpoint[], options?: DriverOptions) => Promise<Driver>;
