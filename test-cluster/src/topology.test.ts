import { describe, expect, it } from 'vitest';
import { countSlots, ownsSlot, parseClusterNodes, parseInfo, splitSlots } from './topology.js';

const NODES = [
  'a1 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461-<-b2]',
  'b2 127.0.0.1:30002@31002,host-b master - 0 1700000000000 2 connected 5461-10922 [100->-a1]',
  'c3 127.0.0.1:30003@31003 slave b2 0 1700000000000 2 connected',
  'd4 ::1:30004@31004 master,fail - 1 1 3 disconnected 10923 10924-16383',
  'e5 :0@0 master,noaddr - 0 0 0 disconnected',
].join('\n');

describe('parseClusterNodes', () => {
  const entries = parseClusterNodes(NODES);

  it('reads addresses, including hostnames after the bus port and IPv6 hosts', () => {
    expect(entries.map((e) => [e.id, e.host, e.port, e.busPort])).toEqual([
      ['a1', '127.0.0.1', 30001, 31001],
      ['b2', '127.0.0.1', 30002, 31002],
      ['c3', '127.0.0.1', 30003, 31003],
      ['d4', '::1', 30004, 31004],
      ['e5', '', 0, 0],
    ]);
  });

  it('reads roles, masters and link state', () => {
    expect(entries[0]).toMatchObject({ myself: true, role: 'master', masterId: undefined, connected: true });
    expect(entries[2]).toMatchObject({ myself: false, role: 'replica', masterId: 'b2' });
    expect(entries[3]).toMatchObject({ connected: false, flags: ['master', 'fail'] });
  });

  it('separates owned slots from migration markers', () => {
    expect(entries[0].slots).toEqual([{ start: 0, end: 5460 }]);
    expect(entries[0].importing.get(5461)).toBe('b2');
    expect(entries[1].migrating.get(100)).toBe('a1');
    expect(entries[3].slots).toEqual([{ start: 10923, end: 10923 }, { start: 10924, end: 16383 }]);
    expect(ownsSlot(entries[3].slots, 10923)).toBe(true);
    expect(ownsSlot(entries[3].slots, 10922)).toBe(false);
  });
});

describe('splitSlots', () => {
  it.each([1, 2, 3, 5, 7])('covers all 16384 slots without gaps for %i masters', (masters) => {
    const ranges = splitSlots(masters);
    expect(ranges).toHaveLength(masters);
    expect(ranges[0].start).toBe(0);
    expect(ranges.at(-1)?.end).toBe(16383);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i].start).toBe(ranges[i - 1].end + 1);
    expect(countSlots(ranges)).toBe(16384);
  });
});

describe('parseInfo', () => {
  it('reads field:value lines and skips section headers', () => {
    const info = parseInfo('# Replication\r\nrole:slave\r\nslave0:ip=127.0.0.1,port=1,state=online\r\n\r\n');
    expect([...info]).toEqual([['role', 'slave'], ['slave0', 'ip=127.0.0.1,port=1,state=online']]);
  });
});
