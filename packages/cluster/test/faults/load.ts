/**
 * Load for the fault suite: concurrent writers and readers whose every command is accounted
 * for, and the checks of what the client promises (README, "What the client promises").
 *
 * Writers RPUSH 1, 2, 3... to a list of their own, each push awaited before the next, so the
 * acknowledged pushes of a list have one right order. Counters INCR a key of their own. Readers
 * GET keys whose value never changes. Every command's outcome is one of: a reply, an error that
 * says the command never ran, or an error that says it may have run (written to a socket before
 * the connection was lost or the timeout hit). The checks then compare the server's data with
 * those outcomes.
 */
import { ConnectionError, RedisError, ReplyError, TimeoutError, type RedisCluster } from '@hashslot/cluster';

export interface LoadOptions {
  /** Key prefix; lists are `<prefix>:list:<i>`, counters `<prefix>:counter:<i>`. */
  readonly prefix: string;
  /** Default 8. */
  readonly writers?: number;
  /** Default 4. */
  readonly counters?: number;
  /** Default 4. */
  readonly readers?: number;
  /**
   * Milliseconds each caller waits between its commands (default 2): steady load that leaves
   * the two cores of a CI machine to the servers and the cluster's own failure detection.
   */
  readonly pauseMs?: number;
  /** Keys for the lists instead of the default names, e.g. all in one slot. */
  readonly listKey?: (writer: number) => string;
}

export interface ListOutcome {
  /** Pushed values the server acknowledged, in push order. */
  readonly acknowledged: number[];
  /** Pushed values whose push failed after it may have run. */
  readonly maybe: number[];
}

export interface LoadReport {
  /** Commands issued, all settled. */
  readonly commands: number;
  readonly replies: number;
  /** Errors by kind: the class name, and for replies from the server the error prefix too. */
  readonly errors: Readonly<Record<string, number>>;
  readonly lists: ReadonlyMap<string, ListOutcome>;
  readonly counters: ReadonlyMap<string, { readonly acknowledged: number; readonly maybe: number }>;
  /** The longest any single command took to settle, ms. */
  readonly slowestMs: number;
  /** Time from the first error to the last one, ms; 0 without errors. */
  readonly disturbedMs: number;
  /** Reads that returned something other than the value written before the load began. */
  readonly wrongReads: number;
}

/** Whether an error means the command may have run on a server. */
export function mayHaveRun(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return error.written;
  // Anything else the client raised (refusals, redirection limits, CLUSTERDOWN) was decided
  // before the server ran the command, and a server error reply means it did not run.
  if (error instanceof RedisError) return false;
  // Not a typed error at all: the suite treats it as a failure of its own elsewhere; count it
  // as possibly run so that no invariant check hides it.
  return true;
}

export function errorKind(error: unknown): string {
  if (error instanceof ReplyError) return `${error.constructor.name} ${error.prefix}`;
  if (error instanceof Error) return error.constructor.name;
  return typeof error;
}

export class Load {
  private running = false;
  private callers: Promise<void>[] = [];
  private commands = 0;
  private replies = 0;
  private readonly errors: Record<string, number> = {};
  private readonly lists = new Map<string, ListOutcome>();
  private readonly counters = new Map<string, { acknowledged: number; maybe: number }>();
  private slowestMs = 0;
  private firstErrorAt: number | undefined;
  private lastErrorAt: number | undefined;
  private wrongReads = 0;
  private readonly readKeys: string[];
  /** Resolvers of `waitForCommands`. */
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly client: RedisCluster,
    private readonly options: LoadOptions,
  ) {
    this.readKeys = Array.from({ length: 32 }, (_, i) => `${options.prefix}:read:${i}`);
  }

  /** Writes the readers' keys, then starts every caller. */
  async start(): Promise<void> {
    for (const key of this.readKeys) await this.client.set(key, key);
    this.running = true;
    const { writers = 8, counters = 4, readers = 4 } = this.options;
    for (let i = 0; i < writers; i++) this.callers.push(this.writer(this.options.listKey?.(i) ?? `${this.options.prefix}:list:${i}`));
    for (let i = 0; i < counters; i++) this.callers.push(this.counter(`${this.options.prefix}:counter:${i}`));
    for (let i = 0; i < readers; i++) this.callers.push(this.reader(i));
  }

  /** Resolves once `count` more commands have settled: proof the load is flowing. */
  waitForCommands(count: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ count: this.commands + count, resolve }));
  }

  /** Errors so far, by kind, while the load runs: for waiting until a fault has shown. */
  errorsSoFar(): Readonly<Record<string, number>> {
    return { ...this.errors };
  }

  /** Stops issuing and waits for every caller's last command to settle. */
  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.callers);
    return {
      commands: this.commands,
      replies: this.replies,
      errors: { ...this.errors },
      lists: this.lists,
      counters: this.counters,
      slowestMs: this.slowestMs,
      disturbedMs: this.firstErrorAt === undefined || this.lastErrorAt === undefined ? 0 : this.lastErrorAt - this.firstErrorAt,
      wrongReads: this.wrongReads,
    };
  }

  private async writer(key: string): Promise<void> {
    const outcome: ListOutcome = { acknowledged: [], maybe: [] };
    this.lists.set(key, outcome);
    for (let value = 1; this.running; value++) {
      const result = await this.issue(() => this.client.rpush(key, String(value)));
      if (result.ok) outcome.acknowledged.push(value);
      else if (mayHaveRun(result.error)) outcome.maybe.push(value);
      await this.pause();
    }
  }

  private async counter(key: string): Promise<void> {
    const outcome = { acknowledged: 0, maybe: 0 };
    this.counters.set(key, outcome);
    while (this.running) {
      const result = await this.issue(() => this.client.incr(key));
      if (result.ok) outcome.acknowledged++;
      else if (mayHaveRun(result.error)) outcome.maybe++;
      await this.pause();
    }
  }

  private async reader(index: number): Promise<void> {
    for (let i = index; this.running; i++) {
      const key = this.readKeys[i % this.readKeys.length];
      const result = await this.issue(() => this.client.get(key));
      if (result.ok && result.value !== key) this.wrongReads++;
      await this.pause();
    }
  }

  private async issue<T>(send: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const started = performance.now();
    let result: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      result = { ok: true, value: await send() };
      this.replies++;
    } catch (error) {
      result = { ok: false, error };
      const kind = errorKind(error);
      this.errors[kind] = (this.errors[kind] ?? 0) + 1;
      const now = performance.now();
      this.firstErrorAt ??= now;
      this.lastErrorAt = now;
    }
    this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
    this.commands++;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.commands >= this.waiters[i].count) this.waiters.splice(i, 1)[0].resolve();
    }
    return result;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 2));
  }
}

export interface Verdict {
  /** Acknowledged pushes or increments the server no longer has. */
  readonly lostAcknowledged: number;
  /** Values present twice, or INCRs counted more often than they were sent. */
  readonly duplicated: number;
  /** Lists whose values are not in push order. */
  readonly outOfOrder: number;
  /** Values the server has that were never pushed, or pushed but refused. */
  readonly unexpected: number;
  /** Per list and counter, for a failing test's message. */
  readonly details: string[];
}

/**
 * Compares what the servers hold with what the load was told. A list must hold every
 * acknowledged value, in order, plus any of the maybe-run ones, and nothing else; a counter must
 * be at least its acknowledged increments and at most those plus the maybe-run ones.
 */
export async function verify(client: RedisCluster, report: LoadReport): Promise<Verdict> {
  let lostAcknowledged = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  const details: string[] = [];
  for (const [key, outcome] of report.lists) {
    const stored = (await client.lrange(key, 0, -1)).map(Number);
    const present = new Set(stored);
    const allowed = new Set([...outcome.acknowledged, ...outcome.maybe]);
    const lost = outcome.acknowledged.filter((value) => !present.has(value));
    const extra = stored.filter((value) => !allowed.has(value));
    const twice = stored.length - present.size;
    const ordered = stored.every((value, i) => i === 0 || stored[i - 1] < value);
    lostAcknowledged += lost.length;
    unexpected += extra.length;
    duplicated += twice;
    if (!ordered) outOfOrder++;
    if (lost.length + extra.length + twice > 0 || !ordered) {
      details.push(`${key}: lost ${lost.slice(0, 10).join(',')} extra ${extra.slice(0, 10).join(',')} twice ${twice} ordered ${ordered}`);
    }
  }
  for (const [key, outcome] of report.counters) {
    const stored = Number((await client.get(key)) ?? 0);
    if (stored < outcome.acknowledged) {
      lostAcknowledged += outcome.acknowledged - stored;
      details.push(`${key}: ${stored} < ${outcome.acknowledged} acknowledged`);
    }
    if (stored > outcome.acknowledged + outcome.maybe) {
      duplicated += stored - outcome.acknowledged - outcome.maybe;
      details.push(`${key}: ${stored} > ${outcome.acknowledged} acknowledged + ${outcome.maybe} maybe`);
    }
  }
  return { lostAcknowledged, duplicated, outOfOrder, unexpected, details };
}
