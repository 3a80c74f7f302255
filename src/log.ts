import pino, { type Logger } from 'pino';

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
