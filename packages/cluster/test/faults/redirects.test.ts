/**
 * Fault matrix 10 and 11: redirections that lead nowhere, and redirections to odd places.
 *
 * 10. Two nodes that send a slot to each other with MOVED: every command on it fails with
 *     `ClusterError('TTL exhausted')` after exactly `maxRedirections + 1` requests.
 * 11. Targets a real cluster sends: an empty host (`cluster-preferred-endpoint-type
 *     unknown-endpoint`: use the host of the node that answered), a hostname, and `?` (hostnames
 *     preferred, none announced), followed under load with no error. And what a real server
 *     never sends, from scripted nodes: a MOVED or ASK to the node itself (bounded, typed), a
 *     slot outside 0..16383 or `__proto__`, a port that is not one (a typed error after one
 *     request, the slot table untouched, no prototype polluted).
 *
 * The parsing of each such reply is unit-tested in src/errors.test.ts and the slot map's view of
 * the endpoint types in packages/slots/test/slot-map.server.test.ts; here the client as a whole
 * meets them.
 */
import type * as net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '@hashslot/test-cluster';
import { keySlot } from '@hashslot/slots';
import { Connection } from '@hashslot/resp';
import { AskError, ClusterError, MovedError, ReplyError, TimeoutError, type RedisCluster } from '@hashslot/cluster';
import { pipeline } from '@hashslot/pipeline';
import { encodeReply, onCommands, startFakeServer, type FakeServer, type ReplyValue } from '../../../resp/test/fake-server.js';
import { newClient, watchUnhandled } from '../helpers.js';
import { Load } from './load.js';
import { fromLoad, recordScenario } from './record.js';
import { SETTLE_MARGIN_MS, configureAll, expectSound, requestsFor, timed } from './checks.js';

/** The commandTimeout of the load's client. */
const LOAD_TIMEOUT_MS = 5_000;


interface FakeNode {
  readonly server: FakeServer;
  readonly id: string;
  readonly port: number;
  readonly address: string;
  /** Every command received, in order. */
  readonly log: string[][];
}

interface FakeCluster {
  /** The first serves slots 0..8191, the second 8192..16383. */
  readonly nodes: readonly [FakeNode, FakeNode];
  readonly startupNodes: { host: string; port: number }[];
  /** The other node of the two. */
  other(node: FakeNode): FakeNode;
  close(): Promise<void>;
}

/**
 * What a scripted node answers for a command about a key, as raw RESP; `undefined` for the
 * default (GET and SET on a store of its own).
 */
type Script = (node: FakeNode, cluster: FakeCluster, args: string[]) => string | undefined;

/**
 * Two scripted cluster nodes sharing the slots. They answer what discovery sends (CLUSTER SHARDS,
 * as Redis 7 does in RESP2, and CONFIG GET cluster-require-full-coverage), PING, ASKING, and
 * whatever `script` says; SET and GET otherwise.
 */
async function startFakeCluster(script: Script): Promise<FakeCluster> {
  const nodes: FakeNode[] = [];
  let shards: ReplyValue = [];
  let cluster: FakeCluster | undefined;
  for (let n = 0; n < 2; n++) {
    const store = new Map<string, string>();
    const log: string[][] = [];
    let self: FakeNode | undefined;
    const reply = (args: string[]): string => {
      const name = args.map((arg) => arg.toUpperCase());
      if (name[0] === 'CLUSTER' && name[1] === 'SHARDS') return encodeReply(shards);
      if (name[0] === 'CONFIG' && name[1] === 'GET') return encodeReply([args[2], 'yes']);
      if (name[0] === 'PING') return '+PONG\r\n';
      if (name[0] === 'ASKING') return '+OK\r\n';
      const scripted = self === undefined || cluster === undefined ? undefined : script(self, cluster, args);
      if (scripted !== undefined) return scripted;
      if (name[0] === 'SET' && args.length === 3) {
        store.set(args[1], args[2]);
        return '+OK\r\n';
      }
      if (name[0] === 'GET' && args.length === 2) return encodeReply(store.get(args[1]) ?? null);
      return `-ERR unknown command '${args[0]}'\r\n`;
    };
    const server = await startFakeServer((socket: net.Socket) =>
      onCommands(socket, (commands) => {
        log.push(...commands);
        socket.write(commands.map(reply).join(''));
      }),
    );
    self = { server, id: String(n + 1).repeat(40), port: server.port, address: `127.0.0.1:${server.port}`, log };
    nodes.push(self);
  }
  shards = nodes.map((node, n) => [
    'slots',
    n === 0 ? [0, 8191] : [8192, 16383],
    'nodes',
    [['id', node.id, 'port', node.port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset', 0, 'health', 'online']],
  ]);
  const pair = nodes as [FakeNode, FakeNode];
  cluster = {
    nodes: pair,
    startupNodes: pair.map((node) => ({ host: '127.0.0.1', port: node.port })),
    other: (node) => (node === pair[0] ? pair[1] : pair[0]),
    close: async () => {
      await Promise.all(pair.map((node) => node.server.close()));
    },
  };
  return cluster;
}

const fakes: FakeCluster[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakeCluster(script: Script): Promise<FakeCluster> {
  const fake = await startFakeCluster(script);
  fakes.push(fake);
  return fake;
}

/** How many times the nodes received exactly `args`. */
function received(fake: FakeCluster, ...args: string[]): number {
  return fake.nodes.reduce((sum, node) => sum + node.log.filter((entry) => entry.length === args.length && entry.every((arg, i) => arg === args[i])).length, 0);
}

/** The slot table as the client sees it: each slot's master address. */
function table(client: RedisCluster): (string | undefined)[] {
  return Array.from({ length: 16384 }, (_, slot) => client.masterOf(slot)?.address);
}

describe('10 redirection loop: two nodes send a slot to each other with MOVED', () => {
  it('fails every command on the slot with ClusterError TTL exhausted after exactly maxRedirections + 1 requests, and serves the other slots', async () => {
    const unhandled = watchUnhandled();
    try {
      const loopSlot = keySlot('{loop}');
      const fake = await fakeCluster((node, cluster, args) =>
        args.length >= 2 && keySlot(args[1]) === loopSlot ? `-MOVED ${loopSlot} 127.0.0.1:${cluster.other(node).port}\r\n` : undefined,
      );
      let commands = 0;
      let exhaustedCount = 0;
      for (const maxRedirections of [undefined, 3]) {
        const limit = maxRedirections ?? 16;
        const client = newClient({ startupNodes: fake.startupNodes, ...(maxRedirections === undefined ? {} : { maxRedirections }) });
        await client.connect();
        const refreshesBefore = client.refreshCount;
        const looping = Array.from({ length: 10 }, (_, i) => `{loop}:${limit}:${i}`);
        const others = Array.from({ length: 10 }, (_, i) => `loop-free:${limit}:${i}`).filter((key) => keySlot(key) !== loopSlot);

        const started = performance.now();
        const [loops, writes] = await Promise.all([
          Promise.all(looping.map((key) => timed(client.get(key)))),
          Promise.all(others.map((key) => client.set(key, key))),
        ]);
        const elapsed = performance.now() - started;
        commands += looping.length + others.length * 2;

        for (const [i, outcome] of loops.entries()) {
          expect(outcome.error).toBeInstanceOf(ClusterError);
          const error = outcome.error as ClusterError;
          expect(error.message).toMatch(new RegExp(`^TTL exhausted: GET was sent ${limit + 1} times \\(maxRedirections ${limit}\\); last reply: MOVED ${loopSlot} `));
          expect(error.command).toBe('GET');
          expect(error.cause).toBeInstanceOf(MovedError);
          expect(error.cause).toMatchObject({ slot: loopSlot, host: '127.0.0.1' });
          // Exactly maxRedirections + 1 requests, split between the two nodes.
          expect(received(fake, 'GET', looping[i])).toBe(limit + 1);
          exhaustedCount++;
        }
        expect(writes).toEqual(others.map(() => 'OK'));
        expect(await Promise.all(others.map((key) => client.get(key)))).toEqual(others);
        // MOVED costs no backoff: the loop ends at once, not after a timeout.
        expect(elapsed).toBeLessThan(5_000);
        // A refresh every reinitializeSteps (25) MOVED, no more.
        expect(client.refreshCount - refreshesBefore).toBeLessThanOrEqual(Math.floor((looping.length * (limit + 1)) / 25) + 1);
      }
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '10 redirection loop',
        scenario: 'two scripted nodes answer MOVED to each other for one slot; 10 concurrent GETs on it, with maxRedirections 16 and 3',
        promise: 'each fails with ClusterError TTL exhausted after exactly maxRedirections + 1 requests; other slots served',
        commands,
        errors: { ClusterError: exhaustedCount },
        lostAcknowledged: 0,
      });
    } finally {
      unhandled.stop();
    }
  });
});

describe('11 odd redirect targets from scripted nodes', () => {
  it('a MOVED or an ASK that points at the node itself: maxRedirections + 1 requests, then a typed error', async () => {
    const unhandled = watchUnhandled();
    try {
      const movedSlot = keySlot('{self-moved}');
      const askSlot = keySlot('{self-ask}');
      const fake = await fakeCluster((node, _cluster, args) => {
        if (args.length < 2) return undefined;
        if (keySlot(args[1]) === movedSlot) return `-MOVED ${movedSlot} 127.0.0.1:${node.port}\r\n`;
        if (keySlot(args[1]) === askSlot) return `-ASK ${askSlot} 127.0.0.1:${node.port}\r\n`;
        return undefined;
      });
      const maxRedirections = 5;
      const client = newClient({ startupNodes: fake.startupNodes, maxRedirections });
      await client.connect();
      const before = table(client);

      const [moved, asked, served] = await Promise.all([
        timed(client.get('{self-moved}:k')),
        timed(client.get('{self-ask}:k')),
        timed(client.set('plain', 'v')),
      ]);

      expect(moved.error).toBeInstanceOf(ClusterError);
      expect((moved.error as ClusterError).message).toMatch(/^TTL exhausted: GET was sent 6 times/);
      expect((moved.error as ClusterError).cause).toBeInstanceOf(MovedError);
      expect(received(fake, 'GET', '{self-moved}:k')).toBe(maxRedirections + 1);
      expect(asked.error).toBeInstanceOf(ClusterError);
      expect((asked.error as ClusterError).cause).toBeInstanceOf(AskError);
      expect(received(fake, 'GET', '{self-ask}:k')).toBe(maxRedirections + 1);
      // The first attempt goes plain; every one after an ASK has ASKING in front.
      expect(received(fake, 'ASKING')).toBe(maxRedirections);
      expect(served).toMatchObject({ value: 'OK' });
      expect(table(client)).toEqual(before);
      expect(await client.get('plain')).toBe('v');
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('a pipeline position re-sent after refusals to a node that then hangs settles within its timeout, not a whole timeout later', async () => {
    const unhandled = watchUnhandled();
    try {
      const key = '{resent}:k';
      const slot = keySlot(key);
      let refusals = 0;
      // The owner refuses twice with TRYAGAIN, then sends the slot to the other node, which never answers.
      const fake = await fakeCluster((node, cluster, args) => {
        if (args[1] !== key) return undefined;
        if (node !== cluster.nodes[slot <= 8191 ? 0 : 1]) return '';
        return refusals++ < 2 ? '-TRYAGAIN Multiple keys request during rehashing of slot\r\n' : `-MOVED ${slot} ${cluster.other(node).address}\r\n`;
      });
      const commandTimeout = 1_000;
      const client = newClient({ startupNodes: fake.startupNodes, commandTimeout, retryDelays: { tryAgain: 200 } });
      await client.connect();
      const batch = pipeline(client);
      batch.get(key);
      const { value, ms } = await timed(batch.exec());

      const [result] = value ?? [];
      expect(result).toBeInstanceOf(TimeoutError);
      expect(result).toMatchObject({ written: true });
      expect(refusals).toBe(3);
      // About 600 ms went on refusals and backoffs; the hung node got what was left, not 1000 ms more.
      expect(ms).toBeLessThanOrEqual(commandTimeout + SETTLE_MARGIN_MS / 2);
      expect(unhandled.errors).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('a slot outside 0..16383, __proto__ as the slot, or a port that is not a port: a typed error after one request, nothing changed', async () => {
    const unhandled = watchUnhandled();
    try {
      const objectKeys = Object.getOwnPropertyNames(Object.prototype).sort();
      const arrayKeys = Object.getOwnPropertyNames(Array.prototype).sort();
      let lines: string[] = [];
      const fake = await fakeCluster((_node, _cluster, args) => {
        const bad = /^bad:(\d+)$/.exec(args[1] ?? '');
        return bad === null ? undefined : `-${lines[Number(bad[1])]}\r\n`;
      });
      const [, second] = fake.nodes;
      lines = [
        `MOVED 16384 127.0.0.1:${second.port}`,
        `MOVED -1 127.0.0.1:${second.port}`,
        `MOVED 99999999 127.0.0.1:${second.port}`,
        `MOVED 1e3 127.0.0.1:${second.port}`,
        `MOVED __proto__ 127.0.0.1:${second.port}`,
        `MOVED constructor 127.0.0.1:${second.port}`,
        `MOVED length 127.0.0.1:${second.port}`,
        'MOVED 5 127.0.0.1:abc',
        'MOVED 5 127.0.0.1:0',
        'MOVED 5 127.0.0.1:65536',
        'MOVED 5 127.0.0.1:',
        'MOVED 5 127.0.0.1',
        `ASK __proto__ 127.0.0.1:${second.port}`,
        'ASK 5 127.0.0.1:-1',
      ];
      const client = newClient({ startupNodes: fake.startupNodes });
      await client.connect();
      // One command to each node first, so that both have their connection before the count.
      expect(await Promise.all([client.get('warm:1'), client.get('warm:3')])).toEqual([null, null]);
      expect(new Set(['warm:1', 'warm:3'].map((key) => keySlot(key) < 8192)).size).toBe(2);
      const before = table(client);
      const nodesBefore = client.nodes();
      const connectionsBefore = client.connectionCount;

      const keys = lines.map((_, i) => `bad:${i}`);
      const outcomes = await Promise.all(keys.map((key) => timed(client.get(key))));

      for (const [i, outcome] of outcomes.entries()) {
        // The server's reply as it is: not a redirection the client could follow.
        expect(outcome.error, lines[i]).toBeInstanceOf(ReplyError);
        expect((outcome.error as ReplyError).constructor, lines[i]).toBe(ReplyError);
        expect((outcome.error as ReplyError).message).toBe(lines[i]);
        expect(received(fake, 'GET', keys[i]), lines[i]).toBe(1);
      }
      // No side effects: the same table, nodes and connections; no prototype touched.
      expect(table(client)).toEqual(before);
      expect(client.nodes()).toEqual(nodesBefore);
      expect(client.connectionCount).toBe(connectionsBefore);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(objectKeys);
      expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayKeys);
      for (const property of ['master', 'replicas', 'x']) {
        expect(({} as Record<string, unknown>)[property]).toBeUndefined();
        expect(([] as unknown as Record<string, unknown>)[property]).toBeUndefined();
      }
      expect(Object.getPrototypeOf([])).toBe(Array.prototype);
      // And the client goes on serving every other key.
      const others = Array.from({ length: 20 }, (_, i) => `fine:${i}`);
      expect(await Promise.all(others.map((key) => client.set(key, key)))).toEqual(others.map(() => 'OK'));
      expect(await Promise.all(others.map((key) => client.get(key)))).toEqual(others);
      expect(unhandled.errors).toEqual([]);

      await recordScenario({
        id: '11 odd redirect targets, scripted nodes',
        scenario: `MOVED/ASK to the node itself, and ${lines.length} malformed ones (slot 16384, -1, __proto__, port abc, 0, 65536...)`,
        promise: 'self-redirects end after maxRedirections + 1 requests; malformed ones fail as a ReplyError after one request, table and prototypes untouched',
        commands: outcomes.length + others.length * 2,
        errors: { ReplyError: outcomes.length },
        lostAcknowledged: 0,
      });
    } finally {
      unhandled.stop();
    }
  });
});

describe('11 odd redirect targets from a real cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
      extraConfig: { 'cluster-preferred-endpoint-type': 'unknown-endpoint' },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const ENDPOINTS = [
    {
      name: 'empty host (unknown-endpoint)',
      config: { 'cluster-announce-hostname': '', 'cluster-preferred-endpoint-type': 'unknown-endpoint' },
      /** The host in MOVED, and where the client goes instead. */
      sent: '',
      host: '127.0.0.1',
      announced: '',
    },
    {
      name: 'hostname',
      config: { 'cluster-announce-hostname': 'localhost', 'cluster-preferred-endpoint-type': 'hostname' },
      sent: 'localhost',
      host: 'localhost',
      announced: 'localhost',
    },
    {
      name: '? (hostnames preferred, none announced)',
      config: { 'cluster-announce-hostname': '', 'cluster-preferred-endpoint-type': 'hostname' },
      sent: '?',
      host: '127.0.0.1',
      announced: '',
    },
  ];

  for (const endpoint of ENDPOINTS) {
    it(`MOVED and ASK to ${endpoint.name}: followed under load, with no error`, async () => {
      const unhandled = watchUnhandled();
      let load: Load | undefined;
      try {
        await configureAll(cluster, endpoint.config);
        // Hostnames travel by gossip: every node must know every other's before the test starts.
        await waitFor(
          async () => {
            for (const node of cluster.nodes) {
              // <id> <ip>:<port>@<bus port>[,<hostname>] <flags> ...
              const lines = (await cluster.cli(node, 'CLUSTER', 'NODES')).split('\n').filter((line) => line !== '');
              if (!lines.every((line) => (line.split(' ')[1].split(',')[1] ?? '') === endpoint.announced)) return false;
            }
            return true;
          },
          { timeoutMs: 20_000, intervalMs: 100, description: 'every node to agree on the announced hostnames' },
        );
        const client = newClient({ startupNodes: cluster.startupNodes.map(({ host, port }) => ({ host, port })), commandTimeout: LOAD_TIMEOUT_MS });
        await client.connect();
        expect(client.nodes().map((node) => node.host)).toEqual(client.nodes().map(() => endpoint.host));

        const prefix = `r11-${ENDPOINTS.indexOf(endpoint)}`;
        // A writer's list moves whole (MOVED); a reader's key moves alone first, its slot left
        // migrating (ASK), then the rest follows (MOVED).
        const listKey = `${prefix}:list:0`;
        const readKey = `${prefix}:read:0`;
        expect(keySlot(listKey)).not.toBe(keySlot(readKey));
        load = new Load(client, { prefix });
        await load.start();
        await load.waitForCommands(200);

        /** What the node answers for the key, which must be a redirection: the scenario is real. */
        const refusal = async (node: { host: string; port: number }, key: string): Promise<string> => {
          const raw = new Connection({ host: node.host, port: node.port });
          try {
            const error = await raw.send(['TYPE', key]).then(String, (caught: unknown) => caught);
            expect(error).toBeInstanceOf(ReplyError);
            return (error as ReplyError).message;
          } finally {
            raw.destroy();
          }
        };
        const otherMaster = async (slot: number) => {
          const owner = await cluster.slotOwner(slot);
          const target = cluster.masters().find((node) => node.id !== owner.id);
          if (target === undefined) throw new Error('no other master');
          return { owner, target };
        };

        const readSlot = keySlot(readKey);
        const { owner: readOwner, target: readTarget } = await otherMaster(readSlot);
        const askingBefore = await requestsFor(cluster, ['asking'], [readTarget]);
        const migration = await cluster.moveSlot(readSlot, readTarget, { stopAt: 'partial', keys: [readKey] });
        expect(await refusal(readOwner, readKey)).toBe(`ASK ${readSlot} ${endpoint.sent}:${readTarget.port}`);
        // The readers meet the ASK and follow it, with ASKING, to the target.
        await waitFor(async () => (await requestsFor(cluster, ['asking'], [readTarget])) > askingBefore, {
          timeoutMs: 10_000,
          description: 'the load to follow an ASK',
        });
        expect(client.masterOf(readSlot)?.address).toBe(`${endpoint.host}:${readOwner.port}`);
        await migration.finish();

        const listSlot = keySlot(listKey);
        const { owner: listOwner, target: listTarget } = await otherMaster(listSlot);
        await cluster.moveSlot(listSlot, listTarget);
        for (const [slot, key, owner, target] of [
          [readSlot, readKey, readOwner, readTarget],
          [listSlot, listKey, listOwner, listTarget],
        ] as const) {
          expect(await refusal(owner, key)).toBe(`MOVED ${slot} ${endpoint.sent}:${target.port}`);
          await waitFor(() => client.masterOf(slot)?.address === `${endpoint.host}:${target.port}`, {
            timeoutMs: 10_000,
            description: 'the load to follow the slot to its new owner',
          });
        }

        await load.waitForCommands(300);
        const report = await load.stop();
        const verdict = await expectSound(client, report, LOAD_TIMEOUT_MS);
        // MOVED and ASK are followed, whatever their host says: the caller never sees them.
        expect(report.errors).toEqual({});
        expect(client.nodes().every((node) => node.host === endpoint.host)).toBe(true);
        expect(unhandled.errors).toEqual([]);

        await recordScenario({
          id: `11 odd redirect targets, ${endpoint.name}`,
          scenario: `2 slots moved under load (one key first, then the rest) while nodes send ASK and MOVED with ${endpoint.sent === '' ? 'an empty host' : `host "${endpoint.sent}"`}`,
          promise: `followed to ${endpoint.host}:<port>, no error reaches the caller`,
          ...fromLoad(report, verdict),
        });
      } finally {
        await load?.stop();
        unhandled.stop();
      }
    }, 120_000);
  }
});
