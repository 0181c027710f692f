import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@hashslot/resp';
import { resolveOptions } from './options.js';
import { optionsFromUrl } from './url.js';

/** The InvalidArgumentError that reading this URL throws. */
function refusal(url: string): InvalidArgumentError {
  try {
    optionsFromUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error(`URL was accepted: ${url}`);
}

describe('optionsFromUrl', () => {
  it('reads redis://host:port without TLS or credentials', () => {
    const options = optionsFromUrl('redis://127.0.0.1:7000');
    expect(options).toEqual({ startupNodes: [{ host: '127.0.0.1', port: 7000 }] });
    expect('tls' in options).toBe(false);
    expect('password' in options).toBe(false);
  });

  it('uses port 6379 when the URL gives none', () => {
    expect(optionsFromUrl('redis://cache.example').startupNodes).toEqual([{ host: 'cache.example', port: 6379 }]);
  });

  it('turns TLS on for rediss://, whatever the scheme\'s case', () => {
    expect(optionsFromUrl('rediss://h:6380').tls).toBe(true);
    expect(optionsFromUrl('REDISS://h:6380').tls).toBe(true);
    expect(optionsFromUrl('Redis://h:6380').tls).toBeUndefined();
  });

  describe('credentials', () => {
    it('reads user:password', () => {
      const options = optionsFromUrl('redis://app:s3cret@h:7000');
      expect(options.username).toBe('app');
      expect(options.password).toBe('s3cret');
      expect(options.startupNodes).toEqual([{ host: 'h', port: 7000 }]);
    });

    it('reads a password alone (redis://:pw@h)', () => {
      const options = optionsFromUrl('redis://:pw@h');
      expect(options.password).toBe('pw');
      expect(options.username).toBeUndefined();
      expect('username' in options).toBe(false);
    });

    it('takes a lone user part as the password, as redis-cli does', () => {
      const options = optionsFromUrl('redis://secret@h');
      expect(options.password).toBe('secret');
      expect(options.username).toBeUndefined();
    });

    it('sets nothing for an empty user part (redis://@h)', () => {
      const options = optionsFromUrl('redis://@h');
      expect('password' in options).toBe(false);
      expect('username' in options).toBe(false);
      expect(options.startupNodes).toEqual([{ host: 'h', port: 6379 }]);
    });

    it('keeps a colon inside the password (only the first colon splits)', () => {
      const options = optionsFromUrl('redis://app:a:b@h');
      expect(options.username).toBe('app');
      expect(options.password).toBe('a:b');
    });

    it('percent-decodes the user name and password', () => {
      const options = optionsFromUrl('redis://us%3Aer:p%40ss%2F%3F@h');
      expect(options.username).toBe('us:er');
      expect(options.password).toBe('p@ss/?');
      expect(optionsFromUrl('redis://p%40ss@h').password).toBe('p@ss');
    });

    it('takes the host after the last @, so an unencoded @ stays in the password', () => {
      const options = optionsFromUrl('redis://:p@ss@h:1');
      expect(options.password).toBe('p@ss');
      expect(options.startupNodes).toEqual([{ host: 'h', port: 1 }]);
    });

    it('refuses bad percent-encoding without echoing the credential', () => {
      const password = refusal('redis://app:hunter%zz2@h');
      expect(password.message).toContain('password');
      expect(password.message).not.toContain('hunter');
      const user = refusal('redis://hunter%E0%A4%A@h');
      expect(user.message).toContain('percent-encoding');
      expect(user.message).not.toContain('hunter');
    });

    // Regression: the path and query used to be cut off before the '@' was looked for, so a
    // password holding an unencoded '/' or '?' was split there and its head ended up in an
    // error message. The last '@' now ends the credentials.
    it('takes a password holding an unencoded / whole instead of echoing it as a database', () => {
      expect(optionsFromUrl('redis://:hunter/tail2secret@h')).toMatchObject({ password: 'hunter/tail2secret', startupNodes: [{ host: 'h', port: 6379 }] });
    });

    it('takes a password holding an unencoded ? whole instead of echoing it as a host', () => {
      expect(optionsFromUrl('redis://:hunter?tail2secret@h:7000')).toMatchObject({ password: 'hunter?tail2secret', startupNodes: [{ host: 'h', port: 7000 }] });
    });
  });

  describe('hosts', () => {
    it('reads several hosts as several startup nodes', () => {
      expect(optionsFromUrl('redis://h1:1,h2:2,h3').startupNodes).toEqual([
        { host: 'h1', port: 1 },
        { host: 'h2', port: 2 },
        { host: 'h3', port: 6379 },
      ]);
    });

    it('reads a bracketed IPv6 host', () => {
      expect(optionsFromUrl('redis://[::1]:7000').startupNodes).toEqual([{ host: '::1', port: 7000 }]);
      expect(optionsFromUrl('redis://u:p@[::1]:7000,[fe80::2]').startupNodes).toEqual([
        { host: '::1', port: 7000 },
        { host: 'fe80::2', port: 6379 },
      ]);
    });

    it('refuses an empty host list, an empty host between commas, or a bad port', () => {
      expect(refusal('redis://').message).toContain('host');
      expect(refusal('redis://u:p@').message).toContain('host');
      expect(refusal('redis://h1:1,,h2:2').message).toContain('host');
      expect(refusal('redis://h1:1,').message).toContain('host');
      expect(refusal('redis://:7000').message).toContain('host');
      expect(refusal('redis://h:abc').message).toContain('"h:abc"');
      expect(refusal('redis://h:70000').message).toContain('"h:70000"');
    });
  });

  describe('database', () => {
    it('accepts /0 and an empty path', () => {
      expect(optionsFromUrl('redis://h:1/0').startupNodes).toEqual([{ host: 'h', port: 1 }]);
      expect(optionsFromUrl('redis://h:1/').startupNodes).toEqual([{ host: 'h', port: 1 }]);
      expect(optionsFromUrl('redis://h:1/0?clientName=x').clientName).toBe('x');
    });

    it('refuses any other database, since a cluster has only 0', () => {
      expect(refusal('redis://h:1/3').message).toMatch(/database 0 only.*"3"/);
      expect(refusal('redis://h:1/00x').message).toContain('database');
    });
  });

  describe('query parameters', () => {
    it('types numbers, booleans and strings by option', () => {
      const options = optionsFromUrl(
        'redis://h:1?connectTimeout=500&commandTimeout=0&maxRedirections=3&reinitializeSteps=2&refreshInterval=60000' +
          '&maxConnections=20&maxConnectionsPerNode=4&keepAlive=5000' +
          '&decodeResponses=false&skipFullCoverageCheck=true&followCluster=false&readFrom=replica&clientName=worker-1',
      );
      expect(options).toEqual({
        startupNodes: [{ host: 'h', port: 1 }],
        connectTimeout: 500,
        commandTimeout: 0,
        maxRedirections: 3,
        reinitializeSteps: 2,
        refreshInterval: 60000,
        maxConnections: 20,
        maxConnectionsPerNode: 4,
        keepAlive: 5000,
        decodeResponses: false,
        skipFullCoverageCheck: true,
        followCluster: false,
        readFrom: 'replica',
        clientName: 'worker-1',
      });
    });

    it('percent-decodes parameter values', () => {
      expect(optionsFromUrl('redis://h?clientName=a%2Db').clientName).toBe('a-b');
    });

    it('refuses an unknown parameter, naming it', () => {
      expect(refusal('redis://h?maxRedirects=3').message).toContain('maxRedirects');
      // Credentials go in the user-info part, never in the query.
      expect(refusal('redis://h?password=x').message).toMatch(/unknown URL parameter password/);
      expect(refusal('redis://h?tls=true').message).toContain('tls');
    });

    it('refuses a number parameter that is not a number', () => {
      expect(refusal('redis://h?connectTimeout=abc').message).toContain('connectTimeout');
      expect(refusal('redis://h?connectTimeout=').message).toContain('connectTimeout');
      expect(refusal('redis://h?maxRedirections=three').message).toContain('maxRedirections');
    });

    it('refuses a boolean parameter other than true or false', () => {
      expect(refusal('redis://h?followCluster=1').message).toContain('followCluster');
      expect(refusal('redis://h?decodeResponses=yes').message).toContain('decodeResponses');
      expect(refusal('redis://h?decodeResponses=TRUE').message).toContain('decodeResponses');
    });
  });

  it('refuses a URL without the redis:// or rediss:// scheme', () => {
    expect(refusal('127.0.0.1:7000').message).toMatch(/redis:\/\//);
    expect(refusal('http://h:1').message).toMatch(/redis:\/\//);
    expect(refusal('redis:h:1').message).toMatch(/redis:\/\//);
    expect(refusal('redis-cluster://h:1').message).toMatch(/redis:\/\//);
  });

  it('refuses something that is not a string', () => {
    expect(() => optionsFromUrl(42 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it('gives options that resolveOptions accepts as they are', () => {
    const resolved = resolveOptions(
      optionsFromUrl('rediss://app:p%40ss@h1:7000,[::1]:7001/0?connectTimeout=500&readFrom=preferReplica&decodeResponses=false'),
    );
    expect(resolved.startupNodes).toEqual([
      { host: 'h1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(resolved.tls).toBe(true);
    expect(resolved.username).toBe('app');
    expect(resolved.password).toBe('p@ss');
    expect(resolved.connectTimeout).toBe(500);
    expect(resolved.readFrom).toBe('preferReplica');
    expect(resolved.decodeResponses).toBe(false);
    expect(resolved.commandTimeout).toBe(10_000);
  });

  it('leaves checking values to resolveOptions (a string readFrom is refused there)', () => {
    const options = optionsFromUrl('redis://h?readFrom=slave');
    expect(options.readFrom).toBe('slave');
    expect(() => resolveOptions(options)).toThrow(/readFrom/);
  });
});
