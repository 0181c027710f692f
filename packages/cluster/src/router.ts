import { ConnectionError, ProtocolError, RedisError, ReplyError, TimeoutError, type BatchReply, type CommandArgument, type RespReply } from '@hashslot/resp';
import { blockTime, withBlockTime } from './blocking.js';
import { deadlineAfter, msLeft, overdue } from './deadline.js';
import {
  AskError,
  ClusterDownError,
  ClusterError,
  LoadingError,
  MovedError,
  ReadOnlyError,
  TryAgainError,
  asRedisError,
  classifyReplyError,
  slotNotServed,
  ttlExhausted,
} from './errors.js';
import type { ClusterNode, NodePool } from './node-pool.js';
import { backoff, mapAddress, type ResolvedOptions } from './options.js';
import type { ShardEntry, Topology } from './topology.js';

/** One command as the router needs to know it. */
export interface RoutedCommand {
  readonly args: readonly CommandArgument[];
  /** Upper-case name (with subcommand where it has one), for errors. */
  readonly name: string;
  /** The slot of its keys; `undefined` for a command without keys. */
  readonly slot: number | undefined;
  /** Read-only commands may go to replicas and may be retried after a connection failure. */
  readonly readOnly: boolean;
  /** Blocking commands hold a dedicated connection. */
  readonly blocking: boolean;
  /** Per-command reply timeout in ms, overriding `commandTimeout` (0: none). */
  readonly timeout: number | undefined;
}

/** Where one command is in its attempts. */
interface AttemptState {
  attempt: number;
  /** Set by ASK: the next attempt goes there, with ASKING. */
  askTarget: ClusterNode | undefined;
  /** A replica that just failed this command. */
  avoid: ClusterNode | undefined;
  lastError: Error | undefined;
  /**
   * `performance.now()` past which no further attempt starts: the command's timeout bounds all
   * its attempts and backoffs together, not each one. Infinity for a timeout of 0 and for a
   * blocking command whose block time is not known.
   */
  deadline: number;
  /** When the first attempt started. */
  started: number;
}

/** How long a replica that failed a command is passed over by `preferReplica`. */
const REPLICA_PENALTY_MS = 2_000;

/**
 * Runs one command on the right node and follows the cluster's answers: MOVED patches the table
 * and retries, ASK sends ASKING plus the command to the target in one write, TRYAGAIN,
 * CLUSTERDOWN and LOADING back off and retry, READONLY (a demoted master) refreshes and retries.
 * A connection failure refreshes the table; the command is retried only when it was never
 * written or is read-only. Every attempt counts: after `maxRedirections + 1` requests the
 * command fails with `ClusterError('TTL exhausted')`.
 */
export class Router {
  private roundRobin = 0;

  // Private at run time too: util.inspect must not show the password.
  readonly #options: ResolvedOptions;

  constructor(
    options: ResolvedOptions,
    private readonly pool: NodePool,
    private readonly topology: Topology,
    private readonly ensureDiscovered: () => Promise<void>,
  ) {
    this.#options = options;
  }

  async execute(command: RoutedCommand): Promise<RespReply> {
    const attempts = this.#options.maxRedirections + 1;
    const state = this.attemptState(command);
    for (; state.attempt <= attempts; state.attempt++) {
      let node: ClusterNode | undefined;
      // A retry gets what is left of the timeout, so the command settles within it.
      const timeout = state.attempt === 1 ? command.timeout : this.remaining(command, state);
      const attempt = state.attempt === 1 || !command.blocking ? command : this.reblocked(command, state);
      try {
        node = state.askTarget ?? (await this.pick(command, state.avoid));
        const reply = state.askTarget === undefined ? await this.send(node, attempt, timeout) : await this.sendAsking(node, attempt, timeout);
        if (node.failedAt !== -Infinity) node.failedAt = -Infinity;
        return reply;
      } catch (error) {
        await this.recover(error, command, node, state);
      }
    }
    throw this.exhausted(command, state);
  }

  /**
   * Runs many commands as one batch per node, every node's batch written before any reply is
   * awaited, and gives each command's reply or error in its position. Commands answered with a
   * redirection or a refusal, and commands whose node failed before they were written, are
   * grouped again by their new node and re-run (ASK with ASKING in front), each within its own
   * `maxRedirections`. Never rejects.
   */
  async executeBatch(commands: readonly RoutedCommand[]): Promise<BatchReply[]> {
    const results = new Array<BatchReply>(commands.length);
    if (!this.topology.discovered && commands.length > 0) {
      try {
        await this.ensureDiscovered();
      } catch (error) {
        return results.fill(asRedisError(error));
      }
    }
    // Made on a command's first failure only: most commands of a batch never need one.
    const states: (AttemptState | undefined)[] = new Array<AttemptState | undefined>(commands.length);
    const started = performance.now();
    const stateOf = (i: number): AttemptState => (states[i] ??= this.attemptState(commands[i], started));
    const attempts = this.#options.maxRedirections + 1;
    let pending: number[] = [];
    const solo: Promise<void>[] = [];
    for (let i = 0; i < commands.length; i++) {
      // A blocking command would stall the batch's shared connection: it runs on its own.
      if (commands[i].blocking) {
        solo.push(this.execute(commands[i]).then((reply) => void (results[i] = reply), (error: unknown) => void (results[i] = asRedisError(error))));
      } else {
        pending.push(i);
      }
    }
    while (pending.length > 0) {
      const groups = new Map<ClusterNode, number[]>();
      const retry: number[] = [];
      const recoveries: Promise<void>[] = [];
      const settleFailure = (i: number, error: unknown, node: ClusterNode | undefined): void => {
        recoveries.push(
          this.recover(error, commands[i], node, stateOf(i)).then(
            () => {
              if (++stateOf(i).attempt > attempts) results[i] = this.exhausted(commands[i], stateOf(i));
              else if (performance.now() >= stateOf(i).deadline) results[i] = this.overdue(commands[i], stateOf(i));
              else retry.push(i);
            },
            (final: unknown) => void (results[i] = asRedisError(final)),
          ),
        );
      };
      for (const i of pending) {
        try {
          const state = states[i];
          const node = state?.askTarget ?? (this.topology.discovered ? this.pickKnown(commands[i], state?.avoid) : await this.pick(commands[i], state?.avoid));
          const group = groups.get(node);
          if (group === undefined) groups.set(node, [i]);
          else group.push(i);
        } catch (error) {
          settleFailure(i, error, undefined);
        }
      }
      await Promise.all(
        [...groups].map(async ([node, indices]) => {
          let connection;
          try {
            connection = this.pool.shared(node);
          } catch (error) {
            for (const i of indices) settleFailure(i, error, node);
            return;
          }
          const batch: (readonly CommandArgument[])[] = [];
          const positions: number[] = [];
          for (const i of indices) {
            // An ASK applies to the next command only: ASKING goes right in front of it.
            if (states[i]?.askTarget !== undefined) batch.push(['ASKING']);
            positions.push(batch.length);
            batch.push(commands[i].args);
          }
          const replies = await connection.sendBatch(batch, this.batchTimeout(indices, states));
          let retire = false;
          for (let k = 0; k < indices.length; k++) {
            const i = indices[k];
            const reply = replies[positions[k]];
            const state = states[i];
            if (state !== undefined) state.askTarget = undefined;
            if (reply instanceof RedisError) {
              if (reply instanceof TimeoutError && reply.written) retire = true;
              settleFailure(i, reply, node);
            } else {
              results[i] = reply;
            }
          }
          if (retire) this.pool.retireShared(node, connection);
          if (node.failedAt !== -Infinity && replies.some((reply) => !(reply instanceof RedisError) || reply instanceof ReplyError)) node.failedAt = -Infinity;
        }),
      );
      await Promise.all(recoveries);
      pending = retry.sort((a, b) => a - b);
    }
    await Promise.all(solo);
    return results;
  }

  /**
   * What a failed attempt means for the next one: returns when the command may be sent again
   * (after patching the table, a backoff or a refresh, per the kind of failure), throws the
   * error the caller gets when it may not.
   */
  private async recover(caught: unknown, command: RoutedCommand, node: ClusterNode | undefined, state: AttemptState): Promise<void> {
    const error = caught instanceof ReplyError ? classifyReplyError(caught, node?.host ?? '') : caught;
    const attempts = this.#options.maxRedirections + 1;
    state.lastError = error as Error;
    state.askTarget = undefined;
    if (error instanceof MovedError) {
      this.topology.moved(error.slot, error.host, error.port);
    } else if (error instanceof AskError) {
      const target = mapAddress(this.#options.natMap, error.host, error.port);
      state.askTarget = this.pool.ensure(target.host, target.port);
    } else if (error instanceof TryAgainError) {
      await backoff(this.#options.retryDelays, 'tryAgain', state.attempt, attempts, this.remaining(command, state));
    } else if (error instanceof ClusterDownError) {
      void this.topology.requestRefresh('CLUSTERDOWN');
      await backoff(this.#options.retryDelays, 'clusterDown', state.attempt, attempts, this.remaining(command, state));
    } else if (error instanceof LoadingError) {
      if (node !== undefined && node.role === 'replica') state.avoid = node;
      await backoff(this.#options.retryDelays, 'loading', state.attempt, attempts, this.remaining(command, state));
    } else if (error instanceof ReadOnlyError) {
      // Not run: a replica refuses writes before executing them.
      await this.topology.requestRefresh('READONLY');
    } else if (error instanceof ConnectionError && error.written && error.cause instanceof ProtocolError) {
      // The node sent bytes that are not RESP: the command may have run, and sending it again,
      // even a read, would most likely meet the same bytes on a new connection. It fails, as do
      // the others that were waiting on that connection; the slot table is not in question.
      throw error;
    } else if (error instanceof ConnectionError || (error instanceof TimeoutError && !error.written)) {
      // Not written (refused, reset before the write, no connection in time) or read-only:
      // safe to send again, elsewhere if the table changes.
      if (node !== undefined) {
        node.failedAt = performance.now();
        state.avoid = node;
      }
      const refreshed = this.topology.requestRefresh('connection');
      if (error.written && !command.readOnly) throw error;
      if (this.fallsBackToMaster(command, node)) return;
      await refreshed;
      // Every node refused the refresh too: the cluster is unreachable, say so with each node's reason.
      const unreachable = this.topology.lastRefreshError;
      if (unreachable !== undefined) {
        throw new ClusterError(`${command.name} could not be sent: no node of the cluster answers`, {
          command: command.name,
          failures: unreachable.failures,
          cause: error,
        });
      }
      await backoff(this.#options.retryDelays, 'connection', state.attempt, attempts, this.remaining(command, state));
    } else if (error instanceof TimeoutError) {
      // Written, so it may still run: never sent twice, except a read that preferReplica
      // moves to the master. The node may be hung or gone.
      if (node !== undefined) {
        node.failedAt = performance.now();
        state.avoid = node;
      }
      void this.topology.requestRefresh('timeout');
      if (command.readOnly && this.fallsBackToMaster(command, node)) return;
      throw error;
    } else {
      throw error;
    }
    if (performance.now() >= state.deadline) throw this.overdue(command, state);
  }

  /**
   * The reply timeout of one node's part of a batch: the connection's own on a first send; on a
   * re-send, what is left of the commands' timeouts (they share the batch's start), so that a
   * position re-sent to a node that then hangs still settles within its timeout.
   */
  private batchTimeout(indices: readonly number[], states: readonly (AttemptState | undefined)[]): { timeout: number } | undefined {
    let deadline = Infinity;
    for (const i of indices) deadline = Math.min(deadline, states[i]?.deadline ?? Infinity);
    return deadline === Infinity ? undefined : { timeout: msLeft(deadline) };
  }

  private attemptState(command: RoutedCommand, started = performance.now()): AttemptState {
    const timeout = command.timeout ?? this.#options.commandTimeout;
    // A blocking command's timeout is its block time plus the reply timeout; it bounds its
    // retries like any other's, since a retry blocks only for what is left (`reblocked`).
    const bounded = !command.blocking || blockTime(command.name, command.args) !== undefined;
    const deadline = bounded ? deadlineAfter(timeout, started) : Infinity;
    return { attempt: 1, askTarget: undefined, avoid: undefined, lastError: undefined, deadline, started };
  }

  /**
   * A blocking command sent again (MOVED when its slot moved while it waited, ASK, a connection
   * that failed before the write) waits on its new node only for what is left of the block
   * time its caller gave, not for all of it again: BRPOP 10 redirected after 9 s must answer
   * within about 10 s, not 19.
   */
  private reblocked(command: RoutedCommand, state: AttemptState): RoutedCommand {
    const blockMs = blockTime(command.name, command.args);
    // 0 blocks for ever, which a retry keeps.
    if (blockMs === undefined || blockMs === 0) return command;
    return { ...command, args: withBlockTime(command.name, command.args, blockMs - (performance.now() - state.started)) };
  }

  /** Milliseconds left before the command's deadline, at least 1 (0 would mean no timeout). */
  private remaining(command: RoutedCommand, state: AttemptState): number | undefined {
    return state.deadline === Infinity ? command.timeout : msLeft(state.deadline);
  }

  private overdue(command: RoutedCommand, state: AttemptState): RedisError {
    return overdue(command.name, command.name, command.timeout ?? this.#options.commandTimeout, state.attempt, state.lastError);
  }

  private exhausted(command: RoutedCommand, state: AttemptState): ClusterError {
    return ttlExhausted(command.name, command.name, this.#options.maxRedirections, state.lastError);
  }


  /**
   * Sends a command to one given node, as fanout commands need. A connection that failed
   * before the command was written is tried once more (the node may just have restarted); nothing
   * else is retried and nothing is redirected: the answer is that node's.
   */
  async executeOn(node: ClusterNode, command: RoutedCommand): Promise<RespReply> {
    // One more try only: a fanout must not wait many seconds on a node that is down for good.
    const attempts = 2;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(node, command, command.timeout);
      } catch (error) {
        if (!(error instanceof ConnectionError) || error.written || attempt >= attempts) throw error;
        void this.topology.requestRefresh('connection');
        await backoff(this.#options.retryDelays, 'connection', attempt, attempts);
      }
    }
  }

  /** The node for the command's next attempt, per slot, read-only-ness and `readFrom`. */
  private async pick(command: RoutedCommand, avoid: ClusterNode | undefined): Promise<ClusterNode> {
    if (!this.topology.discovered) await this.ensureDiscovered();
    return this.pickKnown(command, avoid);
  }

  /** `pick` once the table is loaded: no promise per command where a batch picks thousands. */
  private pickKnown(command: RoutedCommand, avoid: ClusterNode | undefined): ClusterNode {
    const shard = command.slot === undefined ? this.topology.randomShard() : this.topology.shardOf(command.slot);
    if (shard === undefined) throw slotNotServed(command.slot, command.name);
    if (!command.readOnly || this.#options.readFrom === 'master') return shard.master;
    return this.pickReader(shard, avoid);
  }

  /**
   * A replica of the shard, round robin, passing over replicas that failed in the last
   * `REPLICA_PENALTY_MS`; the master when none is left. Both read modes pick the same way; they
   * differ in what a failed read does next (see `fallsBackToMaster`).
   */
  private pickReader(shard: ShardEntry, avoid: ClusterNode | undefined): ClusterNode {
    const now = performance.now();
    const usable = shard.replicas.filter((replica) => replica !== avoid && now - replica.failedAt > REPLICA_PENALTY_MS);
    if (usable.length === 0) return shard.master;
    return usable[this.roundRobin++ % usable.length];
  }

  /**
   * `preferReplica` puts the read's success first: a read that failed on a replica goes to the
   * master at once, timeouts included. `replica` puts the master's load first: the read waits,
   * refreshes and tries another replica.
   */
  private fallsBackToMaster(command: RoutedCommand, node: ClusterNode | undefined): boolean {
    return command.readOnly && this.#options.readFrom === 'preferReplica' && node !== undefined && node.role === 'replica';
  }

  private async send(node: ClusterNode, command: RoutedCommand, timeout: number | undefined): Promise<RespReply> {
    const options = timeout === undefined ? undefined : { timeout };
    if (!command.blocking) {
      const connection = this.pool.shared(node);
      try {
        return await connection.send(command.args, options);
      } catch (error) {
        if (error instanceof TimeoutError && error.written) this.pool.retireShared(node, connection);
        throw error;
      }
    }
    const connection = await this.pool.acquire(node, command.name);
    let reusable = false;
    try {
      const reply = await connection.send(command.args, options);
      reusable = true;
      return reply;
    } catch (error) {
      // A reply error leaves the connection in step; a timeout leaves a blocked command on it.
      reusable = error instanceof ReplyError;
      throw error;
    } finally {
      this.pool.release(node, connection, reusable);
    }
  }

  /** ASKING and the command in one write, to the node importing the slot. */
  private async sendAsking(node: ClusterNode, command: RoutedCommand, timeout: number | undefined): Promise<RespReply> {
    const options = timeout === undefined ? undefined : { timeout };
    const connection = command.blocking ? await this.pool.acquire(node, command.name) : this.pool.shared(node);
    let reusable = false;
    try {
      const [, reply] = await connection.sendBatch([['ASKING'], command.args], options);
      reusable = !(reply instanceof RedisError) || reply instanceof ReplyError;
      if (reply instanceof TimeoutError && reply.written && !command.blocking) this.pool.retireShared(node, connection);
      if (reply instanceof RedisError) throw reply;
      return reply;
    } finally {
      if (command.blocking) this.pool.release(node, connection, reusable);
    }
  }
}
