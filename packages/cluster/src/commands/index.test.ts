import { InvalidArgumentError } from '@hashslot/resp';
import type { CommandArgument, RespReply } from '@hashslot/resp';
import { describe, expect, it } from 'vitest';
import { bitmapDefinitions } from './bitmaps.js';
import { connectionDefinitions } from './connection.js';
import { geoDefinitions } from './geo.js';
import { hashDefinitions } from './hashes.js';
import { hyperLogLogDefinitions } from './hyperloglog.js';
import { COMMANDS, installCommands } from './index.js';
import { keyDefinitions } from './keys.js';
import { listDefinitions } from './lists.js';
import { scriptingDefinitions } from './scripting.js';
import { setDefinitions } from './sets.js';
import { sortedSetDefinitions } from './sorted-sets.js';
import { streamDefinitions } from './streams.js';
import { stringDefinitions } from './strings.js';

/** Methods the client and the pipeline define themselves. */
const RESERVED = [
  'call', 'connect', 'quit', 'disconnect', 'on', 'once', 'off', 'emit', 'multi', 'exec', 'pipeline',
  'subscribe', 'publish', 'close', 'destroy', 'sendCommand', 'refresh', 'nodes', 'masterOf', 'setResponseCallback',
];

const FAMILIES = [
  stringDefinitions, keyDefinitions, hashDefinitions, listDefinitions, setDefinitions, sortedSetDefinitions,
  streamDefinitions, hyperLogLogDefinitions, geoDefinitions, bitmapDefinitions, scriptingDefinitions, connectionDefinitions,
];

describe('COMMANDS', () => {
  it('holds every family, no method defined twice', () => {
    const total = FAMILIES.reduce((sum, family) => sum + Object.keys(family).length, 0);
    expect(Object.keys(COMMANDS)).toHaveLength(total);
    expect(total).toBe(194);
  });

  it('names each definition after its key, with a build function, and is frozen', () => {
    for (const [key, definition] of Object.entries(COMMANDS)) {
      expect(definition.name).toBe(key);
      expect(typeof definition.build).toBe('function');
      expect(definition.transform === undefined || typeof definition.transform === 'function').toBe(true);
      expect(Object.isFrozen(definition)).toBe(true);
    }
    expect(Object.isFrozen(COMMANDS)).toBe(true);
  });

  it('follows the naming rule: lower-case command, camel-cased subcommand or variant', () => {
    for (const name of Object.keys(COMMANDS)) expect(name).toMatch(/^[a-z]+(?:[A-Z][a-z]+)*$/);
  });

  it('defines none of the names the client and the pipeline keep for themselves', () => {
    for (const name of RESERVED) expect(Object.keys(COMMANDS)).not.toContain(name);
  });

  it('starts every command with its upper-case name', () => {
    expect(COMMANDS.get.build('k' as never)).toEqual(['GET', 'k']);
    expect(COMMANDS.xgroupCreateConsumer.build(...(['s', 'g', 'c'] as never[]))[0]).toBe('XGROUP');
    expect(COMMANDS.sortRo.build(...(['k'] as never[]))[0]).toBe('SORT_RO');
  });
});

describe('installCommands', () => {
  type Call = { self: unknown; args: CommandArgument[]; transform: ((reply: RespReply) => unknown) | undefined };

  function recorder(): { calls: Call[]; invoke: (self: unknown, args: CommandArgument[], transform: Call['transform']) => string } {
    const calls: Call[] = [];
    return { calls, invoke: (self, args, transform) => (calls.push({ self, args, transform }), 'result') };
  }

  it('adds one method per definition that hands this, the built arguments and the transform to invoke', () => {
    class Dummy {}
    const { calls, invoke } = recorder();
    installCommands(Dummy.prototype, invoke);
    const dummy = new Dummy() as Record<string, (...args: unknown[]) => unknown>;
    expect(dummy.set('k', 'v', { ex: 10 })).toBe('result');
    expect(calls[0]).toEqual({ self: dummy, args: ['SET', 'k', 'v', 'EX', 10], transform: undefined });
    dummy.hgetall('h');
    expect(calls[1].args).toEqual(['HGETALL', 'h']);
    expect(calls[1].transform).toBe(COMMANDS.hgetall.transform);
    expect(calls[1].transform?.(['f', 'v'])).toEqual({ f: 'v' });
    for (const name of Object.keys(COMMANDS)) expect(typeof dummy[name]).toBe('function');
  });

  it('refuses an option the method does not know before anything is invoked, and takes every one it knows', () => {
    class Dummy {}
    const { calls, invoke } = recorder();
    installCommands(Dummy.prototype, invoke);
    const dummy = new Dummy() as Record<string, (...args: unknown[]) => unknown>;
    const misspelt = { exx: 10 };
    expect(() => dummy.set('k', 'v', misspelt)).toThrow(new InvalidArgumentError('set: unknown option exx'));
    expect(() => dummy.zadd('z', [{ score: 1, member: 'm' }], { nx: true, gtt: true })).toThrow(/^zadd: unknown option gtt$/);
    expect(calls).toEqual([]);
    // Known options, undefined values and field-value records (whose keys are data) all pass.
    dummy.set('k', 'v', { px: 5, nx: true, ex: undefined, typo: undefined });
    dummy.hset('h', { anything: '1', goes: '2' });
    dummy.mset({ a: '1', b: '2' });
    expect(calls.map((call) => call.args)).toEqual([
      ['SET', 'k', 'v', 'PX', 5, 'NX'],
      ['HSET', 'h', 'anything', '1', 'goes', '2'],
      ['MSET', 'a', '1', 'b', '2'],
    ]);
    expect(misspelt).toEqual({ exx: 10 });
  });

  it('installs non-enumerable, named, writable methods', () => {
    class Dummy {}
    installCommands(Dummy.prototype, () => undefined);
    const descriptor = Object.getOwnPropertyDescriptor(Dummy.prototype, 'zrangeWithScores');
    expect(descriptor?.enumerable).toBe(false);
    expect(descriptor?.writable).toBe(true);
    expect((descriptor?.value as { name: string }).name).toBe('zrangeWithScores');
    expect(Object.keys(Dummy.prototype)).toEqual([]);
  });

  it("leaves alone a method the class defines itself, its own or inherited", () => {
    class Base {
      ping(): string {
        return 'own ping';
      }
    }
    class Dummy extends Base {
      mget(): string {
        return 'own mget';
      }
    }
    const { calls, invoke } = recorder();
    installCommands(Dummy.prototype, invoke);
    const dummy = new Dummy() as Dummy & Record<string, (...args: unknown[]) => unknown>;
    expect(dummy.mget()).toBe('own mget');
    expect(dummy.ping()).toBe('own ping');
    expect(calls).toEqual([]);
    expect(Object.hasOwn(Dummy.prototype, 'ping')).toBe(false);
  });

  it('throws an invalid argument before invoking, unless onBuildError decides', async () => {
    class Thrower {}
    class Rejecter {}
    const { calls, invoke } = recorder();
    installCommands(Thrower.prototype, invoke);
    installCommands(Rejecter.prototype, invoke, (_self, error) => Promise.reject(error));
    const thrower = new Thrower() as Record<string, (...args: unknown[]) => unknown>;
    const rejecter = new Rejecter() as Record<string, (...args: unknown[]) => unknown>;
    expect(() => thrower.set('k', 'v', { nx: true, xx: true })).toThrow(InvalidArgumentError);
    await expect(rejecter.set('k', 'v', { nx: true, xx: true })).rejects.toThrow('SET: options nx and xx cannot be used together');
    expect(calls).toEqual([]);
  });
});
