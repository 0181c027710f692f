import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument } from '@hashslot/resp';
import { int, nonEmpty, oneOf } from './arguments.js';
import type { Definitions } from './definition.js';
import type { Flag, RedisKey } from './types.js';

/** https://redis.io/docs/latest/commands/?group=bitmap */

/** The unit of a BITCOUNT/BITPOS range (BIT needs Redis 7.0). */
export type BitUnit = 'BYTE' | 'BIT';

/** A BITCOUNT range: inclusive, negative counts from the end. */
export interface BitCountRange {
  start: number;
  end: number;
  unit?: BitUnit;
}

/** A BITPOS range: `unit` needs `end`. */
export interface BitPosRange {
  start: number;
  end?: number;
  unit?: BitUnit;
}

/** A BITFIELD type: `i` (signed, 1 to 64 bits) or `u` (unsigned, 1 to 63 bits) and a width, such as `'u8'`. */
export type BitfieldEncoding = `${'i' | 'u'}${number}`;

/** A BITFIELD offset in bits, or `'#n'` for the nth field of the encoding's width. */
export type BitfieldOffset = number | `#${number}`;

/** What to do when INCRBY or SET overflows (applies to the operations after it). */
export type BitfieldOverflow = 'WRAP' | 'SAT' | 'FAIL';

/** One BITFIELD operation; each but OVERFLOW adds one element to the reply. */
export type BitfieldOperation =
  | { type: 'GET'; encoding: BitfieldEncoding; offset: BitfieldOffset }
  | { type: 'SET'; encoding: BitfieldEncoding; offset: BitfieldOffset; value: number | bigint }
  | { type: 'INCRBY'; encoding: BitfieldEncoding; offset: BitfieldOffset; increment: number | bigint }
  | { type: 'OVERFLOW'; behavior: BitfieldOverflow };

/** One BITFIELD_RO read. */
export interface BitfieldRead {
  encoding: BitfieldEncoding;
  offset: BitfieldOffset;
}

export interface BitmapCommands {
  /** SETBIT: the bit's previous value. */
  setbit(key: RedisKey, offset: number, value: Flag): Flag;
  /** GETBIT. */
  getbit(key: RedisKey, offset: number): Flag;
  /** BITCOUNT: how many bits are set, in `range` or in the whole string. */
  bitcount(key: RedisKey, range?: BitCountRange): number;
  /** BITPOS: the first bit equal to `bit`, or -1. */
  bitpos(key: RedisKey, bit: Flag, range?: BitPosRange): number;
  /** BITOP: the size of the destination string. NOT takes exactly one source. */
  bitop(operation: 'AND' | 'OR' | 'XOR' | 'NOT', destination: RedisKey, ...sources: RedisKey[]): number;
  /** BITFIELD: one result per operation other than OVERFLOW; null where OVERFLOW FAIL stopped one. */
  bitfield(key: RedisKey, operations: readonly BitfieldOperation[]): (number | null)[];
  /** BITFIELD_RO: one value per read. */
  bitfieldRo(key: RedisKey, reads: readonly BitfieldRead[]): number[];
}

const ENCODING = /^(i([1-9]|[1-5][0-9]|6[0-4])|u([1-9]|[1-5][0-9]|6[0-3]))$/;

function encoding(command: string, value: BitfieldEncoding): BitfieldEncoding {
  if (typeof value !== 'string' || !ENCODING.test(value)) {
    throw new InvalidArgumentError(`${command}: encoding must be i1..i64 or u1..u63; got ${String(value)}`);
  }
  return value;
}

function flag(command: string, name: string, value: Flag): Flag {
  if (value !== 0 && value !== 1) throw new InvalidArgumentError(`${command}: ${name} must be 0 or 1; got ${String(value)}`);
  return value;
}

function pushUnit(command: string, args: CommandArgument[], unit: BitUnit | undefined): void {
  if (unit !== undefined) args.push(oneOf(command, 'unit', unit, ['BYTE', 'BIT']));
}

export const bitmapDefinitions = {
  setbit: { build: (key, offset, value) => ['SETBIT', key, int('SETBIT', 'offset', offset, 0), flag('SETBIT', 'value', value)] },
  getbit: { build: (key, offset) => ['GETBIT', key, int('GETBIT', 'offset', offset, 0)] },
  bitcount: {
    build: (key, range) => {
      const args: CommandArgument[] = ['BITCOUNT', key];
      if (range === undefined) return args;
      args.push(int('BITCOUNT', 'start', range.start), int('BITCOUNT', 'end', range.end));
      pushUnit('BITCOUNT', args, range.unit);
      return args;
    },
  },
  bitpos: {
    build: (key, bit, range) => {
      const args: CommandArgument[] = ['BITPOS', key, flag('BITPOS', 'bit', bit)];
      if (range === undefined) return args;
      args.push(int('BITPOS', 'start', range.start));
      if (range.end !== undefined) args.push(int('BITPOS', 'end', range.end));
      else if (range.unit !== undefined) throw new InvalidArgumentError('BITPOS: unit needs end');
      pushUnit('BITPOS', args, range.unit);
      return args;
    },
  },
  bitop: {
    build: (operation, destination, ...sources) => {
      oneOf('BITOP', 'operation', operation, ['AND', 'OR', 'XOR', 'NOT']);
      nonEmpty('BITOP', 'source key', sources);
      if (operation === 'NOT' && sources.length !== 1) {
        throw new InvalidArgumentError(`BITOP: NOT takes exactly one source key; got ${sources.length}`);
      }
      return ['BITOP', operation, destination, ...sources];
    },
  },
  bitfield: {
    build: (key, operations) => {
      const args: CommandArgument[] = ['BITFIELD', key];
      for (const op of nonEmpty('BITFIELD', 'operation', operations)) {
        switch (op.type) {
          case 'GET':
            args.push('GET', encoding('BITFIELD', op.encoding), op.offset);
            break;
          case 'SET':
            args.push('SET', encoding('BITFIELD', op.encoding), op.offset, op.value);
            break;
          case 'INCRBY':
            args.push('INCRBY', encoding('BITFIELD', op.encoding), op.offset, op.increment);
            break;
          case 'OVERFLOW':
            args.push('OVERFLOW', oneOf('BITFIELD', 'behavior', op.behavior, ['WRAP', 'SAT', 'FAIL']));
            break;
          default:
            throw new InvalidArgumentError(`BITFIELD: unknown operation type ${String((op as { type: unknown }).type)}`);
        }
      }
      return args;
    },
  },
  bitfieldRo: {
    build: (key, reads) => {
      const args: CommandArgument[] = ['BITFIELD_RO', key];
      for (const read of nonEmpty('BITFIELD_RO', 'read', reads)) args.push('GET', encoding('BITFIELD_RO', read.encoding), read.offset);
      return args;
    },
  },
} satisfies Definitions<BitmapCommands>;
