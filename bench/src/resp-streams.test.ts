import { isDeepStrictEqual } from 'node:util';
import { RespParser } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { checkStream, parseAll } from './resp/check.js';
import { CONTENDERS, HASHSLOT } from './resp/peers.js';
import { toPlain, type PlainReply } from './resp/replies.js';
import { CHUNK_SIZE, FIRST_REPLIES, generateStream, mixedStream, splitChunks, STREAM_KINDS } from './resp/streams.js';

const SMALL = 256 * 1024;

describe('benchmark streams', () => {
  for (const kind of STREAM_KINDS) {
    it(`${kind.name}: valid RESP that our parser turns into the generated replies`, () => {
      const stream = generateStream(kind, SMALL);
      const replies: PlainReply[] = [];
      const parser = new RespParser({ onReply: (reply) => replies.push(toPlain(reply)) });
      for (const chunk of stream.chunks) parser.feed(chunk);

      expect(parser.hasPartialReply).toBe(false);
      expect(replies).toHaveLength(stream.replyCount);
      expect(replies.slice(0, FIRST_REPLIES)).toEqual(stream.firstReplies);
      const wrong = replies.findIndex((reply, index) => !isDeepStrictEqual(reply, kind.reply(index).value));
      expect(wrong).toBe(-1);
    });

    it(`${kind.name}: at least the size asked for, cut into 64 KiB views`, () => {
      const stream = generateStream(kind, SMALL);
      expect(stream.bytes.length).toBeGreaterThanOrEqual(SMALL * kind.sizeFactor);
      expect(stream.chunks.slice(0, -1).every((chunk) => chunk.length === CHUNK_SIZE)).toBe(true);
      expect(Buffer.concat(stream.chunks).equals(stream.bytes)).toBe(true);
      expect(stream.chunks.every((chunk) => chunk.buffer === stream.bytes.buffer)).toBe(true);
    });

    it(`${kind.name}: every parser under test passes the self-check`, () => {
      const stream = generateStream(kind, SMALL);
      for (const contender of CONTENDERS) expect(checkStream(contender, stream), contender.name).toBeUndefined();
    });
  }

  it('integers are varied: several lengths, both signs', () => {
    const stream = generateStream(STREAM_KINDS[1], 64 * 1024);
    const values = parseAll(HASHSLOT, stream.chunks, stream.replyCount).firstReplies;
    const lengths = new Set(values.map((value) => String(value).replace('-', '').length));
    expect(lengths.size).toBeGreaterThanOrEqual(10);
    expect(values.some((value) => typeof value === 'number' && value < 0)).toBe(true);
  });
});

// The fairness check: each adapter must be configured so that its parser does the same work as
// ours, producing the same values (strings, not Buffers; numbers; errors as values) in order.
describe('peer adapters give the same replies as ours', () => {
  const { bytes, replies: expected } = mixedStream();
  const ours = (chunks: readonly Buffer[]): readonly PlainReply[] => parseAll(HASHSLOT, chunks, Infinity).firstReplies;

  it('ours gives the expected replies', () => {
    expect(ours([bytes])).toEqual(expected);
  });

  for (const contender of CONTENDERS.filter((contender) => contender !== HASHSLOT)) {
    describe(contender.name, () => {
      const check = (chunks: readonly Buffer[]): void => {
        const theirs = parseAll(contender, chunks, Infinity);
        expect(theirs.firstReplies).toEqual(ours(chunks));
        expect(theirs.count).toBe(expected.length);
      };

      it('in one piece', () => check([bytes]));
      it('in 64 KiB chunks', () => check(splitChunks(bytes, CHUNK_SIZE)));
      it('in random splits', () => {
        for (let seed = 1; seed <= 25; seed++) check(randomSplits(bytes, seed));
      });
      it('byte by byte', () => check(splitChunks(bytes, 1)));
    });
  }
});

/** `bytes` cut at pseudo-random points, mostly close together so that every reply gets cut. */
function randomSplits(bytes: Buffer, seed: number): Buffer[] {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const size = next() < 0.9 ? 1 + Math.floor(next() * 16) : 1 + Math.floor(next() * 40_000);
    chunks.push(bytes.subarray(start, start + size));
    start += size;
  }
  return chunks;
}
