import { EventEmitter } from 'node:events';
import { Connection, type ConnectionState } from './connection.js';
import type { ConnectionOptions } from './connection-options.js';
import type { CommandArgs } from './encoder.js';
import { InvalidArgumentError, ReplyError } from './errors.js';
import type { RespReply } from './parser.js';
import { Queue } from './queue.js';

/**
 * What a subscription is to: a channel (SUBSCRIBE), a glob-style pattern (PSUBSCRIBE) or a
 * shard channel (SSUBSCRIBE, Redis 7), which lives in the slot of its name.
 */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** A channel or pattern name as a caller gives it. */
export type ChannelName = string | Buffer;

/**
 * Events of a `Subscriber`. `V` is how bulk strings arrive: `string`, or `Buffer` when the
 * connection has `returnBuffers`.
 */
export interface SubscriberEvents<V extends string | Buffer> {
  /** A message published to a channel this subscriber subscribed to. */
  message: [channel: V, message: V];
  /** A message published to a channel that matches a subscribed pattern. */
  pmessage: [pattern: V, channel: V, message: V];
  /** A message published (SPUBLISH) to a subscribed shard channel. */
  smessage: [channel: V, message: V];
  /**
   * The server ended subscriptions without being asked. Redis 7 does so for shard channels when
   * their slot is migrated away or deleted (a failover demoting the node included); the channels
   * are no longer subscribed here. Pushes that arrive together are reported in one event.
   */
  'server unsubscribe': [kind: SubscriptionKind, channels: V[]];
  /** The connection is closed for good; `error` says why, unless `quit()`/`destroy()` closed it. */
  close: [error: Error | undefined];
}

/** The first element of each confirmation the server sends, RESP2 style (`*3 subscribe ch 1`). */
const CONFIRMATIONS: ReadonlyMap<string, { readonly kind: SubscriptionKind; readonly subscribing: boolean }> = new Map([
  ['subscribe', { kind: 'channel', subscribing: true }],
  ['unsubscribe', { kind: 'channel', subscribing: false }],
  ['psubscribe', { kind: 'pattern', subscribing: true }],
  ['punsubscribe', { kind: 'pattern', subscribing: false }],
  ['ssubscribe', { kind: 'shard', subscribing: true }],
  ['sunsubscribe', { kind: 'shard', subscribing: false }],
]);

/** A command sent, and the confirmations it is still owed. */
interface Expected {
  /** The confirmation word it is answered with (`subscribe`, `sunsubscribe` ...); `''` for PING. */
  readonly word: string;
  /**
   * Names still to be confirmed: the server confirms each argument, in argument order.
   * `undefined` for an unsubscribe without names, which ends every subscription of its kind.
   */
  readonly names: readonly ChannelName[] | undefined;
  /** How many of `names` were confirmed. */
  confirmed: number;
  /**
   * For the PING sent behind each SUNSUBSCRIBE: whether it may still take the SUNSUBSCRIBE's
   * late answer (a redirection error) before its own PONG.
   */
  absorbsRedirection?: boolean;
}

/**
 * Error prefixes a SUNSUBSCRIBE of a slot the node no longer serves is answered with (Redis 7.0
 * redirects it like any keyed command); a PING never is, so its own reply is never mistaken.
 */
const REDIRECTIONS: ReadonlySet<string> = new Set(['MOVED', 'ASK', 'CLUSTERDOWN', 'TRYAGAIN']);

/**
 * A pub/sub connection: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE (and their unsubscribes) on one
 * `Connection` it takes for itself, messages as events.
 *
 * RESP2 pub/sub does not answer one reply per command: SUBSCRIBE of n channels is confirmed n
 * times, an unsubscribe without names once per subscription, messages come unasked and Redis 7
 * unsubscribes shard channels by itself when their slot moves. The subscriber keeps its own queue
 * of what each command is owed, takes the extra replies and lets exactly one reply per command
 * through to the connection, which keeps its handshake, write coalescing, timeouts and failure
 * semantics.
 *
 * Each call resolves once the server confirmed every name, and rejects with the server's
 * `ReplyError` (say `MOVED` or `CROSSSLOT` for SSUBSCRIBE on a cluster node) or the connection's
 * error. Never emits `error`. `V` is how bulk strings arrive: `new Subscriber<Buffer>(...)` for a
 * connection with `returnBuffers`.
 */
export class Subscriber<V extends string | Buffer = string> extends EventEmitter<SubscriberEvents<V>> {
  /** The connection this subscriber runs on; it must not be used for anything else. */
  readonly connection: Connection;
  private readonly expected = new Queue<Expected>();
  /** Confirmed subscriptions per kind, keyed by the name's text (latin1 for Buffers). */
  private readonly confirmed: Record<SubscriptionKind, Map<string, V>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  /** Calls waiting for the connection to be ready; later calls queue behind them, in order. */
  private waiting = 0;
  private unsubscribedByServer: Map<SubscriptionKind, V[]> | undefined;

  /**
   * Runs on `connection` (idle, or ready with no command in flight or queued; nothing else may
   * use it from now on), or on a new connection made from `options`. Connects on the first call.
   */
  constructor(connection: Connection | ConnectionOptions) {
    super();
    const conn = connection instanceof Connection ? connection : new Connection(connection);
    if (conn.state === 'closing' || conn.state === 'closed') throw new InvalidArgumentError(`a Subscriber needs an open connection; ${conn.address} is ${conn.state}`);
    // The replies owed to someone else's commands would be counted against the subscriber's.
    if (conn.inFlightCount > 0 || conn.queuedCount > 0) throw new InvalidArgumentError(`a Subscriber needs a connection of its own; ${conn.address} has commands in flight`);
    this.connection = conn;
    conn.interceptReplies((reply) => this.intercept(reply));
    conn.once('close', (error) => {
      // What is still owed will never come; the connection rejects the calls waiting for it.
      this.expected.drain();
      this.emit('close', error);
    });
  }

  /** `host:port` of the node. */
  get address(): string {
    return this.connection.address;
  }

  /** The state of the connection. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /**
   * The subscriptions of a kind the server confirmed and has not ended, as the server named them.
   * After `close` it is what the subscriber had when the connection died, for resubscribing.
   */
  subscriptions(kind: SubscriptionKind): V[] {
    return [...this.confirmed[kind].values()];
  }

  /** Confirmed subscriptions of every kind. */
  get subscriptionCount(): number {
    return this.confirmed.channel.size + this.confirmed.pattern.size + this.confirmed.shard.size;
  }

  /** SUBSCRIBE: resolves once every channel is confirmed. */
  subscribe(channels: readonly ChannelName[]): Promise<void> {
    return this.run('SUBSCRIBE', 'subscribe', channels, false);
  }

  /** PSUBSCRIBE: resolves once every pattern is confirmed. */
  psubscribe(patterns: readonly ChannelName[]): Promise<void> {
    return this.run('PSUBSCRIBE', 'psubscribe', patterns, false);
  }

  /**
   * SSUBSCRIBE: resolves once every shard channel is confirmed. On a cluster the channels must
   * share a slot (`CROSSSLOT` otherwise) served by this node (`MOVED` otherwise).
   */
  ssubscribe(channels: readonly ChannelName[]): Promise<void> {
    return this.run('SSUBSCRIBE', 'ssubscribe', channels, false);
  }

  /** UNSUBSCRIBE the channels, or every channel when none is given. */
  unsubscribe(channels?: readonly ChannelName[]): Promise<void> {
    return this.run('UNSUBSCRIBE', 'unsubscribe', channels ?? [], true);
  }

  /** PUNSUBSCRIBE the patterns, or every pattern when none is given. */
  punsubscribe(patterns?: readonly ChannelName[]): Promise<void> {
    return this.run('PUNSUBSCRIBE', 'punsubscribe', patterns ?? [], true);
  }

  /**
   * SUNSUBSCRIBE the shard channels, or every shard channel when none is given. Resolves once the
   * channels are gone, which includes the node dropping them by itself (its slot moved) just
   * before the command ran: the node then answers the command itself with `MOVED` or
   * `CLUSTERDOWN`, which is absorbed, as the channels are gone anyway.
   */
  sunsubscribe(channels?: readonly ChannelName[]): Promise<void> {
    return this.run('SUNSUBSCRIBE', 'sunsubscribe', channels ?? [], true);
  }

  /** PING, allowed in subscribed mode: resolves when the node answered (a liveness check). */
  async ping(): Promise<void> {
    await this.whenReady();
    if (this.connection.state === 'ready') this.expected.push({ word: '', names: [], confirmed: 0 });
    await this.connection.send(['PING']);
  }

  /** Closes gracefully: confirmations already owed arrive (or time out), then the socket ends. */
  quit(): Promise<void> {
    return this.connection.quit();
  }

  /** Closes at once; calls still waiting fail with a `ConnectionError`. */
  destroy(error?: Error): void {
    this.connection.destroy(error);
  }

  private async run(command: string, word: string, names: readonly ChannelName[], mayBeEmpty: boolean): Promise<void> {
    if (!Array.isArray(names)) throw new InvalidArgumentError(`${command} needs an array of names; got ${typeof names}`);
    if (names.length === 0 && !mayBeEmpty) throw new InvalidArgumentError(`${command} needs at least one name`);
    for (const name of names) {
      if (typeof name !== 'string' && !Buffer.isBuffer(name)) {
        // Checked before anything is sent: a command the connection could not encode would never be
        // answered, and the queue of what is owed would fall out of step.
        throw new InvalidArgumentError(`${command} takes strings or Buffers; got ${typeof name}`);
      }
    }
    await this.whenReady();
    const copy = names.slice();
    // A closing or closed connection refuses the command without sending it: nothing is owed then.
    const sending = this.connection.state === 'ready';
    if (sending) this.expected.push({ word, names: copy.length === 0 ? undefined : copy, confirmed: 0 });
    const reply = this.connection.send([command, ...copy] as CommandArgs);
    if (sending && word === 'sunsubscribe') {
      // A node that drops a slot's shard channels by itself pushes `sunsubscribe ch` for each, which
      // is indistinguishable from the confirmation of our own SUNSUBSCRIBE ch and may overtake it;
      // the command's own answer (a second push, or MOVED/CLUSTERDOWN on Redis 7.0) then comes
      // after. A PING sent right behind bounds where that late twin can arrive: it is absorbed
      // until the PONG, so it is never taken for the answer to the next command.
      this.expected.push({ word: '', names: [], confirmed: 0, absorbsRedirection: true });
      this.connection.send(['PING']).catch(() => {
        // The connection died or the PING timed out: the connection reports that itself.
      });
    }
    await reply;
  }

  /**
   * Waits for the handshake before a command is queued: its replies (AUTH, CLIENT SETNAME) are
   * the connection's own and must not be counted against a subscriber's command.
   */
  private async whenReady(): Promise<void> {
    if (this.waiting === 0 && this.connection.state === 'ready') return;
    this.waiting++;
    try {
      await this.connection.connect();
    } finally {
      this.waiting--;
    }
  }

  /** Takes messages and the confirmations a command is owed beyond its last; lets the rest through. */
  private intercept(reply: RespReply): boolean {
    if (Array.isArray(reply)) {
      const head = reply[0];
      const word = typeof head === 'string' ? head : Buffer.isBuffer(head) ? head.toString('latin1') : undefined;
      const a = reply[1];
      const b = reply[2];
      if (reply.length === 3 && isName(a) && isName(b)) {
        if (word === 'message') return this.deliver('message', a as V, b as V);
        if (word === 'smessage') return this.deliver('smessage', a as V, b as V);
      }
      if (word === 'pmessage' && reply.length === 4 && isName(a) && isName(b) && isName(reply[3])) {
        return this.deliver('pmessage', a as V, b as V, reply[3] as V);
      }
      if (word !== undefined && reply.length === 3 && (a === null || isName(a)) && typeof b === 'number') {
        const confirmation = CONFIRMATIONS.get(word);
        if (confirmation !== undefined) return this.confirm(word, confirmation.kind, confirmation.subscribing, a as V | null);
      }
    }
    const head = this.expected.peek();
    if (head?.absorbsRedirection === true && reply instanceof ReplyError && REDIRECTIONS.has(reply.prefix)) {
      // The late answer of the SUNSUBSCRIBE in front, already settled by the node's own push.
      head.absorbsRedirection = false;
      return true;
    }
    // Anything else is the whole answer to the oldest command: an error reply, PONG, or `['pong', '']`
    // in subscribed mode.
    this.expected.shift();
    return false;
  }

  private confirm(word: string, kind: SubscriptionKind, subscribing: boolean, name: V | null): boolean {
    const confirmed = this.confirmed[kind];
    let wasSubscribed = false;
    if (name !== null) {
      const key = keyOf(name);
      if (subscribing) confirmed.set(key, name);
      else wasSubscribed = confirmed.delete(key);
    }
    const head = this.expected.peek();
    if (head !== undefined && head.word === word) {
      if (head.names === undefined) {
        // Without names the server confirms each subscription of the kind it had, or once with a
        // null name when it had none: done once nothing of the kind is left.
        return name === null || confirmed.size === 0 ? this.answered() : true;
      }
      if (name !== null && sameName(head.names[head.confirmed], name)) {
        head.confirmed++;
        return head.confirmed === head.names.length ? this.answered() : true;
      }
    }
    // Not what the oldest command is owed: an unsubscribe the server decided by itself. One for a
    // name no longer subscribed is the late twin of a push already taken as a confirmation.
    if (!subscribing && wasSubscribed && name !== null) this.reportServerUnsubscribe(kind, name);
    return true;
  }

  /** The oldest command got its last confirmation: that reply goes through to settle it. */
  private answered(): false {
    this.expected.shift();
    return false;
  }

  private reportServerUnsubscribe(kind: SubscriptionKind, name: V): void {
    // A slot's channels are unsubscribed one push each, back to back: report them together.
    if (this.unsubscribedByServer === undefined) {
      this.unsubscribedByServer = new Map();
      process.nextTick(() => {
        const batches = this.unsubscribedByServer;
        this.unsubscribedByServer = undefined;
        for (const [batchKind, names] of batches ?? []) this.emit('server unsubscribe', batchKind, names);
      });
    }
    const batch = this.unsubscribedByServer.get(kind);
    if (batch === undefined) this.unsubscribedByServer.set(kind, [name]);
    else batch.push(name);
  }

  private deliver(event: 'message' | 'smessage', channel: V, message: V): true;
  private deliver(event: 'pmessage', pattern: V, channel: V, message: V): true;
  private deliver(event: 'message' | 'smessage' | 'pmessage', a: V, b: V, c?: V): true {
    try {
      if (event === 'pmessage') this.emit(event, a, b, c as V);
      else this.emit(event, a, b);
    } catch (error) {
      // A listener that throws is the caller's bug: it surfaces as an uncaught exception, as from
      // any emitter, instead of reaching the parser and being taken for a protocol error.
      process.nextTick(() => {
        throw error;
      });
    }
    return true;
  }
}

function isName(value: RespReply | undefined): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function keyOf(name: string | Buffer): string {
  return typeof name === 'string' ? name : name.toString('latin1');
}

/** Whether a name given by the caller is the one the server confirmed, string or Buffer alike. */
function sameName(given: ChannelName | undefined, got: string | Buffer): boolean {
  if (given === undefined) return false;
  if (typeof got === 'string') return (typeof given === 'string' ? given : given.toString()) === got;
  return Buffer.isBuffer(given) ? given.equals(got) : got.equals(Buffer.from(given));
}
