import { InvalidArgumentError, type CommandArgument } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { installMultiKeyMethods } from './index.js';

describe('installMultiKeyMethods', () => {
  it('builds with the generic checks, an unknown option refused before anything is sent', async () => {
    const sent: (readonly CommandArgument[])[] = [];
    class Dummy {
      sendCommand(args: readonly CommandArgument[]): Promise<unknown> {
        sent.push(args);
        return Promise.resolve(1);
      }
    }
    installMultiKeyMethods(Dummy.prototype);
    const dummy = new Dummy() as Dummy & Record<string, (...args: unknown[]) => Promise<unknown>>;
    await expect(dummy.zunionstore('d', ['a', 'b'], { agregate: 'MAX' })).rejects.toThrow(new InvalidArgumentError('zunionstore: unknown option agregate'));
    expect(sent).toEqual([]);
    await dummy.zunionstore('d', ['a', 'b'], { aggregate: 'MAX' });
    expect(sent).toEqual([['ZUNIONSTORE', 'd', 2, 'a', 'b', 'AGGREGATE', 'MAX']]);
  });
});
