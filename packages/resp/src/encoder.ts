import { InvalidArgumentError } from './errors.js';

/**
 * Request encoding: every command is a RESP2 array of bulk strings.
 * https://redis.io/docs/latest/develop/reference/protocol-spec/#sending-commands-to-a-redis-server
 */

/** One argument of a command. Numbers and bigints are sent as their decimal text. */
export type CommandArgument = string | Buffer | number | bigint;

/** A command: its name (and subcommand) followed by its arguments. */
export type CommandArgs = readonly CommandArgument[];

const CR = 13;
const LF = 10;
const ASTERISK = 42;
const DOLLAR = 36;

/** Below this, a JS loop writes an ASCII string faster than a call into native code. */
const SHORT_STRING = 24;

/** Buffers at least this big are written as their own chunk instead of being copied. */
export const PASS_THROUGH_BYTES = 64 * 1024;

/**
 * Encodes one command into one newly allocated Buffer.
 * @throws InvalidArgumentError when an argument is not a string, Buffer, finite number or bigint.
 */
export function encodeCommand(args: CommandArgs): Buffer {
  const chunks = encodeCommands([args], Infinity);
  return chunks[0] as Buffer;
}

/**
 * Encodes several commands back to back. Everything is written into one allocation, except
 * Buffer arguments of `passThroughBytes` or more, which are returned as chunks of their own so
 * that a large value reaches the socket without being copied. With the default `Infinity` the
 * result is always a single Buffer.
 * @throws InvalidArgumentError naming the command and argument position that cannot be encoded.
 */
export function encodeCommands(commands: readonly CommandArgs[], passThroughBytes = Infinity): Buffer[] {
  // Pass 1: sizes. Byte lengths of strings are kept so that pass 2 does not measure them again.
  let argCount = 0;
  for (let c = 0; c < commands.length; c++) argCount += commands[c].length;
  const byteLengths = new Array<number>(argCount);
  let total = 0;
  let i = 0;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c];
    // A string would otherwise be encoded one character per argument.
    if (!Array.isArray(args)) throw new InvalidArgumentError(`a command is an array of arguments; got ${typeof args}`);
    if (args.length === 0) throw new InvalidArgumentError('a command needs at least its name; got an empty argument list');
    total += 3 + decimalDigits(args.length);
    for (let a = 0; a < args.length; a++, i++) {
      const arg = args[a];
      let length: number;
      if (typeof arg === 'string') {
        length = Buffer.byteLength(arg, 'utf8');
      } else if (Buffer.isBuffer(arg)) {
        length = arg.length;
        if (length >= passThroughBytes) {
          total += 5 + decimalDigits(length);
          byteLengths[i] = length;
          continue;
        }
      } else if (typeof arg === 'number') {
        length = numberText(arg, args, a).length;
      } else if (typeof arg === 'bigint') {
        length = arg.toString().length;
      } else {
        throw invalidArgument(args, a);
      }
      byteLengths[i] = length;
      total += 5 + decimalDigits(length) + length;
    }
  }

  // Pass 2: bytes.
  const out = Buffer.allocUnsafe(total);
  const chunks: Buffer[] = [];
  let chunkStart = 0;
  let pos = 0;
  i = 0;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c];
    out[pos++] = ASTERISK;
    pos = writeDecimal(out, pos, args.length);
    out[pos++] = CR;
    out[pos++] = LF;
    for (let a = 0; a < args.length; a++, i++) {
      const arg = args[a];
      const length = byteLengths[i];
      out[pos++] = DOLLAR;
      pos = writeDecimal(out, pos, length);
      out[pos++] = CR;
      out[pos++] = LF;
      if (typeof arg === 'string') {
        pos = writeString(out, pos, arg, length);
      } else if (Buffer.isBuffer(arg)) {
        if (length >= passThroughBytes) {
          chunks.push(out.subarray(chunkStart, pos), arg);
          chunkStart = pos;
        } else {
          arg.copy(out, pos);
          pos += length;
        }
      } else {
        const text = typeof arg === 'number' ? numberText(arg, args, a) : String(arg);
        pos = writeString(out, pos, text, length);
      }
      out[pos++] = CR;
      out[pos++] = LF;
    }
  }
  if (chunkStart === 0) {
    chunks.push(out);
  } else if (chunkStart < pos) {
    chunks.push(out.subarray(chunkStart, pos));
  }
  return chunks;
}

/**
 * Throws the InvalidArgumentError that encoding `args` would throw, without encoding them: for a
 * caller that turns one command into several, which must refuse it before sending any of them.
 */
export function checkArguments(args: CommandArgs): void {
  if (!Array.isArray(args)) throw new InvalidArgumentError(`a command is an array of arguments; got ${typeof args}`);
  if (args.length === 0) throw new InvalidArgumentError('a command needs at least its name; got an empty argument list');
  for (let a = 0; a < args.length; a++) {
    const arg = args[a];
    if (typeof arg === 'string' || typeof arg === 'bigint' || Buffer.isBuffer(arg)) continue;
    if (typeof arg === 'number') numberText(arg, args, a);
    else throw invalidArgument(args, a);
  }
}

/** The command's name for messages: its first argument, upper case, never its arguments. */
export function commandName(args: CommandArgs): string {
  const first = args[0];
  if (typeof first === 'string') return first.toUpperCase();
  if (Buffer.isBuffer(first)) return first.toString('latin1', 0, Math.min(first.length, 64)).toUpperCase();
  return String(first);
}

function writeString(out: Buffer, pos: number, text: string, byteLength: number): number {
  // Same byte and char counts mean every char is ASCII.
  if (byteLength === text.length && byteLength < SHORT_STRING) {
    for (let k = 0; k < byteLength; k++) out[pos + k] = text.charCodeAt(k);
    return pos + byteLength;
  }
  return pos + out.write(text, pos, byteLength, 'utf8');
}

function numberText(value: number, args: CommandArgs, index: number): string {
  if (Number.isFinite(value)) return String(value);
  // Redis spells infinite scores and bounds `+inf` / `-inf`; JavaScript's `Infinity` means the same.
  if (value === Infinity) return '+inf';
  if (value === -Infinity) return '-inf';
  throw invalidArgument(args, index);
}

function invalidArgument(args: CommandArgs, index: number): InvalidArgumentError {
  const arg: unknown = args[index];
  const seen = typeof arg === 'number' ? 'NaN' : arg === null ? 'null' : typeof arg;
  const name = index === 0 ? 'a command' : commandName(args);
  return new InvalidArgumentError(
    `argument ${index} of ${name} is ${seen}; arguments must be strings, Buffers, finite numbers or bigints`,
  );
}

function decimalDigits(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

function writeDecimal(out: Buffer, pos: number, n: number): number {
  if (n < 10) {
    out[pos] = 48 + n;
    return pos + 1;
  }
  const end = pos + decimalDigits(n);
  let k = end;
  while (n >= 10) {
    const q = Math.floor(n / 10);
    out[--k] = 48 + (n - q * 10);
    n = q;
  }
  out[--k] = 48 + n;
  return end;
}
