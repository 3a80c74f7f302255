/**
 * The `mmsc-smsc-sim` command as a user runs it (the built file package.json's bin names): it
 * listens, takes the gateway's bind, prints each reassembled push as a JSON line, refuses bad
 * options with exit code 2, and stops on SIGTERM with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { decode, encode, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { defaultConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';
import { assertFreshBuild } from '../scale/nodes.js';
import { until } from '../support/until.js';

const root = resolve(import.meta.dirname, '../..');
const bin = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mmsc-smsc-sim']!;
const CLI = resolve(root, bin);

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

t.before(() => assertFreshBuild());

t.test('mmsc-smsc-sim takes the gateway\'s bind and prints the notification push it reassembled', async (t) => {
  const sim = run(['--port', '0', '--account', 'mmsc:secret', '--no-receipts']);
  t.teardown(() => sim.child.kill('SIGKILL'));
  const ready = await until(() => sim.err().split('\n').map((l) => { try { return JSON.parse(l) as { msg?: string; port?: number }; } catch { return undefined; } }).find((l) => l?.msg === 'SMSC simulator ready'), 'the simulator to listen');
  t.ok(ready.port! > 0, `listening on ${ready.port}`);

  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${ready.port}` };
  const gw = await startGateway({ config, logger: pino({ level: 'silent' }) });
  t.teardown(() => gw.stop());
  const to = '+15550002001';
  const res = await fetch(`${gw.url}/mms`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' },
    body: encode({
      type: 'm-send-req',
      transactionId: 'cli-1',
      mmsVersion: '1.2',
      from: '<insert-address-token>',
      to: [`${to}/TYPE=PLMN`],
      subject: 'through the CLI simulator',
      contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
      parts: [{ contentType: { type: 'text/plain', params: {} }, data: Buffer.from('hi') }],
    }),
  });
  t.equal(res.status, 200);
  const line = await until(() => sim.out().split('\n').find((l) => l.includes(`"to":"${to}"`)), 'the push line on stdout');
  const push = JSON.parse(line) as { event: string; to: string; port: number; segments: number; payload: string };
  t.match(push, { event: 'push', to, port: 2948 });
  t.ok(push.segments >= 1, `reassembled from ${push.segments} SMS`);
  const n = decode(decodeWspPush(Buffer.from(push.payload, 'hex')).body) as NotificationInd;
  t.match(n, { type: 'm-notification-ind', subject: 'through the CLI simulator' }, 'the payload is the WSP push of the notification');

  await gw.stop();
  sim.child.kill('SIGTERM');
  t.equal(await sim.exit, 0, 'SIGTERM: exit code 0');
  t.match(sim.err(), /"msg":"SMSC simulator stopping"/, 'with its statistics logged');
  t.match(sim.err(), /"pushes":1/);
});

t.test('mmsc-smsc-sim refuses bad options with exit code 2 and says which', async (t) => {
  for (const [args, why] of [
    [['--port', 'abc'], /--port must be a number in 0\.\.65535, got "abc"/],
    [['--account', 'nopassword'], /--account must be ID:PASSWORD/],
    [['--receipt-mode', 'smoke'], /--receipt-mode must be one of tlv\+text, tlv, text/],
    [['--throttle-ratio', '2'], /--throttle-ratio must be a number in 0\.\.1/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const r = run([...args]);
    t.equal(await r.exit, 2, `${args.join(' ')}: exit code 2`);
    t.match(r.err(), why, `${args.join(' ')}: names the problem`);
    t.match(r.err(), /Options:/, 'and prints the usage');
  }
  const help = run(['--help']);
  t.equal(await help.exit, 0);
  t.match(help.out(), /^mmsc-smsc-sim: an SMPP v3\.4 SMSC simulator/);
});
