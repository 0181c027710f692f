import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, ReplyError, TimeoutError, type CommandArgument, type Connection, type RespReply } from '@hashslot/resp';
import { text } from '../commands/replies.js';
import type { ClientHost } from '../core.js';
import { AskError, ClusterDownError, ClusterError, classifyReplyError, LoadingError, MovedError, TryAgainError } from '../errors.js';

/** What a cursor needs from the client that runs it. */
export type CursorHost = ClientHost;

export interface NodeCursorOptions {
  /** The command, for messages: `SCAN`, `HSCAN`... */
  readonly command: string;
  /** A slot of the shard being scanned: its master is where the scan goes on after a failure. */
  readonly slot: number;
  /** The node to start on; by default the slot's master when the first page is asked for. */
  readonly address?: string;
  /** A page's command for `cursor`. */
  build(cursor: string): readonly CommandArgument[];
  /**
   * Whether to tell the node's process apart (INFO's `run_id`) so that a cursor survives a
   * dropped connection to a process that is still the same. Without it, any failure restarts
   * the scan: cheaper for scans that are usually one page.
   */
  readonly trackProcess: boolean;
  /** How long (ms) failures may go on before the cursor gives up. */
  readonly failoverTimeout: number;
  /**
   * Whether ASK is followed: for a scan of one key (HSCAN, SSCAN, ZSCAN), which a live reshard
   * moves whole, in one MIGRATE. A keyspace SCAN names no key and is never asked to move.
   */
  readonly followAsk?: boolean;
}

/** Waits between attempts while a node is failing: short first, at most a second. */
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;
/** A node that takes longer than this to answer PING is not back yet (a paused process). */
const PROBE_TIMEOUT_MS = 1000;
/** ASKs in a row (the key going back and forth) before they count as a failure to wait out. */
const MAX_ASKS = 5;

function delayFor(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
}

/**
 * A SCAN-family cursor pinned to one node, through failovers.
 *
 * A cursor is a position in the hash table of one server process, and the table's hash function
 * is seeded at random when the process starts: the same cursor on a replica (or on the same node
 * after a restart) points at unrelated keys, so resuming it there skips keys it never returned
 * and repeats others. So the cursor stays on the process that made it. When that node fails, the
 * scan goes on at the shard's master once the slot table names one (a promoted replica, or the
 * node back up), **from cursor 0**: every element present for the whole scan is still returned
 * at least once, and the elements returned before the failure may be returned again. Only when
 * the same process answers again (same `run_id`, with `trackProcess`) is the cursor kept. A
 * master demoted by a manual failover keeps answering: the scan finishes there, on the process
 * that made the cursor, from its replicated copy of the shard.
 *
 * During a live reshard of the slot of a scanned key (`followAsk`), the source answers ASK once
 * the key has moved: the key moves whole, so the scan goes on at the target, from cursor 0 (the
 * cursor is a position in the source's copy), each page sent with ASKING in the same write while
 * the target is only importing the slot. If the target later redirects (the migration rolled
 * back), the scan follows that and starts again.
 *
 * Pages are asked for one at a time: `next()` must not be called again before it settles.
 */
export class NodeCursor {
  private address: string | undefined;
  private cursor = '0';
  /** The `run_id` of the process at `address`, once asked (`trackProcess`). */
  private runId: string | undefined;
  private asked = false;
  /** After a failure on the same node: check that the cursor still means something there. */
  private verify = false;
  private failingSince: number | undefined;
  private finished = false;
  /** Pages go to `address` behind ASKING: it is importing the slot of the scanned key. */
  private asking = false;
  /** ASKs followed since the last page that was answered. */
  private asks = 0;
  /** How many times the scan lost its place and started again from 0. */
  restarts = 0;

  constructor(
    private readonly host: CursorHost,
    private readonly options: NodeCursorOptions,
  ) {
    this.address = options.address;
  }

  /** Whether the server said the iteration is complete. */
  get done(): boolean {
    return this.finished;
  }

  /** The elements of the next page (possibly none: MATCH filters after fetching). */
  async next(): Promise<RespReply[]> {
    if (this.finished) return [];
    for (let attempt = 1; ; attempt++) {
      const address = this.address ?? this.host.core.masterOf(this.options.slot)?.address;
      try {
        if (address === undefined) {
          throw new ClusterDownError(`CLUSTERDOWN hash slot ${this.options.slot} is not served by any master in the client's slot table`, {
            command: this.options.command,
          });
        }
        this.address = address;
        await this.checkPlace(address);
        const args = this.options.build(this.cursor);
        const reply = (this.asking ? await this.sendAsking(address, args) : await this.host.core.sendToNode(address, args)) as [RespReply, RespReply[]];
        this.failingSince = undefined;
        this.asks = 0;
        this.cursor = text(reply[0]);
        if (this.cursor === '0') this.finished = true;
        return reply[1];
      } catch (error) {
        const failure = asNodeFailure(error, address);
        if (failure === undefined) throw error;
        if (failure instanceof AskError && this.options.followAsk === true && this.asks < MAX_ASKS) {
          this.asks++;
          this.address = `${failure.host}:${failure.port}`;
          this.asking = true;
          this.runId = undefined;
          this.asked = false;
          this.verify = false;
          this.restart();
          continue;
        }
        // Anything else (MOVED included) ends the detour: the table, or the node, says where to go.
        this.asking = false;
        await this.recover(failure, address, attempt);
      }
    }
  }

  /** Before a page: learns the process that holds the cursor, or, after a failure, whether it is still the same. */
  private async checkPlace(address: string): Promise<void> {
    if (!this.verify && (this.asked || !this.options.trackProcess)) return;
    let same = false;
    if (this.options.trackProcess) {
      let runId: string | undefined;
      try {
        runId = runIdOf(text(await this.host.core.sendToNode(address, ['INFO', 'server'])));
      } catch (error) {
        // An ACL user may be allowed SCAN but not INFO: the process stays unknown, so any
        // failure restarts the scan.
        if (asNodeFailure(error) !== undefined) throw error;
      }
      same = runId !== undefined && runId === this.runId;
      this.runId = runId;
    }
    if (this.verify && !same) this.restart();
    this.verify = false;
    this.asked = true;
  }

  /**
   * After a failure: gives up when the client closed or failures outlasted `failoverTimeout`;
   * otherwise waits until the slot table names another master (a failover: the scan moves there)
   * or the same node answers again (a restart or a dropped connection: its process decides
   * whether the cursor holds), reloading the table as it waits.
   */
  private async recover(error: Error, address: string | undefined, attempt: number): Promise<void> {
    const { command, slot, failoverTimeout } = this.options;
    // Once the client closes, its nodes leave the table: say why the scan ends, not that.
    if (this.host.closed()) throw new ClusterError(`${command} stopped: the client is closed`, { command, cause: error });
    this.failingSince ??= performance.now();
    const deadline = this.failingSince + failoverTimeout;
    // A MOVED names a live new owner: no reason to wait for it.
    let delay = error instanceof MovedError ? 0 : delayFor(attempt);
    for (let poll = attempt; ; poll++) {
      const left = deadline - performance.now();
      if (left <= 0) {
        const where = address ?? `the master of slot ${slot}`;
        throw new ClusterError(`${command} could not go on: ${where} failed and no master of slot ${slot} answered within failoverTimeout (${failoverTimeout} ms)`, {
          command,
          failures: address === undefined ? [] : [{ address, error }],
          cause: error,
        });
      }
      if (delay > 0) await sleep(Math.min(delay, left));
      await this.host.refresh().catch(() => {});
      const master = this.host.core.masterOf(slot)?.address;
      if (master !== undefined && master !== address) {
        this.address = master;
        this.runId = undefined;
        this.asked = false;
        this.verify = false;
        this.restart();
        return;
      }
      if (address !== undefined && (await this.answers(address, left))) {
        this.verify = true;
        return;
      }
      if (this.host.closed()) throw new ClusterError(`${command} stopped: the client is closed`, { command, cause: error });
      delay = delayFor(poll + 1);
    }
  }

  /**
   * One page on a node importing the slot: ASKING and the page in one write on a connection of
   * the cursor's own, so that no other command comes between them.
   */
  private async sendAsking(address: string, args: readonly CommandArgument[]): Promise<RespReply> {
    const core = this.host.core;
    const connection = await core.acquireDedicated(address, 'SCAN');
    let reusable = false;
    try {
      const [asking, page] = await connection.sendBatch([['ASKING'], args]);
      reusable = !(page instanceof ConnectionError || page instanceof TimeoutError);
      if (asking instanceof Error) throw asking;
      if (page instanceof Error) throw page;
      return page;
    } finally {
      core.releaseDedicated(address, connection, reusable);
    }
  }

  /**
   * Whether the node at `address` answers PING now, asked on a connection of its own: a send on
   * the shared one retries a refused connection for many seconds, blind to the failover that
   * may meanwhile have promoted a replica.
   */
  private async answers(address: string, left: number): Promise<boolean> {
    const core = this.host.core;
    let connection: Connection;
    try {
      connection = await core.acquireDedicated(address, 'SCAN');
    } catch {
      return false;
    }
    let reusable = false;
    try {
      await connection.send(['PING'], { timeout: Math.max(1, Math.min(left, PROBE_TIMEOUT_MS)) });
      reusable = true;
      return true;
    } catch {
      return false;
    } finally {
      core.releaseDedicated(address, connection, reusable);
    }
  }

  private restart(): void {
    if (this.cursor !== '0') this.restarts++;
    this.cursor = '0';
  }
}

/**
 * The error as its kind when it says the node (or the slot's owner) is changing, not that the
 * command is wrong: worth waiting out. A `ClusterError` is the node having left the client's
 * table, or the client closing (which `recover` checks first). `undefined` for anything else.
 */
function asNodeFailure(error: unknown, address?: string): Error | undefined {
  if (error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ClusterError) return error;
  if (!(error instanceof ReplyError)) return undefined;
  // The sender's host stands in for a redirection that leaves it empty.
  const kind = classifyReplyError(error, address === undefined ? '' : address.slice(0, address.lastIndexOf(':')));
  const changing =
    kind instanceof MovedError ||
    kind instanceof AskError ||
    kind instanceof TryAgainError ||
    kind instanceof ClusterDownError ||
    kind instanceof LoadingError;
  return changing ? kind : undefined;
}

/** `run_id:<40 hex>` of INFO server: unique to one start of a server process. */
function runIdOf(info: string): string | undefined {
  return /^run_id:(\S+)/m.exec(info)?.[1];
}
