import { InvalidArgumentError, RedisError, type BatchReply, type CommandArgument, type RespReply } from '@hashslot/resp';
import { commandSlot } from '@hashslot/slots';
import { installCommands, type ChainCommands, type RedisCluster, type Transaction, type TransactionOptions } from '@hashslot/cluster';

/** What `exec()` may be told. */
export interface ExecOptions {
  /** Throw the first failed command's error once every command has run. Default false. */
  raiseOnError?: boolean;
}

/** One queued command. */
interface Queued {
  readonly args: readonly CommandArgument[];
  readonly transform: ((reply: RespReply) => unknown) | undefined;
}

/**
 * Commands sent per window: a window's batches (one per node) are written together, and the
 * next window waits for this one's replies. Large pipelines then hold a window's encoded
 * commands and replies at a time, not all of them, for one extra round trip per window.
 */
const WINDOW = 10_000;

/**
 * A queue of commands for a cluster: each goes to the node of its slot, every node's batch is
 * written before any reply is awaited, and `exec()` gives the results in the order the commands
 * were queued. Commands answered MOVED or ASK, or whose node failed before they were written,
 * are re-run on their new node; one written to a node that then died is not re-sent unless it
 * is read-only, and its position holds a `ConnectionError` that says it may have run.
 *
 * The typed methods are the client's own (one definition per command), returning the pipeline.
 */
export class Pipeline<D extends boolean = true> {
  readonly #client: RedisCluster<D>;
  #queue: Queued[] = [];

  constructor(client: RedisCluster<D>) {
    if (typeof client !== 'object' || client === null || typeof (client as { sendBatch?: unknown }).sendBatch !== 'function') {
      throw new InvalidArgumentError('pipeline() needs a RedisCluster');
    }
    this.#client = client;
  }

  /** Commands queued and not yet executed. */
  get length(): number {
    return this.#queue.length;
  }

  /** Queues any command. Its keys must share a slot: otherwise a `CrossSlotError` is thrown at once. */
  call(...args: CommandArgument[]): this {
    return this.enqueue(args, undefined);
  }

  /**
   * Runs every queued command and empties the queue. Resolves with one entry per command, in
   * queue order: its (shaped) reply, or the error it got (a `ReplyError` from the server, a
   * `ConnectionError` or `TimeoutError`...). With `raiseOnError`, rejects with the first error
   * instead, once every command has run.
   */
  async exec(options?: ExecOptions): Promise<unknown[]> {
    const queue = this.#queue;
    this.#queue = [];
    const results: unknown[] = new Array(queue.length);
    for (let start = 0; start < queue.length; start += WINDOW) {
      const window = queue.slice(start, start + WINDOW);
      const replies = await this.#client.sendBatch(window.map((command) => command.args));
      for (let i = 0; i < window.length; i++) results[start + i] = shape(replies[i], window[i].transform);
    }
    if (options?.raiseOnError === true) {
      const failed = results.find((result) => result instanceof Error);
      if (failed !== undefined) throw failed;
    }
    return results;
  }

  /**
   * A transaction instead: MULTI ... EXEC on the one node that owns the slot all its keys share,
   * retried on the new owner when the slot moved (see the client's `multi()`).
   */
  multi(options?: TransactionOptions): Transaction<D> {
    return this.#client.multi(options);
  }

  /** @internal Queues a built command; what every typed method calls. */
  enqueue(args: readonly CommandArgument[], transform: ((reply: RespReply) => unknown) | undefined): this {
    if (!Array.isArray(args) || args.length === 0) throw new InvalidArgumentError('a command needs at least its name');
    // Multi-key commands must stay in one slot: splitting them is the client's job, not a batch's.
    commandSlot(args);
    // Typed methods and call() build a fresh array; the connection copies it again when sent.
    this.#queue.push({ args, transform });
    return this;
  }
}

function shape(reply: BatchReply, transform: ((reply: RespReply) => unknown) | undefined): unknown {
  if (reply instanceof Error || transform === undefined) return reply;
  try {
    return transform(reply);
  } catch (error) {
    return error instanceof RedisError ? error : new RedisError(`the reply could not be shaped: ${String(error)}`, { cause: error });
  }
}

// The same typed methods as the client, each returning the pipeline.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Pipeline<D extends boolean = true> extends ChainCommands<D, Pipeline<D>> {}
installCommands(Pipeline.prototype, (self, args, transform) => (self as Pipeline<boolean>).enqueue(args, transform));

/** A pipeline on `client`. */
export function pipeline<D extends boolean>(client: RedisCluster<D>): Pipeline<D> {
  return new Pipeline<D>(client);
}
