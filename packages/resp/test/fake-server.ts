import * as net from 'node:net';

/**
 * A scripted TCP server for what a real Redis never sends: garbage bytes, half frames, silence.
 * Each accepted socket is handed to `script`; whatever it writes is what the client reads.
 */
export interface FakeServer {
  port: number;
  /** Every chunk received, per connection, in order. */
  received: Buffer[][];
  close(): Promise<void>;
}

export async function startFakeServer(script: (socket: net.Socket, connection: number) => void): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const received: Buffer[][] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    received.push(chunks);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    script(socket, received.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `count` complete RESP commands (arrays) have arrived, by counting `*` lines. */
export function onCommands(socket: net.Socket, handler: (commands: string[][]) => void): void {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    const commands: string[][] = [];
    for (;;) {
      const parsed = parseCommand(pending);
      if (parsed === undefined) break;
      commands.push(parsed.args);
      pending = pending.slice(parsed.length);
    }
    if (commands.length > 0) handler(commands);
  });
}

function parseCommand(text: string): { args: string[]; length: number } | undefined {
  if (!text.startsWith('*')) return undefined;
  let pos = text.indexOf('\r\n');
  if (pos < 0) return undefined;
  const count = Number(text.slice(1, pos));
  pos += 2;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd < 0) return undefined;
    const length = Number(text.slice(pos + 1, lineEnd));
    const start = lineEnd + 2;
    if (text.length < start + length + 2) return undefined;
    args.push(text.slice(start, start + length));
    pos = start + length + 2;
  }
  return { args, length: pos };
}

/**
 * Calls `handler` once, with every command received so far, when the `count`-th complete
 * command has arrived, however many TCP reads they came in. Later commands are ignored.
 */
export function afterCommands(socket: net.Socket, count: number, handler: (commands: string[][]) => void): void {
  const received: string[][] = [];
  onCommands(socket, (commands) => {
    if (received.length >= count) return;
    received.push(...commands);
    if (received.length >= count) handler(received);
  });
}

/**
 * Writes `data` one byte per write, awaiting `between()` after each byte, so that a caller who
 * knows when the client has read a byte can make every byte arrive on its own. Stops early once
 * the socket is closed (the client gave up on the stream); resolves with the bytes written.
 */
export async function dripBytes(socket: net.Socket, data: Buffer, between: () => Promise<void>): Promise<number> {
  let closed = socket.destroyed;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  socket.once('close', onClose);
  try {
    let written = 0;
    for (; written < data.length && !closed; written++) {
      socket.write(data.subarray(written, written + 1));
      // Whichever comes first: the client read the byte, or the socket closed.
      await Promise.race([between(), new Promise<void>((resolve) => (wake = resolve))]);
    }
    return written;
  } finally {
    socket.off('close', onClose);
  }
}

/** A value a scripted server answers with, as RESP2: strings as bulk strings, numbers as integers. */
export type ReplyValue = string | number | null | ReplyValue[];

export function encodeReply(value: ReplyValue): string {
  if (value === null) return '$-1\r\n';
  if (typeof value === 'number') return `:${value}\r\n`;
  if (typeof value === 'string') return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  return `*${value.length}\r\n${value.map(encodeReply).join('')}`;
}
