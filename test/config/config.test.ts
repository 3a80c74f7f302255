import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config/index.js';

t.test('defaults run with zero set-up', async (t) => {
  const cfg = loadConfig({ env: {}, cwd: t.testdir({}) });
  t.equal(cfg.http.port, 8080);
  t.equal(cfg.dataDir, './data');
  t.equal(cfg.http.publicUrl, 'http://127.0.0.1:8080');
  t.equal(cfg.relay.maxExpirySeconds, 7 * 86400);
  t.same(cfg.mm1.trustedProxies, defaultConfig().mm1.trustedProxies);
  t.same(cfg.mm1.trustedProxies, ['127.0.0.1/32', '::1/128'], 'the loopback addresses, not all of 127.0.0.0/8');
  t.match(cfg.http, { headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, bodyIdleTimeoutMs: 20_000, minBodyRate: 500, keepAliveTimeoutMs: 65_000, maxBufferedBytes: 128 * 1024 * 1024 });
});

t.test('file, then environment, then overrides', async (t) => {
  const dir = t.testdir({ config: { 'mmsc.json': JSON.stringify({ http: { port: 9000 }, mm1: { maxRecipients: 7 } }) } });
  const cfg = loadConfig({ cwd: dir, env: { MMSC_DATA_DIR: '/var/lib/mmsc', MMSC_HTTP_PORT: '9100' }, overrides: { mm1: { maxRecipients: 8 } } });
  t.equal(cfg.http.port, 9100, 'env beats file');
  t.equal(cfg.dataDir, '/var/lib/mmsc');
  t.equal(cfg.mm1.maxRecipients, 8, 'overrides beat file');
  t.equal(cfg.http.publicUrl, 'http://127.0.0.1:9100');
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ http: { publicUrl: 'http://mms.example.net' } }));
  t.equal(loadConfig({ cwd: dir, env: { MMSC_CONFIG: other } }).http.publicUrl, 'http://mms.example.net');
  t.equal(loadConfig({ cwd: dir, env: { MMSC_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.0.1' } }).mm1.trustedProxies.length, 2);
  t.equal(loadConfig({ cwd: dir, env: {} }).store.commitWindowMs, 0, 'group commit off by default');
  t.equal(loadConfig({ cwd: dir, env: { MMSC_STORE_COMMIT_WINDOW_MS: '3' } }).store.commitWindowMs, 3);
});

t.test('errors name the bad key', async (t) => {
  const dir = t.testdir({});
  const bad = (overrides: unknown, key: RegExp) => t.throws(() => loadConfig({ cwd: dir, env: {}, overrides }), { name: 'ConfigError', message: key });
  bad({ http: { port: 70000 } }, /http\.port: must be <= 65535/);
  bad({ http: { prot: 1 } }, /http\.prot: is not a known setting/);
  bad({ mm1: { fromMismatch: 'ignore' } }, /mm1\.fromMismatch: must be one of/);
  bad({ mm1: { trustedProxies: ['localhost'] } }, /mm1\.trustedProxies\[0\]/);
  bad({ mm1: { retransmissionWindowSeconds: -1 } }, /mm1\.retransmissionWindowSeconds: must be >= 0/);
  bad({ mm1: { retransmissionWindowSeconds: 1.5 } }, /mm1\.retransmissionWindowSeconds/);
  bad({ mm1: { retransmissionWindowSeconds: 2 * 86400 } }, /mm1\.retransmissionWindowSeconds: must be <= 86400/);
  bad({ http: { publicUrl: 'http://x/%41' } }, /http\.publicUrl/);
  bad({ relay: { defaultExpirySeconds: 9 * 86400 } }, /relay\.defaultExpirySeconds/);
  bad({ store: { commitWindowMs: 500 } }, /store\.commitWindowMs: must be <= 100/);
  bad({ mm1: { msisdnConflict: 'first' } }, /mm1\.msisdnConflict: must be one of "refuse", "prefer-first"/);
  bad({ http: { headersTimeoutMs: 0 } }, /http\.headersTimeoutMs: must be >= 100/);
  bad({ http: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 } }, /http\.headersTimeoutMs: must not exceed http\.requestTimeoutMs/);
  bad({ http: { bodyIdleTimeoutMs: 'soon' } }, /http\.bodyIdleTimeoutMs: must be a number/);
  bad({ http: { minBodyRate: -1 } }, /http\.minBodyRate: must be >= 0/);
  bad({ http: { keepAliveTimeoutMs: 1.5 } }, /http\.keepAliveTimeoutMs: must be an integer/);
  bad({ http: { maxBufferedBytes: 1000 } }, /http\.maxBufferedBytes: must be >= 65536/);
  bad({ http: { requestTimeoutMs: 4_000_000 } }, /http\.requestTimeoutMs: must be <= 3600000/);
  t.throws(() => loadConfig({ cwd: dir, env: { MMSC_HTTP_PORT: 'eighty' } }), { message: /http\.port: MMSC_HTTP_PORT="eighty"/ });
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{ "http": ');
  t.throws(() => loadConfig({ cwd: dir, env: {}, file }), { message: /cannot read/ });
  writeFileSync(file, JSON.stringify({ log: { levl: 'debug' } }));
  t.throws(() => loadConfig({ cwd: dir, env: {}, file }), { message: /log\.levl: is not a known setting/ });
  t.match(new ConfigError('http.port', 'must be a TCP port'), { name: 'ConfigError', key: 'http.port', message: 'config http.port: must be a TCP port' }, 'the error names its key');
});

t.test('node: id defaults to hostname-pid, lease from the environment, bad values refused', async (t) => {
  const dir = t.testdir({});
  const cfg = loadConfig({ cwd: dir, env: {} });
  t.match(cfg.node.id, new RegExp(`-${process.pid}$`), 'hostname-pid');
  t.equal(cfg.node.jobLeaseSeconds, 60);
  const set = loadConfig({ cwd: dir, env: { MMSC_NODE_ID: 'gw-1', MMSC_JOB_LEASE_SECONDS: '5' } });
  t.equal(set.node.id, 'gw-1');
  t.equal(set.node.jobLeaseSeconds, 5);
  t.throws(() => loadConfig({ cwd: dir, env: {}, overrides: { node: { id: 'has space' } } }), { message: /node\.id/ });
  t.throws(() => loadConfig({ cwd: dir, env: { MMSC_JOB_LEASE_SECONDS: '0' } }), { message: /node\.jobLeaseSeconds/ });
});

t.test('stream: defaults, environment, bad values refused naming the key', async (t) => {
  const dir = t.testdir({});
  const cfg = loadConfig({ cwd: dir, env: {} });
  t.same(cfg.stream, { run: true, batchSize: 256, maxEvents: 2_000_000, lagAlertEvents: 100_000 });
  const set = loadConfig({ cwd: dir, env: { MMSC_STREAM_RUN: 'false', MMSC_STREAM_MAX_EVENTS: '5000' } });
  t.equal(set.stream.run, false);
  t.equal(set.stream.maxEvents, 5000);
  t.throws(() => loadConfig({ cwd: dir, env: { MMSC_STREAM_MAX_EVENTS: '10' } }), { message: /stream\.maxEvents: must be >= 1000/ });
  t.throws(() => loadConfig({ cwd: dir, env: {}, overrides: { stream: { batchSize: 0 } } }), { message: /stream\.batchSize/ });
  t.throws(() => loadConfig({ cwd: dir, env: {}, overrides: { stream: { lagAlertEvents: 'many' } } }), { message: /stream\.lagAlertEvents/ });
});

t.test('the example config file sets the HTTP hardening keys, the admin listener and the MSISDN policy', async (t) => {
  const cfg = loadConfig({ file: 'config/mmsc.example.json', env: {} });
  t.match(cfg.http, { headersTimeoutMs: 10_000, bodyIdleTimeoutMs: 20_000, minBodyRate: 500, maxBufferedBytes: 134_217_728, admin: { port: 9090, host: '127.0.0.1' } });
  t.same(cfg.mm1.msisdnHeaders, ['x-wap-network-client-msisdn'], 'only the header the WAP gateway sets');
  t.equal(cfg.mm1.msisdnConflict, 'refuse');
});
