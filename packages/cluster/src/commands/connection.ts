import type { Definitions } from './definition.js';
import type { BulkString, RedisValue } from './types.js';

/**
 * https://redis.io/docs/latest/commands/?group=connection
 * Keyless: the client sends them to one node of its choice.
 */
export interface ConnectionCommands<D extends boolean> {
  /** ECHO: the message back. */
  echo(message: RedisValue): BulkString<D>;
  /** PING: `'PONG'`. (PING with a message is `echo`.) */
  ping(): 'PONG';
}

export const connectionDefinitions = {
  echo: { build: (message) => ['ECHO', message] },
  ping: { build: () => ['PING'] },
} satisfies Definitions<ConnectionCommands<boolean>>;
