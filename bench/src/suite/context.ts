import type { TestCluster } from '@hashslot/test-cluster';
import type { ClientId, Driver, Endpoint } from './drivers/index.js';
import { alternate, type Contender } from './measure.js';
import { REFERENCE_NAME } from './reference.js';
import type { Sample } from './results.js';

export interface SuiteContext {
  readonly cluster: TestCluster;
  readonly startupNodes: readonly Endpoint[];
  readonly quick: boolean;
  readonly rounds: number;
  /** Length of one timed run of a throughput workload. */
  readonly durationMs: number;
  /** One connected client of each kind, reading from masters, shared by the workloads. */
  readonly drivers: ReadonlyMap<ClientId, Driver>;
  /** Names of the Node clients in report order, ours first. */
  readonly clientNames: ReadonlyMap<ClientId, string>;
  progress(message: string): void;
}

/** 64-byte values, as the issue asks for every write. */
export const VALUE = 'v'.repeat(64);

/** Keys drawn at random from this many: enough to spread over every slot's node. */
export const KEYSPACE = 100_000;

export function randomKey(prefix: string): string {
  return `${prefix}${Math.floor(Math.random() * KEYSPACE)}`;
}

/** Every Node client as a contender, ours first, each measured by `measure` with its driver. */
export function clientContenders(
  context: SuiteContext,
  drivers: ReadonlyMap<ClientId, Driver>,
  measure: (driver: Driver, id: ClientId) => Promise<Sample>,
): Contender[] {
  return [...drivers].map(([id, driver]) => ({
    name: context.clientNames.get(id) ?? id,
    role: id === 'hashslot' ? 'ours' : 'peer',
    measure: () => measure(driver, id),
  }));
}

/** redis-benchmark as a contender; it has no JIT or connections to warm. */
export function referenceContender(measure: () => Promise<Sample>): Contender {
  return { name: REFERENCE_NAME, role: 'reference', measure, warmUp: async () => {} };
}

/** `alternate` with a progress line per run. */
export function runRounds(context: SuiteContext, label: string, contenders: readonly Contender[]): ReturnType<typeof alternate> {
  return alternate(contenders, context.rounds, (contender, round) =>
    context.progress(`${label}: ${contender.name}, ${round === 0 ? 'warm-up' : `round ${round}/${context.rounds}`}`),
  );
}
