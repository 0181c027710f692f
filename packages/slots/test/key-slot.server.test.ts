import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Connection } from '@hashslot/resp';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { keySlot } from '@hashslot/slots';

/** Keys of every shape the spec has a rule for, as Buffers so that binary keys stay exact. */
const shapedKey = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 20 }).map((text) => Buffer.from(text, 'utf8')),
  fc.constantFrom('', '{}', '{', '}', '}{', '{a}{b}', '{{a}}', '{}{x}', 'x{}y{z}').map((text) => Buffer.from(text)),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.constantFrom('{', '}', '{}', '}{', '{{', '}}'), fc.string({ maxLength: 6 }), fc.constantFrom('{', '}', ''), fc.string({ maxLength: 4 }))
    .map((parts) => Buffer.from(parts.join(''), 'utf8')),
);

describe('keySlot against the server', () => {
  it('gives the slot CLUSTER KEYSLOT gives for 20,000 random keys: binary, unicode, empty, and with braces', async () => {
    const node = sharedCluster().startupNodes[0];
    const conn = new Connection({ host: node.host, port: node.port });
    try {
      const keys = fc.sample(shapedKey, { numRuns: 20_000, seed: 20_000 });
      const replies = await conn.sendBatch(keys.map((key) => ['CLUSTER', 'KEYSLOT', key]));
      const mismatches = keys.flatMap((key, i) => (keySlot(key) === replies[i] ? [] : [{ key: key.toString('hex'), ours: keySlot(key), server: replies[i] }]));
      expect(mismatches).toEqual([]);
      // The same keys as strings, where they are valid UTF-8, hash the same as their bytes.
      for (const [i, key] of keys.entries()) {
        const text = key.toString('utf8');
        if (Buffer.from(text, 'utf8').equals(key)) expect(keySlot(text)).toBe(replies[i]);
      }
    } finally {
      await conn.quit();
    }
  });
});
