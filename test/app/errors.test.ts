import t from 'tap';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics.js';
import type { Store } from '../../src/store/types.js';

/** Only ping() matters here; the store is otherwise untouched by these routes. */
function storeWith(ping: () => Promise<void>): Store {
  return { kind: 'fake', ping } as unknown as Store;
}

function appWith(store: Store) {
  const app = buildApp({
    config: defaultConfig(),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ defaults: false }),
    store,
    plugins: [
      {
        plugin: async (app) => {
          app.get('/boom', async () => {
            throw new Error('ECONNREFUSED 10.1.2.3:6379 secret-internal');
          });
          app.get('/bad', async (_req, reply) => {
            const err = Object.assign(new Error('bad thing'), { statusCode: 400 });
            return reply.send(err);
          });
        },
      },
    ],
  });
  t.teardown(() => app.close());
  return app;
}

t.test('a failure of our own answers 500 without internals while the store is up', async (t) => {
  const app = appWith(storeWith(async () => undefined));
  const res = await app.inject('/boom');
  t.equal(res.statusCode, 500);
  t.notMatch(res.body, /ECONNREFUSED|secret|6379/);
  t.same(res.json(), { error: 'internal error' });
  t.equal((await app.inject('/readyz')).statusCode, 200);
});

t.test('with the store down: 503 with Retry-After, and /readyz fails', async (t) => {
  const app = appWith(
    storeWith(async () => {
      throw new Error('Redis did not answer PING');
    }),
  );
  const res = await app.inject('/boom');
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '5');
  t.notMatch(res.body, /ECONNREFUSED|secret|Redis/);
  const ready = await app.inject('/readyz');
  t.equal(ready.statusCode, 503);
  t.same(ready.json(), { ready: false, problems: ['store unavailable'] }, '/readyz names the part, not the reason');
});

t.test('client errors keep their status', async (t) => {
  const app = appWith(storeWith(async () => undefined));
  const res = await app.inject('/bad');
  t.equal(res.statusCode, 400);
});
