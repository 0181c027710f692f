import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PASS_THROUGH_BYTES, encodeCommand, encodeCommands, type CommandArgs, type CommandArgument } from './encoder.js';
import { InvalidArgumentError } from './errors.js';
import { bytes, readRequests } from './testing/resp-test-kit.js';

/** The bytes an argument must travel as. */
function argBytes(arg: CommandArgument): Buffer {
  if (Buffer.isBuffer(arg)) return arg;
  if (arg === Infinity) return bytes('+inf');
  if (arg === -Infinity) return bytes('-inf');
  return bytes(String(arg));
}

/** Runs the encoder on arguments of the wrong type, as JavaScript callers can. */
function encodeUnchecked(args: unknown[]): Buffer {
  return encodeCommand(args as CommandArgs);
}

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('encodeCommand', () => {
  it('writes the exact bytes of simple commands', () => {
    expect(encodeCommand(['PING']).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect(encodeCommand(['SET', 'key', 'value']).toString()).toBe('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
    expect(encodeCommand(['GET', '']).toString()).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
  });

  it('writes multi-digit array and bulk lengths', () => {
    const args = ['MSET', ...Array.from({ length: 11 }, (_, i) => 'v'.repeat(i * 10))];
    let expected = '*12\r\n$4\r\nMSET\r\n';
    for (let i = 0; i < 11; i++) expected += `$${i * 10}\r\n${'v'.repeat(i * 10)}\r\n`;
    expect(encodeCommand(args).toString()).toBe(expected);
    expect(encodeCommand(['SET', 'k', 'x'.repeat(12345)]).toString()).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$12345\r\n${'x'.repeat(12345)}\r\n`);
  });

  it('declares UTF-8 byte lengths, not character counts', () => {
    expect(encodeCommand(['SET', 'é', '😀']).toString()).toBe('*3\r\n$3\r\nSET\r\n$2\r\né\r\n$4\r\n😀\r\n');
    const long = 'Zürich ✓ 日本語 😀'.repeat(5); // past the short-string ASCII loop
    expect(encodeCommand(['ECHO', long])).toEqual(bytes(`*2\r\n$4\r\nECHO\r\n$${Buffer.byteLength(long)}\r\n${long}\r\n`));
  });

  it('writes ASCII strings on both sides of the 24-byte short-string threshold', () => {
    for (const length of [0, 1, 23, 24, 25, 100]) {
      const text = 'abcdefghij'.repeat(10).slice(0, length);
      expect(encodeCommand(['ECHO', text]).toString(), `length ${length}`).toBe(`*2\r\n$4\r\nECHO\r\n$${length}\r\n${text}\r\n`);
    }
  });

  it('writes a lone surrogate as U+FFFD and declares its 3 bytes', () => {
    expect(encodeCommand(['ECHO', 'a\ud800'])).toEqual(bytes('*2\r\n$4\r\nECHO\r\n$4\r\na\ufffd\r\n'));
  });

  it('writes numbers as their decimal text: zero, negative, floats, large and -0', () => {
    expect(encodeCommand(['ZADD', 0, -1, 3.14, -2.5, 2 ** 53, 1e21, -0]).toString()).toBe(
      '*8\r\n$4\r\nZADD\r\n$1\r\n0\r\n$2\r\n-1\r\n$4\r\n3.14\r\n$4\r\n-2.5\r\n$16\r\n9007199254740992\r\n$5\r\n1e+21\r\n$1\r\n0\r\n',
    );
  });

  it('writes bigints as their decimal text', () => {
    expect(encodeCommand(['INCRBY', 'k', 2n ** 64n, -5n, 0n]).toString()).toBe(
      '*5\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$20\r\n18446744073709551616\r\n$2\r\n-5\r\n$1\r\n0\r\n',
    );
  });

  it('writes Infinity as +inf and -Infinity as -inf', () => {
    expect(encodeCommand(['ZCOUNT', 'z', -Infinity, Infinity]).toString()).toBe(
      '*4\r\n$6\r\nZCOUNT\r\n$1\r\nz\r\n$4\r\n-inf\r\n$4\r\n+inf\r\n',
    );
  });

  it('copies a Buffer holding every byte 0..255 unchanged', () => {
    const encoded = encodeCommand(['SET', everyByte, Buffer.alloc(0)]);
    expect(encoded).toEqual(Buffer.concat([bytes('*3\r\n$3\r\nSET\r\n$256\r\n'), everyByte, bytes('\r\n$0\r\n\r\n')]));
  });

  it('rejects an empty argument list with InvalidArgumentError', () => {
    expect(() => encodeCommand([])).toThrow(InvalidArgumentError);
  });

  it.each([
    { seen: 'NaN', args: ['SET', 'k', NaN], index: 2 },
    { seen: 'undefined', args: ['SET', undefined, 'v'], index: 1 },
    { seen: 'null', args: ['SET', 'k', null], index: 2 },
    { seen: 'object', args: ['SET', 'k', { value: 1 }], index: 2 },
    { seen: 'boolean', args: ['SET', 'k', 'v', true], index: 3 },
    { seen: 'undefined', args: [undefined, 'k'], index: 0 },
  ])('rejects $seen as argument $index with an InvalidArgumentError naming that index', ({ seen, args, index }) => {
    const error = thrownBy(() => encodeUnchecked([...args]));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain(`argument ${index} `);
    expect((error as Error).message).toContain(` ${seen};`);
  });

  it('names the command but never puts an argument into the error message', () => {
    const error = thrownBy(() => encodeUnchecked(['AUTH', 'hunter2-secret', NaN])) as Error;
    expect(error.message).toContain('AUTH');
    expect(error.message).not.toContain('hunter2-secret');
  });
});

describe('encodeCommands', () => {
  const commands: CommandArgs[] = [['SET', 'k', 'v'], ['GET', 'é'], ['INCRBY', 'n', 5n], ['ZADD', 'z', -Infinity, everyByte]];

  it('equals the concatenation of encodeCommand of each command, in one Buffer', () => {
    const chunks = encodeCommands(commands);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual(Buffer.concat(commands.map((command) => encodeCommand(command))));
  });

  it('returns a single Buffer by default even for Buffers larger than PASS_THROUGH_BYTES', () => {
    const big = Buffer.alloc(PASS_THROUGH_BYTES * 2, 7);
    const chunks = encodeCommands([['SET', 'k', big]]);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].equals(encodeCommand(['SET', 'k', big]))).toBe(true);
  });

  it('passes Buffers of passThroughBytes or more through as the same objects, and the chunks join to the single-buffer bytes', () => {
    const atLimit = Buffer.alloc(100, 1);
    const below = Buffer.alloc(99, 2);
    const adjacent = Buffer.alloc(150, 3);
    const batch: CommandArgs[] = [
      ['SET', 'a', atLimit],
      ['SET', 'b', below],
      ['MSET', 'c', adjacent, 'd', atLimit],
      ['GET', 'a'],
    ];
    const chunks = encodeCommands(batch, 100);
    expect(Buffer.concat(chunks)).toEqual(encodeCommands(batch)[0]);
    const passed = chunks.filter((chunk) => chunk === atLimit || chunk === adjacent);
    expect(passed).toHaveLength(3);
    expect(passed[0]).toBe(atLimit);
    expect(passed[1]).toBe(adjacent);
    expect(passed[2]).toBe(atLimit);
    expect(chunks.some((chunk) => chunk === below)).toBe(false);
    expect(chunks).toHaveLength(7); // header, atLimit, ..., adjacent, ..., atLimit, rest
  });

  it('passes through a Buffer that is the last argument of the last command', () => {
    const big = Buffer.alloc(10, 9);
    const chunks = encodeCommands([['SET', 'k', big]], 10);
    expect(chunks.map((chunk) => chunk.toString('latin1'))).toEqual(['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n', big.toString('latin1'), '\r\n']);
    expect(chunks[1]).toBe(big);
  });

  it('rejects an empty command inside a batch', () => {
    expect(() => encodeCommands([['PING'], []])).toThrow(InvalidArgumentError);
  });

  it('rejects an invalid argument in a later command, naming its position and its command', () => {
    const error = thrownBy(() => encodeCommands([['PING'], ['SET', 'k', NaN as unknown as string]])) as Error;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain('argument 2 of SET');
  });
});

describe('encoder round trip', () => {
  const argument: fc.Arbitrary<CommandArgument> = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.bigInt(),
  );
  const command = fc.array(argument, { minLength: 1, maxLength: 8 });

  it('property: a test-side request reader reads back the UTF-8 bytes of every argument', () => {
    fc.assert(
      fc.property(command, (args) => {
        expect(readRequests(encodeCommand(args))).toEqual([args.map(argBytes)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: pass-through chunks join to the single-buffer encoding and keep large Buffers uncopied', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 300 }), (commands, limit) => {
        const chunks = encodeCommands(commands, limit);
        const joined = Buffer.concat(chunks);
        expect(joined).toEqual(encodeCommands(commands)[0]);
        expect(readRequests(joined)).toEqual(commands.map((args) => args.map(argBytes)));
        const large = commands.flat().filter((arg): arg is Buffer => Buffer.isBuffer(arg) && arg.length >= limit);
        const passed = chunks.filter((chunk) => large.includes(chunk));
        expect(passed).toHaveLength(large.length);
        passed.forEach((chunk, i) => expect(chunk).toBe(large[i]));
      }),
      { numRuns: 500 },
    );
  });
});
