import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyError } from '@hashslot/resp';
import type { CommandArgument } from '@hashslot/resp';
import { COMMAND_ROWS } from './command-table.data.js';
import { commandKeys, commandSlot, lookupCommand } from './commands.js';
import { CrossSlotError } from './errors.js';
import { INCOMPLETE_KEY_SPEC_FINDERS } from './incomplete-key-specs.js';
import { keySlot } from './key-slot.js';

/** Keys as the tests write them: space-separated words, for readability. */
function cmd(text: string): string[] {
  return text.split(' ');
}

describe('commandKeys', () => {
  it.each([
    ['GET k', ['k']],
    ['SET k v EX 10', ['k']],
    ['SET k v GET', ['k']],
    ['MSET a 1 b 2 c 3', ['a', 'b', 'c']],
    ['MGET a b c', ['a', 'b', 'c']],
    ['DEL a b c', ['a', 'b', 'c']],
    ['BITOP AND dest a b', ['dest', 'a', 'b']],
    ['BITOP NOT dest a', ['dest', 'a']],
    ['BLPOP a b 0', ['a', 'b']],
    ['LMOVE src dst LEFT RIGHT', ['src', 'dst']],
    ['LCS a b', ['a', 'b']],
    ['RENAME a a', ['a', 'a']],
  ])('%s', (text, keys) => {
    expect(commandKeys(cmd(text))).toEqual(keys);
  });

  it('takes EVAL keys from numkeys, none with 0, and never an ARGV value', () => {
    expect(commandKeys(cmd('EVAL return 0 x y'))).toEqual([]);
    expect(commandKeys(cmd('EVAL return 2 a b x y'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('EVALSHA abc 1 a x'))).toEqual(['a']);
    expect(commandKeys(cmd('FCALL f 2 a b'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('EVAL_RO return 1 a'))).toEqual(['a']);
  });

  it('gives ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE the destination first, then the numkeys sources', () => {
    expect(commandKeys(cmd('ZUNIONSTORE d 2 a b WEIGHTS 1 2 AGGREGATE MAX'))).toEqual(['d', 'a', 'b']);
    expect(commandKeys(cmd('ZINTERSTORE d 1 a'))).toEqual(['d', 'a']);
    expect(commandKeys(cmd('ZDIFFSTORE d 3 a b c'))).toEqual(['d', 'a', 'b', 'c']);
    expect(commandKeys(cmd('ZUNION 2 a b WITHSCORES'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('ZINTERCARD 2 a b LIMIT 5'))).toEqual(['a', 'b']);
  });

  it('takes numkeys keys for LMPOP, BLMPOP, ZMPOP, BZMPOP and SINTERCARD', () => {
    expect(commandKeys(cmd('LMPOP 2 a b LEFT COUNT 3'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('BLMPOP 0.5 3 a b c RIGHT'))).toEqual(['a', 'b', 'c']);
    expect(commandKeys(cmd('ZMPOP 1 a MIN'))).toEqual(['a']);
    expect(commandKeys(cmd('BZMPOP 0 2 a b MAX COUNT 2'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('SINTERCARD 2 a b LIMIT 1'))).toEqual(['a', 'b']);
  });

  it('takes XREAD keys after STREAMS: the first half of what follows, with COUNT and BLOCK before', () => {
    expect(commandKeys(cmd('XREAD STREAMS a 0'))).toEqual(['a']);
    expect(commandKeys(cmd('XREAD COUNT 10 BLOCK 100 STREAMS a b c 0 0 $'))).toEqual(['a', 'b', 'c']);
    // A stream named like the keyword: the first STREAMS is the keyword.
    expect(commandKeys(cmd('xread streams STREAMS count 0 0'))).toEqual(['STREAMS', 'count']);
    expect(commandKeys(cmd('XREADGROUP GROUP g c COUNT 1 NOACK STREAMS a b > >'))).toEqual(['a', 'b']);
    // The group and consumer may be called STREAMS: the search starts after them.
    expect(commandKeys(cmd('XREADGROUP GROUP STREAMS STREAMS STREAMS a >'))).toEqual(['a']);
  });

  it('finds no XREAD keys without STREAMS or with nothing after it', () => {
    expect(commandKeys(cmd('XREAD COUNT 1 BLOCK 0'))).toEqual([]);
    expect(commandKeys(cmd('XREAD COUNT 1 STREAMS'))).toEqual([]);
  });

  it('reads MIGRATE single-key and KEYS forms, skipping AUTH passwords that read "KEYS"', () => {
    expect(commandKeys(cmd('MIGRATE h 6379 k 0 1000'))).toEqual(['k']);
    expect(commandKeys(cmd('MIGRATE h 6379 k 0 1000 COPY REPLACE'))).toEqual(['k']);
    expect(commandKeys(['MIGRATE', 'h', 6379, '', 0, 1000, 'KEYS', 'a', 'b'])).toEqual(['a', 'b']);
    expect(commandKeys(['MIGRATE', 'h', 6379, '', 0, 1000, 'COPY', 'AUTH', 'KEYS', 'KEYS', 'a'])).toEqual(['a']);
    expect(commandKeys(['MIGRATE', 'h', 6379, '', 0, 1000, 'AUTH2', 'keys', 'KEYS', 'keys', 'a', 'b'])).toEqual(['a', 'b']);
    // A password of "KEYS" in the single-key form is not the KEYS option.
    expect(commandKeys(['MIGRATE', 'h', 6379, 'k', 0, 1000, 'AUTH', 'KEYS'])).toEqual(['k']);
    // KEYS with a non-empty key argument is refused by the server: no keys.
    expect(commandKeys(['MIGRATE', 'h', 6379, 'k', 0, 1000, 'KEYS', 'a'])).toEqual([]);
  });

  it('reads SORT ... STORE, skipping the arguments of BY, GET and LIMIT', () => {
    expect(commandKeys(cmd('SORT k'))).toEqual(['k']);
    expect(commandKeys(cmd('SORT k BY w_* LIMIT 0 10 GET # GET o_* DESC ALPHA STORE dest'))).toEqual(['k', 'dest']);
    expect(commandKeys(cmd('SORT k GET store'))).toEqual(['k']);
    expect(commandKeys(cmd('SORT k LIMIT store 1'))).toEqual(['k']);
    expect(commandKeys(cmd('SORT k STORE d1 STORE d2'))).toEqual(['k', 'd2']);
    // STORE as the last argument has no destination.
    expect(commandKeys(cmd('SORT k STORE'))).toEqual(['k']);
    expect(commandKeys(cmd('SORT_RO k BY w_* GET o_*'))).toEqual(['k']);
  });

  it('reads GEORADIUS and GEORADIUSBYMEMBER STORE / STOREDIST', () => {
    expect(commandKeys(cmd('GEORADIUS g 15 37 200 km WITHDIST'))).toEqual(['g']);
    expect(commandKeys(cmd('GEORADIUS g 15 37 200 km STORE d'))).toEqual(['g', 'd']);
    // STORE as the last argument: nothing can follow, so the server does not look there.
    expect(commandKeys(cmd('GEORADIUS g 15 37 200 km STORE'))).toEqual(['g']);
    expect(commandKeys(cmd('GEORADIUS g 15 37 200 km COUNT 3 STOREDIST d'))).toEqual(['g', 'd']);
    expect(commandKeys(cmd('GEORADIUSBYMEMBER g m 200 km STORE d'))).toEqual(['g', 'd']);
    expect(commandKeys(cmd('GEOSEARCHSTORE d g FROMMEMBER m BYRADIUS 1 km'))).toEqual(['d', 'g']);
  });

  it('reads the key of subcommands: OBJECT ENCODING, MEMORY USAGE, XINFO STREAM, XGROUP CREATE', () => {
    expect(commandKeys(cmd('OBJECT ENCODING k'))).toEqual(['k']);
    expect(commandKeys(cmd('MEMORY USAGE k SAMPLES 5'))).toEqual(['k']);
    expect(commandKeys(cmd('XINFO STREAM s FULL'))).toEqual(['s']);
    expect(commandKeys(cmd('XGROUP CREATE s g $ MKSTREAM'))).toEqual(['s']);
    expect(commandKeys(cmd('CLIENT LIST'))).toEqual([]);
  });

  it('includes sharded pub/sub channels, which the cluster routes like keys', () => {
    expect(commandKeys(cmd('SPUBLISH ch hello'))).toEqual(['ch']);
    expect(commandKeys(cmd('SSUBSCRIBE a b'))).toEqual(['a', 'b']);
    expect(commandKeys(cmd('SUNSUBSCRIBE'))).toEqual([]);
    expect(commandKeys(cmd('PUBLISH ch hello'))).toEqual([]);
  });

  it('returns the arguments themselves: same Buffer objects, numbers stay numbers', () => {
    const a = Buffer.from('a');
    const b = Buffer.from([0xff, 0x00]);
    const keys = commandKeys(['MSET', a, 'x', b, 'y', 7, 'z', 8n, 'w']);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toBe(a);
    expect(keys[1]).toBe(b);
    expect(keys[2]).toBe(7);
    expect(keys[3]).toBe(8n);
  });

  it('matches names and keywords ignoring ASCII case, as strings or Buffers', () => {
    expect(commandKeys([Buffer.from('ZunionStore'), 'd', Buffer.from('1'), 'a'])).toEqual(['d', 'a']);
    expect(commandKeys(['xRead', Buffer.from('sTrEaMs'), 'a', '0'])).toEqual(['a']);
    expect(commandKeys([Buffer.from('object'), Buffer.from('Encoding'), 'k'])).toEqual(['k']);
  });

  it('gives [] for a numkeys that is not a non-negative integer or exceeds the arguments, as the server finds none', () => {
    for (const numkeys of ['-1', 'x', '1.5', '01', '+1', ' 1', '', '3', 2.5, -1, 99]) {
      expect(commandKeys(['EVAL', 's', numkeys, 'a', 'b'])).toEqual([]);
      expect(commandKeys(['ZUNIONSTORE', 'd', numkeys, 'a', 'b'])).toEqual([]);
    }
    // ZUNION with no input key is a syntax error, not a keyless command the server could run.
    expect(commandKeys(cmd('ZUNIONSTORE d 0'))).toEqual([]);
    expect(commandKeys(['EVAL', 's', 2, 'a', 'b'])).toEqual(['a', 'b']);
    expect(commandKeys(['EVAL', 's', 2n, 'a', 'b'])).toEqual(['a', 'b']);
    expect(commandKeys(['EVAL', 's', Buffer.from('2'), 'a', 'b'])).toEqual(['a', 'b']);
  });

  it('finds the keys present in a short invocation and never throws', () => {
    expect(commandKeys(cmd('GET'))).toEqual([]);
    expect(commandKeys(cmd('MSET a'))).toEqual(['a']);
    expect(commandKeys(cmd('ZUNIONSTORE d'))).toEqual([]);
    expect(commandKeys(cmd('SORT'))).toEqual([]);
    expect(commandKeys(cmd('MIGRATE h'))).toEqual([]);
    expect(commandKeys([])).toEqual([]);
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_ROWS.map((row) => row[0].split('|'))),
        fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('STREAMS', 'KEYS', 'STORE', 'AUTH', '0', '1', '2', '-1'), fc.integer(), fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes))), { maxLength: 8 }),
        (name, rest) => {
          const keys = commandKeys([...name, ...rest]);
          expect(Array.isArray(keys)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives [] for unknown commands and non-name arguments', () => {
    expect(commandKeys(cmd('NOSUCHCOMMAND a b'))).toEqual([]);
    expect(commandKeys([42, 'a'])).toEqual([]);
    // The Kelvin sign lower-cases to "k" in JavaScript, but the server does not see "KEYS" in it.
    expect(lookupCommand(['\u212AEYS', '*'])).toBeUndefined();
  });
});

describe('lookupCommand', () => {
  it('resolves subcommands by args[1]', () => {
    expect(lookupCommand(cmd('CLIENT LIST'))?.name).toBe('client|list');
    expect(lookupCommand(cmd('config get maxmemory'))?.name).toBe('config|get');
    expect(lookupCommand(cmd('XINFO STREAM s'))?.name).toBe('xinfo|stream');
    expect(lookupCommand([Buffer.from('Object'), Buffer.from('ENCODING'), 'k'])?.name).toBe('object|encoding');
    expect(lookupCommand(cmd('MeMoRy UsAgE k'))?.name).toBe('memory|usage');
  });

  it('gives the container for a missing or unknown subcommand, and undefined for an unknown command', () => {
    expect(lookupCommand(cmd('CLIENT'))?.name).toBe('client');
    expect(lookupCommand(cmd('CLIENT NOSUCH'))?.name).toBe('client');
    expect(lookupCommand(['CLIENT', 5])?.name).toBe('client');
    expect(lookupCommand(cmd('NOSUCH'))).toBeUndefined();
    expect(lookupCommand([Buffer.alloc(1000, 'a')])).toBeUndefined();
    // GET has no subcommands: its argument is a key, even one spelled like a subcommand.
    expect(lookupCommand(cmd('GET list'))?.name).toBe('get');
  });

  it('gives flags as booleans and as the full set', () => {
    const get = lookupCommand(cmd('GET k'));
    expect(get).toMatchObject({ name: 'get', arity: 2, readonly: true, write: false, fast: true, blocking: false, movableKeys: false });
    expect(get?.flags.has('readonly')).toBe(true);
    expect(get).toMatchObject({ firstKey: 1, lastKey: 1, step: 1 });
    expect(lookupCommand(cmd('SET k v'))).toMatchObject({ write: true, denyOom: true, readonly: false });
    expect(lookupCommand(cmd('BLPOP k 0'))).toMatchObject({ blocking: true, noscript: true });
    expect(lookupCommand(cmd('EVAL s 0'))).toMatchObject({ movableKeys: true, noMandatoryKeys: true, noscript: true });
    expect(lookupCommand(cmd('SUBSCRIBE c'))).toMatchObject({ pubsub: true });
    expect(lookupCommand(cmd('CONFIG SET a b'))).toMatchObject({ admin: true });
    expect(lookupCommand(cmd('MSET a 1'))?.lastKey).toBe(-1);
    expect(lookupCommand(cmd('MSET a 1'))?.step).toBe(2);
  });

  it('parses the tips into request and response policies', () => {
    expect(lookupCommand(cmd('DEL a'))).toMatchObject({ requestPolicy: 'multi_shard', responsePolicy: 'agg_sum' });
    expect(lookupCommand(cmd('KEYS *'))).toMatchObject({ requestPolicy: 'all_shards', nondeterministicOutputOrder: true });
    expect(lookupCommand(cmd('CONFIG SET a b'))).toMatchObject({ requestPolicy: 'all_nodes', responsePolicy: 'all_succeeded' });
    expect(lookupCommand(cmd('WAIT 1 0'))).toMatchObject({ requestPolicy: 'all_shards', responsePolicy: 'agg_min' });
    // 7.0 gives RANDOMKEY no response policy: the default for all_shards (collect the replies).
    expect(lookupCommand(cmd('RANDOMKEY'))).toMatchObject({ requestPolicy: 'all_shards', responsePolicy: undefined, nondeterministicOutput: true });
    expect(lookupCommand(cmd('SCAN 0'))).toMatchObject({ requestPolicy: 'special', nondeterministicOutput: true });
    expect(lookupCommand(cmd('INFO'))).toMatchObject({ requestPolicy: 'all_shards', responsePolicy: 'special' });
    expect(lookupCommand(cmd('GET k'))).toMatchObject({ requestPolicy: undefined, responsePolicy: undefined, nondeterministicOutput: false, tips: [] });
  });

  it('exposes key specs as the server gives them', () => {
    const xread = lookupCommand(cmd('XREAD STREAMS a 0'));
    expect(xread?.keySpecs).toHaveLength(1);
    expect(xread?.keySpecs[0]).toMatchObject({
      beginSearch: { type: 'keyword', keyword: 'STREAMS', startFrom: 1 },
      findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 2 },
      notKey: false,
      incomplete: false,
    });
    expect([...(xread?.keySpecs[0].flags ?? [])]).toEqual(['RO', 'access']);
    expect(lookupCommand(cmd('EVAL s 0'))?.keySpecs[0].findKeys).toEqual({ type: 'keynum', keyNumIndex: 0, firstKey: 1, keyStep: 1 });
    expect(lookupCommand(cmd('SPUBLISH c m'))?.keySpecs[0].notKey).toBe(true);
    expect(lookupCommand(cmd('MIGRATE h p k 0 0'))?.keySpecs[1].incomplete).toBe(true);
  });

  it('hands out frozen descriptions that callers cannot corrupt', () => {
    const info = lookupCommand(cmd('GET k'));
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info?.keySpecs)).toBe(true);
  });
});

describe('commandSlot', () => {
  it('gives the slot of a single key, and undefined for keyless and unknown commands', () => {
    expect(commandSlot(cmd('GET foo'))).toBe(keySlot('foo'));
    expect(commandSlot(['GET', Buffer.from('foo')])).toBe(keySlot('foo'));
    expect(commandSlot(['GET', 123])).toBe(keySlot('123'));
    expect(commandSlot(['GET', Infinity])).toBe(keySlot('+inf'));
    expect(commandSlot(cmd('PING'))).toBeUndefined();
    expect(commandSlot(cmd('EVAL s 0'))).toBeUndefined();
    expect(commandSlot(cmd('NOSUCH a'))).toBeUndefined();
    expect(commandSlot(cmd('GET'))).toBeUndefined();
    expect(commandSlot(cmd('SPUBLISH ch m'))).toBe(keySlot('ch'));
  });

  it('gives one slot when hash tags put different keys together', () => {
    expect(commandSlot(cmd('MSET {user:1}:a 1 {user:1}:b 2'))).toBe(keySlot('user:1'));
    expect(commandSlot(cmd('ZUNIONSTORE {t}d 2 {t}a x{t}'))).toBe(keySlot('t'));
    expect(commandSlot(cmd('XREAD STREAMS {s}1 {s}2 0 0'))).toBe(keySlot('s'));
    expect(commandSlot(cmd('SORT {l}x STORE {l}y'))).toBe(keySlot('l'));
    // Same key twice is one slot.
    expect(commandSlot(cmd('RENAME a a'))).toBe(keySlot('a'));
  });

  it('throws a CrossSlotError naming the keys and their slots, never the values', () => {
    let caught: unknown;
    try {
      commandSlot(['MSET', 'a', 'secret-value-1', 'b', 'secret-value-2']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CrossSlotError);
    expect(caught).toBeInstanceOf(ReplyError);
    const error = caught as CrossSlotError;
    expect(error.prefix).toBe('CROSSSLOT');
    expect(error.message.startsWith("CROSSSLOT Keys in request don't hash to the same slot")).toBe(true);
    expect(error.command).toBe('MSET');
    expect(error.keys).toEqual(['a', 'b']);
    expect(error.slots).toEqual([keySlot('a'), keySlot('b')]);
    expect(error.message).toContain(`"a" (slot ${keySlot('a')})`);
    expect(error.message).toContain(`"b" (slot ${keySlot('b')})`);
    expect(error.message).toContain('{user:1}:a');
    expect(error.message).not.toContain('secret');
    expect(error.code).toBe('ERR_HASHSLOT_CROSSSLOT');
    expect(error.name).toBe('CrossSlotError');
  });

  it('lists distinct slots, shows Buffer keys as text or escapes, and caps the listed keys', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `key${i}`);
    const error = catchCrossSlot(['DEL', ...keys, Buffer.from([0xff, 0x0a]), Buffer.from('é')]);
    expect(error.keys).toEqual([...keys, '\\xff\\x0a', 'é']);
    expect(error.slots).toEqual([...new Set([...keys, Buffer.from([0xff, 0x0a]), 'é'].map((key) => keySlot(key)))]);
    expect(error.message).toContain('"key7"');
    expect(error.message).not.toContain('"key8"');
    expect(error.message).toContain('and 14 more');
    expect(catchCrossSlot(['DEL', 'a\nb', 'c']).message).toContain('"a\\x0ab"');
  });

  it('names subcommands and multi-spec commands in the error', () => {
    expect(catchCrossSlot(cmd('ZUNIONSTORE d 2 a b')).keys).toEqual(['d', 'a', 'b']);
    expect(catchCrossSlot(cmd('SORT a STORE b')).command).toBe('SORT');
    expect(catchCrossSlot(cmd('ssubscribe a b')).command).toBe('SSUBSCRIBE');
  });

  it('agrees with the slots of commandKeys on random invocations', () => {
    const key = fc.oneof(fc.constantFrom('a', 'b', '{t}a', '{t}b', 'x{t}', '{}a', 'STREAMS', 'STORE'), fc.string({ maxLength: 4 }));
    const multiKeyCommands = ['MGET', 'DEL', 'MSET', 'EVAL', 'ZUNIONSTORE', 'XREAD', 'SORT', 'GEORADIUS', 'BLPOP', 'SSUBSCRIBE', 'RENAME', 'LMPOP'];
    fc.assert(
      fc.property(fc.constantFrom(...multiKeyCommands), fc.array(fc.oneof(key, fc.constantFrom('0', '1', '2', 'STREAMS', 'STORE')), { maxLength: 8 }), (name, rest) => {
        const args: CommandArgument[] = [name, ...rest];
        const keys = commandKeys(args);
        const slots = new Set(keys.map((k) => keySlot(k as string)));
        if (slots.size > 1) {
          expect(() => commandSlot(args)).toThrow(CrossSlotError);
        } else {
          expect(commandSlot(args)).toBe(slots.size === 0 ? undefined : [...slots][0]);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('the generated table', () => {
  it('is sorted by name with no duplicates, every subcommand under a container', () => {
    const names = COMMAND_ROWS.map((row) => row[0]);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      if (name.includes('|')) expect(names).toContain(name.split('|')[0]);
    }
    expect(names.length).toBeGreaterThan(300);
  });

  it('has a key finder for every command whose specs the server marks unknown or incomplete', () => {
    const needFinder = COMMAND_ROWS.filter((row) => row[6].some(([flags, begin, find]) => flags.includes('incomplete') || begin[0] === 'unknown' || find[0] === 'unknown')).map((row) => row[0]);
    expect(needFinder.sort()).toEqual([...INCOMPLETE_KEY_SPEC_FINDERS.keys()].sort());
  });

  it('has key steps of at least 1 and limits only with lastkey -1', () => {
    for (const row of COMMAND_ROWS) {
      for (const [, , find] of row[6]) {
        if (find[0] === 'range') {
          expect(find[2]).toBeGreaterThanOrEqual(1);
          if (find[3] > 1) expect(find[1]).toBe(-1);
        } else if (find[0] === 'keynum') {
          expect(find[3]).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });
});

function catchCrossSlot(args: CommandArgument[]): CrossSlotError {
  try {
    commandSlot(args);
  } catch (error) {
    if (error instanceof CrossSlotError) return error;
    throw error;
  }
  throw new Error(`expected a CrossSlotError from ${String(args[0])}`);
}
