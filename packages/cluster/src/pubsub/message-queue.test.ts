import { describe, expect, it } from 'vitest';
import { MessageQueue } from './message-queue.js';

describe('MessageQueue', () => {
  it('gives buffered items in order, then waits for the next push', async () => {
    const queue = new MessageQueue<number>(() => {});
    queue.push(1);
    queue.push(2);
    expect(queue.buffered).toBe(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    const waiting = queue.next();
    queue.push(3);
    expect(await waiting).toEqual({ value: 3, done: false });
    expect(queue.buffered).toBe(0);
  });

  it('hands pushes to concurrent readers in the order they asked', async () => {
    const queue = new MessageQueue<string>(() => {});
    const first = queue.next();
    const second = queue.next();
    queue.push('a');
    queue.push('b');
    expect(await Promise.all([first, second])).toEqual([
      { value: 'a', done: false },
      { value: 'b', done: false },
    ]);
  });

  it('end() lets the reader finish what is buffered, then ends every waiting and later read', async () => {
    const queue = new MessageQueue<number>(() => {});
    queue.push(1);
    queue.end();
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    const idle = new MessageQueue<number>(() => {});
    const waiting = idle.next();
    idle.end();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('return() (a break out of for await) drops the buffer and tells its owner once', async () => {
    const returned: MessageQueue<number>[] = [];
    const queue = new MessageQueue<number>((done) => returned.push(done));
    queue.push(1);
    queue.push(2);
    const seen: number[] = [];
    for await (const value of queue) {
      seen.push(value);
      break;
    }
    expect(seen).toEqual([1]);
    expect(returned).toEqual([queue]);
    expect(queue.buffered).toBe(0);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('does not grow while a reader keeps up', async () => {
    const queue = new MessageQueue<number>(() => {});
    for (let i = 0; i < 10_000; i++) {
      queue.push(i);
      expect((await queue.next()).value).toBe(i);
    }
    expect((queue as unknown as { items: number[] }).items).toHaveLength(0);
  });
});
