import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics.js';
import type { Store } from '../../src/store/types.js';

/** An app whose one route writes an info and a warn line through req.log; the lines land in `lines`. */
function appAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level }, sink);
  const app = buildApp({
    config: defaultConfig(),
    logger,
    metrics: createMetrics({ defaults: false }),
    store: { kind: 'fake', ping: async () => undefined } as unknown as Store,
    plugins: [
      {
        plugin: async (app) => {
          app.get('/hello', async (req) => {
            req.log.info({ n: 1 }, 'info line');
            req.log.warn({ n: 2 }, 'warn line');
            req.log.child({ sub: true }).warn('child line');
            return { level: req.log.level };
          });
        },
      },
    ],
  });
  t.teardown(() => app.close());
  return { app, lines };
}

t.test('request log lines carry the request id, at every level that writes them', async (t) => {
  for (const level of ['info', 'warn'] as const) {
    const { app, lines } = appAt(level);
    const a = await app.inject('/hello');
    await app.inject('/hello');
    t.same(a.json(), { level }, `req.log reports the level (${level})`);
    const written = lines.map((l) => ({ msg: l.msg, reqId: l.reqId, n: l.n, sub: l.sub }));
    const ids = [...new Set(lines.map((l) => l.reqId))];
    t.equal(ids.length, 2, `two requests, two ids, every line has one (${level})`);
    t.ok(ids.every((id) => typeof id === 'string' && id !== ''));
    const expected = (id: unknown) => [
      ...(level === 'info' ? [{ msg: 'info line', reqId: id, n: 1, sub: undefined }] : []),
      { msg: 'warn line', reqId: id, n: 2, sub: undefined },
      { msg: 'child line', reqId: id, n: undefined, sub: true },
    ];
    t.same(written, [...expected(ids[0]), ...expected(ids[1])], `the lines the level lets through, no others (${level})`);
  }
});
