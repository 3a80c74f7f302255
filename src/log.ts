import type { FastifyBaseLogger } from 'fastify';
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The gateway's logger: JSON lines on stdout (pretty-printing is left to `pino-pretty` if installed). */
export function createLogger(opts: { level: string; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'mmsc',
    level: opts.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never log credentials a client or config may carry.
    redact: { paths: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'password', '*.password'], censor: '[redacted]' },
  });
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
