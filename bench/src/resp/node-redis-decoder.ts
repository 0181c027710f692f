/**
 * Loads the RESP decoder of node-redis (`@redis/client`), the decoder ioredis 6 adopted. It is
 * not part of the package's public API (the index re-exports only `RESP_TYPES`), so it is found
 * next to the package's main file rather than through a hard-coded path into node_modules, and
 * given the few types this benchmark relies on. The self-check is what proves they hold.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The callbacks the decoder takes (`DecoderOptions` in its `lib/RESP/decoder.ts`). */
export interface NodeRedisDecoderOptions {
  onReply(reply: unknown): unknown;
  onErrorReply(error: Error): unknown;
  onPush(push: unknown[]): unknown;
  /** Asked before each top-level reply: how each RESP type byte is decoded. */
  getTypeMapping(): Readonly<Record<number, unknown>>;
}

export interface NodeRedisDecoder {
  write(chunk: Buffer): void;
}

export type NodeRedisDecoderClass = new (options: NodeRedisDecoderOptions) => NodeRedisDecoder;

const require = createRequire(import.meta.url);

export function loadNodeRedisDecoder(): NodeRedisDecoderClass {
  const main = require.resolve('@redis/client'); // .../@redis/client/dist/index.js
  const file = join(dirname(main), 'lib', 'RESP', 'decoder.js');
  const loaded: unknown = require(file);
  const Decoder: unknown = typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'Decoder') : undefined;
  if (typeof Decoder !== 'function') {
    throw new Error(`@redis/client changed its layout: ${file} no longer exports a Decoder class`);
  }
  // Checked above as far as JavaScript can tell; the self-check verifies its behaviour.
  return Decoder as NodeRedisDecoderClass;
}

