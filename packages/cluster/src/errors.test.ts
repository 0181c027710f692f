import { describe, expect, it } from 'vitest';
import { ConnectionError, RedisError, ReplyError } from '@hashslot/resp';
import {
  AskError,
  ClusterDownError,
  ClusterError,
  LoadingError,
  MovedError,
  ReadOnlyError,
  TryAgainError,
  classifyReplyError,
  parseRedirection,
} from './errors.js';

const SENDER = '10.0.0.9';

describe('parseRedirection', () => {
  it('reads MOVED <slot> <host>:<port>', () => {
    expect(parseRedirection('MOVED 3999 127.0.0.1:6381', SENDER)).toEqual({ slot: 3999, host: '127.0.0.1', port: 6381 });
    expect(parseRedirection('ASK 0 127.0.0.1:6381', SENDER)).toEqual({ slot: 0, host: '127.0.0.1', port: 6381 });
    expect(parseRedirection('MOVED 16383 h:65535', SENDER)).toEqual({ slot: 16383, host: 'h', port: 65535 });
  });

  it('uses the sender\'s host when the host is empty or unknown (?)', () => {
    expect(parseRedirection('MOVED 1 :6380', SENDER)).toEqual({ slot: 1, host: SENDER, port: 6380 });
    expect(parseRedirection('MOVED 1 ?:6380', SENDER)).toEqual({ slot: 1, host: SENDER, port: 6380 });
  });

  it('reads IPv6 addresses, bare and bracketed, taking the port after the last colon', () => {
    expect(parseRedirection('MOVED 1 ::1:6380', SENDER)).toEqual({ slot: 1, host: '::1', port: 6380 });
    expect(parseRedirection('MOVED 1 [::1]:6380', SENDER)).toEqual({ slot: 1, host: '::1', port: 6380 });
    expect(parseRedirection('ASK 7 fe80::1:2:7000', SENDER)).toEqual({ slot: 7, host: 'fe80::1:2', port: 7000 });
  });

  it('reads a hostname', () => {
    expect(parseRedirection('MOVED 42 node-3.redis.internal:7002', SENDER)).toEqual({
      slot: 42,
      host: 'node-3.redis.internal',
      port: 7002,
    });
  });

  it('refuses a slot outside 0..16383 or not written in digits', () => {
    for (const slot of ['16384', '-1', '1e3', '__proto__', '', '0x10', '1.5', '999999', ' 1']) {
      expect(parseRedirection(`MOVED ${slot} h:1`, SENDER), `slot ${JSON.stringify(slot)}`).toBeUndefined();
    }
  });

  it('refuses a message without exactly three parts', () => {
    expect(parseRedirection('MOVED', SENDER)).toBeUndefined();
    expect(parseRedirection('MOVED 1', SENDER)).toBeUndefined();
    expect(parseRedirection('MOVED 1 h:1 extra', SENDER)).toBeUndefined();
    expect(parseRedirection('MOVED  1 h:1', SENDER)).toBeUndefined();
  });

  it('refuses an address without a valid port', () => {
    for (const address of ['h', 'h:', 'h:0', 'h:x', 'h:65536', 'h:-1', 'h:123456', '[::1]']) {
      expect(parseRedirection(`MOVED 1 ${address}`, SENDER), address).toBeUndefined();
    }
  });
});

describe('classifyReplyError', () => {
  const context = { command: 'GET', address: '10.0.0.9:7000' };

  it('turns MOVED into a MovedError that keeps the original context', () => {
    const original = new ReplyError('MOVED 3999 127.0.0.1:6381', context);
    const error = classifyReplyError(original, SENDER);
    expect(error).toBeInstanceOf(MovedError);
    expect(error).toBeInstanceOf(ReplyError);
    expect(error).toBeInstanceOf(RedisError);
    const moved = error as MovedError;
    expect(moved.slot).toBe(3999);
    expect(moved.host).toBe('127.0.0.1');
    expect(moved.port).toBe(6381);
    expect(moved.prefix).toBe('MOVED');
    expect(moved.command).toBe('GET');
    expect(moved.address).toBe('10.0.0.9:7000');
    expect(moved.message).toBe('MOVED 3999 127.0.0.1:6381');
    expect(moved.name).toBe('MovedError');
    expect(moved.code).toBe('ERR_HASHSLOT_MOVED');
  });

  it('turns ASK into an AskError, using the sender\'s host when the target has none', () => {
    const error = classifyReplyError(new ReplyError('ASK 12 :7001', context), SENDER);
    expect(error).toBeInstanceOf(AskError);
    expect(error).not.toBeInstanceOf(MovedError);
    const ask = error as AskError;
    expect({ slot: ask.slot, host: ask.host, port: ask.port }).toEqual({ slot: 12, host: SENDER, port: 7001 });
    expect(ask.prefix).toBe('ASK');
    expect(ask.command).toBe('GET');
    expect(ask.address).toBe('10.0.0.9:7000');
    expect(ask.code).toBe('ERR_HASHSLOT_ASK');
  });

  it('understands ERR MOVED and ERR ASK, as managed services send them', () => {
    const moved = classifyReplyError(new ReplyError('ERR MOVED 5 10.1.1.1:6379', context), SENDER);
    expect(moved).toBeInstanceOf(MovedError);
    expect((moved as MovedError).slot).toBe(5);
    expect((moved as MovedError).host).toBe('10.1.1.1');
    expect(moved.prefix).toBe('MOVED');
    expect(moved.command).toBe('GET');
    expect(moved.address).toBe('10.0.0.9:7000');
    const ask = classifyReplyError(new ReplyError('ERR ASK 6 10.1.1.2:6380', context), SENDER);
    expect(ask).toBeInstanceOf(AskError);
    expect((ask as AskError).port).toBe(6380);
  });

  it('maps TRYAGAIN, CLUSTERDOWN, LOADING and READONLY to their classes, keeping the context', () => {
    const cases = [
      ['TRYAGAIN Multiple keys request during rehashing of slot', TryAgainError, 'TRYAGAIN', 'ERR_HASHSLOT_TRYAGAIN'],
      ['CLUSTERDOWN The cluster is down', ClusterDownError, 'CLUSTERDOWN', 'ERR_HASHSLOT_CLUSTERDOWN'],
      ['LOADING Redis is loading the dataset in memory', LoadingError, 'LOADING', 'ERR_HASHSLOT_LOADING'],
      ["READONLY You can't write against a read only replica.", ReadOnlyError, 'READONLY', 'ERR_HASHSLOT_READONLY'],
    ] as const;
    for (const [message, kind, prefix, code] of cases) {
      const error = classifyReplyError(new ReplyError(message, context), SENDER);
      expect(error, message).toBeInstanceOf(kind);
      expect(error).toBeInstanceOf(ReplyError);
      expect(error.message).toBe(message);
      expect(error.prefix).toBe(prefix);
      expect(error.command).toBe('GET');
      expect(error.address).toBe('10.0.0.9:7000');
      expect(error.code).toBe(code);
      expect(error.name).toBe(kind.name);
    }
  });

  it('works on an error that has no context', () => {
    const error = classifyReplyError(new ReplyError('TRYAGAIN x'), SENDER);
    expect(error).toBeInstanceOf(TryAgainError);
    expect(error.command).toBeUndefined();
    expect(error.address).toBeUndefined();
  });

  it('leaves a malformed redirection a plain ReplyError (following it would be a guess)', () => {
    for (const message of ['MOVED 16384 h:1', 'MOVED x h:1', 'MOVED 1 h', 'ASK 1 h:0', 'MOVED', 'ERR MOVED 1 h:abc']) {
      const original = new ReplyError(message, context);
      const error = classifyReplyError(original, SENDER);
      expect(error, message).toBe(original);
      expect(error).not.toBeInstanceOf(MovedError);
      expect(error).not.toBeInstanceOf(AskError);
    }
  });

  it('returns any other error unchanged, as the same object', () => {
    for (const message of [
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'ERR unknown command',
      'ERR MOVEDX 1 h:1',
      'ERR TRYAGAIN later',
      'NOSCRIPT No matching script',
    ]) {
      const original = new ReplyError(message, context);
      expect(classifyReplyError(original, SENDER), message).toBe(original);
    }
  });
});

describe('ClusterError', () => {
  it('is a RedisError with a stable code, the command and no failures by default', () => {
    const error = new ClusterError('TTL exhausted', { command: 'SET' });
    expect(error).toBeInstanceOf(RedisError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ReplyError);
    expect(error.code).toBe('ERR_HASHSLOT_CLUSTER');
    expect(error.name).toBe('ClusterError');
    expect(error.message).toBe('TTL exhausted');
    expect(error.command).toBe('SET');
    expect(error.failures).toEqual([]);
    expect(error.cause).toBeUndefined();
    expect(new ClusterError('the client is closed').command).toBeUndefined();
  });

  it('keeps the last reply as its cause', () => {
    const last = new MovedError('MOVED 1 h:1', { slot: 1, host: 'h', port: 1 });
    const error = new ClusterError('TTL exhausted', { command: 'GET', cause: last });
    expect(error.cause).toBe(last);
    expect(error.message).toBe('TTL exhausted');
  });

  it('lists each node\'s failure once, prefixing the address only when the message lacks it', () => {
    const refused = new ConnectionError('connect ECONNREFUSED 127.0.0.1:7000', {
      command: undefined,
      address: '127.0.0.1:7000',
      written: false,
    });
    const auth = new ReplyError('WRONGPASS invalid username-password pair or user is disabled.');
    const failures = [
      { address: '127.0.0.1:7000', error: refused },
      { address: '127.0.0.1:7001', error: auth },
    ];
    const error = new ClusterError('could not discover the cluster', { failures });
    expect(error.message).toBe(
      'could not discover the cluster: connect ECONNREFUSED 127.0.0.1:7000; ' +
        '127.0.0.1:7001: WRONGPASS invalid username-password pair or user is disabled.',
    );
    expect(error.message.split('127.0.0.1:7000')).toHaveLength(2);
    expect(error.message.split('127.0.0.1:7001')).toHaveLength(2);
    expect(error.failures).toBe(failures);
    expect(error.failures[1].error).toBe(auth);
  });

  it('keeps failures, command and cause together', () => {
    const cause = new Error('last');
    const failures = [{ address: 'h:1', error: new Error('timeout') }];
    const error = new ClusterError('refresh failed', { command: 'CLUSTER', failures, cause });
    expect(error.message).toBe('refresh failed: h:1: timeout');
    expect(error.command).toBe('CLUSTER');
    expect(error.cause).toBe(cause);
    expect(error.failures).toEqual(failures);
  });
});

describe('error codes', () => {
  it('stay stable, one per class', () => {
    const target = { slot: 1, host: 'h', port: 1 };
    expect(new MovedError('MOVED 1 h:1', target).code).toBe('ERR_HASHSLOT_MOVED');
    expect(new AskError('ASK 1 h:1', target).code).toBe('ERR_HASHSLOT_ASK');
    expect(new TryAgainError('TRYAGAIN').code).toBe('ERR_HASHSLOT_TRYAGAIN');
    expect(new ClusterDownError('CLUSTERDOWN').code).toBe('ERR_HASHSLOT_CLUSTERDOWN');
    expect(new LoadingError('LOADING').code).toBe('ERR_HASHSLOT_LOADING');
    expect(new ReadOnlyError('READONLY').code).toBe('ERR_HASHSLOT_READONLY');
    expect(new ClusterError('x').code).toBe('ERR_HASHSLOT_CLUSTER');
  });

  it('give each class its own name', () => {
    expect(new TryAgainError('TRYAGAIN').name).toBe('TryAgainError');
    expect(new ClusterDownError('CLUSTERDOWN').name).toBe('ClusterDownError');
    expect(new AskError('ASK 1 h:1', { slot: 1, host: 'h', port: 1 }).name).toBe('AskError');
  });
});
