import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { atMostOne, finite, int, integer, list, nonEmpty, oneOf, pushCounted, pushEntries } from './arguments.js';

describe('argument checks', () => {
  it('atMostOne names both options, and treats undefined, null and false as not given', () => {
    expect(() => atMostOne('SET', { nx: true, xx: true }, ['nx', 'xx'])).toThrow(
      new InvalidArgumentError('SET: options nx and xx cannot be used together'),
    );
    expect(() => atMostOne('SET', { nx: true, xx: false, ex: undefined, px: null }, ['nx', 'xx', 'ex', 'px'])).not.toThrow();
    expect(() => atMostOne('SET', { ex: 0, px: 1 }, ['ex', 'px'])).toThrow(/ex and px/);
  });

  it('integer accepts integers and bigints at or above the minimum, and names the option otherwise', () => {
    expect(int('X', 'count', 3, 1)).toBe(3);
    expect(integer('X', 'n', 10n ** 20n)).toBe(10n ** 20n);
    expect(() => int('LPOP', 'count', 1.5)).toThrow(new InvalidArgumentError('LPOP: count must be an integer; got 1.5'));
    expect(() => int('X', 'count', 0, 1)).toThrow('X: count must be an integer >= 1; got 0');
    expect(() => int('X', 'count', NaN)).toThrow(/got NaN/);
    expect(() => int('X', 'count', '3' as unknown as number)).toThrow(/got "3"/);
    expect(() => integer('X', 'n', -1n, 0)).toThrow(/got -1n/);
  });

  it('finite accepts decimals but not infinities or values below the minimum', () => {
    expect(finite('BLPOP', 'timeout', 0.5, 0)).toBe(0.5);
    expect(() => finite('BLPOP', 'timeout', Infinity, 0)).toThrow(InvalidArgumentError);
    expect(() => finite('BLPOP', 'timeout', -1, 0)).toThrow('BLPOP: timeout must be a finite number >= 0; got -1');
  });

  it('nonEmpty, list and oneOf reject what the server would misread or refuse', () => {
    expect(() => nonEmpty('DEL', 'key', [])).toThrow('DEL: needs at least one key');
    expect(() => nonEmpty('DEL', 'key', 'k' as unknown as string[])).toThrow(InvalidArgumentError);
    expect(() => list('EVAL', 'keys', 'key' as unknown as string[])).toThrow('EVAL: keys must be an array; got "key"');
    expect(() => oneOf('LMOVE', 'from', 'UP' as 'LEFT', ['LEFT', 'RIGHT'])).toThrow('LMOVE: from must be one of LEFT, RIGHT; got "UP"');
  });

  it('pushCounted writes the count before the list', () => {
    const args: CommandArgument[] = ['ZUNION'];
    pushCounted('ZUNION', args, 'key', ['a', 'b']);
    expect(args).toEqual(['ZUNION', 2, 'a', 'b']);
  });

  it('pushEntries takes an object, a Map or pairs, in their order, and refuses none at all', () => {
    const fromObject: CommandArgument[] = [];
    pushEntries('HSET', fromObject, { a: 1, b: 'x' });
    expect(fromObject).toEqual(['a', 1, 'b', 'x']);
    const fromMap: CommandArgument[] = [];
    pushEntries('HSET', fromMap, new Map<CommandArgument, CommandArgument>([[Buffer.from('k'), 2], [3, 'v']]));
    expect(fromMap).toEqual([Buffer.from('k'), 2, 3, 'v']);
    const fromPairs: CommandArgument[] = [];
    pushEntries('XADD', fromPairs, [['z', 1], ['a', 2]]);
    expect(fromPairs).toEqual(['z', 1, 'a', 2]);
    expect(() => pushEntries('HSET', [], {})).toThrow('HSET: needs at least one name/value pair');
    expect(() => pushEntries('HSET', [], [['a']] as unknown as [string, string][])).toThrow(/two elements/);
    expect(() => pushEntries('HSET', [], 'a' as unknown as Record<string, string>)).toThrow(InvalidArgumentError);
  });
});
