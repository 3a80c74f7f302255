import t from 'tap';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';
import { assertFreshBuild, freePort } from '../scale/nodes.js';
import { lab } from './lab.js';

const root = resolve(import.meta.dirname, '../..');
const CLI = resolve(root, 'dist/src/emulator/cli.js');
const scenario = (name: string) => resolve(root, 'config/scenarios', name);

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const kill = setTimeout(() => c.kill('SIGKILL'), 90_000);
    c.on('close', (code) => {
      clearTimeout(kill);
      ok({ code, stdout, stderr });
    });
  });
}

t.before(() => assertFreshBuild());

t.test('scenario through an SMPP receiver bind to the SMSC the MMSC uses', async (t) => {
  const l = await lab(t);
  const r = await run(['scenario', scenario('defer-then-retrieve.json'), '--mmsc', `${l.gw.url}/mms`, '--smsc', `127.0.0.1:${l.sim.port}`, '--system-id', 'phones', '--password', 'pw']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^scenario: B defers/m);
  t.match(r.stdout, /^PASS  A gets a read report 'read' from B for m1$/m);
  t.match(r.stdout, /^PASSED: 4\/4 expectations$/m);
  t.notMatch(r.stdout, /FAIL/);
});

t.test('scenario with the emulator running the SMSC simulator (outage steps), JSON result', async (t) => {
  const port = await freePort();
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:x@127.0.0.1:${port}?reconnect_initial_ms=50&reconnect_max_ms=200` };
  config.relay.pushRetry = { initialSeconds: 0.2, maxSeconds: 1, maxAttempts: 200 };
  const gw = await startGateway({ config, logger: pino({ level: 'silent' }) });
  t.teardown(() => gw.stop());
  const r = await run(['scenario', scenario('smsc-outage.json'), '--mmsc', `${gw.url}/mms`, '--simulate-smsc', `127.0.0.1:${port}`, '--json']);
  t.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(result.pass, true);
  t.ok(result.results.length >= 5);
  t.match(r.stderr, /SMSC simulator listening on 127\.0\.0\.1:\d+/);
});

t.test('a failing scenario exits 1; bad usage exits 2 with the reason', async (t) => {
  const l = await lab(t);
  const failing = await run(['scenario', scenario('reject.json'), '--mmsc', `${l.gw.url}/nowhere`, '--smsc', `127.0.0.1:${l.sim.port}`, '--system-id', 'phones', '--password', 'pw']);
  t.equal(failing.code, 1);
  t.match(failing.stdout, /FAIL/);
  const usage = await run(['load', '--handsets', '2']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--rate is required/);
  const remote = await run(['scenario', scenario('reject.json'), '--mmsc', 'http://192.0.2.1/mms']);
  t.equal(remote.code, 1);
  t.match(remote.stderr, /not a loopback address/);
  const bad = await run(['scenario', resolve(root, 'package.json')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /unknown key "name"|handsets/);
});

t.test('load from the CLI: progress on stderr, human report and JSON', async (t) => {
  const l = await lab(t);
  const r = await run(['load', '--handsets', '5', '--rate', '50', '--count', '20', '--mmsc', `${l.gw.url}/mms`, '--smsc', `127.0.0.1:${l.sim.port}`, '--system-id', 'phones', '--password', 'pw', '--json']);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.match(report.counts, { sent: 20, confirmed: 20, notified: 20, retrieved: 20, acknowledged: 20, reports: 20, completed: 20 });
  t.match(r.stderr, /complete 20 \(/);
});

t.test('load options are checked before anything starts', async (t) => {
  const r = await run(['load', '--handsets', '2', '--rate', '1', '--count', '1', '--behaviour', 'sleepy']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--behaviour must be one of android/);
  const where = await run(['load', '--handsets', '2', '--rate', '1', '--count', '1', '--reports-to', 'wap-gateway']);
  t.equal(where.code, 2);
  t.match(where.stderr, /--reports-to must be mmsc or content-location/);
  const unknown = await run(['load', '--colour', 'red']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /Unknown option '--colour'/);
});
