import { InvalidArgumentError } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { connectionDefinitions as C } from './connection.js';
import { hyperLogLogDefinitions as P } from './hyperloglog.js';
import { scriptingDefinitions as E } from './scripting.js';

describe('scripts and functions', () => {
  it('send the body, the key count, the keys and the arguments', () => {
    expect(E.eval.build('return 1', [], undefined)).toEqual(['EVAL', 'return 1', 0]);
    expect(E.eval.build('return KEYS[1]', ['k1', 'k2'], ['a', 1])).toEqual(['EVAL', 'return KEYS[1]', 2, 'k1', 'k2', 'a', 1]);
    expect(E.evalsha.build('abc', ['k'], undefined)).toEqual(['EVALSHA', 'abc', 1, 'k']);
    expect(E.evalRo.build(Buffer.from('return 1'), [], ['x'])).toEqual(['EVAL_RO', Buffer.from('return 1'), 0, 'x']);
    expect(E.evalshaRo.build('abc', [], [])).toEqual(['EVALSHA_RO', 'abc', 0]);
    expect(E.fcall.build('fn', ['k'], ['a'])).toEqual(['FCALL', 'fn', 1, 'k', 'a']);
    expect(E.fcallRo.build('fn', [], undefined)).toEqual(['FCALL_RO', 'fn', 0]);
  });

  it('refuses keys given as a string, which would be counted by its characters', () => {
    expect(() => E.eval.build('return 1', 'key' as never, undefined)).toThrow('EVAL: keys must be an array; got "key"');
    expect(() => E.fcall.build('fn', [], 'arg' as never)).toThrow(InvalidArgumentError);
  });
});

describe('HyperLogLog, ECHO and PING', () => {
  it('build', () => {
    expect(P.pfadd.build('h', 'a', 'b')).toEqual(['PFADD', 'h', 'a', 'b']);
    expect(P.pfadd.build('h')).toEqual(['PFADD', 'h']);
    expect(P.pfcount.build('a', 'b')).toEqual(['PFCOUNT', 'a', 'b']);
    expect(() => P.pfcount.build()).toThrow('PFCOUNT: needs at least one key');
    expect(P.pfmerge.build('d', 'a', 'b')).toEqual(['PFMERGE', 'd', 'a', 'b']);
    expect(C.echo.build('hi')).toEqual(['ECHO', 'hi']);
    expect(C.ping.build()).toEqual(['PING']);
  });
});
