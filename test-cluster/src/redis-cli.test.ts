import { describe, expect, it } from 'vitest';
import { InvalidOperationError } from './errors.js';
import { carriesSecret, cliConnectionArgs, describeCommand, redisCli } from './redis-cli.js';

describe('describeCommand', () => {
  it('never shows a password', () => {
    expect(describeCommand(['AUTH', 'user', 'secret'])).toBe('AUTH ***');
    expect(describeCommand(['HELLO', 3, 'AUTH', 'u', 'secret'])).toBe('HELLO ***');
    expect(describeCommand(['MIGRATE', 'h', 1, '', 0, 5, 'AUTH2', 'admin', 'secret', 'KEYS', 'k']))
      .toBe('MIGRATE h 1 "" 0 5 AUTH2 *** *** KEYS k');
    expect(describeCommand(['MIGRATE', 'h', 1, '', 0, 5, 'AUTH', 'secret', 'KEYS', 'k'])).toBe('MIGRATE h 1 "" 0 5 AUTH *** KEYS k');
    expect(describeCommand(['ACL', 'SETUSER', 'bob', 'on', '>secret', '~*'])).toBe('ACL SETUSER bob on *** ~*');
    expect(describeCommand(['CONFIG', 'SET', 'requirepass', 'secret'])).toBe('CONFIG SET requirepass ***');
  });

  it('keeps ordinary commands readable', () => {
    expect(describeCommand(['SET', 'a key', 'v'])).toBe('SET "a key" v');
    expect(describeCommand(['DEL', ...Array.from({ length: 20 }, (_, i) => `k${i}`)]))
      .toBe('DEL k0 k1 k2 k3 k4 k5 k6 k7 k8 k9 k10 ... (9 more)');
  });
});

describe('cliConnectionArgs', () => {
  it('passes TLS files and the username, never the password', () => {
    const args = cliConnectionArgs({
      host: '127.0.0.1', port: 7000,
      tls: { caFile: 'ca', certFile: 'crt', keyFile: 'key' },
      auth: { username: 'admin', password: 'secret' },
    }, true);
    expect(args).toEqual(['-h', '127.0.0.1', '-p', '7000', '-e', '--no-auth-warning',
      '--tls', '--cacert', 'ca', '--cert', 'crt', '--key', 'key', '--user', 'admin', '--json']);
    expect(args).not.toContain('secret');
  });
});

describe('passwords never reach argv', () => {
  it('recognises commands that carry one', () => {
    expect(carriesSecret(['MIGRATE', 'h', 1, '', 0, 5, 'AUTH', 'secret', 'KEYS', 'k'])).toBe(true);
    expect(carriesSecret(['MIGRATE', 'h', 1, '', 0, 5, 'AUTH2', 'admin', 'secret', 'KEYS', 'k'])).toBe(true);
    expect(carriesSecret(['AUTH', 'secret'])).toBe(true);
    expect(carriesSecret(['ACL', 'SETUSER', 'bob', '>secret'])).toBe(true);
    expect(carriesSecret(['CONFIG', 'SET', 'masterauth', 'secret'])).toBe(true);
    expect(carriesSecret(['ACL', 'SETUSER', 'default', 'off'])).toBe(false);
    expect(carriesSecret(['MIGRATE', 'h', 1, '', 0, 5, 'KEYS', 'k'])).toBe(false);
  });

  it('refuses to run such a command from argv, before spawning redis-cli', async () => {
    const error = await redisCli({ host: '127.0.0.1', port: 1 }, ['MIGRATE', 'h', 1, '', 0, 5, 'AUTH', 'secret', 'KEYS', 'k'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOperationError);
    expect((error as Error).message).not.toContain('secret');
  });
});
