/**
 * Cursor scans as async iterators: SCAN over every master of the cluster, and HSCAN, SSCAN and
 * ZSCAN on the master of one key. Each cursor stays on the server process that made it; see
 * `NodeCursor` for what happens when that node fails.
 */
import type { RespReply } from '@hashslot/resp';
import { keySlot, SLOT_COUNT } from '@hashslot/slots';
import type { BulkString, RedisKey, ScoredMember } from '../commands/index.js';
import { toNumber } from '../commands/replies.js';
import { type ClusterCore, type HasCore, defineMethods, hostOf } from '../core.js';
import { NodeCursor, type CursorHost } from './node-cursor.js';
import { checkKey, resolveScanOptions, type CollectionScanOptions, type ResolvedScanOptions, type ScanOptions } from './options.js';

export type { CollectionScanOptions, ScanOptions } from './options.js';

/** A field of a hash and its value, as `hscanIterator` yields them. */
export type HashEntry<D extends boolean> = [field: BulkString<D>, value: BulkString<D>];

export interface ScanMethods<D extends boolean> {
  /**
   * Every key of the cluster (or those matching `match` / `type`): SCAN on each master that
   * serves slots, one master after another, never on replicas (they hold the same keys). Keys
   * are strings, or Buffers with `decodeResponses: false`. Options are checked when called: a
   * wrong one throws `InvalidArgumentError` at once.
   *
   * What it guarantees is SCAN's, per master: a key present from start to end is returned at
   * least once; a key added or removed meanwhile may or may not be; a key may come twice when a
   * master's table is resized during the scan. On top of that, in a cluster:
   * - when a master fails mid-scan, its shard is scanned again from the start on the shard's
   *   new master (a cursor means nothing in another process), so that shard's keys returned
   *   before the failure may come again, and none is missed;
   * - slots are not followed while they move: a key migrated from a master not yet scanned to
   *   one already scanned is missed, and one migrated the other way comes twice;
   * - masters that join after the scan started are not scanned.
   *
   * Breaking out of `for await` stops it: at most one page fetched ahead is read and dropped.
   */
  scanIterator(options?: ScanOptions): AsyncGenerator<BulkString<D>, void, undefined>;
  /** Every `[field, value]` of the hash at `key` (HSCAN on the key's master). Failovers as for `scanIterator`. */
  hscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<HashEntry<D>, void, undefined>;
  /** Every member of the set at `key` (SSCAN on the key's master). Failovers as for `scanIterator`. */
  sscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<BulkString<D>, void, undefined>;
  /** Every `{ member, score }` of the sorted set at `key` (ZSCAN on the key's master). Failovers as for `scanIterator`. */
  zscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<ScoredMember<D>, void, undefined>;
}

/** What the methods use of the client they are installed on. */
interface ScanClient extends HasCore {
  refresh(): Promise<void>;
  readonly status: string;
}

const methods = {
  scanIterator(this: ScanClient, options?: ScanOptions): AsyncGenerator<RespReply, void, undefined> {
    return flatten(scanKeyspace(hostOf(this), resolveScanOptions('SCAN', options)));
  },
  hscanIterator(this: ScanClient, key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<[RespReply, RespReply], void, undefined> {
    checkKey('HSCAN', key);
    return pairs(scanCollection(hostOf(this), 'HSCAN', key, resolveScanOptions('HSCAN', options)));
  },
  sscanIterator(this: ScanClient, key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<RespReply, void, undefined> {
    checkKey('SSCAN', key);
    return flatten(scanCollection(hostOf(this), 'SSCAN', key, resolveScanOptions('SSCAN', options)));
  },
  zscanIterator(this: ScanClient, key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<ScoredMember<boolean>, void, undefined> {
    checkKey('ZSCAN', key);
    return scored(scanCollection(hostOf(this), 'ZSCAN', key, resolveScanOptions('ZSCAN', options)));
  },
};

export function installScanMethods(prototype: object): void {
  defineMethods(prototype, methods);
}

async function* scanKeyspace(host: CursorHost, options: ResolvedScanOptions): AsyncGenerator<RespReply[], void, undefined> {
  for (const shard of await shardsOf(host.core)) {
    // A master that failed over while earlier shards were scanned is found by its slot instead.
    const masters = (await host.core.masters()).map((master) => master.address);
    const cursor = new NodeCursor(host, {
      command: 'SCAN',
      slot: shard.slot,
      address: masters.includes(shard.address) ? shard.address : undefined,
      build: (position) => ['SCAN', position, ...options.tail],
      trackProcess: true,
      failoverTimeout: options.failoverTimeout,
    });
    yield* pages(cursor);
  }
}

async function* scanCollection(
  host: CursorHost,
  command: 'HSCAN' | 'SSCAN' | 'ZSCAN',
  key: RedisKey,
  options: ResolvedScanOptions,
): AsyncGenerator<RespReply[], void, undefined> {
  // The key's master is known once the client has discovered the cluster.
  await host.core.masters();
  yield* pages(
    new NodeCursor(host, {
      command,
      slot: keySlot(key),
      build: (position) => [command, key, position, ...options.tail],
      trackProcess: false,
      failoverTimeout: options.failoverTimeout,
      // The key moves whole during a reshard: its scan follows it to the importing node.
      followAsk: true,
    }),
  );
}

/** The masters that serve slots, each with one of its slots (to find the shard's master after a failover). */
async function shardsOf(core: ClusterCore): Promise<{ address: string; slot: number }[]> {
  const masters = await core.masters();
  const firstSlot = new Map<string, number>();
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const master = core.masterOf(slot);
    if (master !== undefined && !firstSlot.has(master.address)) firstSlot.set(master.address, slot);
  }
  const shards: { address: string; slot: number }[] = [];
  for (const master of masters) {
    const slot = firstSlot.get(master.address);
    if (slot !== undefined) shards.push({ address: master.address, slot });
  }
  return shards;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * The pages of `cursor`, the next one fetched while the caller handles the current one. The
 * fetch ahead is settled into a value, so that a caller who stops early leaves no rejected
 * promise behind.
 */
async function* pages(cursor: NodeCursor): AsyncGenerator<RespReply[], void, undefined> {
  let ahead = settle(cursor.next());
  for (;;) {
    const result = await ahead;
    if (!result.ok) throw result.error;
    const last = cursor.done;
    if (!last) ahead = settle(cursor.next());
    yield result.value;
    if (last) return;
  }
}

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

async function* flatten(source: AsyncGenerator<RespReply[], void, undefined>): AsyncGenerator<RespReply, void, undefined> {
  for await (const page of source) for (const element of page) yield element;
}

/** `[field, value, field, value ...]` pages -> `[field, value]`. */
async function* pairs(source: AsyncGenerator<RespReply[], void, undefined>): AsyncGenerator<[RespReply, RespReply], void, undefined> {
  for await (const page of source) for (let i = 0; i + 1 < page.length; i += 2) yield [page[i], page[i + 1]];
}

/** `[member, score, member, score ...]` pages -> `{ member, score }`. */
async function* scored(source: AsyncGenerator<RespReply[], void, undefined>): AsyncGenerator<ScoredMember<boolean>, void, undefined> {
  for await (const page of source) {
    for (let i = 0; i + 1 < page.length; i += 2) yield { member: page[i] as string | Buffer, score: toNumber(page[i + 1]) };
  }
}
