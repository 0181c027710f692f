import { describe, expect, it } from 'vitest';
import { blockingDeadline, blockTime, withBlockTime } from './blocking.js';

// The arguments are the whole command, its name first, as the client routes it.
describe('blockTime', () => {
  it('reads the last argument of BLPOP, BRPOP, BZPOPMIN and BZPOPMAX as seconds', () => {
    expect(blockTime('BLPOP', ['BLPOP', 'k1', 'k2', '1.5'])).toBe(1500);
    expect(blockTime('BLPOP', ['BLPOP', 'k', '0'])).toBe(0);
    expect(blockTime('BRPOP', ['BRPOP', 'k', 2])).toBe(2000);
    expect(blockTime('BZPOPMIN', ['BZPOPMIN', 'z', '0.25'])).toBe(250);
    expect(blockTime('BZPOPMAX', ['BZPOPMAX', 'z', Buffer.from('3')])).toBe(3000);
  });

  it('rounds a fraction of a millisecond up, so the deadline is never shorter than the block', () => {
    expect(blockTime('BLPOP', ['BLPOP', 'k', '0.0001'])).toBe(1);
  });

  it('reads the last argument of BRPOPLPUSH and BLMOVE as seconds', () => {
    expect(blockTime('BRPOPLPUSH', ['BRPOPLPUSH', 'src', 'dst', '5'])).toBe(5000);
    expect(blockTime('BLMOVE', ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0.5'])).toBe(500);
  });

  it('reads the argument after the name of BLMPOP and BZMPOP as seconds, not the last one', () => {
    expect(blockTime('BLMPOP', ['BLMPOP', '2', '2', 'k1', 'k2', 'LEFT', 'COUNT', '10'])).toBe(2000);
    expect(blockTime('BZMPOP', ['BZMPOP', '0.1', '1', 'z', 'MIN'])).toBe(100);
    expect(blockTime('BLMPOP', ['BLMPOP', '0', '1', 'k', 'RIGHT'])).toBe(0);
  });

  it('reads XREAD BLOCK when it comes before STREAMS, in any case', () => {
    expect(blockTime('XREAD', ['XREAD', 'BLOCK', '5000', 'STREAMS', 's', '$'])).toBe(5000);
    expect(blockTime('XREAD', ['XREAD', 'COUNT', '10', 'block', '0', 'STREAMS', 's', '$'])).toBe(0);
    expect(blockTime('XREADGROUP', ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'BLOCK', '100', 'STREAMS', 's', '>'])).toBe(100);
  });

  it('gives undefined for XREAD without BLOCK (it answers at once)', () => {
    expect(blockTime('XREAD', ['XREAD', 'STREAMS', 's', '0'])).toBeUndefined();
    expect(blockTime('XREAD', ['XREAD', 'COUNT', '5', 'STREAMS', 's', '0'])).toBeUndefined();
    expect(blockTime('XREADGROUP', ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'])).toBeUndefined();
  });

  it('does not take a stream named BLOCK after STREAMS for the BLOCK option', () => {
    expect(blockTime('XREAD', ['XREAD', 'STREAMS', 'BLOCK', '0'])).toBeUndefined();
    expect(blockTime('XREAD', ['XREAD', 'STREAMS', 'a', 'BLOCK', '0', '0'])).toBeUndefined();
    expect(blockTime('XREAD', ['XREAD', 'COUNT', '1', 'STREAMS', 'block', '100'])).toBeUndefined();
  });

  // Regression: the XREADGROUP scan started right after the name, so the group and consumer
  // names were read as options: a group named "block" made the command block "for ever".
  it('does not take an XREADGROUP group named block for the BLOCK option', () => {
    expect(blockTime('XREADGROUP', ['XREADGROUP', 'GROUP', 'block', 'c1', 'STREAMS', 's', '>'])).toBeUndefined();
  });

  // Same regression: a consumer named "streams" ended the scan before the real BLOCK.
  it('does not stop at an XREADGROUP consumer named streams before the real BLOCK', () => {
    expect(blockTime('XREADGROUP', ['XREADGROUP', 'GROUP', 'g', 'streams', 'BLOCK', '60000', 'STREAMS', 's', '>'])).toBe(60000);
  });

  it('waits as if unbounded (0) on a malformed or negative timeout, leaving the refusal to the server', () => {
    expect(blockTime('BLPOP', ['BLPOP', 'k', 'soon'])).toBe(0);
    expect(blockTime('BLPOP', ['BLPOP', 'k', '-1'])).toBe(0);
    expect(blockTime('BLPOP', ['BLPOP', 'k', 'Infinity'])).toBe(0);
    expect(blockTime('BLMPOP', ['BLMPOP'])).toBe(0);
    expect(blockTime('XREAD', ['XREAD', 'BLOCK', 'x', 'STREAMS', 's', '$'])).toBe(0);
  });

  it('gives undefined for a command whose timeout it does not know', () => {
    expect(blockTime('GET', ['GET', 'k'])).toBeUndefined();
    expect(blockTime('SUBSCRIBE', ['SUBSCRIBE', 'ch'])).toBeUndefined();
  });
});

describe('blockingDeadline', () => {
  it('is commandTimeout when the command does not block this time', () => {
    expect(blockingDeadline(undefined, 10_000)).toBe(10_000);
    expect(blockingDeadline(undefined, 0)).toBe(0);
  });

  it('is 0 (none) when the command blocks for ever', () => {
    expect(blockingDeadline(0, 10_000)).toBe(0);
  });

  it('is 0 (none) when commandTimeout is 0', () => {
    expect(blockingDeadline(5000, 0)).toBe(0);
  });

  it('is the block time plus commandTimeout', () => {
    expect(blockingDeadline(1500, 10_000)).toBe(11_500);
    expect(blockingDeadline(1, 1)).toBe(2);
  });

  it('is capped at the largest timer Node accepts, 2^31-1', () => {
    expect(blockingDeadline(2 ** 31 - 1, 10_000)).toBe(2 ** 31 - 1);
    expect(blockingDeadline(3_600_000 * 1000, 1)).toBe(2 ** 31 - 1);
    expect(blockingDeadline(2 ** 31 - 2, 1)).toBe(2 ** 31 - 1);
  });
});

describe('withBlockTime', () => {
  it('replaces the argument blockTime reads, in seconds or (XREAD) milliseconds', () => {
    expect(withBlockTime('BRPOP', ['BRPOP', 'k1', 'k2', '10'], 1234)).toEqual(['BRPOP', 'k1', 'k2', '1.234']);
    expect(withBlockTime('BLMOVE', ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '5'], 500)).toEqual(['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0.500']);
    expect(withBlockTime('BLMPOP', ['BLMPOP', '2', '1', 'k', 'LEFT', 'COUNT', '3'], 1500)).toEqual(['BLMPOP', '1.500', '1', 'k', 'LEFT', 'COUNT', '3']);
    expect(withBlockTime('XREAD', ['XREAD', 'block', '5000', 'STREAMS', 's', '$'], 700)).toEqual(['XREAD', 'block', '700', 'STREAMS', 's', '$']);
    expect(withBlockTime('XREADGROUP', ['XREADGROUP', 'GROUP', 'block', 'c', 'BLOCK', '100', 'STREAMS', 's', '>'], 40)).toEqual(['XREADGROUP', 'GROUP', 'block', 'c', 'BLOCK', '40', 'STREAMS', 's', '>']);
    for (const [name, args] of [['BRPOP', ['BRPOP', 'k', '10']], ['XREAD', ['XREAD', 'BLOCK', '10000', 'STREAMS', 's', '$']]] as const) {
      expect(blockTime(name, withBlockTime(name, args, 2500))).toBe(2500);
    }
  });

  it('never gives 0, which would block for ever: a block time used up becomes 1 ms', () => {
    expect(withBlockTime('BLPOP', ['BLPOP', 'k', '1'], 0)).toEqual(['BLPOP', 'k', '0.001']);
    expect(withBlockTime('BLPOP', ['BLPOP', 'k', '1'], -250)).toEqual(['BLPOP', 'k', '0.001']);
    expect(withBlockTime('XREAD', ['XREAD', 'BLOCK', '10', 'STREAMS', 's', '$'], 0.2)).toEqual(['XREAD', 'BLOCK', '1', 'STREAMS', 's', '$']);
  });

  it('leaves the arguments alone where blockTime finds no block time, and never changes its input', () => {
    const args = ['XREAD', 'STREAMS', 'BLOCK', '0'];
    expect(withBlockTime('XREAD', args, 100)).toBe(args);
    expect(withBlockTime('GET', ['GET', 'k'], 100)).toEqual(['GET', 'k']);
    const brpop = ['BRPOP', 'k', '10'];
    withBlockTime('BRPOP', brpop, 100);
    expect(brpop).toEqual(['BRPOP', 'k', '10']);
  });
});
