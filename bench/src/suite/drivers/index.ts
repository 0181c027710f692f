/**
 * The Node clients compared, each loaded only when asked for: the memory workload runs one per
 * process, and a process that had also loaded the other clients' code would charge it to this one.
 */
import { createRequire } from 'node:module';
import type { Connect } from './driver.js';

export type { Connect, Driver, DriverOptions, Endpoint } from './driver.js';

export type ClientId = 'hashslot' | 'ioredis-auto' | 'ioredis' | 'node-redis';

export interface ClientKind {
  readonly id: ClientId;
  /** As the reports name it. */
  readonly name: string;
  /** npm package and version. */
  readonly package: string;
  load(): Promise<Connect>;
}

const require = createRequire(import.meta.url);

function version(name: string): string {
  const manifest: unknown = require(`${name}/package.json`);
  const value = typeof manifest === 'object' && manifest !== null ? Reflect.get(manifest, 'version') : undefined;
  return `${name}@${typeof value === 'string' ? value : 'unknown'}`;
}

export const HASHSLOT_NAME = 'hashslot';

export const CLIENTS: readonly ClientKind[] = [
  { id: 'hashslot', name: HASHSLOT_NAME, package: 'hashslot (this repo)', load: async () => (await import('./hashslot.js')).connect },
  { id: 'ioredis-auto', name: 'ioredis (auto-pipelining)', package: version('ioredis'), load: async () => (await import('./ioredis.js')).connectAutoPipelining },
  { id: 'ioredis', name: 'ioredis', package: version('ioredis'), load: async () => (await import('./ioredis.js')).connectPlain },
  { id: 'node-redis', name: 'node-redis', package: version('redis'), load: async () => (await import('./node-redis.js')).connect },
];

export function clientKind(id: string): ClientKind {
  const kind = CLIENTS.find((client) => client.id === id);
  if (kind === undefined) throw new Error(`unknown client ${id}; known: ${CLIENTS.map((client) => client.id).join(', ')}`);
  return kind;
}
