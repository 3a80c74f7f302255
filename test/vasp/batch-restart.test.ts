import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';
import { hashApiKey } from '../../src/vasp/accounts.js';

const root = resolve(import.meta.dirname, '../..');

function startGatewayProcess(dir: string, port: number, smscPort: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs'), resolve(root, 'src/main.ts')], {
    env: {
      ...process.env,
      MMSC_CONFIG: join(dir, 'mmsc.json'),
      MMSC_DATA_DIR: join(dir, 'data'),
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: String(port),
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

t.test('a scheduled batch survives kill -9: not notified before its time, every recipient after', async (t) => {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: 50 });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushes: { to: string; at: number }[] = [];
  sim.onPush((p) => pushes.push({ to: p.to, at: Date.now() }));
  const dir = t.testdir({});
  writeFileSync(join(dir, 'mmsc.json'), JSON.stringify({ vasp: { accounts: [{ id: 'acme', apiKeys: [hashApiKey('restart-key-0123456789')], shortCodes: ['12345'] }] } }));
  const port = 20000 + ((process.pid + 7) % 20000);

  const first = await startGatewayProcess(dir, port, smscPort);
  const sendAt = Date.now() + 6000;
  const recipients = Array.from({ length: 50 }, (_, i) => ({ to: `+1555300${String(i).padStart(4, '0')}`, variables: { n: i } }));
  const res = await fetch(`${first.url}/api/v1/batches`, {
    method: 'POST',
    headers: { authorization: 'Bearer restart-key-0123456789', 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Number {{ n }}', sendAt: new Date(sendAt).toISOString(), recipients }),
  });
  const body = (await res.json()) as { id: string; status: string };
  t.equal(res.status, 202);
  t.equal(body.status, 'scheduled');
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  const second = await startGatewayProcess(dir, port, smscPort);
  t.teardown(() => {
    second.child.kill('SIGTERM');
  });
  const deadline = Date.now() + 60_000;
  while (pushes.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.equal(new Set(pushes.map((p) => p.to)).size, 50, 'every recipient is notified after the restart');
  t.ok(pushes.every((p) => p.at >= sendAt), 'none before sendAt');
  const report = (await (await fetch(`${second.url}/api/v1/batches/${body.id}`, { headers: { authorization: 'Bearer restart-key-0123456789' } })).json()) as { counts: { released: number } };
  t.equal(report.counts.released, 50);
});
