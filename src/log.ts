import type { FastifyBaseLogger } from 'fastify';
import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The gateway's logger: JSON lines on stdout, or on `destination` (a file descriptor or path);
 * pretty-printing is left to `pino-pretty` if installed. See logDestination for what a crash loses.
 */
export function createLogger(opts: { level: string; name?: string; destination?: number | string }): Logger {
  return pino(
    {
      name: opts.name ?? 'mmsc',
      level: opts.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials a client or config may carry.
      redact: { paths: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'password', '*.password'], censor: '[redacted]' },
    },
    logDestination(opts.destination ?? 1),
  );
}

const ERROR_LEVEL = 50;
const FATAL_LEVEL = 60;

/**
 * Where the lines go. Lines below error are queued and written asynchronously: a slow reader of
 * stdout (a full pipe to journald or the container runtime) then costs memory for a while instead
 * of stalling the event loop, and a kill -9 loses the lines not written yet (the last
 * milliseconds'; what was accepted is in the store, not in the log). Error and fatal lines are
 * written synchronously, before the call returns, so they survive a crash that follows at once; an
 * error line may precede by a few lines the queued lines logged before it (timestamps order them).
 * A fatal line first writes out the queue, so the lines that led to it come before it. A normal
 * exit (process.exit, SIGTERM) flushes the queue. bench/log.ts measures both modes;
 * docs/operations.md "What survives a kill -9" says what an operator can count on.
 */
export function logDestination(dest: number | string): DestinationStream {
  const queued = pino.destination({ dest, sync: false });
  const direct = pino.destination({ dest, sync: true });
  // pino sets lastLevel on a stream that asks for metadata, before each write.
  const flushQueue = (): void => {
    try {
      queued.flushSync();
    } catch {
      // Not open yet (a path being opened): those lines stay queued.
    }
  };
  const stream = {
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 0,
    write(line: string): void {
      if (this.lastLevel < ERROR_LEVEL) return void queued.write(line);
      if (this.lastLevel >= FATAL_LEVEL) flushQueue();
      direct.write(line);
    },
    /** Writes out the queue now (pino calls it after a fatal line; exit paths may too). */
    flushSync: flushQueue,
  };
  return stream;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogFn = (...args: unknown[]) => void;

/**
 * A request's logger (Fastify's req.log) whose pino child - the request id bound into it - is made on
 * the first line the level lets through. Fastify made one child per request, and at the production
 * level (warn) almost none of them ever wrote: about 1 % of the gateway's CPU at high request rates.
 */
class LazyChild implements FastifyBaseLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  private get real(): Logger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made ? this.made.isLevelEnabled(level) : this.parent.isLevelEnabled(level)) (this.real[level] as LogFn)(...args);
  }

  fatal: LogFn = (...args) => this.write('fatal', args);
  error: LogFn = (...args) => this.write('error', args);
  warn: LogFn = (...args) => this.write('warn', args);
  info: LogFn = (...args) => this.write('info', args);
  debug: LogFn = (...args) => this.write('debug', args);
  trace: LogFn = (...args) => this.write('trace', args);
  silent: LogFn = () => undefined;

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: request loggers made lazily unless the route sets its own level or serializers. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  if (opts.level !== undefined || opts.serializers !== undefined) return logger.child(bindings, opts);
  return new LazyChild(logger as Logger, bindings);
}
