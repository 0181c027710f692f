import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ProtocolError, ReplyError } from './errors.js';
import { DEFAULT_MAX_ARRAY_LENGTH, DEFAULT_MAX_BULK_LENGTH, DEFAULT_MAX_DEPTH, RespParser, type RespReply } from './parser.js';
import {
  bytes,
  cutAt,
  everySplit,
  expectedReply,
  feedChunks,
  plain,
  writeReply,
  type FeedOutcome,
  type ParserOptions,
  type ReplyModel,
} from './testing/resp-test-kit.js';

const CR = 0x0d;
const LF = 0x0a;
const code = (char: string): number => char.charCodeAt(0);

/** Parses a whole stream fed as one chunk and returns its replies; fails the test on a ProtocolError. */
function parseWhole(stream: Buffer | string, options: ParserOptions = {}): RespReply[] {
  const outcome = feedChunks([typeof stream === 'string' ? bytes(stream) : stream], options);
  expect(outcome.error).toBeUndefined();
  return outcome.replies;
}

function expectProtocolError(outcome: FeedOutcome, offset: number, byte: number | undefined): void {
  expect(outcome.error).toBeInstanceOf(ProtocolError);
  expect({ offset: outcome.error?.offset, byte: outcome.error?.byte }).toEqual({ offset, byte });
}

/** `*1\r\n` repeated `depth` times around `:1\r\n`: an integer inside `depth` nested arrays. */
function nested(depth: number, inner = ':1\r\n'): Buffer {
  return bytes('*1\r\n'.repeat(depth) + inner);
}

function nestedValue(depth: number, inner: unknown = 1): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

// Random reply trees: every RESP2 type, arrays nested up to 5 deep.
const textWithoutCrLf = fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ''));
const leaf: fc.Arbitrary<ReplyModel> = fc.oneof(
  textWithoutCrLf.map((value): ReplyModel => ({ type: 'simple', value })),
  textWithoutCrLf.map((message): ReplyModel => ({ type: 'error', message })),
  fc.maxSafeInteger().map((value): ReplyModel => ({ type: 'integer', value })),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s): ReplyModel => ({ type: 'bulk', value: bytes(s) })),
  fc.uint8Array({ maxLength: 40 }).map((a): ReplyModel => ({ type: 'bulk', value: Buffer.from(a) })),
  fc.constant<ReplyModel>({ type: 'nullBulk' }),
  fc.constant<ReplyModel>({ type: 'nullArray' }),
);
const { reply: replyTree } = fc.letrec<{ reply: ReplyModel; array: ReplyModel }>((tie) => ({
  reply: fc.oneof({ maxDepth: 5, depthIdentifier: 'reply' }, leaf, tie('array')),
  array: fc
    .array(tie('reply'), { maxLength: 5, depthIdentifier: 'reply' })
    .map((items): ReplyModel => ({ type: 'array', items })),
}));
const validTrees = fc.array(replyTree, { minLength: 1, maxLength: 4 });

describe('RespParser: each reply type, whole', () => {
  it('parses a simple string, including the +OK fast path', () => {
    expect(parseWhole('+OK\r\n+PONG\r\n+\r\n+OKAY\r\n')).toEqual(['OK', 'PONG', '', 'OKAY']);
  });

  it('delivers an error reply as a ReplyError value with its prefix, not as an exception', () => {
    const [moved, wrongType, bare] = parseWhole('-MOVED 3999 127.0.0.1:6381\r\n-WRONGTYPE Operation against a key\r\n-NOPREFIX\r\n');
    expect(moved).toBeInstanceOf(ReplyError);
    expect(moved).toMatchObject({ message: 'MOVED 3999 127.0.0.1:6381', prefix: 'MOVED' });
    expect(wrongType).toMatchObject({ message: 'WRONGTYPE Operation against a key', prefix: 'WRONGTYPE' });
    expect(bare).toMatchObject({ message: 'NOPREFIX', prefix: 'NOPREFIX' });
  });

  it('keeps parsing the stream after an error reply', () => {
    const outcome = feedChunks([bytes('-ERR first\r\n'), bytes(':2\r\n')]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.parser.error).toBeUndefined();
    expect(outcome.replies.map(plain)).toEqual([{ error: 'ERR first' }, 2]);
  });

  it('parses a bulk string as a UTF-8 string', () => {
    expect(parseWhole('$5\r\nhello\r\n$11\r\nhello world\r\n')).toEqual(['hello', 'hello world']);
  });

  it('parses a bulk string that contains CR and LF bytes', () => {
    expect(parseWhole('$6\r\na\r\nb\rc\r\n')).toEqual(['a\r\nb\rc']);
  });

  it('parses an empty bulk string as an empty string or an empty Buffer', () => {
    expect(parseWhole('$0\r\n\r\n')).toEqual(['']);
    expect(parseWhole('$0\r\n\r\n', { returnBuffers: true })).toEqual([Buffer.alloc(0)]);
  });

  it('parses a null bulk string and a null array as null', () => {
    expect(parseWhole('$-1\r\n*-1\r\n')).toEqual([null, null]);
  });

  it('parses an empty array', () => {
    expect(parseWhole('*0\r\n')).toEqual([[]]);
  });

  it('parses nested arrays', () => {
    expect(parseWhole('*3\r\n*2\r\n:1\r\n*1\r\n$1\r\na\r\n*0\r\n+x\r\n')).toEqual([[[1, ['a']], [], 'x']]);
    expect(parseWhole('*2\r\n*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n:4\r\n')).toEqual([[[[1, 2], 3], 4]]);
  });

  it('parses arrays that contain nulls and error replies', () => {
    const [reply] = parseWhole('*5\r\n$-1\r\n*-1\r\n-ERR inner\r\n*2\r\n$-1\r\n-MOVED 1 h:1\r\n+ok\r\n');
    expect(plain(reply)).toEqual([null, null, { error: 'ERR inner' }, [null, { error: 'MOVED 1 h:1' }], 'ok']);
    expect((reply as RespReply[])[2]).toBeInstanceOf(ReplyError);
  });

  it('reports no partial reply before, between and after complete replies', () => {
    const outcome = feedChunks([bytes('+OK\r\n*1\r\n:1\r\n')]);
    expect(outcome.parser.hasPartialReply).toBe(false);
    expect(new RespParser({ onReply: () => {} }).hasPartialReply).toBe(false);
  });

  it('reports a partial reply inside a line, a bulk payload, its CRLF and an array', () => {
    for (const partial of [':12', '+OK\r', '$5\r\nhel', '$5\r\nhello', '$5\r\nhello\r', '*2\r\n:1\r\n', '*1\r\n*1\r\n']) {
      const outcome = feedChunks([bytes(partial)]);
      expect(outcome.replies, partial).toEqual([]);
      expect(outcome.parser.hasPartialReply, partial).toBe(true);
    }
  });
});

describe('RespParser: returnBuffers', () => {
  it('returns bulk strings as Buffers while simple strings, errors and integers keep their types', () => {
    const [simple, error, integer, bulk, nil, array] = parseWhole('+OK\r\n-ERR x\r\n:7\r\n$3\r\nabc\r\n$-1\r\n*1\r\n$2\r\nhi\r\n', {
      returnBuffers: true,
    });
    expect(simple).toBe('OK');
    expect(error).toBeInstanceOf(ReplyError);
    expect(integer).toBe(7);
    expect(Buffer.isBuffer(bulk)).toBe(true);
    expect(bulk).toEqual(bytes('abc'));
    expect(nil).toBeNull();
    expect(array).toEqual([bytes('hi')]);
  });

  it('returns bulk strings as strings when returnBuffers is off', () => {
    const [bulk] = parseWhole('$3\r\nabc\r\n', { returnBuffers: false });
    expect(bulk).toBe('abc');
  });

  it('returns a binary bulk string holding every byte 0..255 unchanged, whole and at every split', () => {
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const stream = Buffer.concat([bytes('$256\r\n'), payload, bytes('\r\n')]);
    expect(parseWhole(stream, { returnBuffers: true })).toEqual([payload]);
    for (const { name, chunks } of everySplit(stream)) {
      const outcome = feedChunks(chunks, { returnBuffers: true });
      expect(outcome.error, name).toBeUndefined();
      expect(outcome.replies, name).toEqual([payload]);
    }
  });

  it('decodes invalid UTF-8 in a bulk string to U+FFFD when returnBuffers is off', () => {
    expect(parseWhole(Buffer.from([0x24, 0x32, CR, LF, 0xff, 0x41, CR, LF]))).toEqual(['\ufffdA']);
  });
});

describe('RespParser: UTF-8', () => {
  const text = 'héllo wörld ✓ 😀 日本語';

  it('decodes a multi-byte bulk string at every split, including inside a character', () => {
    const payload = bytes(text);
    const stream = Buffer.concat([bytes(`$${payload.length}\r\n`), payload, bytes('\r\n')]);
    for (const { name, chunks } of everySplit(stream)) {
      const outcome = feedChunks(chunks);
      expect(outcome.replies, name).toEqual([text]);
    }
  });

  it('decodes a long (over 512 bytes) multi-byte bulk string split inside a character', () => {
    const long = '€'.repeat(300); // 900 bytes, each character 3 bytes
    const stream = bytes(`$900\r\n${long}\r\n`);
    for (const cut of [7, 8, 6 + 450, 6 + 451, 6 + 899]) {
      expect(feedChunks(cutAt(stream, [cut])).replies, `cut at ${cut}`).toEqual([long]);
    }
  });

  it('decodes multi-byte simple strings and error replies at every split', () => {
    const stream = bytes(`+${text}\r\n-ERR ${text}\r\n`);
    for (const { name, chunks } of everySplit(stream)) {
      expect(feedChunks(chunks).replies.map(plain), name).toEqual([text, { error: `ERR ${text}` }]);
    }
  });

  it('decodes many short bulk strings mixing ASCII and non-ASCII values across a 4 KiB chunk', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i % 7 === 3 ? `välue-${i}-✓` : `value-${i}-${'x'.repeat(i % 40)}`));
    const stream = Buffer.concat(values.map((value) => writeReply({ type: 'bulk', value: bytes(value) })));
    expect(stream.length).toBeGreaterThan(3 * 4096);
    expect(parseWhole(stream)).toEqual(values);
  });

  it('decodes a refilled chunk afresh rather than from a window decoded from its previous contents', () => {
    const replies: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => replies.push(reply) });
    const chunk = bytes('$5\r\nfirst\r\n');
    parser.feed(chunk);
    chunk.write('$5\r\nsecnd\r\n');
    parser.feed(chunk);
    expect(replies).toEqual(['first', 'secnd']);
  });
});

describe('RespParser: integers', () => {
  it('parses zero, negative and positive integers', () => {
    expect(parseWhole(':0\r\n:-1\r\n:42\r\n:-1234567\r\n')).toEqual([0, -1, 42, -1234567]);
  });

  it('parses ±(2^53 - 1) exactly', () => {
    expect(parseWhole(':9007199254740991\r\n:-9007199254740991\r\n')).toEqual([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
  });

  it('parses 15 digits exactly on the digit-by-digit path', () => {
    expect(parseWhole(':999999999999999\r\n:-123456789012345\r\n')).toEqual([999999999999999, -123456789012345]);
  });

  // Documented behaviour: integers are JavaScript numbers, so past 2^53 they round to the
  // nearest double (as Number() would), never wrap or truncate.
  it('rounds integers beyond 2^53 to the nearest double, a 19-digit one included', () => {
    expect(parseWhole(':9007199254740993\r\n')).toEqual([9007199254740992]);
    // 17 digits: accumulating digit by digit would give ...220; the nearest double is ...224.
    expect(parseWhole(':61992891243245224\r\n')).toEqual([Number('61992891243245224')]);
    expect(parseWhole(':9223372036854775807\r\n:-9223372036854775808\r\n')).toEqual([2 ** 63, -(2 ** 63)]);
    expect(parseWhole(':9223372036854775807\r\n')).toEqual([Number('9223372036854775807')]);
  });

  it('parses an integer split inside its digits', () => {
    const stream = bytes(':-9223372036854775808\r\n:123\r\n');
    for (const { name, chunks } of everySplit(stream)) {
      expect(feedChunks(chunks).replies, name).toEqual([-(2 ** 63), 123]);
    }
  });
});

describe('RespParser: split streams', () => {
  const parts = [
    '+OK\r\n',
    '-ERR bad thing\r\n',
    ':42\r\n',
    ':-7\r\n',
    '$5\r\nhello\r\n',
    '$0\r\n\r\n',
    '$-1\r\n',
    '*-1\r\n',
    '*0\r\n',
    '*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n-E\r\n+bar\r\n',
    '$2\r\né\r\n',
    '+PONG\r\n',
  ];
  const mixed = bytes(parts.join(''));
  const expected = (asBuffers: boolean): unknown[] => {
    const bulk = (text: string): unknown => (asBuffers ? bytes(text) : text);
    return [
      'OK',
      { error: 'ERR bad thing' },
      42,
      -7,
      bulk('hello'),
      bulk(''),
      null,
      null,
      [],
      [bulk('foo'), [1, { error: 'E' }], 'bar'],
      bulk('é'),
      'PONG',
    ];
  };

  for (const returnBuffers of [false, true]) {
    it(`gives the same replies in order at every split point and one byte at a time (returnBuffers ${returnBuffers})`, () => {
      expect(parseWhole(mixed, { returnBuffers }).map(plain)).toEqual(expected(returnBuffers));
      for (const { name, chunks } of everySplit(mixed)) {
        const outcome = feedChunks(chunks, { returnBuffers });
        expect(outcome.error, name).toBeUndefined();
        expect(outcome.replies.map(plain), name).toEqual(expected(returnBuffers));
        expect(outcome.parser.hasPartialReply, name).toBe(false);
      }
    });
  }

  it('delivers each reply as soon as its last byte arrives', () => {
    const replies: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => replies.push(reply) });
    const counts: number[] = [];
    for (let i = 0; i < mixed.length; i++) {
      parser.feed(mixed.subarray(i, i + 1));
      counts.push(replies.length);
    }
    // The reply count goes up exactly at the LF ending each top-level reply.
    let end = 0;
    const ends = parts.map((part) => (end += bytes(part).length));
    expect(ends.map((end) => counts[end - 1])).toEqual(ends.map((_, i) => i + 1));
    expect(ends.map((end) => counts[end - 2])).toEqual(ends.map((_, i) => i));
  });

  it('accepts empty chunks anywhere in the stream', () => {
    const chunks = everySplit(mixed).at(-1)!.chunks.flatMap((chunk) => [Buffer.alloc(0), chunk]);
    expect(feedChunks(chunks).replies.map(plain)).toEqual(expected(false));
  });

  it('property: random reply trees written as RESP come back equal under random chunkings', () => {
    fc.assert(
      fc.property(
        validTrees,
        fc.oneof(fc.array(fc.nat(), { maxLength: 8 }), fc.constant('bytewise' as const)),
        fc.boolean(),
        (trees, cuts, returnBuffers) => {
          const stream = Buffer.concat(trees.map(writeReply));
          const chunks =
            cuts === 'bytewise'
              ? everySplit(stream).at(-1)!.chunks
              : cutAt(stream, cuts.map((cut) => cut % (stream.length + 1)));
          const outcome = feedChunks(chunks, { returnBuffers });
          expect(outcome.error).toBeUndefined();
          expect(outcome.replies.map(plain)).toEqual(trees.map((tree) => expectedReply(tree, returnBuffers)));
          expect(outcome.parser.hasPartialReply).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

});

describe('RespParser: resumption without re-parsing', () => {
  it('resumes a partial bulk string without reading its header again', () => {
    const replies: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => replies.push(reply) });
    const first = bytes('$10\r\nhello');
    parser.feed(first);
    // Overwrite the header already consumed (not the payload, which the parser may keep as a view).
    first.fill('!', 0, 5);
    parser.feed(bytes('world\r\n'));
    expect(replies).toEqual(['helloworld']);
  });

  it('keeps the pieces of a partial bulk string and joins them once, when it completes', () => {
    const replies: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => replies.push(reply), returnBuffers: true });
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      for (const piece of ['$10\r\nhel', 'lo', 'wor', 'ld', '\r']) parser.feed(bytes(piece));
      expect(concat).not.toHaveBeenCalled();
      expect(replies).toEqual([]);
      parser.feed(bytes('\n'));
      expect(concat).toHaveBeenCalledTimes(1);
      expect(concat.mock.calls[0][0].map((piece) => piece.toString())).toEqual(['hel', 'lo', 'wor', 'ld']);
      expect(replies).toEqual([bytes('helloworld')]);
    } finally {
      concat.mockRestore();
    }
  });

  it('resumes a partial array at its element index without reading its first elements again', () => {
    const replies: RespReply[] = [];
    const parser = new RespParser({ onReply: (reply) => replies.push(reply) });
    const first = bytes('*3\r\n:1\r\n');
    parser.feed(first);
    first.fill('!');
    parser.feed(bytes(':2\r\n:3\r\n'));
    expect(replies).toEqual([[1, 2, 3]]);
  });

  it('resumes nested arrays at the right level', () => {
    const outcome = feedChunks([bytes('*2\r\n*2\r\n:1\r\n'), bytes(':2\r\n'), bytes(':3\r\n')]);
    expect(outcome.replies).toEqual([[[1, 2], 3]]);
  });

  it('does not allocate a declared bulk length before its bytes arrive', () => {
    const parser = new RespParser({ onReply: () => {}, maxBulkLength: 200_000_000, returnBuffers: true });
    const before = process.memoryUsage();
    parser.feed(bytes('$100000000\r\n'));
    parser.feed(bytes('hello'));
    parser.feed(bytes('world'));
    const after = process.memoryUsage();
    expect(parser.hasPartialReply).toBe(true);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(10 * 1024 * 1024);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(10 * 1024 * 1024);
  });
});

interface Violation {
  name: string;
  stream: string;
  offset: number;
  byte: number | undefined;
  /** Replies completed before the offending byte. */
  replies?: unknown[];
  options?: ParserOptions;
}

const violations: Violation[] = [
  { name: 'an unknown type byte', stream: '?\r\n', offset: 0, byte: code('?') },
  { name: 'an unknown type byte after a reply', stream: ':1\r\n!x\r\n', offset: 4, byte: code('!'), replies: [1] },
  { name: 'an unknown type byte inside an array', stream: '*2\r\n:1\r\n%\r\n', offset: 8, byte: code('%') },
  { name: 'a bulk length that is not a number ($abc)', stream: '$abc\r\n', offset: 1, byte: code('a') },
  { name: 'a negative bulk length other than -1 ($-2)', stream: '$-2\r\n', offset: 2, byte: code('2') },
  // `$-0` is not a null: only the exact text -1 is.
  { name: 'a bulk length of minus zero ($-0)', stream: '$-0\r\n', offset: 2, byte: code('0') },
  { name: 'a bulk length of -10', stream: '$-10\r\n', offset: 3, byte: code('0') },
  { name: 'a negative array length other than -1 (*-5)', stream: '*-5\r\n', offset: 2, byte: code('5') },
  { name: 'a bulk length with no digits ($)', stream: '$\r\n', offset: 1, byte: CR },
  { name: 'an array length with no digits (*)', stream: '*\r\n', offset: 1, byte: CR },
  { name: 'a bulk length line ended by LF alone', stream: '$3\nabc\r\n', offset: 2, byte: LF },
  { name: 'an integer with no digits', stream: ':\r\n', offset: 1, byte: CR },
  { name: 'an integer that is only a minus sign', stream: ':-\r\n', offset: 2, byte: CR },
  { name: 'an integer with a letter', stream: ':12a\r\n', offset: 3, byte: code('a') },
  { name: 'an integer whose CR is not followed by LF (:1\\rX)', stream: ':1\rX', offset: 3, byte: code('X') },
  { name: 'a bulk payload followed by bytes that are not CRLF ($3\\r\\nabcXY)', stream: '$3\r\nabcXY', offset: 7, byte: code('X') },
  { name: 'a bulk payload longer than declared', stream: '$3\r\nabcd\r\n', offset: 7, byte: code('d') },
  { name: 'a bulk payload followed by CR and not LF', stream: '$3\r\nabc\rY', offset: 8, byte: code('Y') },
  { name: 'an empty bulk payload followed by bytes that are not CRLF', stream: '$0\r\nX\r\n', offset: 4, byte: code('X') },
  { name: 'an LF inside a simple string (+a\\nb)', stream: '+a\nb\r\n', offset: 2, byte: LF },
  { name: 'a CR inside a simple string (+a\\rb)', stream: '+a\rb\r\n', offset: 2, byte: CR },
  { name: 'an LF inside an error reply', stream: '-ERR a\nb\r\n', offset: 6, byte: LF },
  { name: 'a CR inside a simple string right after +OK', stream: '+OK\rX\r\n', offset: 3, byte: CR },
];

// Limits, each at the limit (accepted) and one past it (rejected at the type byte, no byte).
const limitViolations: Violation[] = [
  {
    name: 'a bulk length one past a custom maxBulkLength',
    stream: '+OK\r\n$5\r\nabcde\r\n',
    offset: 5,
    byte: undefined,
    replies: ['OK'],
    options: { maxBulkLength: 4 },
  },
  { name: 'a bulk length one past the default 512 MiB', stream: `$${DEFAULT_MAX_BULK_LENGTH + 1}\r\n`, offset: 0, byte: undefined },
  {
    name: 'an array length one past a custom maxArrayLength',
    stream: ':0\r\n*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n',
    offset: 4,
    byte: undefined,
    replies: [0],
    options: { maxArrayLength: 3 },
  },
  { name: 'an array length one past the default 2^31 - 1', stream: `*${DEFAULT_MAX_ARRAY_LENGTH + 1}\r\n`, offset: 0, byte: undefined },
  {
    name: 'arrays nested one past a custom maxDepth of 3',
    stream: nested(4).toString(),
    offset: 12,
    byte: undefined,
    options: { maxDepth: 3 },
  },
  {
    name: 'arrays nested one past maxDepth 1 (no nesting allowed)',
    stream: '*1\r\n*1\r\n:1\r\n',
    offset: 4,
    byte: undefined,
    options: { maxDepth: 1 },
  },
  {
    name: 'an empty array nested one past maxDepth',
    stream: nested(3, '*0\r\n').toString(),
    offset: 12,
    byte: undefined,
    options: { maxDepth: 3 },
  },
  {
    name: 'a simple string one byte longer than maxBulkLength',
    stream: `+${'a'.repeat(9)}\r\n`,
    offset: 0,
    byte: undefined,
    options: { maxBulkLength: 8 },
  },
  {
    name: 'an error reply one byte longer than maxBulkLength, after a reply',
    stream: `:1\r\n-${'E'.repeat(9)}\r\n`,
    offset: 4,
    byte: undefined,
    replies: [1],
    options: { maxBulkLength: 8 },
  },
];

describe('RespParser: protocol violations', () => {
  for (const violation of [...violations, ...limitViolations]) {
    const stream = bytes(violation.stream);

    it(`rejects ${violation.name} with a ProtocolError at offset ${violation.offset}`, () => {
      const outcome = feedChunks([stream], violation.options);
      expectProtocolError(outcome, violation.offset, violation.byte);
      expect(outcome.replies.map(plain)).toEqual(violation.replies ?? []);
    });

    it(`rejects ${violation.name} with the same error at every split point`, () => {
      for (const { name, chunks } of everySplit(stream)) {
        const outcome = feedChunks(chunks, violation.options);
        expect({ offset: outcome.error?.offset, byte: outcome.error?.byte }, name).toEqual({
          offset: violation.offset,
          byte: violation.byte,
        });
        expect(outcome.replies.map(plain), name).toEqual(violation.replies ?? []);
      }
    });
  }

  it('stays failed after a protocol error: every later feed throws the same error and delivers nothing', () => {
    for (const violation of violations) {
      const outcome = feedChunks([bytes(violation.stream)], violation.options);
      const error = outcome.error;
      expect(error, violation.name).toBeInstanceOf(ProtocolError);
      expect(outcome.parser.error, violation.name).toBe(error);
      const count = outcome.replies.length;
      for (const later of ['+OK\r\n', ':1\r\n', '']) {
        let thrown: unknown;
        try {
          outcome.parser.feed(bytes(later));
        } catch (caught) {
          thrown = caught;
        }
        expect(thrown, violation.name).toBe(error);
      }
      expect(outcome.replies.length, violation.name).toBe(count);
      expect(outcome.parser.error, violation.name).toBe(error);
    }
  });

  it('counts the offset from the first byte ever fed, across chunks', () => {
    const outcome = feedChunks([bytes('+OK\r\n'), bytes(':1\r\n'), bytes('$2\r\nab\r\n'), bytes('?')]);
    expectProtocolError(outcome, 17, code('?'));
    expect(outcome.replies).toEqual(['OK', 1, 'ab']);
  });

  it('names the offset and the byte in the error message', () => {
    const { error } = feedChunks([bytes(':1\r\n!')]);
    expect(error?.message).toContain('offset 4');
    expect(error?.message).toContain("0x21 '!'");
  });

  // The violation is in the bytes already fed; the parser must not wait for an LF that may
  // never come (and buffer up to maxBulkLength of garbage meanwhile).
  it('reports a bad byte in a line as soon as it arrives, not only once an LF follows', () => {
    for (const [head, tail, offset, byte] of [
      ['$', 'abc', 1, code('a')],
      [':1', 'X', 2, code('X')],
      [':1\r', 'X', 3, code('X')],
      ['*1', '0x', 3, code('x')],
      ['+a\r', 'b', 2, CR],
    ] as const) {
      const outcome = feedChunks([bytes(head), bytes(tail)]);
      expect({ offset: outcome.error?.offset, byte: outcome.error?.byte }, JSON.stringify(head + tail)).toEqual({ offset, byte });
    }
  });
});

describe('RespParser: limits at the limit', () => {
  const accepted: { name: string; stream: Buffer; options?: ParserOptions; replies: unknown[] }[] = [
    { name: 'a bulk string of exactly maxBulkLength bytes', stream: bytes('$4\r\nabcd\r\n'), options: { maxBulkLength: 4 }, replies: ['abcd'] },
    {
      name: 'an array of exactly maxArrayLength elements',
      stream: bytes('*3\r\n:1\r\n:2\r\n:3\r\n'),
      options: { maxArrayLength: 3 },
      replies: [[1, 2, 3]],
    },
    { name: 'arrays nested exactly maxDepth deep', stream: nested(3), options: { maxDepth: 3 }, replies: [nestedValue(3)] },
    { name: 'a top-level array with maxDepth 1', stream: bytes('*2\r\n:1\r\n*-1\r\n'), options: { maxDepth: 1 }, replies: [[1, null]] },
    {
      name: 'a simple string of exactly maxBulkLength bytes',
      stream: bytes(`+${'a'.repeat(8)}\r\n-${'E'.repeat(8)}\r\n`),
      options: { maxBulkLength: 8 },
      replies: ['a'.repeat(8), { error: 'E'.repeat(8) }],
    },
  ];

  for (const { name, stream, options, replies } of accepted) {
    it(`accepts ${name}, whole and at every split point`, () => {
      expect(parseWhole(stream, options).map(plain)).toEqual(replies);
      for (const split of everySplit(stream)) {
        const outcome = feedChunks(split.chunks, options);
        expect(outcome.error, split.name).toBeUndefined();
        expect(outcome.replies.map(plain), split.name).toEqual(replies);
      }
    });
  }

  it('exposes the documented defaults', () => {
    expect(DEFAULT_MAX_BULK_LENGTH).toBe(512 * 1024 * 1024);
    expect(DEFAULT_MAX_ARRAY_LENGTH).toBe(2 ** 31 - 1);
    expect(DEFAULT_MAX_DEPTH).toBe(1024);
  });

  it('accepts a bulk length of exactly the default 512 MiB and waits for its payload', () => {
    const outcome = feedChunks([bytes(`$${DEFAULT_MAX_BULK_LENGTH}\r\nabc`)]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.parser.hasPartialReply).toBe(true);
  });

  it('accepts an array length of exactly the default 2^31 - 1 and waits for its elements', () => {
    const outcome = feedChunks([bytes(`*${DEFAULT_MAX_ARRAY_LENGTH}\r\n:1\r\n`)]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.parser.hasPartialReply).toBe(true);
  });

  it('accepts arrays nested exactly the default 1024 deep, whole and one byte at a time', () => {
    const stream = nested(DEFAULT_MAX_DEPTH);
    expect(parseWhole(stream)).toEqual([nestedValue(DEFAULT_MAX_DEPTH)]);
    expect(feedChunks(everySplit(stream).at(-1)!.chunks).replies).toEqual([nestedValue(DEFAULT_MAX_DEPTH)]);
  });

  it('rejects arrays nested one past the default 1024, whole and one byte at a time, at the 1025th array', () => {
    const stream = nested(DEFAULT_MAX_DEPTH + 1);
    expectProtocolError(feedChunks([stream]), DEFAULT_MAX_DEPTH * 4, undefined);
    expectProtocolError(feedChunks(everySplit(stream).at(-1)!.chunks), DEFAULT_MAX_DEPTH * 4, undefined);
    expectProtocolError(feedChunks(cutAt(stream, [DEFAULT_MAX_DEPTH * 4 + 1])), DEFAULT_MAX_DEPTH * 4, undefined);
  });
});

describe('RespParser: fuzzing', () => {
  // Small limits, so that a garbage length cannot make a run wait for (or buffer) megabytes.
  const fuzzOptions: ParserOptions = { maxBulkLength: 1024 * 1024, maxArrayLength: 1024, maxDepth: 16 };

  /** Feeds the chunks; the outcome must be replies and/or one well-formed ProtocolError, quickly. */
  function expectTypedOutcome(stream: Buffer, chunks: Buffer[]): FeedOutcome {
    const started = performance.now();
    const outcome = feedChunks(chunks, fuzzOptions); // rethrows anything that is not a ProtocolError
    expect(performance.now() - started).toBeLessThan(1000);
    const { error } = outcome;
    if (error !== undefined) {
      expect(error).toBeInstanceOf(ProtocolError);
      expect(Number.isInteger(error.offset)).toBe(true);
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThan(stream.length);
      // The byte reported is the one at the offset reported.
      if (error.byte !== undefined) expect(error.byte).toBe(stream[error.offset]);
      expect(() => outcome.parser.feed(bytes('+OK\r\n'))).toThrow(error);
      expect(outcome.parser.error).toBe(error);
    }
    return outcome;
  }

  const chunking = fc.array(fc.nat(), { maxLength: 6 });
  const chunked = (stream: Buffer, cuts: number[]): Buffer[] => cutAt(stream, cuts.map((cut) => cut % (stream.length + 1)));

  const respByte = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(...Buffer.from('+-:$*\r\n\r\n0123456789-1')),
  );

  it('fuzz: random bytes end in replies or a ProtocolError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), chunking, (array, cuts) => {
        const stream = Buffer.from(array);
        expectTypedOutcome(stream, chunked(stream, cuts));
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: random bytes from the RESP alphabet end in replies or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(respByte, { maxLength: 256 }), chunking, (array, cuts) => {
        const stream = Buffer.from(array);
        expectTypedOutcome(stream, chunked(stream, cuts));
      }),
      { numRuns: 3000 },
    );
  });

  const mutation = fc.record({
    kind: fc.constantFrom('flip', 'insert', 'delete'),
    at: fc.nat(),
    byte: respByte,
  });

  function mutate(stream: Buffer, mutations: { kind: string; at: number; byte: number }[]): Buffer {
    let out = Buffer.from(stream);
    for (const { kind, at, byte } of mutations) {
      const i = at % (out.length + 1);
      if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
      else if (i < out.length && kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
      else if (i < out.length) out[i] = byte === out[i] ? byte ^ 0x01 : byte;
    }
    return out;
  }

  it('fuzz: mutated valid streams (bytes flipped, inserted, deleted) end in replies or a ProtocolError', () => {
    fc.assert(
      fc.property(validTrees, fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (trees, mutations, cuts) => {
        const stream = mutate(Buffer.concat(trees.map(writeReply)), mutations);
        expectTypedOutcome(stream, chunked(stream, cuts));
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: chunking never changes the outcome of a mutated stream (same replies, same error offset)', () => {
    fc.assert(
      fc.property(validTrees, fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (trees, mutations, cuts) => {
        const stream = mutate(Buffer.concat(trees.map(writeReply)), mutations);
        const whole = expectTypedOutcome(stream, [stream]);
        const split = expectTypedOutcome(stream, chunked(stream, cuts));
        expect(split.replies.map(plain)).toEqual(whole.replies.map(plain));
        expect(split.error?.offset).toEqual(whole.error?.offset);
        expect(split.error?.byte).toEqual(whole.error?.byte);
      }),
      { numRuns: 2000 },
    );
  });
});
