/** Parsing of the plain-text admin replies the harness reads: CLUSTER NODES and INFO. */

export interface SlotRange {
  readonly start: number;
  readonly end: number;
}

export interface ClusterNodesEntry {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly busPort: number;
  readonly flags: readonly string[];
  readonly myself: boolean;
  readonly role: 'master' | 'replica';
  readonly masterId: string | undefined;
  readonly connected: boolean;
  /** Owned slots. `[slot->-id]` / `[slot-<-id]` migration markers are reported separately. */
  readonly slots: readonly SlotRange[];
  readonly migrating: ReadonlyMap<number, string>;
  readonly importing: ReadonlyMap<number, string>;
}

/** https://redis.io/docs/latest/commands/cluster-nodes/ (format of each line) */
export function parseClusterNodes(text: string): ClusterNodesEntry[] {
  const entries: ClusterNodesEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, address, flagField, master, , , , link, ...slotFields] = fields;
    // ip:port@cport[,hostname]; the ip may be IPv6, so split on the last colon.
    const [hostPort, busAndName = '0'] = address.split('@');
    const colon = hostPort.lastIndexOf(':');
    const flags = flagField.split(',');
    const slots: SlotRange[] = [];
    const migrating = new Map<number, string>();
    const importing = new Map<number, string>();
    for (const field of slotFields) {
      const marker = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(field);
      if (marker) (marker[2] === '>' ? migrating : importing).set(Number(marker[1]), marker[3]);
      else {
        const [start, end = start] = field.split('-');
        slots.push({ start: Number(start), end: Number(end) });
      }
    }
    entries.push({
      id,
      host: hostPort.slice(0, colon),
      port: Number(hostPort.slice(colon + 1)),
      busPort: Number(busAndName.split(',')[0]),
      flags,
      myself: flags.includes('myself'),
      role: flags.includes('slave') ? 'replica' : 'master',
      masterId: master === '-' ? undefined : master,
      connected: link === 'connected',
      slots,
      migrating,
      importing,
    });
  }
  return entries;
}

/** `field:value` lines of INFO and CLUSTER INFO; section headers and blanks are skipped. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

export function ownsSlot(slots: readonly SlotRange[], slot: number): boolean {
  return slots.some((range) => slot >= range.start && slot <= range.end);
}

export function countSlots(slots: readonly SlotRange[]): number {
  return slots.reduce((sum, range) => sum + range.end - range.start + 1, 0);
}

/** Even split of the 16384 slots over `masters` masters, the way `redis-cli --cluster create` does. */
export function splitSlots(masters: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (let i = 0; i < masters; i++) {
    ranges.push({ start: Math.floor((i * 16384) / masters), end: Math.floor(((i + 1) * 16384) / masters) - 1 });
  }
  return ranges;
}
