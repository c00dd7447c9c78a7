/**
 * HTTP/1.1 over a plain TCP socket, for tests that need what fetch cannot do: send a request
 * head and hold the body back (or trickle it), see exactly when the server answers and closes,
 * or connect from another local address (127.0.0.2) than the trusted proxy's.
 */
import net from 'node:net';

export interface RawConnection {
  socket: net.Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** The status of the server's answer, once it came. */
  status(): number | null;
  /** Whether the server closed (or reset) the connection. */
  closed(): boolean;
  /** Resolves when the server closed the connection, with its answer's status (null: closed without one). */
  ended: Promise<number | null>;
  write(data: string | Buffer): void;
  destroy(): void;
}

/** Connect to a base URL and send `head` (request line and headers, up to and including the blank line, or part of it). */
export function rawConnect(url: string, head: string, options: { localAddress?: string } = {}): Promise<RawConnection> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.hostname, port: Number(target.port), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    let text = '';
    let isClosed = false;
    let finish: (status: number | null) => void = () => {};
    const ended = new Promise<number | null>((done) => {
      finish = done;
    });
    const status = () => {
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      return match ? Number(match[1]) : null;
    };
    const close = () => {
      if (isClosed) return;
      isClosed = true;
      finish(status());
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('end', close);
    socket.on('close', close);
    socket.on('error', close);
    socket.once('error', (error) => {
      if (!socket.bytesWritten) reject(error);
    });
    socket.once('connect', () => {
      socket.write(head);
      resolve({
        socket,
        received: () => text,
        status,
        closed: () => isClosed,
        ended,
        write: (data) => {
          if (!isClosed) socket.write(data);
        },
        destroy: () => socket.destroy(),
      });
    });
  });
}

/** A complete request over a raw socket (optionally from another local address); resolves with status, headers and body. */
export async function rawRequest(
  url: string,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
  options: { localAddress?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const target = new URL(url);
  const body = request.body ?? '';
  const headers: Record<string, string> = { host: target.host, connection: 'close', ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...request.headers };
  const head = `${request.method} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  const connection = await rawConnect(url, head + body, options);
  await connection.ended;
  const text = connection.received();
  const split = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, split).split('\r\n');
  const parsed: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let payload = text.slice(split + 4);
  if (parsed['transfer-encoding'] === 'chunked') {
    let decoded = '';
    let rest = payload;
    for (;;) {
      const end = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, end), 16);
      if (!size) break;
      decoded += rest.slice(end + 2, end + 2 + size);
      rest = rest.slice(end + 2 + size + 2);
    }
    payload = decoded;
  }
  return { status: connection.status() ?? 0, headers: parsed, body: Buffer.from(payload, 'latin1').toString('utf8') };
}
