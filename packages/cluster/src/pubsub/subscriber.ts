import { EventEmitter } from 'node:events';
import {
  ConnectionError,
  InvalidArgumentError,
  ReplyError,
  Subscriber,
  TimeoutError,
  type ChannelName,
  type Connection,
  type SubscriptionKind,
} from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import type { BulkString } from '../commands/index.js';
import type { ClusterCore } from '../core.js';
import { ClusterDownError, ClusterError, LoadingError, MovedError, TryAgainError, classifyReplyError, slotNotServed } from '../errors.js';
import type { RefreshEvent } from '../topology.js';
import { MessageQueue } from './message-queue.js';

/** A message as `ClusterSubscriber.messages()` yields it. */
export interface PubSubMessage<D extends boolean> {
  /** `message` (SUBSCRIBE), `pmessage` (PSUBSCRIBE) or `smessage` (SSUBSCRIBE). */
  readonly kind: 'message' | 'pmessage' | 'smessage';
  readonly channel: BulkString<D>;
  readonly message: BulkString<D>;
  /** The pattern that matched, for a `pmessage`. */
  readonly pattern: BulkString<D> | undefined;
}

/** Why a subscription moved to another node (or to a new connection to the same node). */
export type ResubscribeReason =
  /** The node ended it by itself: Redis 7 does for shard channels whose slot migrated or failed over. */
  | 'server unsubscribe'
  /** The connection to the node died (a failover, a restart, a network failure). */
  | 'connection'
  /** A refresh of the slot table shows another master for the shard channel's slot. */
  | 'refresh';

/** A subscription that the subscriber moved by itself. */
export interface ResubscribedEvent<D extends boolean> {
  readonly kind: SubscriptionKind;
  readonly channel: BulkString<D>;
  /** `host:port` of the node it was subscribed on. */
  readonly from: string;
  /** `host:port` of the node it is subscribed on now. */
  readonly to: string;
  readonly reason: ResubscribeReason;
}

export interface ClusterSubscriberEvents<D extends boolean> {
  /** A message to a subscribed channel. */
  message: [channel: BulkString<D>, message: BulkString<D>];
  /** A message to a channel matching a subscribed pattern. */
  pmessage: [pattern: BulkString<D>, channel: BulkString<D>, message: BulkString<D>];
  /** A message to a subscribed shard channel. */
  smessage: [channel: BulkString<D>, message: BulkString<D>];
  /**
   * A subscription moved by itself: after a slot migration, a failover or a lost connection it
   * is confirmed again on the node that now serves it. Messages published while it moved (between
   * the old node dropping it and this event) may be missed; pub/sub keeps no history.
   */
  resubscribed: [event: ResubscribedEvent<D>];
  /**
   * An attempt to resubscribe failed; the subscriber keeps trying. Emitted only when someone
   * listens, so that an unobserved subscriber never crashes the process.
   */
  error: [error: Error];
  /** The subscriber is closed (`close()`, or its client quit): no more messages, iterators end. */
  end: [];
}

/** What the subscriber needs of its client besides the core: public members only. */
export interface SubscriberClient {
  readonly status: string;
  refresh(): Promise<void>;
  once(event: 'end', listener: () => void): unknown;
  off(event: 'end', listener: () => void): unknown;
}


/** Tries of a subscribe call before it gives up: each after a refresh, with a growing pause. */
const PLACE_ATTEMPTS = 5;
/** A MOVED chain longer than this means the nodes disagree; the table is refreshed instead. */
const MAX_REDIRECTIONS = 5;
/**
 * Right after a node dropped a subscription by itself, a refresh may still name it as the slot's
 * master (its peers learn by gossip). It is asked again this many times before the subscriber
 * settles for it: a demoted master serves SSUBSCRIBE for its new master's slots as a replica.
 */
const STALE_TABLE_RETRIES = 3;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 1000;

const KINDS: readonly SubscriptionKind[] = ['channel', 'pattern', 'shard'];
const SUBSCRIBE = { channel: 'subscribe', pattern: 'psubscribe', shard: 'ssubscribe' } as const;
const UNSUBSCRIBE = { channel: 'unsubscribe', pattern: 'punsubscribe', shard: 'sunsubscribe' } as const;

/** Who is placing a subscription: one run of `place`; a newer run takes it over. */
type Run = object;

class Subscription {
  /** The link it is subscribed on, or its SUBSCRIBE is in flight on. */
  link: Link | undefined;
  /** Confirmed on `link`. */
  active = false;
  /** The run placing it, while it is not active. */
  run: Run | undefined;
  /** Where it was before it had to move, for the `resubscribed` event. */
  movedFrom: { address: string; reason: ResubscribeReason } | undefined;
  /** A link it is still subscribed on while it moves away (make before break). */
  leaving: Link | undefined;
  /** The first placement, which a second subscribe call to the same name waits for. */
  placing: Promise<void> | undefined;
  /**
   * The link whose node dropped it while its SUBSCRIBE was being confirmed: the node's push can
   * come in the same read as the confirmation, and its event before the placing run resumes.
   */
  droppedBy: Link | undefined;
  /** `host:port` of the last node that dropped it by itself, until it is placed again. */
  droppedFrom: string | undefined;

  constructor(
    readonly kind: SubscriptionKind,
    readonly name: ChannelName,
    readonly key: string,
    readonly slot: number | undefined,
  ) {}
}

/** One dedicated connection to one node, in subscribed mode. */
class Link {
  readonly subscriptions = new Set<Subscription>();
  /** Subscriptions moving away that are still subscribed here. */
  readonly leaving = new Set<Subscription>();
  /** Unsubscribes in flight. */
  busy = 0;
  closed = false;
  released = false;

  constructor(
    readonly address: string,
    readonly subscriber: Subscriber<string | Buffer>,
  ) {}

  get connection(): Connection {
    return this.subscriber.connection;
  }

  get unused(): boolean {
    return this.subscriptions.size === 0 && this.leaving.size === 0 && this.busy === 0;
  }
}

/**
 * The pub/sub side of a `RedisCluster`, from `client.subscriber()`: one per client, with one
 * dedicated connection per node it uses (not one per channel).
 *
 * - `subscribe`: each channel on the master of the channel's slot (the classic design; the
 *   cluster bus brings every PUBLISH to every node, so any node would do).
 * - `psubscribe`: on one node, a node already in use when there is one.
 * - `ssubscribe` (Redis 7 sharded pub/sub): on the master of each channel's slot, one SSUBSCRIBE
 *   per slot. When the slot moves (migration, failover, or a node that answers MOVED), the
 *   subscription follows it by itself and `resubscribed` says so.
 *
 * A subscription whose node fails is placed again on the node that serves it once the slot table
 * shows one; until then the subscriber retries with backoff (`error` events when listened to).
 * Messages arrive as events and through `messages()`, as strings or Buffers per the client's
 * `decodeResponses`. The subscriber ends when it is closed or when its client quits.
 */
export class ClusterSubscriber<D extends boolean = true> extends EventEmitter<ClusterSubscriberEvents<D>> {
  readonly #core: ClusterCore;
  readonly #client: SubscriberClient;
  private readonly wanted: Record<SubscriptionKind, Map<string, Subscription>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  /** Names whose unsubscribe is in flight, with how many: their messages are still delivered. */
  private readonly draining: Record<SubscriptionKind, Map<string, number>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  private readonly links = new Map<string, Link>();
  private readonly opening = new Map<string, Promise<Link>>();
  private readonly queues = new Set<MessageQueue<PubSubMessage<D>>>();
  /** Pending backoff pauses, cut short when the subscriber ends. */
  private readonly pauses = new Map<NodeJS.Timeout, () => void>();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private readonly stopListening: () => void;

  /** Made by `client.subscriber()`; not meant to be constructed directly. */
  constructor(core: ClusterCore, client: SubscriberClient) {
    super();
    this.#core = core;
    this.#client = client;
    const stopRefresh = core.onRefresh((event) => this.onRefresh(event));
    const stopClose = core.onClose(() => this.close());
    const onEnd = (): void => this.finish();
    client.once('end', onEnd);
    this.stopListening = () => {
      stopRefresh();
      stopClose();
      client.off('end', onEnd);
    };
    // Made after quit(): the client's `end` has passed, so it ends now, and its calls say why.
    if (this.clientClosing()) this.finish();
  }

  /** Whether the subscriber ended: closed, or its client quit. */
  get closed(): boolean {
    return this.state !== 'open';
  }

  /**
   * SUBSCRIBE: resolves once every channel is confirmed by the master of its slot. On rejection,
   * channels confirmed by other nodes stay subscribed (see `subscriptions`).
   */
  subscribe(...channels: ChannelName[]): Promise<void> {
    return this.add('channel', channels);
  }

  /** PSUBSCRIBE: resolves once every pattern is confirmed (all patterns on one node). */
  psubscribe(...patterns: ChannelName[]): Promise<void> {
    return this.add('pattern', patterns);
  }

  /**
   * SSUBSCRIBE: resolves once every shard channel is confirmed by the master of its slot,
   * following MOVED. Channels of different slots may be given together: they are grouped by slot.
   * On rejection, channels of other slots that were confirmed stay subscribed.
   */
  ssubscribe(...channels: ChannelName[]): Promise<void> {
    return this.add('shard', channels);
  }

  /** UNSUBSCRIBE the channels, or every channel when none is given. Resolves once confirmed. */
  unsubscribe(...channels: ChannelName[]): Promise<void> {
    return this.remove('channel', channels);
  }

  /** PUNSUBSCRIBE the patterns, or every pattern when none is given. */
  punsubscribe(...patterns: ChannelName[]): Promise<void> {
    return this.remove('pattern', patterns);
  }

  /** SUNSUBSCRIBE the shard channels, or every shard channel when none is given. */
  sunsubscribe(...channels: ChannelName[]): Promise<void> {
    return this.remove('shard', channels);
  }

  /** What is subscribed (or being subscribed) of a kind, as the names were given. */
  subscriptions(kind: SubscriptionKind): ChannelName[] {
    return [...this.wanted[kind].values()].map((subscription) => subscription.name);
  }

  /** `host:port` of the node a subscription is confirmed on now, if it is. */
  nodeOf(kind: SubscriptionKind, name: ChannelName): string | undefined {
    const subscription = this.wanted[kind].get(keyOf(name));
    return subscription?.active === true ? subscription.link?.address : undefined;
  }

  /** `host:port` of every node the subscriber holds a connection to. */
  nodes(): string[] {
    return [...this.links.keys()];
  }

  /**
   * Every message from now on, of every kind, in arrival order, until the subscriber ends.
   * Messages wait in memory until read: read promptly, or `break` out of the loop, which stops
   * the buffering (and leaves the subscriptions alone). Several iterators each get every message.
   */
  messages(): AsyncIterableIterator<PubSubMessage<D>> {
    const queue = new MessageQueue<PubSubMessage<D>>((done) => this.queues.delete(done));
    if (this.state === 'closed') queue.end();
    else this.queues.add(queue);
    return queue;
  }

  /**
   * Unsubscribes everything (waiting for the confirmations, so every message sent before reaches
   * the listeners), gives the connections back and ends the subscriber. `client.subscriber()`
   * then makes a new one.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      if (this.state === 'closed') return Promise.resolve();
      this.state = 'closing';
      this.closing = (async () => {
        await Promise.allSettled(KINDS.map((kind) => this.remove(kind, [], true)));
        this.finish();
      })();
    }
    return this.closing;
  }

  private async add(kind: SubscriptionKind, names: readonly ChannelName[]): Promise<void> {
    const command = SUBSCRIBE[kind].toUpperCase();
    if (names.length === 0) throw new InvalidArgumentError(`${command} needs at least one name`);
    validateNames(command, names);
    if (this.state !== 'open') throw this.closedError();
    // Discovers the cluster on first use; rejects once the client is closed.
    await this.#core.masters();
    if (this.state !== 'open') throw this.closedError();
    const fresh: Subscription[] = [];
    const pending: Promise<void>[] = [];
    const run: Run = {};
    for (const name of names) {
      const key = keyOf(name);
      const known = this.wanted[kind].get(key);
      if (known !== undefined) {
        // Being placed by an earlier call: this one resolves (or fails) with it. Otherwise it is
        // subscribed, or being moved in the background, which is subscribed as far as callers go.
        if (known.placing !== undefined && !pending.includes(known.placing)) pending.push(known.placing);
        continue;
      }
      const subscription = new Subscription(kind, name, key, kind === 'pattern' ? undefined : keySlot(name));
      subscription.run = run;
      this.wanted[kind].set(key, subscription);
      fresh.push(subscription);
    }
    const placing = this.place(fresh, run, PLACE_ATTEMPTS, false).then(
      () => {
        for (const subscription of fresh) subscription.placing = undefined;
      },
      (error: unknown) => {
        for (const subscription of fresh) {
          subscription.placing = undefined;
          if (subscription.run !== run || subscription.active) continue;
          // Not placed: forgotten, so that a later call starts afresh.
          subscription.run = undefined;
          this.detach(subscription);
          if (this.wanted[kind].get(subscription.key) === subscription) this.wanted[kind].delete(subscription.key);
        }
        throw error;
      },
    );
    for (const subscription of fresh) subscription.placing = placing;
    // Every promise is awaited here, so none is left to reject unobserved.
    const outcomes = await Promise.allSettled([placing, ...pending]);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  private async remove(kind: SubscriptionKind, names: readonly ChannelName[], closing = false): Promise<void> {
    validateNames(UNSUBSCRIBE[kind].toUpperCase(), names);
    if (this.state === 'closed' || (this.state === 'closing' && !closing)) return;
    const wanted = this.wanted[kind];
    const targets = names.length === 0 ? [...wanted.values()] : names.map((name) => wanted.get(keyOf(name)));
    // One command per link and, for shard channels, per slot: SUNSUBSCRIBE of names in different
    // slots is refused with CROSSSLOT, which would leave them subscribed on the node.
    const groups = new Map<string, { link: Link; members: Subscription[]; restore: boolean }>();
    const add = (link: Link | undefined, subscription: Subscription, restore: boolean): void => {
      if (link === undefined || link.closed) return;
      const id = `${link.address} ${kind === 'shard' ? subscription.slot : ''}`;
      let group = groups.get(id);
      if (group === undefined || group.link !== link) {
        group = { link, members: [], restore };
        groups.set(id, group);
      }
      group.members.push(subscription);
    };
    for (const subscription of targets) {
      if (subscription === undefined || wanted.get(subscription.key) !== subscription) continue;
      wanted.delete(subscription.key);
      const active = subscription.active;
      subscription.run = undefined;
      // Only a confirmed subscription can be put back if the node refuses to end it.
      add(subscription.link, subscription, active);
      add(subscription.leaving, subscription, false);
      this.detach(subscription);
      // Messages the node sends before it confirms still reach the listeners.
      this.drain(kind, subscription.key, 1);
    }
    const outcomes = await Promise.allSettled(
      [...groups.values()].map(async ({ link, members, restore }) => {
        link.busy++;
        try {
          await link.subscriber[UNSUBSCRIBE[kind]](members.map((subscription) => subscription.name));
        } catch (error) {
          // A dead connection took its subscriptions with it, and a node that answers MOVED (or
          // CLUSTERDOWN) for SUNSUBSCRIBE no longer has the slot, whose shard channels it dropped.
          const classified = error instanceof ReplyError ? classifyReplyError(error, link.connection.host) : error;
          if (error instanceof ConnectionError || classified instanceof MovedError || classified instanceof ClusterDownError) return;
          // The node may still hold them: they stay subscribed as far as the client goes, rather
          // than deliver messages nobody is told about.
          if (restore && !link.closed && !link.released) this.restore(link, members);
          throw classified;
        } finally {
          link.busy--;
          for (const subscription of members) this.drain(kind, subscription.key, -1);
          this.releaseIfUnused(link);
        }
      }),
    );
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  /** Counts unsubscribes in flight per name, whose messages are still delivered. */
  private drain(kind: SubscriptionKind, key: string, delta: 1 | -1): void {
    const draining = this.draining[kind];
    const count = (draining.get(key) ?? 0) + delta;
    if (count > 0) draining.set(key, count);
    else draining.delete(key);
  }

  /** Puts back subscriptions the node refused to end, unless they were subscribed anew meanwhile. */
  private restore(link: Link, members: readonly Subscription[]): void {
    for (const subscription of members) {
      const wanted = this.wanted[subscription.kind];
      if (wanted.has(subscription.key)) continue;
      wanted.set(subscription.key, subscription);
      this.attach(subscription, link);
      subscription.active = true;
    }
  }

  /**
   * Places the subscriptions `run` owns, retrying what failed (after a refresh, with backoff) up
   * to `attempts` times. Those confirmed become active; the rest stay with the run.
   */
  private async place(subscriptions: readonly Subscription[], run: Run, attempts: number, background: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const pending = subscriptions.filter((subscription) => this.owns(run, subscription));
      if (pending.length === 0) return;
      if (this.state !== 'open' || this.clientClosing()) throw this.closedError();
      try {
        await this.placeOnce(pending, run, attempt);
      } catch (error) {
        if (!this.retryable(error) || attempt >= attempts) throw error;
        if (background) this.report(new ClusterError(`resubscribing on the cluster failed, retrying: ${(error as Error).message}`, { cause: error }));
        await this.sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt));
        await this.refreshQuietly();
      }
    }
  }

  private owns(run: Run, subscription: Subscription): boolean {
    return subscription.run === run && !subscription.active && this.wanted[subscription.kind].get(subscription.key) === subscription;
  }

  /** One try: groups by node (and by slot for shard channels), one command per group, all at once. */
  private async placeOnce(subscriptions: readonly Subscription[], run: Run, attempt: number): Promise<void> {
    const groups = new Map<string, { kind: SubscriptionKind; address: string; members: Subscription[] }>();
    let patternNode: string | undefined;
    for (const subscription of subscriptions) {
      let address: string;
      if (subscription.kind === 'pattern') {
        patternNode ??= await this.patternNode();
        address = patternNode;
      } else {
        const master = this.#core.masterOf(subscription.slot as number);
        if (master === undefined) {
          throw slotNotServed(subscription.slot, SUBSCRIBE[subscription.kind].toUpperCase());
        }
        address = master.address;
        const from = subscription.movedFrom;
        const dropped = subscription.droppedFrom === address || (from?.reason === 'server unsubscribe' && from.address === address);
        if (dropped && attempt <= STALE_TABLE_RETRIES) {
          throw new ClusterError(`the slot table still names ${address} for slot ${subscription.slot}, which just dropped the subscription`);
        }
      }
      const id = `${subscription.kind} ${address} ${subscription.kind === 'shard' ? subscription.slot : ''}`;
      const group = groups.get(id);
      if (group === undefined) groups.set(id, { kind: subscription.kind, address, members: [subscription] });
      else group.members.push(subscription);
    }
    const outcomes = await Promise.allSettled([...groups.values()].map((group) => this.sendGroup(group.kind, group.address, group.members, run, 0)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  /** A node already in use takes the patterns; otherwise a master at random. */
  private async patternNode(): Promise<string> {
    const existing = [...this.links.values()].find((link) => !link.closed && !link.released);
    if (existing !== undefined) return existing.address;
    const masters = await this.#core.masters();
    if (masters.length === 0) throw new ClusterDownError('CLUSTERDOWN the slot table lists no master', { command: 'PSUBSCRIBE' });
    return masters[Math.floor(Math.random() * masters.length)].address;
  }

  private async sendGroup(kind: SubscriptionKind, address: string, members: readonly Subscription[], run: Run, redirections: number): Promise<void> {
    let link = await this.linkTo(address);
    // Given back while this call waited (its last subscription ended): take a fresh one.
    if (link.released || link.closed) link = await this.linkTo(address);
    const live = members.filter((subscription) => this.owns(run, subscription));
    if (live.length === 0) {
      this.releaseIfUnused(link);
      return;
    }
    for (const subscription of live) {
      this.attach(subscription, link);
      subscription.droppedBy = undefined;
    }
    try {
      await link.subscriber[SUBSCRIBE[kind]](live.map((subscription) => subscription.name));
    } catch (error) {
      for (const subscription of live) if (subscription.link === link && !subscription.active) this.detach(subscription);
      this.releaseIfUnused(link);
      const classified = error instanceof ReplyError ? classifyReplyError(error, link.connection.host) : error;
      if (classified instanceof MovedError && redirections < MAX_REDIRECTIONS) {
        // The table is behind: follow the node's word now and let the table catch up.
        void this.refreshQuietly();
        return this.sendGroup(kind, `${classified.host}:${classified.port}`, live, run, redirections + 1);
      }
      throw classified;
    }
    const dropped: Subscription[] = [];
    for (const subscription of live) {
      // Unsubscribed meanwhile (its UNSUBSCRIBE followed on the same connection), or taken over.
      if (subscription.link !== link || subscription.run !== run) continue;
      if (subscription.droppedBy === link) {
        // Confirmed, then dropped by the node at once (its slot just moved): not subscribed there.
        // It stays with the run, which places it again after a refresh.
        subscription.droppedBy = undefined;
        subscription.droppedFrom = link.address;
        this.detach(subscription);
        dropped.push(subscription);
        continue;
      }
      subscription.active = true;
      subscription.droppedFrom = undefined;
      subscription.run = undefined;
      const leaving = subscription.leaving;
      if (leaving !== undefined) this.leave(subscription, leaving);
      const from = subscription.movedFrom;
      subscription.movedFrom = undefined;
      if (from !== undefined) {
        this.emit('resubscribed', { kind, channel: this.label(subscription.name), from: from.address, to: link.address, reason: from.reason });
      }
    }
    if (dropped.length > 0) {
      this.releaseIfUnused(link);
      throw new ClusterError(`${link.address} dropped ${dropped.length} subscription(s) right after confirming them; placing them again`);
    }
  }

  /** Ends a subscription on the link it moved away from, once it is confirmed elsewhere. */
  private leave(subscription: Subscription, link: Link): void {
    subscription.leaving = undefined;
    link.leaving.delete(subscription);
    if (link === subscription.link || link.closed) {
      this.releaseIfUnused(link);
      return;
    }
    link.busy++;
    link.subscriber[UNSUBSCRIBE[subscription.kind]]([subscription.name])
      .catch(() => {
        // Gone with its connection, or the node dropped it already: either way it is not there.
      })
      .finally(() => {
        link.busy--;
        this.releaseIfUnused(link);
      });
  }

  private linkTo(address: string): Promise<Link> {
    const existing = this.links.get(address);
    if (existing !== undefined && !existing.closed && !existing.released) return Promise.resolve(existing);
    let opening = this.opening.get(address);
    if (opening === undefined) {
      opening = this.openLink(address).finally(() => this.opening.delete(address));
      this.opening.set(address, opening);
    }
    return opening;
  }

  private async openLink(address: string): Promise<Link> {
    const connection = await this.#core.acquireDedicated(address, 'SSUBSCRIBE');
    if (this.state === 'closed') {
      this.#core.releaseDedicated(address, connection, true);
      throw this.closedError();
    }
    let subscriber: Subscriber<string | Buffer>;
    try {
      subscriber = new Subscriber<string | Buffer>(connection);
    } catch (error) {
      // A reused connection still owed a timed-out reply: not one to subscribe on.
      this.#core.releaseDedicated(address, connection, false);
      throw new ConnectionError(`no clean connection to ${address} for pub/sub: ${(error as Error).message}`, { command: undefined, address, written: false }, { cause: error });
    }
    const link = new Link(address, subscriber);
    subscriber.on('message', (channel, message) => this.deliver('message', undefined, channel, message));
    subscriber.on('pmessage', (pattern, channel, message) => this.deliver('pmessage', pattern, channel, message));
    subscriber.on('smessage', (channel, message) => this.deliver('smessage', undefined, channel, message));
    subscriber.on('server unsubscribe', (kind, names) => this.onServerUnsubscribe(link, kind, names));
    subscriber.once('close', () => this.onLinkClosed(link));
    this.links.set(address, link);
    return link;
  }

  private deliver(kind: PubSubMessage<D>['kind'], pattern: string | Buffer | undefined, channel: string | Buffer, message: string | Buffer): void {
    // Only what is subscribed (or being unsubscribed): a node may still hold a subscription the
    // client gave up on (an unsubscribe that failed, a move whose old node kept it).
    const subscriptionKind: SubscriptionKind = kind === 'message' ? 'channel' : kind === 'pmessage' ? 'pattern' : 'shard';
    if (!this.isWanted(subscriptionKind, kind === 'pmessage' ? (pattern as string | Buffer) : channel)) return;
    const channelValue = channel as BulkString<D>;
    const messageValue = message as BulkString<D>;
    if (kind === 'pmessage') this.emit('pmessage', pattern as BulkString<D>, channelValue, messageValue);
    else this.emit(kind, channelValue, messageValue);
    if (this.queues.size === 0) return;
    const item: PubSubMessage<D> = { kind, channel: channelValue, message: messageValue, pattern: pattern as BulkString<D> | undefined };
    for (const queue of this.queues) queue.push(item);
  }

  private isWanted(kind: SubscriptionKind, name: string | Buffer): boolean {
    const key = keyOf(name);
    if (this.wanted[kind].has(key) || this.draining[kind].has(key)) return true;
    if (!isLossy(name)) return false;
    for (const known of [...this.wanted[kind].keys(), ...this.draining[kind].keys()]) if (lossyText(known) === name) return true;
    return false;
  }

  /**
   * The subscriptions a name from the server stands for. With `decodeResponses` the server's
   * names arrive as UTF-8 text, in which a name that is not UTF-8 lost bytes (each replaced by
   * U+FFFD): such a name is matched by its decoded text, against the subscriptions on `link`.
   */
  private subscriptionsNamed(kind: SubscriptionKind, name: string | Buffer, link: Link): Subscription[] {
    const exact = this.wanted[kind].get(keyOf(name));
    if (exact !== undefined) return [exact];
    if (!isLossy(name)) return [];
    return [...this.wanted[kind].values()].filter(
      (subscription) => (subscription.link === link || subscription.leaving === link) && lossyText(subscription.key) === name,
    );
  }

  private onServerUnsubscribe(link: Link, kind: SubscriptionKind, names: readonly (string | Buffer)[]): void {
    const orphans: Subscription[] = [];
    for (const subscription of new Set(names.flatMap((name) => this.subscriptionsNamed(kind, name, link)))) {
      if (subscription.leaving === link) {
        // It was moving away anyway; the node spared us the SUNSUBSCRIBE.
        subscription.leaving = undefined;
        link.leaving.delete(subscription);
      } else if (subscription.link === link && subscription.active) {
        orphans.push(subscription);
      } else if (subscription.link === link && subscription.run !== undefined) {
        // Its SUBSCRIBE was confirmed in the same read: the run placing it sees this and retries.
        subscription.droppedBy = link;
      }
    }
    this.resubscribe(orphans, link.address, 'server unsubscribe');
    this.releaseIfUnused(link);
  }

  private onLinkClosed(link: Link): void {
    link.closed = true;
    if (this.links.get(link.address) === link) this.links.delete(link.address);
    if (link.released) return;
    if (this.state !== 'open' || this.clientClosing()) {
      // The client is quitting: its pool cuts the subscriber's connections off.
      this.finish();
      return;
    }
    for (const subscription of link.leaving) subscription.leaving = undefined;
    link.leaving.clear();
    // Subscriptions still being placed here belong to their run, which sees the failure itself.
    this.resubscribe([...link.subscriptions].filter((subscription) => subscription.active), link.address, 'connection');
  }

  private onRefresh(event: RefreshEvent): void {
    if (this.state !== 'open' || (event.changedSlots === 0 && event.removed.length === 0)) return;
    const moving: Subscription[] = [];
    for (const subscription of this.wanted.shard.values()) {
      const link = subscription.link;
      if (!subscription.active || link === undefined) continue;
      const owner = this.#core.masterOf(subscription.slot as number);
      if (owner !== undefined && owner.address !== link.address) moving.push(subscription);
    }
    for (const subscription of moving) {
      const link = subscription.link as Link;
      // Make before break: it stays subscribed on the old node until the new one confirmed.
      this.detach(subscription);
      subscription.leaving = link;
      link.leaving.add(subscription);
    }
    this.resubscribe(moving, undefined, 'refresh');
  }

  /** Places subscriptions that lost their node again, in the background, until it works. */
  private resubscribe(subscriptions: Subscription[], from: string | undefined, reason: ResubscribeReason): void {
    if (subscriptions.length === 0) return;
    const run: Run = {};
    for (const subscription of subscriptions) {
      const origin = from ?? subscription.leaving?.address ?? subscription.link?.address;
      if (subscription.leaving === undefined) this.detach(subscription);
      subscription.active = false;
      subscription.run = run;
      // A subscription that moves twice before it lands reports where it was last confirmed.
      if (subscription.movedFrom === undefined && origin !== undefined) subscription.movedFrom = { address: origin, reason };
    }
    void (async () => {
      if (reason !== 'refresh') await this.refreshQuietly();
      await this.place(subscriptions, run, Infinity, true);
    })().catch((error: unknown) => {
      // Only an ended subscriber or an error no retry can fix stops the run.
      if (this.state === 'open' && !this.clientClosing()) this.report(error as Error);
    });
  }

  private attach(subscription: Subscription, link: Link): void {
    if (subscription.link === link) return;
    this.detach(subscription);
    subscription.link = link;
    link.subscriptions.add(subscription);
  }

  private detach(subscription: Subscription): void {
    const link = subscription.link;
    if (link !== undefined) {
      link.subscriptions.delete(subscription);
      subscription.link = undefined;
      subscription.active = false;
    }
    if (subscription.run === undefined && subscription.leaving !== undefined) {
      // Unsubscribed while moving: the caller sends the unsubscribe to the old node too.
      subscription.leaving.leaving.delete(subscription);
      subscription.leaving = undefined;
    }
  }

  /** A connection with no subscription left goes back to the pool, which closes it. */
  private releaseIfUnused(link: Link): void {
    if (link.closed || link.released || !link.unused) return;
    link.released = true;
    if (this.links.get(link.address) === link) this.links.delete(link.address);
    this.#core.releaseDedicated(link.address, link.connection, false);
  }

  private retryable(error: unknown): boolean {
    if (this.state !== 'open' || this.clientClosing()) return false;
    return (
      error instanceof ConnectionError ||
      error instanceof TimeoutError ||
      error instanceof ClusterDownError ||
      error instanceof TryAgainError ||
      error instanceof LoadingError ||
      error instanceof MovedError ||
      // Not (yet) a node of the table, no connection free, a table behind: a refresh may fix it.
      error instanceof ClusterError
    );
  }

  private clientClosing(): boolean {
    const status = this.#client.status;
    return status === 'closing' || status === 'closed';
  }

  private async refreshQuietly(): Promise<void> {
    try {
      await this.#client.refresh();
    } catch {
      // A failed refresh is seen again as the failure of the next attempt.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pauses.delete(timer);
        resolve();
      }, ms);
      this.pauses.set(timer, resolve);
    });
  }

  private report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private label(name: ChannelName): BulkString<D> {
    if (this.#core.decodeResponses) return (typeof name === 'string' ? name : name.toString()) as BulkString<D>;
    return (Buffer.isBuffer(name) ? name : Buffer.from(name)) as BulkString<D>;
  }

  private closedError(): ClusterError {
    return new ClusterError(this.clientClosing() ? 'the client is closed' : 'the subscriber is closed');
  }

  /** Ends for good: connections back to the pool, iterators finished, `end` emitted once. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopListening();
    // Runs waiting out a backoff wake up, see the subscriber ended and fail their callers.
    for (const [timer, wake] of this.pauses) {
      clearTimeout(timer);
      wake();
    }
    this.pauses.clear();
    for (const link of [...this.links.values()]) {
      link.released = true;
      this.#core.releaseDedicated(link.address, link.connection, false);
    }
    this.links.clear();
    for (const kind of KINDS) this.wanted[kind].clear();
    for (const queue of this.queues) queue.end();
    this.queues.clear();
    this.emit('end');
  }
}

function validateNames(command: string, names: readonly unknown[]): void {
  for (const name of names) {
    if (typeof name !== 'string' && !Buffer.isBuffer(name)) throw new InvalidArgumentError(`${command} takes strings or Buffers; got ${typeof name}`);
  }
}

/** Whether a name from the server may be the lossy UTF-8 decoding of a name that is not UTF-8. */
function isLossy(name: string | Buffer): name is string {
  return typeof name === 'string' && name.includes('\uFFFD');
}

/** What a server name decoded as UTF-8 looks like, from its key. */
function lossyText(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

/** The name's bytes as text: a string and a Buffer holding its UTF-8 are the same channel. */
function keyOf(name: string | Buffer): string {
  return (typeof name === 'string' ? Buffer.from(name) : name).toString('latin1');
}
