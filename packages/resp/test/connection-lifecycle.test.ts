import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@hashslot/test-cluster';
import { Connection, ConnectionError, InvalidArgumentError } from '@hashslot/resp';

type Server = Awaited<ReturnType<typeof startServer>>;

// Regression tests from a review of the connection's life cycle; each is named after what broke.
describe('Connection life cycle', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ password: 'lifecycle-secret' });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const options = () => ({ host: '127.0.0.1', port: server.port, password: 'lifecycle-secret' });

  it('quit() closes even when the last command could not be encoded', async () => {
    const conn = new Connection(options());
    await conn.connect();
    const bad = conn.send(['SET', 'k', undefined as unknown as string]).catch((e: unknown) => e);
    await conn.quit();
    expect(await bad).toBeInstanceOf(InvalidArgumentError);
    expect(conn.state).toBe('closed');
  });

  it('invalid TLS options fail connect() and the queued commands instead of hanging', async () => {
    const conn = new Connection({ ...options(), tls: { minVersion: 'bogus' as 'TLSv1.3' } });
    const queued = conn.send(['PING']).catch((e: unknown) => e);
    await expect(conn.connect()).rejects.toThrow();
    expect(await queued).toMatchObject({ written: false });
    expect(conn.state).toBe('closed');
  });

  it('a command sent right after destroy() fails as not sent', async () => {
    const conn = new Connection(options());
    await conn.connect();
    const inFlight = conn.send(['DEBUG', 'SLEEP', '0.5']).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve)); // the coalesced write happens
    conn.destroy();
    expect(conn.state).toBe('closed');
    const after = await conn.send(['PING']).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(ConnectionError);
    expect(after).toMatchObject({ written: false });
    expect(await inFlight).toMatchObject({ written: true, command: 'DEBUG' });
  });

  it('a node closing the connection by itself is reported as an error, unlike quit()', async () => {
    const conn = new Connection({ ...options(), clientName: 'to-be-killed' });
    await conn.connect();
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    const admin = new Connection(options());
    await admin.send(['CLIENT', 'KILL', 'SKIPME', 'yes', 'TYPE', 'normal']);
    const reason = await closed;
    expect(reason).toBeInstanceOf(ConnectionError);
    expect(reason?.message).toContain('closed the connection');
    await admin.quit();
    const quitting = new Connection(options());
    await quitting.connect();
    const quitClosed = new Promise<Error | undefined>((resolve) => quitting.once('close', resolve));
    await quitting.quit();
    expect(await quitClosed).toBeUndefined();
  });

  it('quit() during the TCP connect waits for the handshake instead of cutting AUTH off', async () => {
    const conn = new Connection(options());
    const connecting = conn.connect();
    const queued = conn.send(['ECHO', 'queued before quit']);
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    await conn.quit();
    await connecting;
    expect(await queued).toBe('queued before quit');
    expect(await closed).toBeUndefined();
  });

  it('connect() on a closed connection rejects instead of reporting the old success', async () => {
    const conn = new Connection(options());
    await conn.connect();
    await conn.quit();
    await expect(conn.connect()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('sends the arguments as they were at send(), even if the caller reuses its array', async () => {
    const conn = new Connection(options());
    const args = ['SET', 'reused:a', 'first'];
    const set = conn.send(args);
    args[1] = 'reused:b';
    args[2] = 'second';
    await set;
    expect(await conn.send(['GET', 'reused:a'])).toBe('first');
    expect(await conn.send(['EXISTS', 'reused:b'])).toBe(0);
    await conn.quit();
  });

  it('never shows the password when the connection is inspected or logged', async () => {
    const conn = new Connection({ ...options(), username: 'default' });
    await conn.connect();
    expect(inspect(conn, { depth: 10, showHidden: true })).not.toContain('lifecycle-secret');
    expect(JSON.stringify(Object.entries(conn))).not.toContain('lifecycle-secret');
    await conn.quit();
  });
});

describe('Connection options', () => {
  it.each([
    [{ connectTimeout: 2 ** 31 }, 'connectTimeout'],
    [{ commandTimeout: -1 }, 'commandTimeout'],
    [{ keepAlive: 500 }, 'keepAlive'],
    [{ username: 'app' }, 'username'],
    [{ clientName: 'has space' }, 'clientName'],
    [{ port: 70000 }, 'port'],
  ])('rejects %o at construction, naming the option', (bad, name) => {
    expect(() => new Connection({ host: '127.0.0.1', port: 6379, ...bad })).toThrow(InvalidArgumentError);
    expect(() => new Connection({ host: '127.0.0.1', port: 6379, ...bad })).toThrow(name);
  });

  it('rejects a per-command timeout out of range before anything is sent', async () => {
    const conn = new Connection({ host: '127.0.0.1', port: 1 });
    await expect(conn.send(['PING'], { timeout: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(conn.state).toBe('idle');
  });
});

describe('quit() against a node that never closes its side', () => {
  it('ends within its grace period when the node is paused', async () => {
    const server = await startServer();
    try {
      const conn = new Connection({ host: server.host, port: server.port, commandTimeout: 200 });
      await conn.send(['PING']);
      await server.pause();
      const started = performance.now();
      await conn.quit();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(conn.state).toBe('closed');
    } finally {
      await server.resume();
      await server.stop();
    }
  });
});
