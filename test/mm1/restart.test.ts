import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';
import { decode, encode, type NotificationInd, type SendConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';

const root = resolve(import.meta.dirname, '../..');

function startGatewayProcess(dataDir: string, smscPort: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs'), resolve(root, 'src/main.ts')], {
    env: {
      ...process.env,
      MMSC_DATA_DIR: dataDir,
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: '0',
      MMSC_SMSC_URL: `smpp://mmsc:secret@127.0.0.1:${smscPort}`,
      MMSC_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"gateway listening"/.test(out) && /"url":"(http:[^"]+)"/.exec(out);
      if (m) ok({ child, url: m[1]! });
    });
    child.once('exit', (code) => fail(new Error(`gateway exited with ${code}: ${out.slice(-2000)}`)));
  });
}

t.test('a message answered with m-send-conf survives kill -9 and restart', async (t) => {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: 100 });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushes: Buffer[] = [];
  sim.onPush((p) => pushes.push(p.payload));
  const dataDir = t.testdir({});

  // The first gateway's SMSC is a port nobody listens on: it cannot notify before it dies, so a
  // notification seen later can only come from what the second one found on disk.
  const deadPort = await new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
  const first = await startGatewayProcess(dataDir, deadPort);
  const req = encode({
    type: 'm-send-req',
    transactionId: 'kill-1',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15550000002/TYPE=PLMN'],
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('survives kill -9') }],
  });
  const res = await fetch(`${first.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' }, body: req });
  const conf = decode(Buffer.from(await res.arrayBuffer())) as SendConf;
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  t.equal(conf.responseStatus, 'ok', 'accepted before the kill');
  t.equal(sim.stats.binds, 0, 'nothing reached the SMSC before the kill');
  t.equal(pushes.length, 0);

  const second = await startGatewayProcess(dataDir, smscPort);
  t.teardown(() => {
    second.child.kill('SIGTERM');
  });
  const deadline = Date.now() + 30_000;
  while (pushes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.equal(pushes.length, 1, 'the restarted gateway notifies the recipient, once');
  const n = decode(decodeWspPush(pushes[0]!).body) as NotificationInd;
  t.equal(n.type, 'm-notification-ind');
  t.ok(n.contentLocation.startsWith(`${second.url}/`), `the retrieval URL (${n.contentLocation}) names the port the restarted gateway got`);
  const got = await fetch(n.contentLocation);
  t.equal(got.status, 200, 'the restarted gateway serves the message');
  const rc = decode(Buffer.from(await got.arrayBuffer()));
  t.equal(rc.messageId, conf.messageId);
  t.equal(Buffer.from(rc.parts![0]!.data).toString(), 'survives kill -9');
});
