import type { ReplyError } from '@hashslot/resp';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ChainCommands,
  ClientCommands,
  CommandResult,
  CommandSignatures,
  GeoPosition,
  RedisType,
  ScoredMember,
  ScriptReply,
  StreamEntry,
  XReadResult,
} from './index.js';

// Type-level checks: `pnpm typecheck` compiles this file; the runtime assertions are no-ops.

type Strings = ClientCommands<true>;
type Buffers = ClientCommands<false>;

/** What a client class does: merge the typed methods into its interface. */
interface FakeClient<D extends boolean = true> extends ClientCommands<D> {
  readonly decode: D;
}

/** What a pipeline does: every typed method returns the pipeline itself. */
interface FakePipeline<D extends boolean = true> extends ChainCommands<D, FakePipeline<D>> {
  exec(): Promise<unknown[]>;
}

describe('types', () => {
  it('bulk strings follow decodeResponses', () => {
    expectTypeOf<ReturnType<Strings['get']>>().toEqualTypeOf<Promise<string | null>>();
    expectTypeOf<ReturnType<Buffers['get']>>().toEqualTypeOf<Promise<Buffer | null>>();
    expectTypeOf<ReturnType<Strings['hgetall']>>().toEqualTypeOf<Promise<Record<string, string>>>();
    expectTypeOf<ReturnType<Buffers['hgetall']>>().toEqualTypeOf<Promise<Record<string, Buffer>>>();
    expectTypeOf<ReturnType<Buffers['mget']>>().toEqualTypeOf<Promise<(Buffer | null)[]>>();
    expectTypeOf<ReturnType<Buffers['eval']>>().toEqualTypeOf<Promise<ScriptReply<false>>>();
    expectTypeOf<ScriptReply<false>>().toEqualTypeOf<string | Buffer | number | null | ReplyError | ScriptReply<false>[]>();
  });

  it('parameters come through, names and optionality included', () => {
    expectTypeOf<Parameters<Strings['set']>>().toEqualTypeOf<Parameters<CommandSignatures<true>['set']>>();
    expectTypeOf<Strings['set']>().toBeCallableWith('k', 'v');
    expectTypeOf<Strings['set']>().toBeCallableWith(Buffer.from('k'), 1, { ex: 10, nx: true });
    expectTypeOf<Strings['del']>().toBeCallableWith('a', 'b', Buffer.from('c'));
    expectTypeOf<Strings['eval']>().toBeCallableWith('return 1', ['k'], ['a', 1]);
    expectTypeOf<Strings['eval']>().toBeCallableWith('return 1', []);
  });

  it('results are shaped precisely', () => {
    expectTypeOf<CommandResult<true, 'set'>>().toEqualTypeOf<'OK' | null>();
    expectTypeOf<CommandResult<false, 'setGet'>>().toEqualTypeOf<Buffer | null>();
    expectTypeOf<CommandResult<true, 'zscore'>>().toEqualTypeOf<number | null>();
    expectTypeOf<CommandResult<true, 'exists'>>().toEqualTypeOf<number>();
    expectTypeOf<CommandResult<true, 'sismember'>>().toEqualTypeOf<0 | 1>();
    expectTypeOf<CommandResult<true, 'type'>>().toEqualTypeOf<RedisType>();
    expectTypeOf<CommandResult<true, 'zrangeWithScores'>>().toEqualTypeOf<ScoredMember<true>[]>();
    expectTypeOf<ScoredMember<false>>().toEqualTypeOf<{ member: Buffer; score: number }>();
    expectTypeOf<CommandResult<true, 'geopos'>>().toEqualTypeOf<(GeoPosition | null)[]>();
    expectTypeOf<CommandResult<false, 'xread'>>().toEqualTypeOf<XReadResult<false>[] | null>();
    expectTypeOf<StreamEntry<false>>().toEqualTypeOf<{ id: string; fields: Record<string, Buffer> }>();
    expectTypeOf<CommandResult<true, 'xinfoStream'>['firstEntry']>().toEqualTypeOf<StreamEntry<true> | null>();
  });

  it('a client interface can extend ClientCommands and a pipeline ChainCommands', () => {
    expectTypeOf<FakeClient['get']>().returns.toEqualTypeOf<Promise<string | null>>();
    expectTypeOf<FakeClient<false>['lpop']>().returns.toEqualTypeOf<Promise<Buffer | null>>();
    expectTypeOf<ReturnType<FakePipeline['set']>>().toEqualTypeOf<FakePipeline>();
    expectTypeOf<ReturnType<FakePipeline<false>['xadd']>>().toEqualTypeOf<FakePipeline<false>>();
    expectTypeOf<ReturnType<ChainCommands<true, 'self'>['zadd']>>().toEqualTypeOf<'self'>();
  });

  it('option objects refuse what the server would refuse, where a type can tell', () => {
    // @ts-expect-error SET ... GET is setGet.
    expectTypeOf<Strings['set']>().toBeCallableWith('k', 'v', { get: true });
    // @ts-expect-error BYLEX cannot return scores.
    expectTypeOf<Strings['zrangeWithScores']>().toBeCallableWith('z', '-', '+', { by: 'LEX' });
    // @ts-expect-error XADD trims by one strategy only.
    expectTypeOf<Strings['xadd']>().toBeCallableWith('s', '*', { a: 1 }, { trim: { maxLen: 1, minId: '0' } });
    // @ts-expect-error keys of a script are an array.
    expectTypeOf<Strings['eval']>().toBeCallableWith('return 1', 'key');
  });
});
