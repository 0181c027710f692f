/**
 * An async iterator fed by pushes: what `ClusterSubscriber.messages()` returns. Items wait in
 * order until read; `end()` lets the reader finish what is buffered, then ends the loop;
 * `return()` (a `break` out of `for await`) drops the buffer and detaches at once.
 */
export class MessageQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private readers: ((result: IteratorResult<T, undefined>) => void)[] = [];
  private ended = false;

  constructor(private readonly onReturn: (queue: MessageQueue<T>) => void) {}

  /** Messages received and not yet read. */
  get buffered(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader !== undefined) reader({ value: item, done: false });
    else this.items.push(item);
  }

  /** No more items will come: readers get what is buffered, then `done`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++];
      // Reset once drained, so that a long-lived reader that keeps up never grows the array.
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.end();
    this.items = [];
    this.head = 0;
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
