export { checkArguments, encodeCommand, encodeCommands, commandName, PASS_THROUGH_BYTES } from './encoder.js';
export type { CommandArgument, CommandArgs } from './encoder.js';
export {
  RespParser,
  DEFAULT_MAX_ARRAY_LENGTH,
  DEFAULT_MAX_BULK_LENGTH,
  DEFAULT_MAX_DEPTH,
} from './parser.js';
export type { RespParserOptions, RespReply } from './parser.js';
export { Connection } from './connection.js';
export type { BatchReply, ConnectionEvents, ConnectionState } from './connection.js';
export { Subscriber } from './subscriber.js';
export type { ChannelName, SubscriberEvents, SubscriptionKind } from './subscriber.js';
export type { ConnectionOptions, SendOptions } from './connection-options.js';
export {
  ConnectionError,
  InvalidArgumentError,
  ProtocolError,
  RedisError,
  ReplyError,
  TimeoutError,
} from './errors.js';
export type { CommandContext } from './errors.js';
