/**
 * Issue 16, finding 5: /metrics, /healthz and /readyz on a separate admin listener when
 * `http.admin.port` is set (bound to 127.0.0.1 by default), and off the port handsets use.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { buildAdminApp } from '../../src/app.js';
import { defaultConfig, loadConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createMetrics } from '../../src/metrics.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import type { Store } from '../../src/store/types.js';

async function gateway(t: Test, tweak?: (c: GatewayConfig) => void): Promise<Gateway> {
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  tweak?.(config);
  const gw = await startGateway({ config, logger: pino({ level: 'silent' }), transport: new RecordingTransport() });
  t.teardown(() => gw.stop());
  return gw;
}

const OPS = ['/metrics', '/healthz', '/readyz'];

t.test('with http.admin.port the operations endpoints move to the admin listener, on loopback by default', async (t) => {
  const gw = await gateway(t, (c) => {
    c.http.admin = { host: '127.0.0.1', port: 0 };
  });
  t.ok(gw.adminApp, 'an admin app');
  t.match(gw.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(gw.adminUrl, gw.url);
  for (const path of OPS) {
    t.equal((await fetch(`${gw.adminUrl}${path}`)).status, 200, `${path} on the admin port`);
    t.equal((await fetch(`${gw.url}${path}`)).status, 404, `${path} not on the public port`);
  }
  t.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /mmsc_http_requests_dropped_total/);
  // The public port still does its work.
  t.equal((await fetch(`${gw.url}/m/AAAAAAAAAAAAAAAAAAAAAA`)).status, 404, 'retrievals answered');
  await gw.stop();
  t.equal(gw.adminApp!.server.listening, false, 'the admin listener closes with the gateway');
});

t.test('without an admin port: /metrics, /healthz and /readyz stay on the public port (as before)', async (t) => {
  const gw = await gateway(t);
  t.equal(gw.adminApp, undefined);
  t.equal(gw.adminUrl, undefined);
  for (const path of OPS) t.equal((await fetch(`${gw.url}${path}`)).status, 200, path);
});

t.test('buildAdminApp: plugins (the admin API, a console) register after the operations routes; readiness follows draining', async (t) => {
  const draining = { value: false };
  const store = { kind: 'fake', ping: async () => undefined } as unknown as Store;
  const app = buildAdminApp({
    config: defaultConfig(),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ defaults: false }),
    store,
    draining,
    plugins: [{ plugin: async (a) => void a.get('/status', async () => ({ admin: true })), prefix: '/admin/api' }],
  });
  t.teardown(() => app.close());
  t.same((await app.inject('/admin/api/status')).json(), { admin: true });
  t.equal((await app.inject('/readyz')).statusCode, 200);
  draining.value = true;
  t.match((await app.inject('/readyz')).json(), { ready: false, problems: ['shutting down'] });
});

t.test('config: MMSC_ADMIN_PORT / MMSC_ADMIN_HOST, and an admin port equal to the public one is refused', async (t) => {
  const dir = t.testdir({});
  t.same(loadConfig({ cwd: dir, env: {} }).http.admin, { host: '127.0.0.1' }, 'no admin listener by default');
  t.same(loadConfig({ cwd: dir, env: { MMSC_ADMIN_PORT: '9090' } }).http.admin, { host: '127.0.0.1', port: 9090 });
  t.equal(loadConfig({ cwd: dir, env: { MMSC_ADMIN_PORT: '9090', MMSC_ADMIN_HOST: '0.0.0.0' } }).http.admin.host, '0.0.0.0');
  t.throws(() => loadConfig({ cwd: dir, env: { MMSC_ADMIN_PORT: '8080' } }), { name: 'ConfigError', message: /http\.admin\.port: must differ from http\.port/ });
  t.throws(() => loadConfig({ cwd: dir, env: { MMSC_ADMIN_PORT: 'x' } }), { message: /http\.admin\.port/ });
  t.throws(() => loadConfig({ cwd: dir, env: {}, overrides: { http: { admin: { port: 70000 } } } }), { message: /http\.admin\.port: must be <= 65535/ });
  t.throws(() => loadConfig({ cwd: dir, env: {}, overrides: { http: { admin: { host: 'a b' } } } }), { message: /http\.admin\.host/ });
});
