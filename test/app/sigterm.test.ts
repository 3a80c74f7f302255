/**
 * Graceful SIGTERM of the real gateway process (`node dist/src/main.js`): an upload in progress
 * when the signal comes still gets its m-send-conf, the process exits 0 after closing its store,
 * and the notifications it had not delivered (its SMSC never answered) are all sent by the next
 * start on the same data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { decode, encode, type NotificationInd, type SendConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { SmscSimulator, type SimulatedPush } from '../../src/smsc-sim/simulator.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { assertFreshBuild, root } from '../scale/nodes.js';
import { until } from '../support/until.js';

interface Gw {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startGateway(configFile: string): Promise<Gw> {
  const child = spawn(process.execPath, [join(root, 'dist/src/main.js')], { env: { ...process.env, MMSC_CONFIG: configFile, MMSC_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.msg === 'gateway listening') ok({ child, url: String(rec.url), logs, exit });
        } catch {
          // not a log line
        }
      }
    });
    void exit.then((e) => fail(new Error(`gateway exited (${e.code ?? e.signal}) before listening: ${err}`)));
  });
}

const sendReq = (to: string, text: string): Buffer =>
  encode({
    type: 'm-send-req',
    transactionId: `sig-${to.slice(-4)}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: [`${to}/TYPE=PLMN`],
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from(text) }],
  });

async function send(url: string, to: string): Promise<SendConf> {
  const res = await fetch(`${url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' }, body: sendReq(to, `to ${to}`) });
  return decode(Buffer.from(await res.arrayBuffer())) as SendConf;
}

t.test('SIGTERM: the upload in progress is answered, the process exits 0 with its store closed, and no job is lost', async (t) => {
  assertFreshBuild();
  const dir = t.testdir({ data: {} });
  const dataDir = join(dir, 'data');
  // An SMSC that takes the submits and never answers: the notifications stay unfinished jobs.
  const silent = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  await silent.start();
  t.teardown(() => silent.stop());
  const config = (smscPort: number) => {
    const file = join(dir, `mmsc-${smscPort}.json`);
    writeFileSync(file, JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 3000 }, smsc: { url: `smpp://mmsc:secret@127.0.0.1:${smscPort}?response_timeout_ms=2000` } }));
    return file;
  };
  const first = await startGateway(config(silent.port));
  t.teardown(() => first.child.kill('SIGKILL'));
  await until(() => silent.boundSessions === 1 || undefined, 'the gateway to bind');
  silent.delayResponses(600_000);
  const submits: string[] = [];
  silent.onSubmit((s) => submits.push(s.to));

  const recipients = ['+15550001001', '+15550001002', '+15550001003'];
  for (const to of recipients) t.equal((await send(first.url, to)).responseStatus, 'ok', `${to} accepted`);
  await until(() => submits.length >= 1 || undefined, 'a notification submit waiting for its answer');

  // An upload in progress: headers taken (the server answered 100 Continue), half the body sent.
  const lateTo = '+15550001004';
  const body = sendReq(lateTo, 'sent while the gateway stops');
  const { port } = new URL(first.url);
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/mms', headers: { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length, 'x-msisdn': '15550000001', expect: '100-continue' } });
  const answer = new Promise<{ status: number; body: Buffer }>((ok, fail) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
  });
  await new Promise<void>((ok) => req.once('continue', ok));
  req.write(body.subarray(0, 20));

  first.child.kill('SIGTERM');
  await until(() => first.logs.some((l) => l.msg === 'shutting down') || undefined, "the gateway's 'shutting down'");
  req.end(body.subarray(20));
  const late = await answer;
  t.equal(late.status, 200, 'the upload in progress was answered');
  const lateConf = decode(late.body) as SendConf;
  t.match(lateConf, { type: 'm-send-conf', responseStatus: 'ok' }, 'with an ok m-send-conf');
  const probe = await fetch(`${first.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' }, body: sendReq('+15550001005', 'too late') }).then(
    (r) => r.status,
    () => 'refused',
  );
  t.ok(probe === 'refused' || probe === 503, `a new request once stopping is refused (${probe})`);

  const exit = await first.exit;
  t.same(exit, { code: 0, signal: null }, 'the process exits 0');
  t.ok(first.logs.some((l) => l.msg === 'gateway stopped'), "'gateway stopped': runner, SMSC links and store closed in order");

  // What it left: four messages, none notified (the SMSC never answered), their jobs waiting.
  const store = new LmdbStore(join(dataDir, 'store'), { mapSizeBytes: 2 ** 26 });
  const states = await store.stateCounts();
  t.equal(Object.values(states).reduce((a, b) => a + (b ?? 0), 0), 4, `four delivery records, none for the refused one (${JSON.stringify(states)})`);
  t.equal(states.notified ?? 0, 0, 'none notified');
  t.ok((await store.getMessage(lateConf.messageId!)) !== undefined, 'the late upload is stored');
  await store.close();

  // Started again with an SMSC that answers: every recipient is notified.
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  await sim.start();
  t.teardown(() => sim.stop());
  const pushes: SimulatedPush[] = [];
  sim.onPush((p) => pushes.push(p));
  const second = await startGateway(config(sim.port));
  t.teardown(() => second.child.kill('SIGKILL'));
  const all = [...recipients, lateTo];
  await until(() => all.every((to) => pushes.some((p) => p.to === to)) || undefined, 'a notification to each of the four recipients', 30_000);
  for (const to of all) {
    const n = decode(decodeWspPush(pushes.find((p) => p.to === to)!.payload).body) as NotificationInd;
    t.equal(n.type, 'm-notification-ind', `${to} notified after the restart`);
  }
  second.child.kill('SIGTERM');
  t.same(await second.exit, { code: 0, signal: null }, 'and the second one stops cleanly too');
});
