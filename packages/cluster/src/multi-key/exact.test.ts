import { ReplyError, type BatchReply, type CommandArgument } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import type { ClusterCore } from '../core.js';
import { read, readExact } from './exact.js';

/** A core whose batch answers each EVAL by its hex flag: `plain` for '0', `hex` for '1'. */
function fakeCore(decodeResponses: boolean, plain: BatchReply[], hex: BatchReply[]): { core: ClusterCore; sent: CommandArgument[][] } {
  const sent: CommandArgument[][] = [];
  const core = {
    decodeResponses,
    batch: async (commands: readonly (readonly CommandArgument[])[]) =>
      commands.map((command) => {
        sent.push([...command]);
        const key = command[3] as string;
        const index = Number(key.slice(1));
        return command[4] === '1' ? hex[index] : plain[index];
      }),
  } as unknown as ClusterCore;
  return { core, sent };
}

describe('readExact', () => {
  const calls = [read('SMEMBERS', ['k0']), read('SMEMBERS', ['k1']), read('SMEMBERS', ['k2'])];

  it('re-reads as hex only the replies that UTF-8 decoding may have spoiled', async () => {
    const error = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    const { core, sent } = fakeCore(true, [['text', 'ünï'], ['ok', '\uFFFD'], error], [[], ['6f6b', 'ff'], error]);
    const replies = await readExact(core, calls);
    expect(replies[0]).toEqual([Buffer.from('text'), Buffer.from('ünï')]);
    expect(replies[1]).toEqual([Buffer.from('ok'), Buffer.from([0xff])]);
    expect(replies[2]).toBe(error);
    expect(sent.map((command) => [command[3], command[4]])).toEqual([['k0', '0'], ['k1', '0'], ['k2', '0'], ['k1', '1']]);
  });

  it('reads binary values as hex at once, and a Buffer client plainly', async () => {
    const decoding = fakeCore(true, [], [['00ff'], [null], ['']]);
    expect(await readExact(decoding.core, calls, true)).toEqual([[Buffer.from([0, 0xff])], [null], [Buffer.alloc(0)]]);
    expect(decoding.sent.every((command) => command[4] === '1')).toBe(true);
    const buffers = fakeCore(false, [[Buffer.from([0xff])], [], []], []);
    expect(await readExact(buffers.core, calls, true)).toEqual([[Buffer.from([0xff])], [], []]);
    expect(buffers.sent.every((command) => command[4] === '0')).toBe(true);
  });
});
