import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@hashslot/test-cluster';
import {
  Connection,
  ConnectionError,
  InvalidArgumentError,
  ProtocolError,
  ReplyError,
  TimeoutError,
  type RespReply,
} from '@hashslot/resp';
import { onCommands, startFakeServer } from './fake-server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

const connections: Connection[] = [];
function connection(options: Partial<ConstructorParameters<typeof Connection>[0]> & { port: number }): Connection {
  const created = new Connection({ host: '127.0.0.1', ...options });
  connections.push(created);
  return created;
}

afterAll(() => {
  for (const created of connections) created.destroy();
});

/** Settles every promise and reports how each ended, so a test can assert on all of them. */
async function outcomes<T>(promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.all(promises.map((p) => p.then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason }))));
}

describe('Connection against a real redis-server', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers PING, SET and GET, and rejects a server error with the command and node named', async () => {
    const conn = connection({ port: server.port });
    await conn.connect();
    expect(conn.state).toBe('ready');
    expect(await conn.send(['PING'])).toBe('PONG');
    expect(await conn.send(['SET', 'conn:greeting', 'héllo wörld ✓'])).toBe('OK');
    expect(await conn.send(['GET', 'conn:greeting'])).toBe('héllo wörld ✓');
    expect(await conn.send(['GET', 'conn:missing'])).toBeNull();
    const error = await conn.send(['HGET', 'conn:greeting', 'field']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplyError);
    expect(error).toMatchObject({ prefix: 'WRONGTYPE', command: 'HGET', address: `127.0.0.1:${server.port}` });
  });

  it('connects lazily on the first command and runs CLIENT SETNAME in the handshake', async () => {
    const conn = connection({ port: server.port, clientName: 'hashslot-test' });
    expect(conn.state).toBe('idle');
    expect(await conn.send(['CLIENT', 'GETNAME'])).toBe('hashslot-test');
  });

  it('keeps replies in order for a 10,000-command batch and gives error replies their positions', async () => {
    const conn = connection({ port: server.port });
    const commands = Array.from({ length: 10_000 }, (_, i) => (i % 1000 === 999 ? ['HGET', 'conn:greeting', 'x'] : ['ECHO', `value-${i}`]));
    await conn.send(['SET', 'conn:greeting', 'x']);
    const replies = await conn.sendBatch(commands);
    expect(replies).toHaveLength(10_000);
    replies.forEach((reply, i) => {
      if (i % 1000 === 999) expect(reply).toBeInstanceOf(ReplyError);
      else expect(reply).toBe(`value-${i}`);
    });
  });

  it('coalesces commands issued in the same tick into one write', async () => {
    const fake = await startFakeServer((socket) => onCommands(socket, (commands) => socket.write('+OK\r\n'.repeat(commands.length))));
    try {
      const conn = connection({ port: fake.port });
      await conn.connect();
      await Promise.all([conn.send(['SET', 'a', '1']), conn.send(['SET', 'b', '2']), conn.send(['GET', 'a'])]);
      expect(fake.received[0]).toHaveLength(1);
      expect(fake.received[0][0].toString()).toBe(
        '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n',
      );
    } finally {
      await fake.close();
    }
  });

  it('round-trips a binary value holding every byte 0..255', async () => {
    const conn = connection({ port: server.port, returnBuffers: true });
    const value = Buffer.alloc(256 * 4);
    for (let i = 0; i < value.length; i++) value[i] = i % 256;
    const key = Buffer.from([0, 255, 13, 10, 123, 125]);
    await conn.send(['SET', key, value]);
    const back = (await conn.send(['GET', key])) as Buffer;
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back.equals(value)).toBe(true);
  });

  it('stores and reads back a 50 MiB value intact', async () => {
    const conn = connection({ port: server.port, returnBuffers: true });
    const value = Buffer.allocUnsafe(50 * 1024 * 1024);
    for (let i = 0; i < value.length; i += 4) value.writeUInt32LE(i, i);
    expect(await conn.send(['SET', 'conn:big', value])).toBe('OK');
    const back = (await conn.send(['GET', 'conn:big'])) as Buffer;
    expect(back.length).toBe(value.length);
    expect(back.equals(value)).toBe(true);
    await conn.send(['DEL', 'conn:big']);
  });

  it('rejects a command whose arguments cannot be encoded, and only that one', async () => {
    const conn = connection({ port: server.port });
    const [bad, good] = await outcomes([conn.send(['SET', 'k', undefined as unknown as string]), conn.send(['PING'])]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArgumentError);
    expect((bad as PromiseRejectedResult).reason.message).toContain('argument 2 of SET');
    expect(good).toEqual({ status: 'fulfilled', value: 'PONG' });
  });

  it('quit() lets written commands finish, then closes; later commands fail fast unsent', async () => {
    const conn = connection({ port: server.port });
    await conn.connect();
    const slow = conn.send(['DEBUG', 'SLEEP', '0.2']);
    const quitting = conn.quit();
    const late = await conn.send(['PING']).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ConnectionError);
    expect(late).toMatchObject({ written: false, command: 'PING' });
    expect(await slow).toBe('OK');
    await quitting;
    expect(conn.state).toBe('closed');
    const afterClose = await conn.send(['PING']).catch((e: unknown) => e);
    expect(afterClose).toBeInstanceOf(ConnectionError);
    expect((afterClose as ConnectionError).message).toContain('is closed');
  });

  it('fails a command on a closed connection at once, without a timeout to wait for', async () => {
    const conn = connection({ port: server.port, commandTimeout: 60_000 });
    await conn.connect();
    conn.destroy();
    const started = Date.now();
    const error = await conn.send(['PING']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('Connection when the server dies or hangs', () => {
  it('rejects every pending command with a ConnectionError saying it was written when the server is killed mid-batch', async () => {
    const server = await startServer();
    try {
      const conn = connection({ port: server.port });
      await conn.connect();
      const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
      // The sleep holds every command behind it in flight while the server is killed.
      // Observed at once: it rejects while the test is still awaiting the kill.
      const sleeping = outcomes([conn.send(['DEBUG', 'SLEEP', '5'])]);
      const batch = conn.sendBatch(Array.from({ length: 1000 }, (_, i) => ['SET', `k${i}`, String(i)]));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server.kill('SIGKILL');
      const [sleepOutcome] = await sleeping;
      const replies = await batch;
      expect(sleepOutcome.status).toBe('rejected');
      expect((sleepOutcome as PromiseRejectedResult).reason).toMatchObject({ written: true, command: 'DEBUG' });
      expect(replies).toHaveLength(1000);
      for (const reply of replies) {
        expect(reply).toBeInstanceOf(ConnectionError);
        expect(reply).toMatchObject({ written: true, command: 'SET', address: `127.0.0.1:${server.port}` });
      }
      expect(await closed).toBeInstanceOf(Error);
      expect(conn.state).toBe('closed');
    } finally {
      await server.stop();
    }
  });

  it('times out a command against a paused server, and drops its late reply instead of handing it to the next command', async () => {
    const server = await startServer();
    try {
      const conn = connection({ port: server.port, commandTimeout: 300 });
      await conn.send(['SET', 'late', 'first']);
      await server.pause();
      const started = Date.now();
      const error = await conn.send(['GET', 'late']).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ written: true, command: 'GET', timeoutMs: 300 });
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
      await server.resume();
      // The paused GET is answered now ("first"); this ECHO must get its own reply, not that one.
      expect(await conn.send(['ECHO', 'second'], { timeout: 5000 })).toBe('second');
      expect(conn.inFlightCount).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('rejects queued commands as unsent and reports ECONNREFUSED when nothing listens', async () => {
    const fake = await startFakeServer(() => {});
    const port = fake.port;
    await fake.close();
    const conn = connection({ port });
    const [connectOutcome, commandOutcome] = await outcomes<unknown>([conn.connect(), conn.send(['PING'])]);
    expect(connectOutcome.status).toBe('rejected');
    const connectError = (connectOutcome as PromiseRejectedResult).reason as ConnectionError;
    expect(connectError).toBeInstanceOf(ConnectionError);
    expect((connectError.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((commandOutcome as PromiseRejectedResult).reason).toMatchObject({ written: false, command: 'PING' });
  });

  it('gives up connecting after connectTimeout when the handshake is never answered', async () => {
    const fake = await startFakeServer(() => {});
    try {
      const conn = connection({ port: fake.port, password: 'never-echoed-secret', connectTimeout: 200 });
      const queued = conn.send(['PING']).catch((e: unknown) => e);
      const error = await conn.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toContain('timed out after 200 ms');
      const queuedError = (await queued) as ConnectionError;
      expect(queuedError).toMatchObject({ written: false });
      expect(queuedError.message).not.toContain('never-echoed-secret');
      // The handshake was written, so the server saw AUTH; the error message must not.
      expect(Buffer.concat(fake.received[0]).toString()).toContain('AUTH');
    } finally {
      await fake.close();
    }
  });
});

describe('Connection on a malformed reply stream', () => {
  it('closes on garbage after a valid prefix, answers what came before, rejects exactly the rest', async () => {
    // Answers once, whatever number of TCP reads the four commands arrive in.
    const fake = await startFakeServer((socket) => {
      let answered = false;
      onCommands(socket, () => {
        if (!answered) socket.write(Buffer.from('+OK\r\n:42\r\n?garbage\r\n+never\r\n'));
        answered = true;
      });
    });
    try {
      const conn = connection({ port: fake.port });
      await conn.connect();
      const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
      const results = await outcomes<RespReply>([conn.send(['SET', 'a', '1']), conn.send(['INCR', 'b']), conn.send(['GET', 'c']), conn.send(['GET', 'd'])]);
      expect(results[0]).toEqual({ status: 'fulfilled', value: 'OK' });
      expect(results[1]).toEqual({ status: 'fulfilled', value: 42 });
      for (const outcome of results.slice(2)) {
        const reason = (outcome as PromiseRejectedResult).reason as ConnectionError;
        expect(reason).toBeInstanceOf(ConnectionError);
        expect(reason.written).toBe(true);
        expect(reason.cause).toBeInstanceOf(ProtocolError);
        expect(reason.cause).toMatchObject({ offset: 10, byte: 0x3f });
      }
      expect(await closed).toBeInstanceOf(ProtocolError);
    } finally {
      await fake.close();
    }
  });

  it('closes when the server sends a reply no command asked for', async () => {
    const fake = await startFakeServer((socket) => socket.write('+unsolicited\r\n'));
    try {
      const conn = connection({ port: fake.port });
      const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
      await conn.connect().catch(() => {});
      const reason = await closed;
      expect(reason).toBeInstanceOf(ConnectionError);
      expect(reason?.message).toContain('no command was waiting for');
    } finally {
      await fake.close();
    }
  });

  it('waits for the rest of a reply split into single bytes', async () => {
    const reply = Buffer.from('*2\r\n$5\r\nhello\r\n:-7\r\n');
    const fake = await startFakeServer((socket) =>
      onCommands(socket, async () => {
        for (const byte of reply) {
          socket.write(Buffer.from([byte]));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }),
    );
    try {
      const conn = connection({ port: fake.port });
      expect(await conn.send(['ANYTHING'])).toEqual(['hello', -7]);
    } finally {
      await fake.close();
    }
  });
});

describe('Connection handshake with credentials and TLS', () => {
  it('authenticates as an ACL user, and fails with the server reason but never the password', async () => {
    const server = await startServer({ users: [{ username: 'app', password: 'app-secret-1' }] });
    try {
      const conn = connection({ port: server.port, username: 'app', password: 'app-secret-1' });
      expect(await conn.send(['ACL', 'WHOAMI'])).toBe('app');
      const wrong = connection({ port: server.port, username: 'app', password: 'wrong-secret-2' });
      const queued = wrong.send(['PING']).catch((e: unknown) => e);
      const error = (await wrong.connect().catch((e: unknown) => e)) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.cause).toBeInstanceOf(ReplyError);
      expect((error.cause as ReplyError).prefix).toBe('WRONGPASS');
      expect(error.message).toContain('AUTH');
      expect(error.message).not.toContain('wrong-secret-2');
      expect(JSON.stringify(error)).not.toContain('wrong-secret-2');
      expect(await queued).toMatchObject({ written: false });
    } finally {
      await server.stop();
    }
  });

  it('speaks TLS with a certificate the test made, and refuses a server it cannot verify', async () => {
    const server = await startServer({ tls: true });
    try {
      const tls = server.tls;
      if (tls === undefined) throw new Error('startServer({ tls: true }) returned no certificates');
      const conn = connection({ port: server.port, tls: { ca: tls.ca } });
      expect(await conn.send(['PING'])).toBe('PONG');
      expect(await conn.send(['SET', 'tls:k', 'v'])).toBe('OK');
      const untrusted = connection({ port: server.port, tls: true });
      const error = (await untrusted.connect().catch((e: unknown) => e)) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(String((error.cause as Error).message)).toMatch(/certificate/i);
    } finally {
      await server.stop();
    }
  });
});
