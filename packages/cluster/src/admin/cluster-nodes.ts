import { RedisError } from '@hashslot/resp';

/** A slot being moved, as a CLUSTER NODES line marks it: `[slot->-target]` or `[slot-<-source]`. */
export interface SlotMove {
  readonly slot: number;
  /** The node the slot goes to (migrating) or comes from (importing). */
  readonly nodeId: string;
}

/** One line of CLUSTER NODES. */
export interface ClusterNodeEntry {
  readonly id: string;
  /** `ip:port` the node announces for clients; `:0` when it has none yet (`noaddr`). */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The cluster bus port. */
  readonly busPort: number;
  /** `cluster-announce-hostname`, when the node has one. */
  readonly hostname: string | undefined;
  /** `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, `nofailover`, `noflags`. */
  readonly flags: readonly string[];
  /** Whether this line is the node that answered. */
  readonly myself: boolean;
  /** `replica` when the flags say `slave`, `master` otherwise. */
  readonly role: 'master' | 'replica';
  /** The master's id, for a replica. */
  readonly masterId: string | undefined;
  /** Unix time (ms) of the ping still unanswered; 0 when none is pending. */
  readonly pingSent: number;
  /** Unix time (ms) the last pong was received. */
  readonly pongReceived: number;
  readonly configEpoch: number;
  readonly linkState: 'connected' | 'disconnected';
  /** Slot ranges served, inclusive, in the order listed. */
  readonly slots: readonly (readonly [start: number, end: number])[];
  /** Slots this node is giving away (only on the line of `myself`). */
  readonly migrating: readonly SlotMove[];
  /** Slots this node is receiving (only on the line of `myself`). */
  readonly importing: readonly SlotMove[];
}

/**
 * Parses the text of CLUSTER NODES, one entry per line. The format:
 * https://redis.io/docs/latest/commands/cluster-nodes/
 * `<id> <ip:port@cport[,hostname[,aux=value...]]> <flags> <master> <ping-sent> <pong-recv>
 * <config-epoch> <link-state> <slot> <slot> ...`. Blank lines are skipped; a line with fewer than
 * eight fields is not CLUSTER NODES output and throws, rather than being silently dropped.
 */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const fields = line.split(' ');
    if (fields.length < 8) throw new RedisError(`not a CLUSTER NODES line: ${JSON.stringify(line.slice(0, 80))}`);
    const [id, endpoint, flagField, master, pingSent, pongReceived, configEpoch, linkState, ...slotFields] = fields;
    // ip:port@cport: the ip may be IPv6, so the port follows the last colon. Redis 7.2 adds
    // `,hostname` (maybe empty) then `,name=value` auxiliary fields.
    const [hostPort, ...extras] = endpoint.split(',');
    const at = hostPort.indexOf('@');
    const address = at === -1 ? hostPort : hostPort.slice(0, at);
    const colon = address.lastIndexOf(':');
    const hostname = extras.length > 0 && !extras[0].includes('=') && extras[0] !== '' ? extras[0] : undefined;
    const flags = flagField.split(',');
    const slots: [number, number][] = [];
    const migrating: SlotMove[] = [];
    const importing: SlotMove[] = [];
    for (const field of slotFields) {
      if (field === '') continue;
      const move = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(field);
      if (move !== null) {
        (move[2] === '>' ? migrating : importing).push({ slot: Number(move[1]), nodeId: move[3] });
        continue;
      }
      const dash = field.indexOf('-');
      const start = Number(dash === -1 ? field : field.slice(0, dash));
      slots.push([start, dash === -1 ? start : Number(field.slice(dash + 1))]);
    }
    entries.push({
      id,
      address,
      host: address.slice(0, colon),
      port: Number(address.slice(colon + 1)),
      busPort: at === -1 ? 0 : Number(hostPort.slice(at + 1)),
      hostname,
      flags,
      myself: flags.includes('myself'),
      role: flags.includes('slave') ? 'replica' : 'master',
      masterId: master === '-' ? undefined : master,
      pingSent: Number(pingSent),
      pongReceived: Number(pongReceived),
      configEpoch: Number(configEpoch),
      linkState: linkState === 'connected' ? 'connected' : 'disconnected',
      slots,
      migrating,
      importing,
    });
  }
  return entries;
}
