/**
 * Campaign benchmark (issue 19): a gateway in its own process (embedded LMDB store, SMPP window 100
 * to an SMSC simulator in this process, account without tps limit) takes a 100,000-recipient
 * personalised batch as a multipart CSV upload; measured:
 *   - recipients accepted per second: rows / time from the start of the upload to the 202 answer
 *     (every accepted row is durably stored before the answer);
 *   - notified per second: rows / time from the 202 to the last recipient's WAP Push at the SMSC
 *     (release, rendering, one message per recipient, notification over SMPP).
 * Beside it in the same run, as the baseline: plain REST acceptance (POST /messages, 1,000
 * recipients per request, 8 connections) - the 17k/s of issue 7.
 *   npm run bench:batch     (ROWS, default 100000; RUNS, default 3; BASELINE_SECONDS, default 8)
 * The last line is JSON: {"batchRecipientsPerSecond": N, "notifiedPerSecond": N}.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SmscSimulator } from '../src/smsc-sim/simulator.js';
import { hashApiKey } from '../src/vasp/accounts.js';
import { untilHealthy } from './until-healthy.js';

const ROWS = Number(process.env.ROWS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);
const BASELINE_SECONDS = Number(process.env.BASELINE_SECONDS ?? 8);
const here = import.meta.dirname;
const KEY = 'bench-batch-key-0123456789abcdef';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function csv(rows: number, seed: number): Blob {
  const lines = ['to,first,code,city'];
  for (let i = 0; i < rows; i++) lines.push(`+1${String(200 + seed)}${String(i).padStart(7, '0')},Name${i},C${(i * 7919) % 100_000},City ${i % 500}`);
  return new Blob([lines.join('\n')], { type: 'text/csv' });
}

async function main(): Promise<void> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'bench' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  let pushes = 0;
  let lastPush = Date.now();
  const waiters: { n: number; resolve: (at: number) => void }[] = [];
  sim.onPush(() => {
    pushes++;
    lastPush = Date.now();
    for (const w of waiters.splice(0)) {
      if (pushes >= w.n) w.resolve(lastPush);
      else waiters.push(w);
    }
  });
  const pushesReach = (n: number): Promise<number> => new Promise((r) => (pushes >= n ? r(Date.now()) : waiters.push({ n, resolve: r })));
  const quiet = async (): Promise<void> => {
    const limit = Date.now() + 300_000;
    while (Date.now() - lastPush < 1000 && Date.now() < limit) await new Promise((r) => setTimeout(r, 200));
  };
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-batch-'));
  const configFile = join(dir, 'mmsc.json');
  writeFileSync(configFile, JSON.stringify({ vasp: { maxRecipients: 10_000, accounts: [{ id: 'bench', apiKeys: [hashApiKey(KEY)], shortCodes: ['12345'] }] } }));
  const port = 18000 + (process.pid % 1000);
  let stopping = false;
  const gw: ChildProcess = spawn(process.execPath, [resolve(here, '../src/main.js')], {
    env: {
      ...process.env,
      MMSC_CONFIG: configFile,
      MMSC_DATA_DIR: join(dir, 'data'),
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: String(port),
      MMSC_SMSC_URL: `smpp://mmsc:bench@127.0.0.1:${smscPort}?window=100`,
      MMSC_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  gw.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`gateway exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  const base = `http://127.0.0.1:${port}`;
  await untilHealthy(`${base}/healthz`);
  const auth = { authorization: `Bearer ${KEY}` };
  const accepted: number[] = [];
  const notified: number[] = [];
  let baseline = 0;
  let baselineNotified = 0;
  try {
    // Warm-up (not measured): cold code, cold LMDB map.
    const warm = new FormData();
    warm.set('text', 'Hi {{ first }}');
    warm.set('recipients', csv(5000, 99), 'warm.csv');
    await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: warm });
    await quiet();

    const numbers = (seed: number) => Array.from({ length: 1000 }, (_, i) => `+1555${String(seed * 100_000 + i).padStart(7, '0')}`);
    let seed = 0;
    const pushesBefore = pushes;
    const started = Date.now();
    const r = await autocannon({
      url: `${base}/api/v1/messages`,
      method: 'POST',
      connections: 8,
      duration: BASELINE_SECONDS,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ to: numbers(++seed), subject: 'bench', text: 'A message for a benchmark, about the size of a short promotion.' }),
    });
    baseline = Math.round(r.requests.average * 1000);
    await quiet();
    baselineNotified = Math.round((pushes - pushesBefore) / ((lastPush - started) / 1000));
    console.log(`baseline: REST /messages, 1 000 recipients per request: ${baseline} recipients/s accepted (non-2xx ${r.non2xx}); ${pushes - pushesBefore} notified at ${baselineNotified}/s from the first request to the last push`);

    for (let run = 0; run < RUNS; run++) {
      const form = new FormData();
      form.set('subject', 'For {{ first }}');
      form.set('text', 'Hi {{ first }}, {{ city }} store: your code {{ code }} takes 20% off today.');
      form.set('recipients', csv(ROWS, run), `run${run}.csv`);
      const before = pushes;
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: auth, body: form });
      const body = (await res.json()) as { id: string; accepted: number };
      const t1 = performance.now();
      if (res.status !== 202 || body.accepted !== ROWS) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
      const answeredAt = Date.now();
      const lastAt = await pushesReach(before + ROWS);
      const perSec = Math.round(ROWS / ((t1 - t0) / 1000));
      const notifiedPerSec = Math.round(ROWS / Math.max(0.001, (lastAt - answeredAt) / 1000));
      accepted.push(perSec);
      notified.push(notifiedPerSec);
      console.log(`run ${run + 1}: ${ROWS} rows accepted in ${Math.round(t1 - t0)} ms = ${perSec} recipients/s; last notified ${lastAt - answeredAt} ms after the answer = ${notifiedPerSec} notified/s`);
      await quiet();
    }
  } finally {
    stopping = true;
    gw.kill('SIGTERM');
    await sim.stop();
  }
  console.log(`median of ${RUNS}: ${median(accepted)} recipients/s accepted (${accepted.join(', ')}), ${median(notified)} notified/s (${notified.join(', ')}); baseline REST ${baseline} recipients/s accepted (ratio ${(median(accepted) / Math.max(1, baseline)).toFixed(2)}), ${baselineNotified} notified/s (ratio ${(median(notified) / Math.max(1, baselineNotified)).toFixed(2)})`);
  console.log(JSON.stringify({ batchRecipientsPerSecond: median(accepted), notifiedPerSecond: median(notified) }));
}

await main();
