import type { RespReply } from '@hashslot/resp';
import { camelCase, setField, text } from '../commands/replies.js';

/** CLUSTER INFO: each `name:value` line; integers as numbers (`cluster_state` stays `'ok'`/`'fail'`). */
export type ClusterInfo = Record<string, string | number>;

/** One shard of CLUSTER SHARDS. */
export interface ClusterShard {
  /** Slot ranges, inclusive. */
  readonly slots: readonly (readonly [start: number, end: number])[];
  readonly nodes: readonly ClusterShardNode[];
}

/**
 * A node of CLUSTER SHARDS, names camel-cased (`replication-offset` -> `replicationOffset`). A
 * field a newer server adds appears too, untyped.
 */
export interface ClusterShardNode {
  readonly id: string;
  /** The plain-text port; absent when the node only speaks TLS. */
  readonly port?: number;
  readonly tlsPort?: number;
  readonly ip: string;
  /** What clients should connect to, per `cluster-preferred-endpoint-type`. */
  readonly endpoint: string;
  readonly hostname?: string;
  readonly role: 'master' | 'replica';
  readonly replicationOffset: number;
  readonly health: 'online' | 'failed' | 'loading';
}

/** One slot range of CLUSTER SLOTS. */
export interface ClusterSlotRange {
  readonly start: number;
  readonly end: number;
  readonly master: ClusterSlotNode;
  readonly replicas: readonly ClusterSlotNode[];
}

/** A node of CLUSTER SLOTS. */
export interface ClusterSlotNode {
  /** The preferred endpoint (an ip, a hostname, or `'?'` when unknown). */
  readonly host: string;
  readonly port: number;
  readonly id: string;
  /** Networking metadata of Redis 7 (`hostname`...), empty when the node has none. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** https://redis.io/docs/latest/commands/cluster-info/ */
export function toClusterInfo(reply: RespReply): ClusterInfo {
  const info: ClusterInfo = {};
  for (const line of text(reply).split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const value = line.slice(colon + 1).trim();
    setField(info, line.slice(0, colon), /^-?\d+$/.test(value) ? Number(value) : value);
  }
  return info;
}

/** https://redis.io/docs/latest/commands/cluster-shards/ (RESP2: flat `[name, value ...]` records). */
export function toClusterShards(reply: RespReply): ClusterShard[] {
  return (reply as RespReply[]).map((shard) => {
    const record = flatRecord(shard);
    const bounds = (record.slots ?? []) as number[];
    const slots: [number, number][] = [];
    for (let i = 0; i + 1 < bounds.length; i += 2) slots.push([Number(bounds[i]), Number(bounds[i + 1])]);
    const nodes = ((record.nodes ?? []) as RespReply[]).map((node) => {
      const fields: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(flatRecord(node))) setField(fields, camelCase(name), typeof value === 'number' ? value : text(value));
      return fields as unknown as ClusterShardNode;
    });
    return { slots, nodes };
  });
}

/** https://redis.io/docs/latest/commands/cluster-slots/ */
export function toClusterSlots(reply: RespReply): ClusterSlotRange[] {
  return (reply as RespReply[][]).map(([start, end, master, ...replicas]) => ({
    start: Number(start),
    end: Number(end),
    master: toSlotNode(master),
    replicas: replicas.map(toSlotNode),
  }));
}

function toSlotNode(reply: RespReply): ClusterSlotNode {
  const [host, port, id, metadata] = reply as RespReply[];
  const fields: Record<string, string> = {};
  // Redis 7 sends a flat [name, value ...] array; older servers stop at the id.
  if (Array.isArray(metadata)) for (let i = 0; i + 1 < metadata.length; i += 2) setField(fields, text(metadata[i]), text(metadata[i + 1]));
  return { host: text(host), port: Number(port), id: text(id ?? ''), metadata: fields };
}

/** `[name, value, name, value ...]` -> `{ name: value }`, names as text, values as they came. */
function flatRecord(reply: RespReply): Record<string, RespReply> {
  const items = reply as RespReply[];
  const record: Record<string, RespReply> = {};
  for (let i = 0; i + 1 < items.length; i += 2) setField(record, text(items[i]), items[i + 1]);
  return record;
}
