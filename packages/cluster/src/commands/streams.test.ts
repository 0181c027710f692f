import { InvalidArgumentError } from '@hashslot/resp';
import type { RespReply } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { streamDefinitions as X } from './streams.js';

const b = (text: string): Buffer => Buffer.from(text);

/** Every string of a reply as a Buffer, as a client with decodeResponses: false reads it. */
function asBuffers(reply: RespReply): RespReply {
  if (typeof reply === 'string') return Buffer.from(reply);
  if (Array.isArray(reply)) return reply.map(asBuffers);
  return reply;
}

describe('XADD and XTRIM', () => {
  it('XADD sends NOMKSTREAM, the trim, the id and the fields in that order', () => {
    expect(X.xadd.build('s', '*', { a: 1 }, undefined)).toEqual(['XADD', 's', '*', 'a', 1]);
    expect(X.xadd.build('s', '1-1', [['b', 'x'], ['a', 'y']], { noMkStream: true })).toEqual([
      'XADD', 's', 'NOMKSTREAM', '1-1', 'b', 'x', 'a', 'y',
    ]);
    expect(X.xadd.build('s', '*', { a: 1 }, { trim: { maxLen: 1000 } })).toEqual(['XADD', 's', 'MAXLEN', 1000, '*', 'a', 1]);
    expect(X.xadd.build('s', '*', new Map([['a', 1]]), { noMkStream: true, trim: { maxLen: 1000, approximate: true, limit: 50 } })).toEqual([
      'XADD', 's', 'NOMKSTREAM', 'MAXLEN', '~', 1000, 'LIMIT', 50, '*', 'a', 1,
    ]);
    expect(X.xadd.build('s', '*', { a: 1 }, { trim: { minId: '5-0', approximate: true } })).toEqual([
      'XADD', 's', 'MINID', '~', '5-0', '*', 'a', 1,
    ]);
  });

  it('refuses no fields, both or neither trim strategy, and LIMIT without ~', () => {
    expect(() => X.xadd.build('s', '*', {}, undefined)).toThrow('XADD: needs at least one name/value pair');
    expect(() => X.xadd.build('s', '*', { a: 1 }, { trim: { maxLen: 1, minId: '1' } as never })).toThrow(
      'XADD: trimming needs exactly one of maxLen and minId',
    );
    expect(() => X.xtrim.build('s', {} as never)).toThrow('XTRIM: trimming needs exactly one of maxLen and minId');
    expect(() => X.xtrim.build('s', { maxLen: 10, limit: 5 })).toThrow('XTRIM: limit needs approximate: true');
    expect(() => X.xtrim.build('s', { maxLen: 1.5 })).toThrow(InvalidArgumentError);
  });

  it('XTRIM', () => {
    expect(X.xtrim.build('s', { maxLen: 0 })).toEqual(['XTRIM', 's', 'MAXLEN', 0]);
    expect(X.xtrim.build('s', { minId: '1-0', approximate: true, limit: 0 })).toEqual(['XTRIM', 's', 'MINID', '~', '1-0', 'LIMIT', 0]);
  });

  it('the new id is a string (or null with NOMKSTREAM) whether it came as a string or a Buffer', () => {
    expect(X.xadd.transform('1-1')).toBe('1-1');
    expect(X.xadd.transform(b('1-1'))).toBe('1-1');
    expect(X.xadd.transform(null)).toBeNull();
  });
});

describe('reading', () => {
  const entries = [['1-1', ['a', '1', 'b', '2']], ['2-0', ['a', '3', 'a', '4']]];

  it('XRANGE and XREVRANGE', () => {
    expect(X.xrange.build('s', '-', '+', undefined)).toEqual(['XRANGE', 's', '-', '+']);
    expect(X.xrange.build('s', '(1-1', '+', { count: 10 })).toEqual(['XRANGE', 's', '(1-1', '+', 'COUNT', 10]);
    expect(X.xrevrange.build('s', '+', '-', { count: 1 })).toEqual(['XREVRANGE', 's', '+', '-', 'COUNT', 1]);
    expect(X.xrevrange.build('s', '+', '-', undefined)).toEqual(['XREVRANGE', 's', '+', '-']);
    expect(X.xrange.transform(entries)).toEqual([
      { id: '1-1', fields: { a: '1', b: '2' } },
      { id: '2-0', fields: { a: '4' } },
    ]);
    expect(X.xrevrange.transform(asBuffers(entries))).toEqual([
      { id: '1-1', fields: { a: b('1'), b: b('2') } },
      { id: '2-0', fields: { a: b('4') } },
    ]);
  });

  it('XREAD pairs each stream with its id, COUNT and BLOCK first', () => {
    expect(X.xread.build([{ key: 'a', id: '0' }, { key: 'b', id: '$' }], undefined)).toEqual(['XREAD', 'STREAMS', 'a', 'b', '0', '$']);
    expect(X.xread.build([{ key: 'a', id: '0' }], { count: 5, block: 0 })).toEqual(['XREAD', 'COUNT', 5, 'BLOCK', 0, 'STREAMS', 'a', '0']);
    expect(() => X.xread.build([], undefined)).toThrow('XREAD: needs at least one stream');
    expect(() => X.xread.build([{ key: 'a', id: '0' }], { block: -1 })).toThrow('XREAD: block must be an integer >= 0; got -1');
    expect(() => X.xread.build([{ key: 'a', id: '0' }], { count: 0 })).toThrow(InvalidArgumentError);
  });

  it('XREAD gives { key, entries } per stream, null when nothing came', () => {
    const reply = [['s', entries.slice(0, 1)]];
    expect(X.xread.transform(reply)).toEqual([{ key: 's', entries: [{ id: '1-1', fields: { a: '1', b: '2' } }] }]);
    expect(X.xread.transform(asBuffers(reply))).toEqual([{ key: b('s'), entries: [{ id: '1-1', fields: { a: b('1'), b: b('2') } }] }]);
    expect(X.xread.transform(null)).toBeNull();
  });

  it('XREADGROUP', () => {
    expect(X.xreadgroup.build('g', 'c', [{ key: 's', id: '>' }], undefined)).toEqual(['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>']);
    expect(X.xreadgroup.build('g', 'c', [{ key: 's', id: '>' }], { count: 1, block: 100, noAck: true })).toEqual([
      'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'BLOCK', 100, 'NOACK', 'STREAMS', 's', '>',
    ]);
  });

  it('XREADGROUP gives null fields for an entry deleted while pending', () => {
    const reply = [['s', [['1-1', null], ['2-1', ['a', '2']]]]];
    expect(X.xreadgroup.transform(reply)).toEqual([
      { key: 's', entries: [{ id: '1-1', fields: null }, { id: '2-1', fields: { a: '2' } }] },
    ]);
    expect(X.xreadgroup.transform(asBuffers(reply))).toEqual([
      { key: b('s'), entries: [{ id: '1-1', fields: null }, { id: '2-1', fields: { a: b('2') } }] },
    ]);
    expect(X.xreadgroup.transform(null)).toBeNull();
  });

  it('XLEN and XDEL', () => {
    expect(X.xlen.build('s')).toEqual(['XLEN', 's']);
    expect(X.xdel.build('s', '1-1', '2-2')).toEqual(['XDEL', 's', '1-1', '2-2']);
    expect(() => X.xdel.build('s')).toThrow('XDEL: needs at least one id');
  });
});

describe('consumer groups', () => {
  it('XGROUP subcommands', () => {
    expect(X.xgroupCreate.build('s', 'g', '$', undefined)).toEqual(['XGROUP', 'CREATE', 's', 'g', '$']);
    expect(X.xgroupCreate.build('s', 'g', '0', { mkStream: true, entriesRead: 5 })).toEqual([
      'XGROUP', 'CREATE', 's', 'g', '0', 'MKSTREAM', 'ENTRIESREAD', 5,
    ]);
    expect(X.xgroupSetId.build('s', 'g', '0', undefined)).toEqual(['XGROUP', 'SETID', 's', 'g', '0']);
    expect(X.xgroupSetId.build('s', 'g', '0', { entriesRead: 0 })).toEqual(['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD', 0]);
    expect(X.xgroupDestroy.build('s', 'g')).toEqual(['XGROUP', 'DESTROY', 's', 'g']);
    expect(X.xgroupCreateConsumer.build('s', 'g', 'c')).toEqual(['XGROUP', 'CREATECONSUMER', 's', 'g', 'c']);
    expect(X.xgroupDelConsumer.build('s', 'g', 'c')).toEqual(['XGROUP', 'DELCONSUMER', 's', 'g', 'c']);
    expect(X.xack.build('s', 'g', '1-1')).toEqual(['XACK', 's', 'g', '1-1']);
    expect(() => X.xack.build('s', 'g')).toThrow('XACK: needs at least one id');
  });

  it('XPENDING summary, with and without pending entries', () => {
    expect(X.xpending.build('s', 'g')).toEqual(['XPENDING', 's', 'g']);
    const reply = [2, '1-1', '2-1', [['c1', '2']]];
    expect(X.xpending.transform(reply)).toEqual({ count: 2, minId: '1-1', maxId: '2-1', consumers: [{ name: 'c1', pending: 2 }] });
    expect(X.xpending.transform(asBuffers(reply))).toEqual({ count: 2, minId: '1-1', maxId: '2-1', consumers: [{ name: b('c1'), pending: 2 }] });
    expect(X.xpending.transform([0, null, null, null])).toEqual({ count: 0, minId: null, maxId: null, consumers: [] });
  });

  it('XPENDING extended form', () => {
    expect(X.xpendingRange.build('s', 'g', '-', '+', 10, undefined)).toEqual(['XPENDING', 's', 'g', '-', '+', 10]);
    expect(X.xpendingRange.build('s', 'g', '-', '+', 10, { idle: 5000, consumer: 'c' })).toEqual([
      'XPENDING', 's', 'g', 'IDLE', 5000, '-', '+', 10, 'c',
    ]);
    expect(() => X.xpendingRange.build('s', 'g', '-', '+', 1.5, undefined)).toThrow('XPENDING: count must be an integer >= 0; got 1.5');
    const reply = [['2-1', 'c3', 6812, 4]];
    expect(X.xpendingRange.transform(reply)).toEqual([{ id: '2-1', consumer: 'c3', idle: 6812, deliveries: 4 }]);
    expect(X.xpendingRange.transform(asBuffers(reply))).toEqual([{ id: '2-1', consumer: b('c3'), idle: 6812, deliveries: 4 }]);
  });

  it('XCLAIM with every option, and JUSTID', () => {
    expect(X.xclaim.build('s', 'g', 'c', 0, ['1-1'], undefined)).toEqual(['XCLAIM', 's', 'g', 'c', 0, '1-1']);
    expect(X.xclaim.build('s', 'g', 'c', 1000, ['1-1', '2-1'], { idle: 1, time: 2, retryCount: 3, force: true, lastId: '9-9' })).toEqual([
      'XCLAIM', 's', 'g', 'c', 1000, '1-1', '2-1', 'IDLE', 1, 'TIME', 2, 'RETRYCOUNT', 3, 'FORCE', 'LASTID', '9-9',
    ]);
    expect(X.xclaimJustId.build('s', 'g', 'c', 0, ['1-1'], { force: true })).toEqual(['XCLAIM', 's', 'g', 'c', 0, '1-1', 'FORCE', 'JUSTID']);
    expect(() => X.xclaim.build('s', 'g', 'c', 0, [], undefined)).toThrow('XCLAIM: needs at least one id');
    expect(X.xclaim.transform([['2-1', ['a', '3']]])).toEqual([{ id: '2-1', fields: { a: '3' } }]);
    expect(X.xclaimJustId.transform([b('2-1')])).toEqual(['2-1']);
  });

  it('XAUTOCLAIM and its JUSTID form', () => {
    expect(X.xautoclaim.build('s', 'g', 'c', 0, '0', undefined)).toEqual(['XAUTOCLAIM', 's', 'g', 'c', 0, '0']);
    expect(X.xautoclaim.build('s', 'g', 'c', 10, '0-0', { count: 5 })).toEqual(['XAUTOCLAIM', 's', 'g', 'c', 10, '0-0', 'COUNT', 5]);
    expect(X.xautoclaimJustId.build('s', 'g', 'c', 10, '0-0', { count: 5 })).toEqual([
      'XAUTOCLAIM', 's', 'g', 'c', 10, '0-0', 'COUNT', 5, 'JUSTID',
    ]);
    const reply = ['0-0', [['2-1', ['a', '3']]], ['1-1']];
    expect(X.xautoclaim.transform(reply)).toEqual({ nextId: '0-0', entries: [{ id: '2-1', fields: { a: '3' } }], deletedIds: ['1-1'] });
    expect(X.xautoclaim.transform(asBuffers(reply))).toEqual({
      nextId: '0-0',
      entries: [{ id: '2-1', fields: { a: b('3') } }],
      deletedIds: ['1-1'],
    });
    expect(X.xautoclaimJustId.transform(asBuffers(['5-0', ['2-1'], []]))).toEqual({ nextId: '5-0', ids: ['2-1'], deletedIds: [] });
  });
});

describe('XINFO', () => {
  // Replies of Redis 7.0.15, as the parser gives them.
  const stream = [
    'length', 1, 'radix-tree-keys', 1, 'radix-tree-nodes', 2, 'last-generated-id', '2-1', 'max-deleted-entry-id', '1-1',
    'entries-added', 2, 'recorded-first-entry-id', '2-1', 'groups', 1, 'first-entry', ['2-1', ['a', '3']], 'last-entry', ['2-1', ['a', '3']],
  ];

  it('XINFO STREAM becomes a camel-cased record with parsed entries', () => {
    expect(X.xinfoStream.build('s')).toEqual(['XINFO', 'STREAM', 's']);
    const expected = {
      length: 1,
      radixTreeKeys: 1,
      radixTreeNodes: 2,
      lastGeneratedId: '2-1',
      maxDeletedEntryId: '1-1',
      entriesAdded: 2,
      recordedFirstEntryId: '2-1',
      groups: 1,
      firstEntry: { id: '2-1', fields: { a: '3' } },
      lastEntry: { id: '2-1', fields: { a: '3' } },
    };
    expect(X.xinfoStream.transform(stream)).toEqual(expected);
    expect(X.xinfoStream.transform(asBuffers(stream))).toEqual({
      ...expected,
      firstEntry: { id: '2-1', fields: { a: b('3') } },
      lastEntry: { id: '2-1', fields: { a: b('3') } },
    });
    const empty: RespReply[] = [...stream.slice(0, 16), 'first-entry', null, 'last-entry', null];
    expect(X.xinfoStream.transform(empty)).toMatchObject({ firstEntry: null, lastEntry: null });
  });

  it('XINFO GROUPS and CONSUMERS', () => {
    expect(X.xinfoGroups.build('s')).toEqual(['XINFO', 'GROUPS', 's']);
    expect(X.xinfoConsumers.build('s', 'g')).toEqual(['XINFO', 'CONSUMERS', 's', 'g']);
    const groups = [
      ['name', 'g', 'consumers', 3, 'pending', 1, 'last-delivered-id', '2-1', 'entries-read', 2, 'lag', 0],
      ['name', 'g2', 'consumers', 0, 'pending', 0, 'last-delivered-id', '2-1', 'entries-read', null, 'lag', null],
    ];
    expect(X.xinfoGroups.transform(groups)).toEqual([
      { name: 'g', consumers: 3, pending: 1, lastDeliveredId: '2-1', entriesRead: 2, lag: 0 },
      { name: 'g2', consumers: 0, pending: 0, lastDeliveredId: '2-1', entriesRead: null, lag: null },
    ]);
    expect(X.xinfoGroups.transform(asBuffers(groups))).toEqual([
      { name: b('g'), consumers: 3, pending: 1, lastDeliveredId: '2-1', entriesRead: 2, lag: 0 },
      { name: b('g2'), consumers: 0, pending: 0, lastDeliveredId: '2-1', entriesRead: null, lag: null },
    ]);
    const consumers = [['name', 'c1', 'pending', 0, 'idle', 6885]];
    expect(X.xinfoConsumers.transform(consumers)).toEqual([{ name: 'c1', pending: 0, idle: 6885 }]);
    expect(X.xinfoConsumers.transform(asBuffers(consumers))).toEqual([{ name: b('c1'), pending: 0, idle: 6885 }]);
  });

  it('XINFO STREAM FULL parses groups, their pending entries and consumers', () => {
    expect(X.xinfoStreamFull.build('s', undefined)).toEqual(['XINFO', 'STREAM', 's', 'FULL']);
    expect(X.xinfoStreamFull.build('s', { count: 0 })).toEqual(['XINFO', 'STREAM', 's', 'FULL', 'COUNT', 0]);
    const reply = [
      'length', 1, 'radix-tree-keys', 1, 'radix-tree-nodes', 2, 'last-generated-id', '2-1', 'max-deleted-entry-id', '1-1',
      'entries-added', 2, 'recorded-first-entry-id', '2-1', 'entries', [['2-1', ['a', '3']]],
      'groups', [[
        'name', 'g', 'last-delivered-id', '2-1', 'entries-read', 2, 'lag', 0, 'pel-count', 1,
        'pending', [['2-1', 'c2', 1795545867782, 6]],
        'consumers', [['name', 'c2', 'seen-time', 1795545867782, 'pel-count', 1, 'pending', [['2-1', 1795545867782, 6]]]],
      ]],
    ];
    const expected = {
      length: 1,
      radixTreeKeys: 1,
      radixTreeNodes: 2,
      lastGeneratedId: '2-1',
      maxDeletedEntryId: '1-1',
      entriesAdded: 2,
      recordedFirstEntryId: '2-1',
      entries: [{ id: '2-1', fields: { a: '3' } }],
      groups: [
        {
          name: 'g',
          lastDeliveredId: '2-1',
          entriesRead: 2,
          lag: 0,
          pelCount: 1,
          pending: [{ id: '2-1', consumer: 'c2', deliveryTime: 1795545867782, deliveryCount: 6 }],
          consumers: [
            { name: 'c2', seenTime: 1795545867782, pelCount: 1, pending: [{ id: '2-1', deliveryTime: 1795545867782, deliveryCount: 6 }] },
          ],
        },
      ],
    };
    expect(X.xinfoStreamFull.transform(reply)).toEqual(expected);
    const buffered = X.xinfoStreamFull.transform(asBuffers(reply));
    expect(buffered.lastGeneratedId).toBe('2-1');
    expect(buffered.groups[0].name).toEqual(b('g'));
    expect(buffered.groups[0].pending[0]).toEqual({ id: '2-1', consumer: b('c2'), deliveryTime: 1795545867782, deliveryCount: 6 });
    expect(buffered.groups[0].consumers[0].pending[0].id).toBe('2-1');
  });
});
