import { describe, expect, it } from 'vitest';
import { ConnectionError, ReplyError, TimeoutError, type CommandArgument, type Connection, type RespReply } from '@hashslot/resp';
import type { ClusterCore, NodeSummary } from '../core.js';
import { ClusterError } from '../errors.js';
import { NodeCursor, type CursorHost } from './node-cursor.js';

/**
 * A node of the fake: SCAN walks `order`, a permutation of the keys that differs per process, as
 * the randomly seeded hash function of a real server makes it. A cursor is an index into it.
 */
interface FakeNode {
  runId: string;
  order: string[];
  /** What the next sends fail with, one per send, before the node answers again. */
  failures: Error[];
  /** Fails every send while set. */
  down?: Error;
}

const KEYS = Array.from({ length: 50 }, (_, i) => `k${i}`);

function shuffled(keys: readonly string[], seed: number): string[] {
  const out = [...keys];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

class Fake {
  readonly nodes = new Map<string, FakeNode>();
  master = 'a:1';
  /** Master after the next refresh, when set (a failover the table has not seen yet). */
  nextMaster: string | undefined;
  refreshes = 0;
  probes = 0;
  closed = false;
  readonly sent: { address: string; args: readonly CommandArgument[] }[] = [];

  host(): CursorHost {
    const core: Pick<ClusterCore, 'sendToNode' | 'masterOf' | 'acquireDedicated' | 'releaseDedicated'> = {
      sendToNode: (address, args) => this.send(address, args),
      masterOf: () => ({ address: this.master }) as NodeSummary,
      // A connection of its own answers PING while the node is up.
      acquireDedicated: (address) => {
        this.probes++;
        const node = this.nodes.get(address);
        if (node === undefined) return Promise.reject(new ClusterError(`${address} is not a node of the cluster`));
        if (node.down !== undefined) return Promise.reject(node.down);
        return Promise.resolve({ send: () => Promise.resolve('PONG') } as unknown as Connection);
      },
      releaseDedicated: () => {},
    };
    return {
      core: core as ClusterCore,
      refresh: () => {
        this.refreshes++;
        if (this.nextMaster !== undefined) this.master = this.nextMaster;
        return Promise.resolve();
      },
      closed: () => this.closed,
    };
  }

  private async send(address: string, args: readonly CommandArgument[]): Promise<RespReply> {
    await Promise.resolve();
    this.sent.push({ address, args });
    const node = this.nodes.get(address);
    if (node === undefined) throw new ClusterError(`${address} is not a node of the cluster`);
    const failure = node.down ?? node.failures.shift();
    if (failure !== undefined) throw failure;
    if (args[0] === 'INFO') {
      if (node.runId === 'no-info') throw new ReplyError("NOPERM this user has no permissions to run the 'info' command");
      return `# Server\r\nredis_version:7.0.15\r\nrun_id:${node.runId}\r\n`;
    }
    if (args[0] === 'HSCAN' && args[1] === 'wrong') throw new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    const at = Number(args[args[0] === 'SCAN' ? 1 : 2]);
    const next = Math.min(at + 7, node.order.length);
    return [next === node.order.length ? '0' : String(next), node.order.slice(at, next)];
  }
}

function lost(address: string): ConnectionError {
  return new ConnectionError(`connection to ${address} lost`, { command: 'SCAN', address, written: true });
}

async function drain(cursor: NodeCursor): Promise<string[]> {
  const seen: string[] = [];
  do seen.push(...((await cursor.next()) as string[]));
  while (!cursor.done);
  return seen;
}

function scanCursor(fake: Fake, trackProcess: boolean, failoverTimeout = 5_000): NodeCursor {
  return new NodeCursor(fake.host(), {
    command: 'SCAN',
    slot: 0,
    build: (cursor) => ['SCAN', cursor],
    trackProcess,
    failoverTimeout,
  });
}

describe('NodeCursor', () => {
  it('returns every key exactly once from a healthy node', async () => {
    const fake = new Fake();
    fake.nodes.set('a:1', { runId: 'r1', order: shuffled(KEYS, 1), failures: [] });
    const seen = await drain(scanCursor(fake, true));
    expect(seen.sort()).toEqual([...KEYS].sort());
    expect(fake.refreshes).toBe(0);
  });

  it('keeps its cursor when the same process answers again after a dropped connection', async () => {
    const fake = new Fake();
    const node: FakeNode = { runId: 'r1', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', node);
    const cursor = scanCursor(fake, true);
    const seen = (await cursor.next()) as string[];
    node.failures.push(lost('a:1'), new TimeoutError('timed out', { command: 'SCAN', address: 'a:1', written: true, timeoutMs: 10 }));
    seen.push(...(await drain(cursor)));
    expect(seen).toHaveLength(KEYS.length);
    expect(new Set(seen).size).toBe(KEYS.length);
    expect(cursor.restarts).toBe(0);
  });

  it('starts over on the new master after a failover, so no key is missed', async () => {
    const fake = new Fake();
    const old: FakeNode = { runId: 'r1', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', old);
    fake.nodes.set('b:1', { runId: 'r2', order: shuffled(KEYS, 2), failures: [] });
    const cursor = scanCursor(fake, true);
    const seen = [...((await cursor.next()) as string[]), ...((await cursor.next()) as string[])];
    old.down = lost('a:1');
    fake.nextMaster = 'b:1';
    seen.push(...(await drain(cursor)));
    expect(new Set(seen)).toEqual(new Set(KEYS));
    expect(cursor.restarts).toBe(1);
    // Every page after the failure went to the new master.
    const afterFailure = fake.sent.slice(fake.sent.findIndex((s) => s.address === 'b:1'));
    expect(afterFailure.every((s) => s.address === 'b:1')).toBe(true);
  });

  it('moves to a master promoted while the old one stays down, without waiting on the dead node', async () => {
    const fake = new Fake();
    const old: FakeNode = { runId: 'r1', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', old);
    fake.nodes.set('b:1', { runId: 'r2', order: shuffled(KEYS, 2), failures: [] });
    const cursor = scanCursor(fake, true);
    const seen = (await cursor.next()) as string[];
    old.down = lost('a:1');
    // The table learns of the promotion only after a few refreshes, as during a real failover.
    setTimeout(() => (fake.nextMaster = 'b:1'), 400);
    const started = performance.now();
    seen.push(...(await drain(cursor)));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(new Set(seen)).toEqual(new Set(KEYS));
    expect(fake.probes).toBeGreaterThan(1);
    // Nothing but the first failed page was sent to the dead node.
    expect(fake.sent.filter((s) => s.address === 'a:1').map((s) => s.args[0])).toEqual(['INFO', 'SCAN', 'SCAN']);
  });

  it('starts over when the node at the same address is a new process (restarted)', async () => {
    const fake = new Fake();
    const node: FakeNode = { runId: 'r1', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', node);
    const cursor = scanCursor(fake, true);
    const seen = (await cursor.next()) as string[];
    node.failures.push(lost('a:1'));
    node.runId = 'r9';
    node.order = shuffled(KEYS, 9);
    seen.push(...(await drain(cursor)));
    expect(new Set(seen)).toEqual(new Set(KEYS));
    expect(cursor.restarts).toBe(1);
  });

  it('scans without INFO when the user may not run it, starting over after a failure', async () => {
    const fake = new Fake();
    const node: FakeNode = { runId: 'no-info', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', node);
    const cursor = scanCursor(fake, true);
    const seen = (await cursor.next()) as string[];
    node.failures.push(lost('a:1'));
    seen.push(...(await drain(cursor)));
    expect(new Set(seen)).toEqual(new Set(KEYS));
    expect(cursor.restarts).toBe(1);
  });

  it('starts over after any failure when it does not track the process', async () => {
    const fake = new Fake();
    const node: FakeNode = { runId: 'r1', order: shuffled(KEYS, 1), failures: [] };
    fake.nodes.set('a:1', node);
    const cursor = scanCursor(fake, false);
    const seen = (await cursor.next()) as string[];
    node.failures.push(lost('a:1'));
    seen.push(...(await drain(cursor)));
    expect(new Set(seen)).toEqual(new Set(KEYS));
    expect(cursor.restarts).toBe(1);
    expect(fake.sent.some((s) => s.args[0] === 'INFO')).toBe(false);
  });

  it('moves at once to the owner a MOVED reply leads to', async () => {
    const fake = new Fake();
    fake.nodes.set('a:1', { runId: 'r1', order: [], failures: [new ReplyError('MOVED 0 b:1')] });
    fake.nodes.set('b:1', { runId: 'r2', order: shuffled(KEYS, 2), failures: [] });
    fake.nextMaster = 'b:1';
    const cursor = new NodeCursor(fake.host(), { command: 'HSCAN', slot: 0, build: (c) => ['HSCAN', 'h', c], trackProcess: false, failoverTimeout: 5_000 });
    const started = performance.now();
    expect(new Set(await drain(cursor))).toEqual(new Set(KEYS));
    expect(performance.now() - started).toBeLessThan(40);
  });

  it('rejects at once with the server error when the command itself is wrong', async () => {
    const fake = new Fake();
    fake.nodes.set('a:1', { runId: 'r1', order: KEYS, failures: [] });
    const cursor = new NodeCursor(fake.host(), { command: 'HSCAN', slot: 0, build: (c) => ['HSCAN', 'wrong', c], trackProcess: false, failoverTimeout: 5_000 });
    await expect(cursor.next()).rejects.toMatchObject({ prefix: 'WRONGTYPE' });
    expect(fake.refreshes).toBe(0);
  });

  it('gives up after failoverTimeout with a ClusterError naming the node and its failure', async () => {
    const fake = new Fake();
    fake.nodes.set('a:1', { runId: 'r1', order: KEYS, failures: [], down: lost('a:1') });
    const cursor = scanCursor(fake, true, 300);
    const started = performance.now();
    const error = await cursor.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).failures).toEqual([{ address: 'a:1', error: expect.any(ConnectionError) }]);
    expect((error as ClusterError).message).toContain('failoverTimeout (300 ms)');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(fake.refreshes).toBeGreaterThan(1);
  });

  it('stops waiting when the client is closed, saying so, with the failure it had as the cause', async () => {
    const fake = new Fake();
    fake.nodes.set('a:1', { runId: 'r1', order: KEYS, failures: [], down: lost('a:1') });
    fake.closed = true;
    const error = await scanCursor(fake, true).next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).message).toBe('SCAN stopped: the client is closed');
    expect((error as ClusterError).cause).toBeInstanceOf(ConnectionError);
    expect(fake.refreshes).toBe(0);
  });
});
