import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Queue } from './queue.js';

/** Every item still queued, oldest first, as forEach visits them. */
function contents<T>(queue: Queue<T>): T[] {
  const items: T[] = [];
  queue.forEach((item) => items.push(item));
  return items;
}

describe('Queue', () => {
  it('is empty when new: length 0, shift and peek give undefined, drain gives []', () => {
    const queue = new Queue<number>();
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
    expect(queue.drain()).toEqual([]);
    expect(contents(queue)).toEqual([]);
  });

  it('shifts items in the order they were pushed, and peek shows the next without removing it', () => {
    const queue = new Queue<string>();
    queue.push('a');
    queue.push('b');
    expect(queue.peek()).toBe('a');
    expect(queue.length).toBe(2);
    expect(queue.shift()).toBe('a');
    queue.push('c');
    expect(queue.peek()).toBe('b');
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual(['b', 'c', undefined]);
    expect(queue.length).toBe(0);
  });

  it('keeps FIFO order across the compaction after more than 1024 shifts', () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 5000; i++) queue.push(i);
    const shifted: number[] = [];
    for (let i = 0; i < 3000; i++) shifted.push(queue.shift()!);
    for (let i = 5000; i < 6000; i++) queue.push(i);
    expect(queue.length).toBe(3000);
    expect(queue.peek()).toBe(3000);
    expect(contents(queue)).toEqual(Array.from({ length: 3000 }, (_, i) => 3000 + i));
    while (queue.length > 0) shifted.push(queue.shift()!);
    expect(shifted).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  it('keeps FIFO order in a steady state of one push per shift over a deep backlog', () => {
    const queue = new Queue<number>();
    let next = 0;
    let expected = 0;
    for (; next < 1500; next++) queue.push(next);
    for (let round = 0; round < 20_000; round++) {
      queue.push(next++);
      expect(queue.shift()).toBe(expected++);
    }
    expect(queue.length).toBe(1500);
    expect(contents(queue)).toEqual(Array.from({ length: 1500 }, (_, i) => expected + i));
  });

  it('drain returns every item oldest first, empties the queue, and the queue works afterwards', () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 2000; i++) queue.push(i);
    for (let i = 0; i < 1100; i++) queue.shift();
    expect(queue.drain()).toEqual(Array.from({ length: 900 }, (_, i) => 1100 + i));
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    queue.push(7);
    expect(queue.drain()).toEqual([7]);
  });

  it('forEach visits the queued items oldest first without removing them', () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 5; i++) queue.push(i);
    queue.shift();
    expect(contents(queue)).toEqual([1, 2, 3, 4]);
    expect(queue.length).toBe(4);
    expect(queue.shift()).toBe(1);
  });

  type Op = { op: 'push'; count: number } | { op: 'shift'; count: number } | { op: 'peek' } | { op: 'drain' } | { op: 'forEach' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('push' as const), count: fc.integer({ min: 1, max: 1500 }) }),
    fc.record({ op: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 1500 }) }),
    fc.constant({ op: 'peek' as const }),
    fc.constant({ op: 'forEach' as const }),
    fc.constant({ op: 'drain' as const }),
  );

  it('property: behaves like an array model under random push/shift/peek/drain/forEach interleavings', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const queue = new Queue<number>();
        const model: number[] = [];
        let next = 0;
        for (const step of ops) {
          switch (step.op) {
            case 'push':
              for (let i = 0; i < step.count; i++) {
                queue.push(next);
                model.push(next++);
              }
              break;
            case 'shift':
            {
              const shifted = Array.from({ length: step.count }, () => queue.shift());
              expect(shifted).toEqual(Array.from({ length: step.count }, () => model.shift()));
              break;
            }
            case 'peek':
              expect(queue.peek()).toBe(model[0]);
              break;
            case 'forEach':
              expect(contents(queue)).toEqual(model);
              break;
            case 'drain':
              expect(queue.drain()).toEqual(model.splice(0));
              break;
          }
          expect(queue.length).toBe(model.length);
        }
        expect(contents(queue)).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});
