import { describe, expect, it } from 'vitest';
import { ConnectionError, RedisError, ReplyError, TimeoutError, type BatchReply } from '@hashslot/resp';
import { AskError, ClusterDownError, MovedError, TryAgainError } from '../errors.js';
import type { QueuedCommand } from './command.js';
import { readExec } from './exec-reply.js';

const context = { address: '10.0.0.1:7000', host: '10.0.0.1', asking: false };
const commands: QueuedCommand[] = [
  { args: ['SET', 'k', 'v'], name: 'SET', transform: undefined },
  { args: ['HGETALL', 'h'], name: 'HGETALL', transform: (reply) => ({ pairs: reply }) },
  { args: ['INCR', 'k'], name: 'INCR', transform: undefined },
];
const abort = new ReplyError('EXECABORT Transaction discarded because of previous errors.');

describe('readExec', () => {
  it('commits: shapes each entry with its transform and gives nested errors their command and node', () => {
    const replies: BatchReply[] = ['OK', 'QUEUED', 'QUEUED', 'QUEUED', ['OK', ['f', 'v'], new ReplyError('ERR value is not an integer or out of range')]];
    const { outcome, reusable } = readExec(replies, commands, context);
    expect(reusable).toBe(true);
    expect(outcome.kind).toBe('committed');
    const results = outcome.kind === 'committed' ? outcome.results : [];
    expect(results.slice(0, 2)).toEqual(['OK', { pairs: ['f', 'v'] }]);
    expect(results[2]).toBeInstanceOf(ReplyError);
    expect(results[2]).toMatchObject({ prefix: 'ERR', command: 'INCR', address: '10.0.0.1:7000' });
  });

  it('skips the reply to ASKING when the batch began with it', () => {
    const replies: BatchReply[] = ['OK', 'OK', 'QUEUED', [1]];
    const { outcome } = readExec(replies, [commands[2]], { ...context, asking: true });
    expect(outcome).toEqual({ kind: 'committed', results: [1] });
  });

  it('puts a transform that throws into its position as an error, not a rejection', () => {
    const throwing: QueuedCommand = { args: ['GET', 'k'], name: 'GET', transform: () => { throw new TypeError('bad shape'); } };
    const { outcome } = readExec(['OK', 'QUEUED', ['x']], [throwing], context);
    const results = outcome.kind === 'committed' ? outcome.results : [];
    expect(results[0]).toBeInstanceOf(RedisError);
    expect((results[0] as Error).message).toMatch(/GET could not be shaped: TypeError: bad shape/);
  });

  it('reads a null EXEC as a WATCH conflict, the connection clean', () => {
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', null], commands, context)).toEqual({ outcome: { kind: 'conflict' }, reusable: true });
  });

  it('fails with EXECABORT naming the refused command, before any slot error of another command', () => {
    const replies: BatchReply[] = ['OK', new ReplyError('ASK 12 10.0.0.2:7001'), new ReplyError("ERR wrong number of arguments for 'hgetall' command"), 'QUEUED', abort];
    const { outcome, reusable } = readExec(replies, commands, context);
    expect(reusable).toBe(true);
    expect(outcome.kind).toBe('failed');
    const error = outcome.kind === 'failed' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(ReplyError);
    expect(error).toMatchObject({ prefix: 'EXECABORT', command: 'EXEC', address: '10.0.0.1:7000' });
    expect(error?.message).toBe(
      "EXECABORT Transaction discarded because of previous errors: HGETALL (command 2 of 3) was refused: ERR wrong number of arguments for 'hgetall' command",
    );
  });

  it('reports the slot error of an EXECABORT, MOVED before ASK before TRYAGAIN', () => {
    const ask = new ReplyError('ASK 12 10.0.0.2:7001');
    const moved = new ReplyError('MOVED 12 10.0.0.3:7002');
    const tryAgain = new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot');
    let read = readExec(['OK', ask, moved, 'QUEUED', abort], commands, context);
    expect(read.outcome.kind).toBe('slot');
    expect(read.outcome.kind === 'slot' && read.outcome.error).toBeInstanceOf(MovedError);
    expect(read.outcome.kind === 'slot' && read.outcome.error).toMatchObject({ slot: 12, host: '10.0.0.3', port: 7002 });
    read = readExec(['OK', 'QUEUED', tryAgain, ask, abort], commands, context);
    expect(read.outcome.kind === 'slot' && read.outcome.error).toBeInstanceOf(AskError);
    read = readExec(['OK', 'QUEUED', tryAgain, 'QUEUED', abort], commands, context);
    expect(read.outcome.kind === 'slot' && read.outcome.error).toBeInstanceOf(TryAgainError);
    // A redirection with an empty host means the sender's host.
    read = readExec(['OK', new ReplyError('MOVED 12 :7002'), 'QUEUED', 'QUEUED', abort], commands, context);
    expect(read.outcome.kind === 'slot' && read.outcome.error).toMatchObject({ host: '10.0.0.1', port: 7002 });
  });

  it('reads a redirection or a cluster state answered to EXEC itself as a slot error', () => {
    const read = readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')], commands, context);
    expect(read).toMatchObject({ outcome: { kind: 'slot' }, reusable: true });
    expect(read.outcome.kind === 'slot' && read.outcome.error).toBeInstanceOf(TryAgainError);
    const down = readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', new ReplyError('CLUSTERDOWN The cluster is down')], commands, context);
    expect(down.outcome.kind === 'slot' && down.outcome.error).toBeInstanceOf(ClusterDownError);
  });

  it('fails with any other error of EXEC as the server gave it', () => {
    const error = new ReplyError('ERR EXEC without MULTI');
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', error], commands, context)).toEqual({ outcome: { kind: 'failed', error }, reusable: true });
    // EXECABORT without a refused command to explain it: the server's error as it is.
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', abort], commands, context).outcome).toEqual({ kind: 'failed', error: abort });
  });

  it('tells a transaction that never reached the node from one that may have run', () => {
    const unsent = new ConnectionError('connection to 10.0.0.1:7000 closed', { command: 'EXEC', address: '10.0.0.1:7000', written: false });
    const lost = new ConnectionError('connection to 10.0.0.1:7000 closed', { command: 'EXEC', address: '10.0.0.1:7000', written: true });
    const late = new TimeoutError('EXEC timed out', { command: 'EXEC', address: '10.0.0.1:7000', written: true, timeoutMs: 10 });
    expect(readExec([unsent, unsent, unsent, unsent, unsent], commands, context)).toEqual({ outcome: { kind: 'unsent', error: unsent }, reusable: false });
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', lost], commands, context)).toEqual({ outcome: { kind: 'failed', error: lost }, reusable: false });
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', late], commands, context)).toEqual({ outcome: { kind: 'failed', error: late }, reusable: false });
  });

  it('does not reuse a connection whose MULTI failed or whose EXEC answer makes no sense', () => {
    const nested = new ReplyError('ERR MULTI calls can not be nested');
    expect(readExec([nested, 'QUEUED', 'QUEUED', 'QUEUED', [1, 2, 3]], commands, context)).toEqual({ outcome: { kind: 'failed', error: nested }, reusable: false });
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', [1]], commands, context)).toMatchObject({ outcome: { kind: 'failed' }, reusable: false });
    expect(readExec(['OK', 'QUEUED', 'QUEUED', 'QUEUED', 'OK'], commands, context)).toMatchObject({ outcome: { kind: 'failed' }, reusable: false });
  });
});
