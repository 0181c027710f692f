import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { InvalidArgumentError, ProtocolError, type ReplyError, replyErrorWithoutStack } from './errors.js';

/**
 * A streaming RESP2 reply parser.
 * https://redis.io/docs/latest/develop/reference/protocol-spec/#resp-protocol-description
 *
 * Bytes are pushed in with `feed()` in whatever pieces the socket delivers; every complete reply
 * is handed to `onReply` in stream order. Nothing is parsed twice: a reply split across chunks
 * resumes exactly where the previous chunk ended (inside a line, a bulk payload, or at the next
 * element of an array, however deep).
 */

/** A parsed reply. Error replies are `ReplyError` values, never thrown. */
export type RespReply = string | number | Buffer | null | ReplyError | RespReply[];

export interface RespParserOptions {
  /** Called once per complete top-level reply, in order. */
  onReply: (reply: RespReply) => void;
  /** Bulk strings as Buffers instead of UTF-8 strings. Simple strings are always strings. */
  returnBuffers?: boolean;
  /** Largest bulk string (and line) accepted, in bytes. Default 512 MiB, the server's own limit. */
  maxBulkLength?: number;
  /** Most elements one array may declare. Default 2^31 - 1, the server's own limit. */
  maxArrayLength?: number;
  /** Deepest nesting of arrays; a top-level array is depth 1. Default 1024. */
  maxDepth?: number;
}

export const DEFAULT_MAX_BULK_LENGTH = 512 * 1024 * 1024;
export const DEFAULT_MAX_ARRAY_LENGTH = 2 ** 31 - 1;
export const DEFAULT_MAX_DEPTH = 1024;

// Type bytes of RESP2.
const SIMPLE_STRING = 43; // '+'
const ERROR = 45; // '-'
const INTEGER = 58; // ':'
const BULK_STRING = 36; // '$'
const ARRAY = 42; // '*'

const CR = 13;
const LF = 10;
const MINUS = 45;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Integers up to this many digits are exact when accumulated digit by digit in a double. */
const EXACT_DIGITS = 15;
/** A 64-bit integer has at most 19 digits; a longer number line is not RESP from a server. */
const MAX_NUMBER_DIGITS = 20;

/**
 * Short bulk strings are cut out of one decoded ASCII window instead of being decoded one by
 * one: a native decode costs ~80 ns whatever the length, a substring ~10 ns. The price is that a
 * string the caller keeps may keep alive the rest of its window (V8 slices strings of 13 chars
 * and more), so the window is small enough to bound that, and wide enough to amortise its
 * decode over dozens of values. (bench:resp, 64-byte bulks: ~2x faster with it.)
 */
const ASCII_WINDOW = 4096;
const WINDOWED_BULK = 512;

/** Where the parser stands between two chunks. */
const enum Resume {
  /** At the start of a value. */
  Value,
  /** Inside a line (`+`, `-`, `:`, `$` or `*` up to its CRLF); the bytes so far are kept. */
  Line,
  /** Inside a bulk payload; `bulkRemaining` bytes are still to come. */
  BulkPayload,
  /** After a bulk payload, expecting its CR. */
  BulkCr,
  /** After a bulk payload and its CR, expecting the LF. */
  BulkLf,
}

/** A step that opened an array: elements follow, no value yet. */
const OPENED_ARRAY: unique symbol = Symbol('opened array');

export class RespParser {
  private readonly onReply: (reply: RespReply) => void;
  private readonly returnBuffers: boolean;
  private readonly maxBulkLength: number;
  private readonly maxArrayLength: number;
  private readonly maxDepth: number;

  // The innermost open array and how many elements it still misses; the arrays around it wait
  // on a stack, innermost last. Keeping the innermost one in fields makes the common case of
  // one level of nesting cheap.
  private items: RespReply[] | undefined;
  private missing = 0;
  private readonly outerItems: RespReply[][] = [];
  private readonly outerMissing: number[] = [];

  // The decoded ASCII window: `window` holds bytes windowStart..windowEnd of windowChunk.
  private window = '';
  private windowChunk: Buffer | undefined;
  private windowStart = 0;
  private windowEnd = 0;
  private windowIsAscii = false;
  private decoder: StringDecoder | undefined;

  private resume: Resume = Resume.Value;
  /** Pieces of an unfinished line or bulk payload, joined once when it completes. */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  /** Stream offset where the unfinished line or payload began, for error messages. */
  private pieceStart = 0;
  private bulkRemaining = 0;
  private bulkLength = 0;

  /** Stream offset of the first byte of the chunk being parsed. */
  private chunkOffset = 0;
  private failure: ProtocolError | undefined;

  constructor(options: RespParserOptions) {
    if (typeof options?.onReply !== 'function') throw new InvalidArgumentError('option onReply must be a function');
    for (const name of ['maxBulkLength', 'maxArrayLength', 'maxDepth'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new InvalidArgumentError(`option ${name} must be an integer >= 1; got ${String(value)}`);
      }
    }
    this.onReply = options.onReply;
    this.returnBuffers = options.returnBuffers ?? false;
    this.maxBulkLength = options.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH;
    this.maxArrayLength = options.maxArrayLength ?? DEFAULT_MAX_ARRAY_LENGTH;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** The protocol error that stopped this parser, if one did. */
  get error(): ProtocolError | undefined {
    return this.failure;
  }

  /** Whether a reply has begun but not completed. */
  get hasPartialReply(): boolean {
    return this.resume !== Resume.Value || this.items !== undefined;
  }

  /**
   * Parses the next piece of the stream. The chunk must not be modified afterwards: replies
   * returned as Buffers may be views of it.
   * @throws ProtocolError when the bytes are not RESP2; every later call throws it again.
   */
  feed(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    // A caller may refill the same Buffer object; a window decoded from it is stale then.
    this.windowChunk = undefined;
    try {
      this.parseChunk(chunk);
      this.chunkOffset += chunk.length;
    } catch (error) {
      // After an exception from onReply the position in the stream is lost as surely as after
      // bad bytes: the parser refuses to go on either way.
      this.failure =
        error instanceof ProtocolError
          ? error
          : new ProtocolError('parser abandoned after onReply threw', this.chunkOffset, undefined, { cause: error });
      throw error;
    }
  }

  private parseChunk(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    if (this.resume !== Resume.Value) {
      pos = this.resumePartial(chunk);
      if (pos < 0) return;
    }
    while (pos < end) {
      const start = pos;
      const type = chunk[pos];
      let value: RespReply | typeof OPENED_ARRAY;
      switch (type) {
        case BULK_STRING: {
          const length = this.parseLength(chunk, pos, end, this.maxBulkLength, 'bulk string');
          if (length === undefined) return this.keepLine(chunk, start, end);
          pos = this.lineEnd;
          if (length === -1) {
            value = null;
          } else if (pos + length + 2 <= end) {
            value = this.returnBuffers
              ? chunk.subarray(pos, pos + length)
              : length <= WINDOWED_BULK
                ? this.decodeShort(chunk, pos, pos + length)
                : decodeText(chunk, pos, pos + length);
            pos += length;
            if (chunk[pos] !== CR) this.fail('expected CR after bulk string', pos, chunk[pos]);
            if (chunk[pos + 1] !== LF) this.fail('expected LF after bulk string', pos + 1, chunk[pos + 1]);
            pos += 2;
          } else {
            // The chunk ends inside the payload or its CRLF; keep what arrived and wait.
            this.beginBulk(length);
            this.continueBulk(chunk, pos);
            return;
          }
          break;
        }
        case ARRAY: {
          const length = this.parseLength(chunk, pos, end, this.maxArrayLength, 'array');
          if (length === undefined) return this.keepLine(chunk, start, end);
          pos = this.lineEnd;
          value = this.openArray(length, start);
          break;
        }
        case SIMPLE_STRING: {
          // The most common reply of all gets a constant instead of a decode.
          if (chunk[pos + 1] === 79 && chunk[pos + 2] === 75 && chunk[pos + 3] === CR && chunk[pos + 4] === LF) {
            value = 'OK';
            pos += 5;
            break;
          }
          const cr = this.scanText(chunk, pos + 1, end, 0, this.chunkOffset + pos);
          if (cr < 0) return this.keepLine(chunk, start, end);
          value = chunk.toString('utf8', pos + 1, cr);
          pos = cr + 2;
          break;
        }
        case INTEGER: {
          const integer = this.parseInteger(chunk, pos, end);
          if (integer === undefined) return this.keepLine(chunk, start, end);
          value = integer;
          pos = this.lineEnd;
          break;
        }
        case ERROR: {
          const cr = this.scanText(chunk, pos + 1, end, 0, this.chunkOffset + pos);
          if (cr < 0) return this.keepLine(chunk, start, end);
          value = replyErrorWithoutStack(chunk.toString('utf8', pos + 1, cr));
          pos = cr + 2;
          break;
        }
        default:
          return this.fail('unknown RESP type byte', pos, type);
      }
      // Most replies are not inside an array: they skip the array bookkeeping.
      if (value === OPENED_ARRAY) continue;
      if (this.items === undefined) this.onReply(value);
      else this.deliver(value);
    }
  }

  /** Position after the CRLF of the line last parsed by `parseLength` or `parseInteger`. */
  private lineEnd = 0;

  /**
   * Picks up an unfinished line or bulk payload from the previous chunks.
   * @returns where parsing of values goes on, or -1 when this chunk was used up.
   */
  private resumePartial(chunk: Buffer): number {
    if (this.resume !== Resume.Line) return this.continueBulk(chunk, 0);
    const type = (this.pieces[0] as Buffer)[0];
    return type === SIMPLE_STRING || type === ERROR ? this.resumeText(chunk, type) : this.resumeNumberLine(chunk);
  }

  /**
   * Continues a simple string or error line: only the new bytes are scanned, so a long line
   * arriving in small pieces costs linear time, and a bad byte fails as soon as it arrives.
   */
  private resumeText(chunk: Buffer, type: number): number {
    const end = chunk.length;
    const last = this.pieces[this.pieces.length - 1] as Buffer;
    const crKept = last[last.length - 1] === CR;
    let parts: Buffer[];
    let next: number;
    if (crKept) {
      if (end === 0) return -1;
      if (chunk[0] !== LF) throw new ProtocolError('CR inside a simple string', this.pieceStart + this.piecesLength - 1, CR);
      parts = this.pieces;
      next = 1;
    } else {
      const cr = this.scanText(chunk, 0, end, this.piecesLength - 1, this.pieceStart);
      if (cr < 0) {
        this.addPiece(chunk, 0, end);
        return -1;
      }
      parts = [...this.pieces, chunk.subarray(0, cr)];
      next = cr + 2;
    }
    const line = Buffer.concat(parts);
    const text = line.toString('utf8', 1, crKept ? line.length - 1 : line.length);
    this.clearPieces();
    this.resume = Resume.Value;
    this.deliver(type === ERROR ? replyErrorWithoutStack(text) : text);
    return next;
  }

  /**
   * Continues a `:`, `$` or `*` line. Such a line is a few bytes (its digits are capped), so
   * the kept bytes and the new ones up to the next LF are parsed again together; what the line
   * starts (a bulk payload, an array) then carries on into the rest of this chunk.
   */
  private resumeNumberLine(chunk: Buffer): number {
    const lf = chunk.indexOf(LF);
    const take = lf < 0 ? chunk.length : lf + 1;
    const line = Buffer.concat([...this.pieces, chunk.subarray(0, take)]);
    const lineOffset = this.pieceStart;
    this.clearPieces();
    this.resume = Resume.Value;
    const offset = this.chunkOffset;
    this.chunkOffset = lineOffset;
    try {
      this.parseChunk(line);
    } finally {
      this.chunkOffset = offset;
    }
    // parseChunk moved the state on; TypeScript cannot see that through the call.
    const after = this.resume as Resume;
    // Still a line: the chunk ended before it did (parseChunk kept it again).
    if (after === Resume.Line) return -1;
    if (after === Resume.Value) return take;
    return this.continueBulk(chunk, take);
  }

  private beginBulk(length: number): void {
    this.resume = Resume.BulkPayload;
    this.bulkLength = length;
    this.bulkRemaining = length;
    this.pieceStart = this.chunkOffset + this.lineEnd;
  }

  /**
   * Feeds bytes from `pos` to an unfinished bulk string and its CRLF.
   * @returns where parsing goes on after it, or -1 when the chunk ended first.
   */
  private continueBulk(chunk: Buffer, pos: number): number {
    const end = chunk.length;
    if (this.resume === Resume.BulkPayload) {
      const take = Math.min(this.bulkRemaining, end - pos);
      if (take > 0) this.addPiece(chunk, pos, pos + take);
      this.bulkRemaining -= take;
      pos += take;
      if (this.bulkRemaining > 0) return -1;
      this.resume = Resume.BulkCr;
    }
    if (this.resume === Resume.BulkCr) {
      if (pos >= end) return -1;
      if (chunk[pos] !== CR) this.fail('expected CR after bulk string', pos, chunk[pos]);
      pos++;
      this.resume = Resume.BulkLf;
    }
    if (pos >= end) return -1;
    if (chunk[pos] !== LF) this.fail('expected LF after bulk string', pos, chunk[pos]);
    pos++;
    const payload = this.returnBuffers ? this.joinPieces() : this.decodePieces();
    this.clearPieces();
    this.resume = Resume.Value;
    this.deliver(payload);
    return pos;
  }

  /** Keeps the start of a line that the chunk cut off; the next chunk completes it. */
  private keepLine(chunk: Buffer, start: number, end: number): void {
    this.resume = Resume.Line;
    this.pieceStart = this.chunkOffset + start;
    this.addPiece(chunk, start, end);
  }

  private addPiece(chunk: Buffer, start: number, end: number): void {
    this.piecesLength += end - start;
    this.pieces.push(chunk.subarray(start, end));
  }

  private joinPieces(): Buffer {
    return this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.piecesLength);
  }

  /**
   * Decodes a bulk string that arrived in pieces without copying them into one Buffer first
   * (twice as fast for a 16 KiB string cut in two); a multi-byte character cut between two
   * pieces is what the StringDecoder is for.
   */
  private decodePieces(): string {
    const pieces = this.pieces;
    if (pieces.length === 1) return decodeText(pieces[0], 0, pieces[0].length);
    let ascii = true;
    for (let i = 0; i < pieces.length && ascii; i++) ascii = isAscii(pieces[i]);
    let text = '';
    if (ascii) {
      for (let i = 0; i < pieces.length; i++) text += pieces[i].toString('latin1');
      return text;
    }
    this.decoder ??= new StringDecoder('utf8');
    for (let i = 0; i < pieces.length; i++) text += this.decoder.write(pieces[i]);
    return text + this.decoder.end();
  }

  private clearPieces(): void {
    this.pieces = [];
    this.piecesLength = 0;
  }

  /**
   * Scans the text of a simple string or error line from `from`, `contentBefore` bytes of which
   * arrived in earlier chunks. A line has no declared length, so its limit is checked byte by
   * byte: every split of the stream then fails at the same byte.
   * @returns the position of the CR that ends it, or -1 when the chunk ends first (a CR that is
   * the chunk's last byte is kept with the line; the next chunk must start with its LF).
   */
  private scanText(chunk: Buffer, from: number, end: number, contentBefore: number, lineOffset: number): number {
    const allowed = this.maxBulkLength - contentBefore;
    for (let p = from; p < end; p++) {
      const byte = chunk[p];
      if (byte === CR) {
        if (p + 1 >= end) return -1;
        if (chunk[p + 1] !== LF) this.fail('CR inside a simple string', p, CR);
        return p;
      }
      if (byte === LF) this.fail('LF inside a simple string', p, LF);
      if (p - from >= allowed) throw new ProtocolError(`line longer than the limit of ${this.maxBulkLength} bytes`, lineOffset);
    }
    return -1;
  }

  /**
   * Parses the length of a `$` or `*` line starting at its type byte. Only `-1` (null) and
   * non-negative decimal numbers up to `limit` are lengths.
   * @returns the length with `lineEnd` set after the CRLF, or `undefined` when the chunk ends first.
   */
  private parseLength(chunk: Buffer, pos: number, end: number, limit: number, what: string): number | undefined {
    let p = pos + 1;
    if (p < end && chunk[p] === MINUS) {
      if (p + 1 >= end) return undefined;
      if (chunk[p + 1] !== 49 /* '1' */) this.fail(`negative ${what} length`, p + 1, chunk[p + 1]);
      p += 2;
      // `-10`, `-123`: a negative length, not a null with a stray byte; say so, not "expected CR".
      if (p < end && chunk[p] >= DIGIT_0 && chunk[p] <= DIGIT_9) this.fail(`negative ${what} length`, p, chunk[p]);
      if (!this.atCrLf(chunk, p, end)) return undefined;
      this.lineEnd = p + 2;
      return -1;
    }
    const first = p;
    let n = 0;
    while (p < end) {
      const byte = chunk[p];
      if (byte < DIGIT_0 || byte > DIGIT_9) break;
      n = n * 10 + (byte - DIGIT_0);
      if (n > limit) this.fail(`${what} length over the limit of ${limit}`, pos);
      if (++p - first > MAX_NUMBER_DIGITS) this.fail(`${what} length longer than ${MAX_NUMBER_DIGITS} digits`, pos);
    }
    if (p === first && p < end) this.fail(`${what} length is not a number`, p, chunk[p]);
    if (!this.atCrLf(chunk, p, end)) return undefined;
    this.lineEnd = p + 2;
    return n;
  }

  /**
   * Parses an integer line starting at its type byte.
   * @returns the integer with `lineEnd` set after the CRLF, or `undefined` when the chunk ends first.
   */
  private parseInteger(chunk: Buffer, pos: number, end: number): number | undefined {
    let p = pos + 1;
    const negative = p < end && chunk[p] === MINUS;
    if (negative) p++;
    const first = p;
    let n = 0;
    while (p < end) {
      // One unsigned compare tells a digit from anything else.
      const digit = chunk[p] - DIGIT_0;
      if (digit >>> 0 > 9) break;
      n = n * 10 + digit;
      if (++p - first > MAX_NUMBER_DIGITS) this.fail(`integer longer than ${MAX_NUMBER_DIGITS} digits`, pos);
    }
    if (p >= end) return undefined;
    if (chunk[p] !== CR || p === first) this.fail(p === first ? 'integer is not a number' : 'expected CR', p, chunk[p]);
    if (p + 1 >= end) return undefined;
    if (chunk[p + 1] !== LF) this.fail('expected LF after CR', p + 1, chunk[p + 1]);
    this.lineEnd = p + 2;
    // Past 2^53 a double cannot hold every integer; Number() at least rounds to the nearest.
    if (p - first > EXACT_DIGITS) n = Number(chunk.toString('latin1', first, p));
    // `0 - n`, not `-n`: `:-0` is zero, not negative zero.
    return negative ? 0 - n : n;
  }

  /**
   * Whether a CRLF stands at `p`. Any other byte there is a protocol error.
   * @returns false when the chunk ends before both bytes were seen.
   */
  private atCrLf(chunk: Buffer, p: number, end: number): boolean {
    if (p >= end) return false;
    if (chunk[p] !== CR) this.fail('expected CR', p, chunk[p]);
    if (p + 1 >= end) return false;
    if (chunk[p + 1] !== LF) this.fail('expected LF after CR', p + 1, chunk[p + 1]);
    return true;
  }

  private openArray(length: number, start: number): RespReply | typeof OPENED_ARRAY {
    if (length === -1) return null;
    // An empty array counts: a caller that walks the reply meets its level all the same.
    const depth = this.items === undefined ? 1 : this.outerItems.length + 2;
    if (depth > this.maxDepth) this.fail(`arrays nested deeper than the limit of ${this.maxDepth}`, start);
    if (length === 0) return [];
    if (this.items !== undefined) {
      this.outerItems.push(this.items);
      this.outerMissing.push(this.missing);
    }
    // Elements are pushed as they arrive: a declared length allocates nothing up front.
    this.items = [];
    this.missing = length;
    return OPENED_ARRAY;
  }

  /** Hands a complete value to the innermost open array, closing arrays it completes. */
  private deliver(value: RespReply): void {
    let items = this.items;
    while (items !== undefined) {
      items.push(value);
      if (--this.missing > 0) return;
      value = items;
      items = this.outerItems.pop();
      this.items = items;
      if (items !== undefined) this.missing = this.outerMissing.pop() as number;
    }
    this.onReply(value);
  }

  /** Decodes a short bulk string, from the current ASCII window when the bytes are in one. */
  private decodeShort(chunk: Buffer, start: number, end: number): string {
    if (chunk !== this.windowChunk || start < this.windowStart || end > this.windowEnd) {
      const windowEnd = Math.min(chunk.length, start + ASCII_WINDOW);
      this.windowChunk = chunk;
      this.windowStart = start;
      this.windowEnd = windowEnd;
      // A window with any non-ASCII byte is not decoded: its values take the general path.
      this.windowIsAscii = isAscii(chunk.subarray(start, windowEnd));
      this.window = this.windowIsAscii ? chunk.toString('latin1', start, windowEnd) : '';
    }
    if (!this.windowIsAscii) return chunk.toString('utf8', start, end);
    return this.window.substring(start - this.windowStart, end - this.windowStart);
  }

  /** Raises a ProtocolError at a position of the chunk being parsed. */
  private fail(message: string, position: number, byte?: number): never {
    throw new ProtocolError(message, this.chunkOffset + position, byte);
  }
}

/** UTF-8 text; ASCII, by far the most common content, decodes faster as latin1 (same bytes). */
function decodeText(chunk: Buffer, start: number, end: number): string {
  return isAscii(chunk.subarray(start, end)) ? chunk.toString('latin1', start, end) : chunk.toString('utf8', start, end);
}

