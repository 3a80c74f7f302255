import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One client connection written by hand: the tests send partial headers and bodies and stall, which
 * an HTTP client library will not do. `response` resolves with the first complete response (by
 * Content-Length), `closed` when the server has closed the connection.
 */
export class RawConnection {
  readonly closed: Promise<void>;
  readonly response: Promise<RawResponse>;
  private received = Buffer.alloc(0);
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => (this.isClosed = true));
    this.response = new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        this.received = Buffer.concat([this.received, chunk]);
        const r = parse(this.received);
        if (r) {
          socket.off('data', onData);
          resolve(r);
        }
      };
      socket.on('data', onData);
      socket.once('close', () => {
        const r = parse(this.received);
        if (r) resolve(r);
        else reject(new Error(`connection closed without a complete response (${this.received.length} octets received)`));
      });
    });
    // A reset from the server (it closed with our octets unread) is a close like any other here.
    socket.on('error', () => undefined);
    // The tests look at the response they wait for; an unhandled rejection would only be noise.
    this.response.catch(() => undefined);
  }

  static open(url: string, opts: { localAddress?: string } = {}): Promise<RawConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port), localAddress: opts.localAddress }, () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
      s.once('error', reject);
    });
  }

  get closedYet(): boolean {
    return this.isClosed;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function parse(buf: Buffer): RawResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buf.length < end + 4 + length) return undefined;
  return { status, headers, body: buf.subarray(end + 4, end + 4 + length) };
}

/** Request line and headers of a POST, ending with the blank line. */
export function postHead(path: string, headers: Record<string, string | number>): string {
  return `POST ${path} HTTP/1.1\r\nHost: mmsc.test\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}
