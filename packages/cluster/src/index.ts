export { RedisCluster } from './cluster.js';
export type { ClusterEvents, ClusterStatus, CommandOptions } from './cluster.js';
export type { NodeReply, NodeSelection, NodeSummary } from './core.js';
export type { ClusterOptions, NatMap, NodeAddress, ReadFrom, RetryDelays } from './options.js';
export type { RefreshEvent } from './topology.js';
export {
  AskError,
  ClusterDownError,
  ClusterError,
  LoadingError,
  MovedError,
  ReadOnlyError,
  TryAgainError,
} from './errors.js';
export type { NodeFailure, Redirection } from './errors.js';
// The errors of the layers below, so that one import covers every error a client can see.
export { ConnectionError, InvalidArgumentError, ProtocolError, RedisError, ReplyError, TimeoutError } from '@hashslot/resp';
export { CrossSlotError } from '@hashslot/slots';
// The option and reply types of the typed command methods.
export type * from './commands/index.js';
export type { CollectionScanOptions, HashEntry, ScanOptions } from './scan/index.js';
export type { ClusterScript, ScriptDefinition, ScriptFlushMode, ScriptNodesOptions } from './scripts/index.js';
export { parseClusterNodes } from './admin/index.js';
export type {
  ClusterFailoverMode,
  ClusterInfo,
  ClusterNodeEntry,
  ClusterResetMode,
  ClusterSetSlotState,
  ClusterShard,
  ClusterShardNode,
  ClusterSlotNode,
  ClusterSlotRange,
  NodeOption,
  NodeTarget,
  SlotMove,
} from './admin/index.js';
export type { Aggregate, ClientKillFilter, PerNode, PerNodeOption, SlowlogEntry } from './fanout/index.js';
export { ClusterSubscriber } from './pubsub/index.js';
export type { ChannelName, ClusterSubscriberEvents, PubSubMessage, ResubscribedEvent, ResubscribeReason, SubscriptionKind } from './pubsub/index.js';
// The command definitions, for layers that queue typed commands (the pipeline).
export { COMMANDS, installCommands } from './commands/index.js';
export type { Transaction, TransactionOptions, WatchSession } from './transaction/index.js';
