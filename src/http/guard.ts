import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * What a client may cost the gateway before its request is complete. Node enforces the header
 * deadline and the total request time (server.headersTimeout, server.requestTimeout); this guard
 * adds what Node has not: a body that stops arriving, a body that arrives too slowly, and a cap on
 * the octets all unfinished requests hold in memory together.
 */
export interface GuardConfig {
  bodyIdleTimeoutMs: number;
  /** Octets per second, averaged from the request's start, once it has been arriving for bodyIdleTimeoutMs; 0 = none. */
  minBodyRate: number;
  maxBufferedBytes: number;
}

export type DropReason = 'body-idle' | 'body-slow' | 'buffer-cap';

export interface GuardEvents {
  /** A connection was closed by the guard (counted by reason). */
  dropped?(reason: DropReason): void;
  /** The octets held for unfinished requests changed. */
  buffered?(bytes: number): void;
}

/** The error a body stream fails with past the buffered-bytes cap: answered 503 with the connection closed. */
export class BufferCapError extends Error {
  readonly statusCode = 503;
  readonly code = 'MMSC_BUFFER_CAP';
  constructor() {
    super('the gateway holds too many request bodies at the moment');
  }
}

interface Watched {
  raw: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  /** socket.bytesRead when the last progress was seen. */
  lastBytes: number;
  /** socket.bytesRead at the start of the request. */
  startBytes: number;
  /** Milliseconds the request has been waiting on the client (time the socket was paused by us does not count). */
  activeMs: number;
  idleMs: number;
  peer: string | undefined;
  url: string | undefined;
}

/**
 * One per listener. `watch` every request when its headers are in; `count` the body stream each
 * parser reads (or `countRaw` where a parser reads the raw request itself, as multipart does).
 *
 * Progress is read from `socket.bytesRead` on a timer (the HTTP parser consumes the socket's
 * handle directly, so there are no data events to listen to), and only while the socket is reading:
 * when the gateway itself holds the body back (an auth check under way, a busy handler), the client
 * is not charged for the wait.
 */
export class RequestGuard {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private lastTick = 0;
  private bufferedBytes = 0;

  constructor(
    private readonly cfg: GuardConfig,
    private readonly logger: Logger,
    private readonly events: GuardEvents = {},
  ) {
    // A quarter of the idle timeout: a stalled body is closed within 1.25x of it.
    this.tickMs = Math.max(10, Math.min(1000, Math.floor(cfg.bodyIdleTimeoutMs / 4)));
  }

  /** Octets now held for unfinished requests. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Requests whose body is still arriving. */
  get watching(): number {
    return this.watched.size;
  }

  watch(raw: IncomingMessage, res: ServerResponse): void {
    const socket = raw.socket as Socket | null;
    if (raw.complete || !socket || socket.destroyed) return;
    const bytes = socket.bytesRead;
    const w: Watched = { raw, res, socket, lastBytes: bytes, startBytes: bytes, activeMs: 0, idleMs: 0, peer: socket.remoteAddress, url: raw.url };
    this.watched.add(w);
    if (!this.timer) {
      this.lastTick = performance.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  private tick(): void {
    const now = performance.now();
    // A tick the event loop delayed (GC, a long synchronous task) is not the clients' time: the
    // sockets were not read meanwhile either.
    const elapsed = Math.min(now - this.lastTick, 2 * this.tickMs);
    this.lastTick = now;
    for (const w of this.watched) {
      if (w.raw.complete || w.socket.destroyed) {
        this.watched.delete(w);
        continue;
      }
      const bytes = w.socket.bytesRead;
      // Paused: the gateway is not reading (back-pressure, a check in progress); the client is not to blame.
      const waitingOnClient = !w.socket.isPaused();
      if (bytes !== w.lastBytes) {
        w.lastBytes = bytes;
        w.idleMs = 0;
      } else if (waitingOnClient) {
        w.idleMs += elapsed;
      }
      if (waitingOnClient) w.activeMs += elapsed;
      if (w.idleMs >= this.cfg.bodyIdleTimeoutMs) {
        this.drop(w, 'body-idle');
      } else if (this.cfg.minBodyRate > 0 && w.activeMs >= this.cfg.bodyIdleTimeoutMs && ((bytes - w.startBytes) * 1000) / w.activeMs < this.cfg.minBodyRate) {
        this.drop(w, 'body-slow');
      }
    }
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private drop(w: Watched, reason: DropReason): void {
    this.watched.delete(w);
    const received = w.socket.bytesRead - w.startBytes;
    this.logger.info({ peer: w.peer, url: w.url, reason, received }, reason === 'body-idle' ? 'request body stopped arriving: connection closed' : 'request body too slow: connection closed');
    this.events.dropped?.(reason);
    // 408 when nothing was answered yet, as Node does for its own timeouts; then the connection goes.
    if (!w.res.headersSent && w.socket.writable) w.socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    w.socket.destroySoon();
  }

  /** A stream that passes `payload` through, counting its octets against the cap until `res` is done. */
  count(payload: Readable, res: ServerResponse): Readable {
    const account = this.account(res);
    const counter = new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        if (!account.add(chunk.length)) return done(new BufferCapError());
        done(null, chunk);
      },
    });
    payload.on('error', (err) => counter.destroy(err));
    // A connection gone mid-body: the parser waiting on the counter must hear of it.
    payload.once('close', () => {
      if (!payload.readableEnded) counter.destroy(new Error('the request closed before its body was complete'));
    });
    // Piped on the first read only: a parser that reads the raw request itself (multipart) never
    // reads this stream, and a pipe into it would stall the request at the counter's high-water mark.
    const read = counter._read.bind(counter);
    let piped = false;
    counter._read = (size) => {
      if (!piped) {
        piped = true;
        payload.pipe(counter);
      }
      read(size);
    };
    return counter;
  }

  /**
   * Counts the octets of a raw request that a parser reads by itself (multipart). Attach right
   * before the parser pipes the request in the same turn, or the first chunks flow past it. Past
   * the cap the request is destroyed: the parser owns the stream, so no 503 can be written.
   */
  countRaw(raw: IncomingMessage, res: ServerResponse): void {
    const account = this.account(res);
    const onData = (chunk: Buffer): void => {
      if (account.add(chunk.length)) return;
      raw.off('data', onData);
      this.logger.info({ peer: raw.socket?.remoteAddress, url: raw.url, buffered: this.bufferedBytes }, 'request body refused: buffered-bytes cap reached');
      this.events.dropped?.('buffer-cap');
      raw.destroy(new BufferCapError());
    };
    raw.on('data', onData);
  }

  private account(res: ServerResponse): { add(n: number): boolean } {
    let held = 0;
    let refused = false;
    const release = (): void => {
      this.bufferedBytes -= held;
      held = 0;
      this.events.buffered?.(this.bufferedBytes);
    };
    // The body stays in memory until the answer is out (or the connection is gone).
    res.once('close', release);
    return {
      add: (n) => {
        if (refused) return false;
        if (this.bufferedBytes + n > this.cfg.maxBufferedBytes) {
          refused = true;
          // The refused request's own octets go at once: they are dropped with it.
          release();
          return false;
        }
        held += n;
        this.bufferedBytes += n;
        this.events.buffered?.(this.bufferedBytes);
        return true;
      },
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }
}

/** The guard of the app a route belongs to (decorated by buildApp), for parsers that read the raw request. */
export function guardOf(app: FastifyInstance): RequestGuard | undefined {
  return (app as FastifyInstance & { guard?: RequestGuard }).guard;
}
