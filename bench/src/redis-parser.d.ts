/**
 * The part of redis-parser 3 (the RESP parser ioredis used for years) this benchmark calls.
 * The package ships no types. https://github.com/NodeRedis/node-redis-parser#options
 */
declare module 'redis-parser' {
  interface RedisParserOptions {
    returnReply(reply: unknown): void;
    /** Error replies, as `ReplyError` of redis-errors. */
    returnError(error: Error): void;
    /** Bytes that are not RESP; defaults to `returnError`. */
    returnFatalError?(error: Error): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }

  class RedisParser {
    constructor(options: RedisParserOptions);
    execute(buffer: Buffer): void;
    reset(): void;
  }

  export = RedisParser;
}
