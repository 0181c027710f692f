import { ConnectionError, InvalidArgumentError, type ChannelName } from '@hashslot/resp';
import { keySlot } from '@hashslot/slots';
import { CORE, type HasCore, defineMethods } from '../core.js';
import { ClusterSubscriber, type SubscriberClient } from './subscriber.js';

export { ClusterSubscriber } from './subscriber.js';
export type { ClusterSubscriberEvents, PubSubMessage, ResubscribedEvent, ResubscribeReason } from './subscriber.js';
export type { ChannelName, SubscriptionKind } from '@hashslot/resp';

/**
 * Pub/sub on the cluster. Subscriptions live on the client's `ClusterSubscriber`
 * (`client.subscriber()`), which receives the messages as events and through an async iterator;
 * the subscribe methods here are shortcuts to it.
 *
 * ```ts
 * const subscriber = client.subscriber();
 * subscriber.on('smessage', (channel, message) => console.log(channel, message));
 * await subscriber.ssubscribe('orders:{eu}', 'orders:{us}');
 * await client.spublish('orders:{eu}', 'o-1');
 * ```
 */
export interface PubSubMethods<D extends boolean> {
  /**
   * The client's subscriber: one per client (made on first use, again after it was closed), with
   * a dedicated connection per node it subscribes on. Attach listeners before subscribing: a
   * message can follow the confirmation at once.
   */
  subscriber(): ClusterSubscriber<D>;
  /** `subscriber().subscribe(...)`: SUBSCRIBE on the master of each channel's slot. */
  subscribe(...channels: ChannelName[]): Promise<void>;
  /** `subscriber().unsubscribe(...)`; every channel when none is given. */
  unsubscribe(...channels: ChannelName[]): Promise<void>;
  /** `subscriber().psubscribe(...)`: PSUBSCRIBE on one node. */
  psubscribe(...patterns: ChannelName[]): Promise<void>;
  /** `subscriber().punsubscribe(...)`; every pattern when none is given. */
  punsubscribe(...patterns: ChannelName[]): Promise<void>;
  /** `subscriber().ssubscribe(...)`: SSUBSCRIBE on the master of each channel's slot, following it. */
  ssubscribe(...channels: ChannelName[]): Promise<void>;
  /** `subscriber().sunsubscribe(...)`; every shard channel when none is given. */
  sunsubscribe(...channels: ChannelName[]): Promise<void>;
  /**
   * PUBLISH on the master of the channel's slot (any node would do: the cluster bus brings the
   * message to every node). Resolves with the number of clients of that node that received it,
   * not of the whole cluster.
   */
  publish(channel: ChannelName, message: string | Buffer | number): Promise<number>;
  /**
   * SPUBLISH (Redis 7) on the master of the channel's slot, following MOVED: the message reaches
   * that shard's subscribers only. Resolves with the number of clients of that node that got it.
   */
  spublish(channel: ChannelName, message: string | Buffer | number): Promise<number>;
}

/** The methods see the client itself as `this`; they use its core and public members only. */
type Client = HasCore & SubscriberClient;

/** Each client's current subscriber. */
const subscribers = new WeakMap<object, ClusterSubscriber<boolean>>();

function subscriberOf(client: Client): ClusterSubscriber<boolean> {
  let subscriber = subscribers.get(client);
  const clientClosed = client.status === 'closing' || client.status === 'closed';
  // After quit() the ended subscriber stays: its calls reject with 'the client is closed'.
  if (subscriber === undefined || (subscriber.closed && !clientClosed)) {
    subscriber = new ClusterSubscriber<boolean>(client[CORE], client);
    subscribers.set(client, subscriber);
  }
  return subscriber;
}

/** Unsubscribing needs no subscriber: without one there is nothing to end. */
function unsubscribeWith(client: Client, method: 'unsubscribe' | 'punsubscribe' | 'sunsubscribe', names: ChannelName[]): Promise<void> {
  const subscriber = subscribers.get(client);
  if (subscriber === undefined || subscriber.closed) return Promise.resolve();
  return subscriber[method](...names);
}

async function publishOn(client: Client, command: 'PUBLISH' | 'SPUBLISH', channel: ChannelName, message: string | Buffer | number): Promise<number> {
  if (typeof channel !== 'string' && !Buffer.isBuffer(channel)) throw new InvalidArgumentError(`${command} takes a string or Buffer channel; got ${typeof channel}`);
  if (typeof message !== 'string' && typeof message !== 'number' && !Buffer.isBuffer(message)) {
    throw new InvalidArgumentError(`${command} takes a string, Buffer or number message; got ${typeof message}`);
  }
  const core = client[CORE];
  const args = [command, channel, message];
  // SPUBLISH names its channel as a key: the router sends it to the slot's master and follows MOVED.
  if (command === 'SPUBLISH') return (await core.send(args)) as number;
  const slot = keySlot(channel);
  let master = core.masterOf(slot);
  if (master === undefined) {
    // Not discovered yet (or the slot is not served): discover, then ask again.
    await core.masters();
    master = core.masterOf(slot);
  }
  if (master === undefined) return (await core.send(args)) as number;
  try {
    return (await core.sendToNode(master.address, args)) as number;
  } catch (error) {
    // The slot's master is only a convention for PUBLISH: when it cannot be reached and the
    // message was not sent, any node does (the router picks one and retries as it may).
    if (error instanceof ConnectionError && !error.written) return (await core.send(args)) as number;
    throw error;
  }
}

type Method = (this: Client, ...args: never[]) => unknown;

const METHODS: Record<keyof PubSubMethods<boolean>, Method> = {
  subscriber(this: Client) {
    return subscriberOf(this);
  },
  subscribe(this: Client, ...channels: ChannelName[]) {
    return subscriberOf(this).subscribe(...channels);
  },
  unsubscribe(this: Client, ...channels: ChannelName[]) {
    return unsubscribeWith(this, 'unsubscribe', channels);
  },
  psubscribe(this: Client, ...patterns: ChannelName[]) {
    return subscriberOf(this).psubscribe(...patterns);
  },
  punsubscribe(this: Client, ...patterns: ChannelName[]) {
    return unsubscribeWith(this, 'punsubscribe', patterns);
  },
  ssubscribe(this: Client, ...channels: ChannelName[]) {
    return subscriberOf(this).ssubscribe(...channels);
  },
  sunsubscribe(this: Client, ...channels: ChannelName[]) {
    return unsubscribeWith(this, 'sunsubscribe', channels);
  },
  publish(this: Client, channel: ChannelName, message: string | Buffer | number): Promise<number> {
    return publishOn(this, 'PUBLISH', channel, message);
  },
  spublish(this: Client, channel: ChannelName, message: string | Buffer | number): Promise<number> {
    return publishOn(this, 'SPUBLISH', channel, message);
  },
};

export function installPubSubMethods(prototype: object): void {
  defineMethods(prototype, METHODS);
}
