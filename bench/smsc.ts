/**
 * Notifications per second through one SMPP bind to the SMSC simulator (a separate process, so the
 * gateway side has its own core), with send windows 1, 10 and 100. Each notification is the WSP push
 * of a real m-notification-ind (99 octets, one SMS); receipts are off so only the push path counts.
 *
 *   npm run bench:smsc            (N=20000 per run, 5 runs per window; BENCH_N / BENCH_RUNS override)
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { smscLink } from '../src/config/smsc.js';
import { SmscLink } from '../src/smsc/link.js';
import { SmscPool } from '../src/smsc/pool.js';
import { SmppPushTransport } from '../src/smsc/push-transport.js';

const N = Number(process.env.BENCH_N ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WINDOWS = [1, 10, 100];
/** push() calls kept in flight by the caller (the relay's job runner runs up to 256 at once). */
const CONCURRENCY = 256;
const NOTIFICATION = '/work/shared/conformance/mms/gammu/notification-ind-1.2-fr-lab.mms';

function payload(): Buffer {
  const mms = existsSync(NOTIFICATION) ? readFileSync(NOTIFICATION) : Buffer.alloc(93, 0x41);
  return Buffer.concat([Buffer.from([0x01, 0x06, 0x03, 0xbe, 0xaf, 0x84]), mms]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

async function run(transport: SmppPushTransport, pdu: Buffer, n: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const o = await transport.push(`+3361${String(i).padStart(7, '0')}`, pdu, `b${i}`);
      if (!o.ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (failed) throw new Error(`${failed} of ${n} pushes failed`);
  return n / secs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const port = await freePort();
  const cli = fileURLToPath(new URL('../src/smsc-sim/cli.js', import.meta.url));
  const sim = fork(cli, ['--port', String(port), '--account', 'bench:bench', '--no-receipts', '--quiet', '--log-level', 'warn'], { stdio: 'inherit' });
  try {
    const pdu = payload();
    console.log(`SMSC bench: ${N} notifications x ${RUNS} runs per window, ${pdu.length}-octet WSP push (1 SMS), ${CONCURRENCY} concurrent push() calls`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
    for (const window of WINDOWS) {
      const cfg = { ...smscLink(`smpp://bench:bench@127.0.0.1:${port}?window=${window}&name=bench${window}&source=%2B15550000`), registeredDelivery: 0 };
      const link = new SmscLink(cfg);
      link.start();
      await Promise.race([until(() => link.up), new Promise((_, rej) => setTimeout(() => rej(new Error('bind timed out')), 10_000))]);
      const transport = new SmppPushTransport(new SmscPool([link]));
      await run(transport, pdu, Math.min(2000, N));
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) rates.push(await run(transport, pdu, N));
      await link.stop();
      const row = `window ${String(window).padStart(3)}: median ${Math.round(median(rates))} notifications/s (runs: ${rates.map((x) => Math.round(x)).join(', ')})`;
      console.log(row);
    }
  } finally {
    sim.kill('SIGTERM');
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exitCode = 1;
});
