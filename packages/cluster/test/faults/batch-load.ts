/**
 * Pipelines and transactions for the fault suite (fault matrix 14), every position accounted for,
 * and the checks that the servers' data agrees with what each position said.
 *
 * Pipeline workers each send, per key group (a hash tag), RPUSH of their iteration number to a
 * list of their own, INCR of a counter of their own and GET of a value that never changes; a
 * worker awaits its batch before the next, so each of its lists has one right order and each
 * INCR reply says exactly how many of the worker's increments ran. Transaction workers each run
 * MULTI, SET a, INCR n, SET b, EXEC on three fresh keys of one group's slot: afterwards a and b
 * are both set (to the transaction's id, n being 1) or none of the three exists.
 */
import { RedisError, type RedisCluster } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { errorKind, mayHaveRun } from './load.js';

export interface BatchLoadOptions {
  /** Key prefix, after the hash tag. */
  readonly prefix: string;
  /** Hash tags of the key groups; each pipeline touches every group, each transaction one. */
  readonly tags: readonly string[];
  /** Concurrent pipeline workers; default 3. */
  readonly pipelines?: number;
  /** Concurrent transaction workers; default 3. */
  readonly transactions?: number;
  /** Milliseconds each worker waits between its batches; default 5. */
  readonly pauseMs?: number;
}

/** What one command came to: its reply, or an error that says it may have run, or that it did not. */
type Step = { readonly kind: 'reply'; readonly value: unknown } | { readonly kind: 'maybe' } | { readonly kind: 'notRun' };

interface ListOutcomes {
  readonly acknowledged: number[];
  readonly maybe: number[];
  readonly notRun: number[];
}

interface TransactionRecord {
  /** Key prefix of its three keys, `:a`, `:b` and `:n`. */
  readonly base: string;
  readonly id: string;
  readonly outcome: 'committed' | 'maybe' | 'notRun';
}

export interface BatchReport {
  readonly pipelines: number;
  /** Pipeline positions, all settled. */
  readonly positions: number;
  readonly transactions: number;
  /** Transactions that committed. */
  readonly committed: number;
  /** Errors of positions and transactions, by kind (see `errorKind`). */
  readonly errors: Readonly<Record<string, number>>;
  /** Of those, the ones that say the command (or transaction) may have run, and that it did not. */
  readonly maybe: number;
  readonly notRun: number;
  /** Positions or transactions whose error was not a `RedisError`, or whose reply was wrong. */
  readonly wrong: readonly unknown[];
  /** Longest `exec()` of a pipeline, and of a transaction, ms. */
  readonly slowestPipelineMs: number;
  readonly slowestTransactionMs: number;
  /** Time from the first error to the last one, ms; 0 without errors. */
  readonly disturbedMs: number;
  readonly lists: ReadonlyMap<string, ListOutcomes>;
  readonly counters: ReadonlyMap<string, readonly Step[]>;
  readonly transactionRecords: readonly TransactionRecord[];
}

export interface BatchVerdict {
  /** Acknowledged pushes, increments and committed transactions the servers no longer have. */
  readonly lostAcknowledged: number;
  /** Pushes or increments applied more often than they may have run: twice, or after "not run". */
  readonly overApplied: number;
  /** Lists not in push order. */
  readonly outOfOrder: number;
  /** Values the servers hold that were never pushed. */
  readonly unexpected: number;
  /** Transactions with one of their writes applied and not the other, or applied twice. */
  readonly halfApplied: number;
  /** Transactions the client said did not run whose writes are there. */
  readonly appliedNotRun: number;
  readonly details: string[];
}

export class BatchLoad {
  private running = false;
  private workers: Promise<void>[] = [];
  private pipelines = 0;
  private positions = 0;
  private transactions = 0;
  private committed = 0;
  private readonly errors: Record<string, number> = {};
  private maybe = 0;
  private notRun = 0;
  private readonly wrong: unknown[] = [];
  private slowestPipelineMs = 0;
  private slowestTransactionMs = 0;
  private firstErrorAt: number | undefined;
  private lastErrorAt: number | undefined;
  private readonly lists = new Map<string, ListOutcomes>();
  private readonly counters = new Map<string, Step[]>();
  private readonly transactionRecords: TransactionRecord[] = [];
  private readonly waiters: { pipelines: number; transactions: number; resolve: () => void }[] = [];

  constructor(
    private readonly client: RedisCluster,
    private readonly options: BatchLoadOptions,
  ) {}

  /** Writes the values the GETs read, then starts every worker. */
  async start(): Promise<void> {
    for (const tag of this.options.tags) await this.client.set(this.fixedKey(tag), tag);
    this.running = true;
    const { pipelines = 3, transactions = 3 } = this.options;
    for (let w = 0; w < pipelines; w++) this.workers.push(this.pipelineWorker(w));
    for (let t = 0; t < transactions; t++) this.workers.push(this.transactionWorker(t));
  }

  /**
   * Resolves once this many more pipelines and transactions have settled: proof the load is
   * flowing. Wait for pipelines alone while transactions may be held up (a half-migrated slot).
   */
  waitForBatches(more: { pipelines?: number; transactions?: number }): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ pipelines: this.pipelines + (more.pipelines ?? 0), transactions: this.transactions + (more.transactions ?? 0), resolve });
      this.settled();
    });
  }

  /** Errors so far, by kind. */
  errorCounts(): Readonly<Record<string, number>> {
    return { ...this.errors };
  }

  async stop(): Promise<BatchReport> {
    this.running = false;
    await Promise.all(this.workers);
    return {
      pipelines: this.pipelines,
      positions: this.positions,
      transactions: this.transactions,
      committed: this.committed,
      errors: { ...this.errors },
      maybe: this.maybe,
      notRun: this.notRun,
      wrong: this.wrong,
      slowestPipelineMs: this.slowestPipelineMs,
      slowestTransactionMs: this.slowestTransactionMs,
      disturbedMs: this.firstErrorAt === undefined || this.lastErrorAt === undefined ? 0 : this.lastErrorAt - this.firstErrorAt,
      lists: this.lists,
      counters: this.counters,
      transactionRecords: this.transactionRecords,
    };
  }

  /** The value every pipeline GETs in the group of `tag`. */
  fixedKey(tag: string): string {
    return `{${tag}}:${this.options.prefix}:fixed`;
  }

  /** The list pipeline worker `w` pushes to in the group of `tag`. */
  listKey(tag: string, w: number): string {
    return `{${tag}}:${this.options.prefix}:list:${w}`;
  }

  /** The counter pipeline worker `w` increments in the group of `tag`. */
  counterKey(tag: string, w: number): string {
    return `{${tag}}:${this.options.prefix}:counter:${w}`;
  }

  private async pipelineWorker(w: number): Promise<void> {
    const { tags } = this.options;
    const lists = tags.map((tag) => this.listKey(tag, w));
    const counters = tags.map((tag) => this.counterKey(tag, w));
    for (const key of lists) this.lists.set(key, { acknowledged: [], maybe: [], notRun: [] });
    for (const key of counters) this.counters.set(key, []);
    for (let i = 1; this.running; i++) {
      const batch = pipeline(this.client);
      for (const [g, tag] of tags.entries()) batch.rpush(lists[g], String(i)).incr(counters[g]).get(this.fixedKey(tag));
      const started = performance.now();
      let results: unknown[];
      try {
        results = await batch.exec();
      } catch (error) {
        // exec() never rejects: each position holds its own error.
        this.wrong.push(error);
        results = new Array<unknown>(batch.length).fill(error);
      }
      this.slowestPipelineMs = Math.max(this.slowestPipelineMs, performance.now() - started);
      for (const [g, tag] of tags.entries()) {
        const push = this.step(results[3 * g]);
        const list = this.lists.get(lists[g]) as ListOutcomes;
        if (push.kind === 'reply') list.acknowledged.push(i);
        else list[push.kind].push(i);
        (this.counters.get(counters[g]) as Step[]).push(this.step(results[3 * g + 1]));
        const read = this.step(results[3 * g + 2]);
        if (read.kind === 'reply' && read.value !== tag) this.wrong.push(new Error(`GET ${this.fixedKey(tag)} gave ${String(read.value)}`));
      }
      this.positions += results.length;
      this.pipelines++;
      this.settled();
      await this.pause();
    }
  }

  private async transactionWorker(t: number): Promise<void> {
    const { tags, prefix } = this.options;
    for (let i = 1; this.running; i++) {
      const base = `{${tags[(t + i) % tags.length]}}:${prefix}:tx:${t}:${i}`;
      const id = `${t}:${i}`;
      const started = performance.now();
      let outcome: TransactionRecord['outcome'];
      try {
        const results = await this.client.multi().set(`${base}:a`, id).incr(`${base}:n`).set(`${base}:b`, id).exec();
        outcome = 'committed';
        this.committed++;
        if (JSON.stringify(results) !== JSON.stringify(['OK', 1, 'OK'])) this.wrong.push(new Error(`transaction ${id} gave ${JSON.stringify(results)}`));
      } catch (error) {
        // A rejection with something not even an Error is wrong, and counted as possibly run so
        // that no check below hides it.
        if (!(error instanceof Error)) this.wrong.push(error);
        outcome = !(error instanceof Error) || this.step(error).kind === 'maybe' ? 'maybe' : 'notRun';
      }
      this.slowestTransactionMs = Math.max(this.slowestTransactionMs, performance.now() - started);
      this.transactionRecords.push({ base, id, outcome });
      this.transactions++;
      this.settled();
      await this.pause();
    }
  }

  /** Classifies a position's result (or a rejection), counting its error. */
  private step(result: unknown): Step {
    if (!(result instanceof Error)) return { kind: 'reply', value: result };
    const kind = errorKind(result);
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    if (!(result instanceof RedisError)) this.wrong.push(result);
    const now = performance.now();
    this.firstErrorAt ??= now;
    this.lastErrorAt = now;
    if (mayHaveRun(result)) {
      this.maybe++;
      return { kind: 'maybe' };
    }
    this.notRun++;
    return { kind: 'notRun' };
  }

  private settled(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (this.pipelines >= waiter.pipelines && this.transactions >= waiter.transactions) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 5));
  }
}

/**
 * Compares the servers' data with what every position and transaction said. A list holds every
 * acknowledged value and none that did not run, each once, in order. Between two acknowledged
 * INCR replies of a counter, the difference is 1 plus at most the number of increments in
 * between that may have run. Every transaction's a and b are both there or both absent.
 */
export async function verifyBatches(client: RedisCluster, report: BatchReport): Promise<BatchVerdict> {
  let lostAcknowledged = 0;
  let overApplied = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let halfApplied = 0;
  let appliedNotRun = 0;
  const details: string[] = [];

  for (const [key, outcome] of report.lists) {
    const stored = (await client.lrange(key, 0, -1)).map(Number);
    const present = new Set(stored);
    const sent = new Set([...outcome.acknowledged, ...outcome.maybe, ...outcome.notRun]);
    const lost = outcome.acknowledged.filter((value) => !present.has(value));
    const ranAnyway = outcome.notRun.filter((value) => present.has(value));
    const extra = stored.filter((value) => !sent.has(value));
    const twice = stored.length - present.size;
    const ordered = stored.every((value, i) => i === 0 || stored[i - 1] < value);
    lostAcknowledged += lost.length;
    overApplied += twice + ranAnyway.length;
    unexpected += extra.length;
    if (!ordered) outOfOrder++;
    if (lost.length + ranAnyway.length + extra.length + twice > 0 || !ordered) {
      details.push(`${key}: lost ${lost.slice(0, 10).join(',')} not-run-but-there ${ranAnyway.slice(0, 10).join(',')} extra ${extra.slice(0, 10).join(',')} twice ${twice} ordered ${ordered}`);
    }
  }

  for (const [key, steps] of report.counters) {
    let previous = 0;
    let maybeSince = 0;
    const check = (value: number, what: string): void => {
      const gap = value - previous - (what === 'final' ? 0 : 1);
      if (gap < 0) {
        lostAcknowledged += -gap;
        details.push(`${key}: ${what} ${value} after ${previous}: ${-gap} acknowledged increments gone`);
      } else if (gap > maybeSince) {
        overApplied += gap - maybeSince;
        details.push(`${key}: ${what} ${value} after ${previous} with ${maybeSince} increments that may have run`);
      }
      previous = value;
      maybeSince = 0;
    };
    for (const step of steps) {
      if (step.kind === 'maybe') maybeSince++;
      else if (step.kind === 'reply') check(Number(step.value), 'reply');
    }
    check(Number((await client.get(key)) ?? 0), 'final');
  }

  // Three keys of one slot per transaction: one MGET each, many to a pipeline.
  const records = report.transactionRecords;
  for (let start = 0; start < records.length; start += 1_000) {
    const chunk = records.slice(start, start + 1_000);
    const batch = pipeline(client);
    for (const record of chunk) batch.mget(`${record.base}:a`, `${record.base}:b`, `${record.base}:n`);
    const results = await batch.exec({ raiseOnError: true });
    for (const [k, record] of chunk.entries()) {
      const [a, b, n] = results[k] as (string | null)[];
      const applied = a === record.id && b === record.id && n === '1';
      const absent = a === null && b === null && n === null;
      if (!applied && !absent) {
        halfApplied++;
        details.push(`transaction ${record.id} (${record.outcome}): a ${String(a)} b ${String(b)} n ${String(n)}`);
      } else if (applied && record.outcome === 'notRun') {
        appliedNotRun++;
        details.push(`transaction ${record.id}: said not to have run, but its writes are there`);
      } else if (absent && record.outcome === 'committed') {
        lostAcknowledged++;
        details.push(`transaction ${record.id}: committed, but its writes are gone`);
      }
    }
  }
  return { lostAcknowledged, overApplied, outOfOrder, unexpected, halfApplied, appliedNotRun, details };
}
