import { describe, expect, it } from 'vitest';
import { renderConfig } from './config.js';
import { quoteArg } from './quote.js';

const base = { dir: '/tmp/run/n0', port: 21000 };

describe('renderConfig', () => {
  it('writes a plain cluster node with its bus port and the settings tests rely on', () => {
    const conf = renderConfig({ ...base, cluster: { busPort: 21001, nodeTimeoutMs: 1000 } }).split('\n');
    expect(conf[1]).toBe('dir "/tmp/run/n0"');
    expect(conf).toEqual(expect.arrayContaining([
      'port 21000', 'cluster-enabled yes', 'cluster-port 21001', 'cluster-node-timeout 1000',
      'cluster-config-file nodes.conf', 'enable-debug-command local', 'save ""', 'appendonly no',
      'daemonize no', 'logfile redis.log',
    ]));
    expect(conf.some((line) => line.startsWith('tls-'))).toBe(false);
    expect(conf.some((line) => line.startsWith('requirepass'))).toBe(false);
  });

  it('serves TLS only, for clients, replication and the bus', () => {
    const tls = { caFile: '/t/ca.crt', certFile: '/t/r.crt', keyFile: '/t/r.key' };
    const conf = renderConfig({ ...base, tls, cluster: { busPort: 21001, nodeTimeoutMs: 500 } }).split('\n');
    expect(conf).toEqual(expect.arrayContaining([
      'port 0', 'tls-port 21000', 'tls-cluster yes', 'tls-replication yes', 'tls-ca-cert-file "/t/ca.crt"',
    ]));
    expect(renderConfig({ ...base, tls })).not.toContain('tls-cluster');
  });

  it('quotes passwords and ACL rules so they survive the config parser', () => {
    const conf = renderConfig({
      ...base,
      password: 'p a"ss',
      admin: { username: 'admin', password: 'adm' },
      users: [{ username: 'reader', password: 'r\\1', rules: 'on ~* +@read' }],
    });
    expect(conf).toContain('requirepass "p a\\"ss"');
    expect(conf).toContain('user "admin" "on" "~*" "&*" "+@all" ">adm"');
    expect(conf).toContain('user "reader" "on" "~*" "+@read" ">r\\\\1"');
    expect(conf).toContain('masteruser "admin"\nmasterauth "adm"');
  });

  it('authenticates replication with the default user when only a password is set', () => {
    const conf = renderConfig({ ...base, password: 'pw', admin: { password: 'pw' } });
    expect(conf).toContain('masterauth "pw"');
    expect(conf).not.toContain('masteruser');
  });

  it('puts extra config last so it overrides generated lines', () => {
    const conf = renderConfig({ ...base, extraConfig: { 'tls-auth-clients': 'yes', maxmemory: '10mb' } }).trimEnd().split('\n');
    expect(conf.slice(-2)).toEqual(['tls-auth-clients yes', 'maxmemory 10mb']);
  });
});

describe('quoteArg', () => {
  it('escapes quotes, backslashes and non-printable bytes', () => {
    expect(quoteArg('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteArg('x\ny\u0000é')).toBe('"x\\x0ay\\x00\\xc3\\xa9"');
    expect(quoteArg(42)).toBe('"42"');
  });
});
