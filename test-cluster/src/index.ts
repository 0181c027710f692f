export { startCluster } from './cluster.js';
export { startServer } from './server.js';
export type { TestServer } from './server.js';
export { waitFor } from './wait.js';
export type { WaitForOptions } from './wait.js';
export { dockerAvailable, DEFAULT_DOCKER_IMAGE } from './docker-backend.js';
export { isProcessAlive } from './process-state.js';
export { parseClusterNodes, parseInfo, splitSlots } from './topology.js';
export type { ClusterNodesEntry, SlotRange } from './topology.js';
export {
  TestClusterError,
  CliCommandError,
  NodeStartError,
  WaitTimeoutError,
  ClusterUnhealthyError,
  InvalidOperationError,
  DockerUnavailableError,
} from './errors.js';
export type { BackendName } from './backend.js';
export type { AclUser, Credentials } from './config.js';
export type { ServerOptions } from './run.js';
export type { TlsMaterial } from './tls.js';
export type {
  AddNodeOptions,
  CliCallOptions,
  ClusterNode,
  ClusterOptions,
  Endpoint,
  FailoverMode,
  HealthOptions,
  KillSignal,
  MoveSlotOptions,
  NodeRef,
  NodeRole,
  NodeStatus,
  SlotMigration,
  TestCluster,
} from './types.js';
