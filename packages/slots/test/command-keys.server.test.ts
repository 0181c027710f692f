import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, ReplyError } from '@hashslot/resp';
import type { BatchReply, CommandArgument, RespReply } from '@hashslot/resp';
import { sharedCluster } from '@hashslot/test-cluster/vitest';
import { COMMAND_TABLE_REDIS_VERSION, CrossSlotError, commandKeys, commandSlot, lookupCommand } from '@hashslot/slots';
import type { BeginSearch, FindKeys } from '@hashslot/slots';
// The generated rows themselves, to compare the table's list of names with the server's.
import { COMMAND_ROWS } from '../src/command-table.data.js';

// ---------------------------------------------------------------------------------------------
// Reading RESP2 replies (maps arrive flattened into [key, value, key, value ...]).

function asArray(reply: RespReply | undefined, what: string): RespReply[] {
  if (!Array.isArray(reply)) throw new Error(`${what}: expected an array, got ${String(reply)}`);
  return reply;
}

function asText(reply: RespReply | undefined): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new Error(`expected text, got ${String(reply)}`);
}

function asMap(reply: RespReply | undefined, what: string): Map<string, RespReply> {
  const items = asArray(reply, what);
  const map = new Map<string, RespReply>();
  for (let i = 0; i < items.length; i += 2) map.set(asText(items[i]), items[i + 1]);
  return map;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness, so that a failure names an invocation that can be run again.

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** Keys of every shape that matters: hash tags, keywords as key names, binary, unicode, numbers, empty. */
function randomKey(random: Random): CommandArgument {
  const tag = pick(random, ['user:1', 'a', 'b', 'x']);
  switch (Math.floor(random() * 10)) {
    case 0:
      return `{${tag}}:${Math.floor(random() * 100)}`;
    case 1:
      return `k${Math.floor(random() * 1000)}{${tag}}`;
    case 2:
      return pick(random, ['STREAMS', 'store', 'KEYS', 'GET', 'by', 'limit', 'AUTH', 'numkeys', 'COUNT']);
    case 3:
      return Buffer.from([0xff, Math.floor(random() * 256), 0x00, 0x7b]);
    case 4:
      return 'ключ';
    case 5:
      return Math.floor(random() * 50);
    case 6:
      return pick(random, ['', '{}', '{', '}{x}']);
    default:
      return `key:${Math.floor(random() * 1_000_000)}`;
  }
}

/** Plain values, including words that are keywords of some command. */
const WORDS = ['v', 'STORE', 'STOREDIST', 'KEYS', 'STREAMS', 'GET', 'BY', 'LIMIT', 'AUTH', 'AUTH2', 'COPY', '0', '1', '2', 'x y', '$', '>'];

// ---------------------------------------------------------------------------------------------
// Invocations generated from COMMAND DOCS: every argument shape the server documents.

interface DocArgument {
  readonly name: string;
  readonly type: string;
  readonly token: string | undefined;
  readonly flags: readonly string[];
  readonly arguments: readonly DocArgument[];
}

function docArgument(reply: RespReply): DocArgument {
  const map = asMap(reply, 'COMMAND DOCS argument');
  const token = map.get('token');
  return {
    name: asText(map.get('name')),
    type: asText(map.get('type')),
    token: token === undefined ? undefined : asText(token),
    flags: map.has('flags') ? asArray(map.get('flags'), 'flags').map(asText) : [],
    arguments: map.has('arguments') ? asArray(map.get('arguments'), 'arguments').map(docArgument) : [],
  };
}

/** Name (`object|encoding` for subcommands) -> documented arguments. */
function documentedCommands(reply: RespReply): Map<string, readonly DocArgument[]> {
  const result = new Map<string, readonly DocArgument[]>();
  const items = asArray(reply, 'COMMAND DOCS');
  for (let i = 0; i < items.length; i += 2) {
    const name = asText(items[i]).toLowerCase();
    const doc = asMap(items[i + 1], `docs of ${name}`);
    result.set(name, doc.has('arguments') ? asArray(doc.get('arguments'), 'arguments').map(docArgument) : []);
    if (doc.has('subcommands')) for (const [sub, args] of documentedCommands(doc.get('subcommands') ?? [])) result.set(sub, args);
  }
  return result;
}

function valueOf(arg: DocArgument, random: Random): CommandArgument {
  switch (arg.type) {
    case 'key':
      return randomKey(random);
    case 'integer':
      return Math.floor(random() * 4);
    case 'double':
      return '1.5';
    case 'unix-time':
      return 1_700_000_000;
    case 'pattern':
      return pick(random, ['p*', 'STORE', '*']);
    default:
      return pick(random, WORDS);
  }
}

/**
 * Arguments for a sibling list. A `numkeys` integer becomes the number of the key arguments
 * after it; `multiple` siblings in one block repeat equally often (XREAD's keys and ids).
 */
function generateList(list: readonly DocArgument[], random: Random, out: CommandArgument[]): void {
  const repeat = 1 + Math.floor(random() * 3);
  let numkeysAt = -1;
  for (const arg of list) {
    if (arg.flags.includes('optional') && random() < 0.5) continue;
    const times = arg.flags.includes('multiple') ? repeat : 1;
    const before = out.length;
    for (let t = 0; t < times; t++) {
      if (arg.token !== undefined && arg.type !== 'pure-token' && (t === 0 || arg.flags.includes('multiple_token'))) out.push(arg.token);
      if (arg.type === 'pure-token') out.push(arg.token ?? '');
      else if (arg.type === 'oneof') generateList([pick(random, arg.arguments)].map((a) => ({ ...a, flags: a.flags.filter((f) => f !== 'optional') })), random, out);
      else if (arg.type === 'block') generateList(arg.arguments, random, out);
      else out.push(valueOf(arg, random));
    }
    if (arg.name === 'numkeys') numkeysAt = out.length - 1;
    else if (arg.type === 'key' && numkeysAt !== -1) {
      out[numkeysAt] = out.length - before;
      numkeysAt = -1;
    }
  }
}

function generateInvocation(name: string, args: readonly DocArgument[], random: Random): CommandArgument[] {
  const out: CommandArgument[] = name.split('|').map((part) => (random() < 0.5 ? part.toUpperCase() : part));
  generateList(args, random, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

/** How the test compares: every key as the bytes that go on the wire. */
function wire(arg: CommandArgument | RespReply): string {
  if (Buffer.isBuffer(arg)) return arg.toString('hex');
  if (typeof arg === 'string') return Buffer.from(arg, 'utf8').toString('hex');
  return Buffer.from(String(arg), 'utf8').toString('hex');
}

function show(args: readonly CommandArgument[]): string {
  return args.map((arg) => (Buffer.isBuffer(arg) ? `<${arg.toString('hex')}>` : JSON.stringify(typeof arg === 'bigint' ? String(arg) : arg))).join(' ');
}

const NO_KEYS_FOUND = 'Invalid arguments specified for command';
const WRONG_ARITY = 'Invalid number of arguments specified for command';
const KEYLESS = 'The command has no key arguments';

interface Verdict {
  readonly compared: boolean;
  readonly refused: boolean;
  readonly mismatch?: string;
}

function judge(args: readonly CommandArgument[], reply: RespReply): Verdict {
  const ours = commandKeys(args).map(wire);
  if (reply instanceof ReplyError) {
    if (reply.message.includes(WRONG_ARITY)) return { compared: false, refused: true };
    if (reply.message.includes(NO_KEYS_FOUND)) {
      return { compared: true, refused: true, mismatch: ours.length === 0 ? undefined : `${show(args)}: server finds no keys, we found ${ours.length}` };
    }
    return { compared: false, refused: true, mismatch: `${show(args)}: unexpected server error ${reply.message}` };
  }
  const theirs = asArray(reply, 'COMMAND GETKEYS').map(wire);
  const same = theirs.length === ours.length && theirs.every((key, i) => key === ours[i]);
  return { compared: true, refused: false, mismatch: same ? undefined : `${show(args)}: server ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)}` };
}

describe('commandKeys against COMMAND GETKEYS of the running server', () => {
  let bytes: Connection;
  let text: Connection;
  let docs: Map<string, readonly DocArgument[]>;

  beforeAll(async () => {
    const node = sharedCluster().startupNodes[0];
    bytes = new Connection({ host: node.host, port: node.port, returnBuffers: true });
    text = new Connection({ host: node.host, port: node.port });
    docs = documentedCommands(await text.send(['COMMAND', 'DOCS']));
  });

  afterAll(async () => {
    await Promise.all([bytes?.quit(), text?.quit()]);
  });

  async function getKeys(invocations: readonly (readonly CommandArgument[])[]): Promise<RespReply[]> {
    const replies = await bytes.sendBatch(invocations.map((args) => ['COMMAND', 'GETKEYS', ...args]));
    // A ConnectionError or TimeoutError is no answer about keys: fail rather than compare it.
    return replies.map((reply: BatchReply) => {
      if (reply instanceof Error && !(reply instanceof ReplyError)) throw reply;
      return reply as RespReply;
    });
  }

  it('agrees, order included, on invocations of every keyed command generated from COMMAND DOCS', async () => {
    const random = prng(7_000_15);
    const keyed = COMMAND_ROWS.filter((row) => row[6].length > 0 && !row[6].every(([flags]) => flags.includes('not_key'))).map((row) => row[0]);
    const invocations: CommandArgument[][] = [];
    for (const name of keyed) {
      const documented = docs.get(name);
      expect(documented, `COMMAND DOCS has ${name}`).toBeDefined();
      for (let i = 0; i < 5; i++) invocations.push(generateInvocation(name, documented ?? [], random));
    }
    const replies = await getKeys(invocations);
    const verdicts = invocations.map((args, i) => judge(args, replies[i]));
    expect(verdicts.flatMap((v) => (v.mismatch === undefined ? [] : [v.mismatch]))).toEqual([]);
    const compared = verdicts.filter((v) => v.compared);
    expect(compared.length).toBeGreaterThanOrEqual(300);
    // Enough with keys, and enough of the commands, to mean something.
    expect(compared.filter((v) => !v.refused).length).toBeGreaterThanOrEqual(300);
    const commandsCompared = new Set(invocations.filter((_, i) => verdicts[i].compared && !verdicts[i].refused).map((args) => lookupCommand(args)?.name));
    expect(commandsCompared.size).toBeGreaterThanOrEqual(keyed.length * 0.9);
  });

  it('agrees on the invocations where key positions depend on the arguments', async () => {
    const invocations: CommandArgument[][] = [
      ['EVAL', 'return 1', 0],
      ['EVAL', 'return 1', 2, 'a', '{a}b', 'argv1'],
      ['EVALSHA', 'abc', '1', Buffer.from('k'), 'x'],
      ['FCALL_RO', 'f', 3, 'a', 'b', 'c', 'd'],
      ['ZUNIONSTORE', 'dest', 2, 'a', 'b', 'WEIGHTS', 1, 2],
      ['ZINTER', 3, 'a', 'b', 'c', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZDIFF', 1, 'a'],
      ['XREAD', 'COUNT', 2, 'BLOCK', 0, 'STREAMS', 's1', 's2', '0', '$'],
      ['XREAD', 'STREAMS', 'STREAMS', 'STREAMS', '0', '0'],
      ['XREAD', 'STREAMS', 'a', 'b', 'c'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'BLOCK', 10, 'NOACK', 'STREAMS', 'a', 'b', '>', '>'],
      ['XREADGROUP', 'GROUP', 'STREAMS', 'STREAMS', 'STREAMS', 'k', '>'],
      ['MIGRATE', '127.0.0.1', 6379, 'k', 0, 1000],
      ['MIGRATE', '127.0.0.1', 6379, '', 0, 1000, 'COPY', 'REPLACE', 'KEYS', 'a', 'b', 'c'],
      ['MIGRATE', '127.0.0.1', 6379, '', 0, 1000, 'AUTH', 'KEYS', 'KEYS', 'a'],
      ['MIGRATE', '127.0.0.1', 6379, '', 0, 1000, 'AUTH2', 'KEYS', 'KEYS', 'KEYS', 'a', 'b'],
      ['MIGRATE', '127.0.0.1', 6379, 'k', 0, 1000, 'AUTH', 'KEYS'],
      ['MIGRATE', '127.0.0.1', 6379, '', 0, 1000, 'KEYS'],
      ['SORT', 'k', 'BY', 'w_*', 'LIMIT', 0, 5, 'GET', '#', 'GET', 'store', 'ALPHA', 'STORE', 'dest'],
      ['SORT', 'k', 'STORE', 'd1', 'STORE', 'd2'],
      ['SORT', 'k', 'LIMIT', 'store', 'x', 'DESC'],
      ['SORT', 'k', 'STORE'],
      ['SORT_RO', 'k', 'BY', 'nosort', 'GET', 'x_*'],
      ['GEORADIUS', 'g', 15, 37, 200, 'km', 'WITHCOORD', 'STORE', 'd'],
      ['GEORADIUS', 'g', 15, 37, 200, 'km', 'STOREDIST', 'd'],
      ['GEORADIUS', 'g', 15, 37, 200, 'km', 'STORE', 'd1', 'STOREDIST', 'd2'],
      ['GEORADIUSBYMEMBER', 'g', 'm', 200, 'km', 'STORE', 'd'],
      // A keyword as the last argument has nothing after it: the spec is skipped, not broken.
      ['GEORADIUS', 'g', 15, 37, 200, 'km', 'WITHDIST', 'STORE'],
      ['LMPOP', 2, 'a', 'b', 'LEFT', 'COUNT', 2],
      ['BLMPOP', 0, 1, 'a', 'RIGHT'],
      ['ZMPOP', 1, 'a', 'MIN'],
      ['BZMPOP', 1.5, 2, 'a', 'b', 'MAX'],
      ['SINTERCARD', 3, 'a', 'b', 'c', 'LIMIT', 10],
      ['OBJECT', 'ENCODING', 'k'],
      ['object', 'freq', 'k'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', 0],
      ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', 10],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['BITOP', 'AND', 'dest', 'a', 'b', 'c'],
      ['BITFIELD', 'k', 'GET', 'u8', 0],
      ['SET', 'k', 'v', 'NX', 'GET'],
      ['MSET', 'a', '1', 'b', '2', 'c', '3'],
      ['MGET', 'a', 'b', 'a'],
      ['DEL', 'a'],
      ['BLPOP', 'a', 'b', 'c', 0],
      ['BRPOPLPUSH', 'a', 'b', 0],
      ['LCS', 'a', 'b', 'IDX'],
      [Buffer.from('ZunionStore'), Buffer.from('d'), Buffer.from('1'), Buffer.from([0xfe, 0xff])],
      ['xRead', 'sTrEaMs', 'a', '0'],
    ];
    const replies = await getKeys(invocations);
    const verdicts = invocations.map((args, i) => judge(args, replies[i]));
    expect(verdicts.flatMap((v) => (v.mismatch === undefined ? [] : [v.mismatch]))).toEqual([]);
    expect(verdicts.every((v) => v.compared)).toBe(true);
  });

  it('finds no keys where the server finds none: bad numkeys, empty STREAMS, KEYS beside a key', async () => {
    const invocations: CommandArgument[][] = [
      ['EVAL', 's', 3, 'a', 'b'],
      ['EVAL', 's', -1, 'a'],
      ['EVAL', 's', 'x', 'a'],
      ['ZUNIONSTORE', 'd', 0, 'a'],
      ['ZUNIONSTORE', 'd', 'two', 'a', 'b'],
      ['ZUNIONSTORE', 'd', 5, 'a', 'b'],
      ['ZUNION', 0, 'a'],
      ['LMPOP', 3, 'a', 'LEFT'],
      ['LMPOP', -2, 'a', 'LEFT'],
      ['BLMPOP', 0, 'many', 'a', 'LEFT'],
      ['SINTERCARD', 0, 'a'],
      ['SINTERCARD', 4, 'a', 'b'],
      ['XREAD', 'COUNT', 1, 'BLOCK', 0],
      ['XREAD', 'COUNT', 1, 'STREAMS'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'NOACK'],
      ['MIGRATE', '127.0.0.1', 6379, 'k', 0, 1000, 'KEYS', 'a', 'b'],
    ];
    const replies = await getKeys(invocations);
    for (const [i, reply] of replies.entries()) {
      const args = invocations[i];
      // Commands that may run without keys (EVAL: no_mandatory_keys) answer [] instead of the error.
      if (lookupCommand(args)?.noMandatoryKeys) expect(reply, show(args)).toEqual([]);
      else expect((reply as ReplyError).message, show(args)).toContain(NO_KEYS_FOUND);
      expect(commandKeys(invocations[i]), show(invocations[i])).toEqual([]);
      expect(commandSlot(invocations[i]), show(invocations[i])).toBeUndefined();
    }
  });

  it('gives no keys for the commands the server says have none, but the channels of sharded pub/sub', async () => {
    const invocations: CommandArgument[][] = [['PING', 'x'], ['ECHO', 'x'], ['CLIENT', 'LIST'], ['CONFIG', 'GET', 'maxmemory'], ['PUBLISH', 'ch', 'm'], ['SUBSCRIBE', 'ch']];
    const sharded: CommandArgument[][] = [['SPUBLISH', 'ch', 'm'], ['SSUBSCRIBE', 'a', 'b'], ['SUNSUBSCRIBE', 'a']];
    const replies = await getKeys([...invocations, ...sharded]);
    for (const [i, reply] of replies.entries()) expect((reply as ReplyError).message, show([...invocations, ...sharded][i])).toContain(KEYLESS);
    for (const args of invocations) expect(commandKeys(args), show(args)).toEqual([]);
    // The server's GETKEYS leaves out specs flagged not_key; its cluster routing does not.
    expect(sharded.map(commandKeys)).toEqual([['ch'], ['a', 'b'], ['a']]);
  });
});

describe('routing on the cluster', () => {
  const masters = (): { host: string; port: number }[] => sharedCluster().nodes.filter((node) => node.role === 'master');

  /**
   * Sends a read-only (or harmless) command to every master: a cluster answers CROSSSLOT on each
   * when the keys span slots, and otherwise MOVED to the keys' slot on all but the owner.
   */
  async function everyMasterReplies(args: readonly CommandArgument[]): Promise<RespReply[]> {
    return Promise.all(
      masters().map(async ({ host, port }) => {
        const conn = new Connection({ host, port });
        try {
          return await conn.send(args).catch((error: unknown) => (error instanceof ReplyError ? error : Promise.reject(error)));
        } finally {
          await conn.quit();
        }
      }),
    );
  }

  it.each<[string, CommandArgument[]]>([
    ['SPUBLISH routes by its channel', ['SPUBLISH', 'news:{7}', 'hello']],
    ['MGET on one slot', ['MGET', '{user:1}:a', '{user:1}:b']],
    ['MGET across slots', ['MGET', 'a', 'b']],
    ['SINTERCARD across slots', ['SINTERCARD', 2, 'a', 'b']],
    ['ZUNION on one slot', ['ZUNION', 2, 'x{t}', '{t}y']],
    ['XREAD across slots', ['XREAD', 'COUNT', 1, 'STREAMS', 's1', 's2', '0', '0']],
    ['EVAL_RO across slots', ['EVAL_RO', 'return 1', 2, 'k1', 'k2']],
    ['SORT_RO ignores its BY pattern', ['SORT_RO', 'list:{9}', 'BY', 'nosort']],
    ['EXISTS of one key', ['EXISTS', 'key:42']],
  ])('%s as the server does', async (_, args) => {
    const replies = await everyMasterReplies(args);
    let slot: number | undefined;
    let crossSlot = false;
    try {
      slot = commandSlot(args);
    } catch (error) {
      expect(error).toBeInstanceOf(CrossSlotError);
      crossSlot = true;
    }
    if (crossSlot) {
      for (const reply of replies) expect((reply as ReplyError).prefix).toBe('CROSSSLOT');
      return;
    }
    expect(slot).toBeTypeOf('number');
    const moved = replies.filter((reply): reply is ReplyError => reply instanceof ReplyError && reply.prefix === 'MOVED');
    expect(moved).toHaveLength(masters().length - 1);
    for (const reply of moved) expect(reply.message.split(' ')[1]).toBe(String(slot));
  });
});

describe('the committed command table', () => {
  it(`matches the running server's COMMAND (table from ${COMMAND_TABLE_REDIS_VERSION})`, async () => {
    const node = sharedCluster().startupNodes[0];
    const conn = new Connection({ host: node.host, port: node.port });
    let reply: RespReply;
    try {
      reply = await conn.send(['COMMAND']);
    } finally {
      await conn.quit();
    }
    const serverNames: string[] = [];
    const differences: string[] = [];
    const visit = (entry: RespReply): void => {
      const fields = asArray(entry, 'COMMAND entry');
      const name = asText(fields[0]).toLowerCase();
      serverNames.push(name);
      const info = lookupCommand(name.split('|'));
      const server = {
        name,
        arity: fields[1],
        flags: asArray(fields[2], 'flags').map(asText),
        legacy: [fields[3], fields[4], fields[5]],
        tips: asArray(fields[7], 'tips').map(asText),
        keySpecs: asArray(fields[8], 'key specs').map((spec) => {
          const map = asMap(spec, 'key spec');
          return { flags: asArray(map.get('flags'), 'flags').map(asText), beginSearch: beginSearch(map.get('begin_search')), findKeys: findKeys(map.get('find_keys')) };
        }),
      };
      const ours = info && {
        name: info.name,
        arity: info.arity,
        flags: [...info.flags],
        legacy: [info.firstKey, info.lastKey, info.step],
        tips: [...info.tips],
        keySpecs: info.keySpecs.map((spec) => ({ flags: [...spec.flags], beginSearch: spec.beginSearch, findKeys: spec.findKeys })),
      };
      if (JSON.stringify(ours) !== JSON.stringify(server)) differences.push(`${name}: server ${JSON.stringify(server)}, table ${JSON.stringify(ours)}`);
      for (const sub of asArray(fields[9], 'subcommands')) visit(sub);
    };
    for (const entry of asArray(reply, 'COMMAND')) visit(entry);
    expect(differences).toEqual([]);
    expect(serverNames.sort()).toEqual(COMMAND_ROWS.map((row) => row[0]));
  });
});

function beginSearch(reply: RespReply | undefined): BeginSearch {
  const map = asMap(reply, 'begin_search');
  const spec = asMap(map.get('spec'), 'begin_search spec');
  switch (asText(map.get('type'))) {
    case 'index':
      return { type: 'index', index: Number(spec.get('index')) };
    case 'keyword':
      return { type: 'keyword', keyword: asText(spec.get('keyword')).toUpperCase(), startFrom: Number(spec.get('startfrom')) };
    default:
      return { type: 'unknown' };
  }
}

function findKeys(reply: RespReply | undefined): FindKeys {
  const map = asMap(reply, 'find_keys');
  const spec = asMap(map.get('spec'), 'find_keys spec');
  switch (asText(map.get('type'))) {
    case 'range':
      return { type: 'range', lastKey: Number(spec.get('lastkey')), keyStep: Number(spec.get('keystep')), limit: Number(spec.get('limit')) };
    case 'keynum':
      return { type: 'keynum', keyNumIndex: Number(spec.get('keynumidx')), firstKey: Number(spec.get('firstkey')), keyStep: Number(spec.get('keystep')) };
    default:
      return { type: 'unknown' };
  }
}
