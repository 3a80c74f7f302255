/**
 * VASP acceptance benchmark (issue 7): recipients accepted per second through the REST API in
 * batches and through MM7 SubmitReq, by a gateway in its own process (embedded LMDB store, SMPP to
 * an SMSC simulator in this process, so notifications go out while messages are accepted).
 *   npm run bench:vasp        (DURATION seconds per run, default 8; RUNS per scenario, default 3)
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SmscSimulator } from '../src/smsc-sim/simulator.js';
import { hashApiKey, hashPassword } from '../src/vasp/accounts.js';
import { untilHealthy } from './until-healthy.js';

const DURATION = Number(process.env.DURATION ?? 8);
const RUNS = Number(process.env.RUNS ?? 3);
const PORT = 18095;
const here = import.meta.dirname;
const NS = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2';

const numbers = (batch: number, seed: number): string[] => Array.from({ length: batch }, (_, i) => `+1555${String(seed * 100_000 + i).padStart(7, '0')}`);

function restBody(batch: number, seed: number): string {
  return JSON.stringify({ to: numbers(batch, seed), subject: 'bench', text: 'A message for a benchmark, about the size of a short promotion.' });
}

/**
 * Rewritten per request: a SubmitReq repeated with its TransactionID, recipients and content is a
 * retransmission that the gateway answers without creating anything, which is not the send path.
 */
const TID_PLACEHOLDER = 'b-000000000000';
let tidCounter = 0;

function mm7Body(batch: number, seed: number): { contentType: string; body: string } {
  const to = numbers(batch, seed).map((n) => `<Number>${n}</Number>`).join('');
  const env = `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><TransactionID xmlns="${NS}">${TID_PLACEHOLDER}</TransactionID></env:Header><env:Body><SubmitReq xmlns="${NS}"><MM7Version>5.3.0</MM7Version><SenderIdentification><VASPID>bench</VASPID><SenderAddress><ShortCode>12345</ShortCode></SenderAddress></SenderIdentification><Recipients><To>${to}</To></Recipients><Subject>bench</Subject><Content href="cid:mm"/></SubmitReq></env:Body></env:Envelope>`;
  const body = `--BB\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${env}\r\n--BB\r\nContent-Type: text/plain\r\nContent-ID: <mm>\r\n\r\nA message for a benchmark, about the size of a short promotion.\r\n--BB--\r\n`;
  return { contentType: 'multipart/related; type="text/xml"; start="<env>"; boundary=BB', body };
}

async function once(opts: autocannon.Options, batch: number): Promise<{ recipientsPerSec: number; reqPerSec: number; p99: number; non2xx: number }> {
  const r = await autocannon({ connections: 8, duration: DURATION, ...opts });
  const reqPerSec = r.requests.average;
  return { recipientsPerSec: Math.round(reqPerSec * batch), reqPerSec: Math.round(reqPerSec), p99: r.latency.p99, non2xx: r.non2xx };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'bench' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  let lastPush = Date.now();
  let pushes = 0;
  sim.onPush(() => {
    lastPush = Date.now();
    pushes++;
  });
  // Each scenario starts once the notifications of the previous one are out, so none pays for another's.
  const quiet = async (): Promise<void> => {
    const limit = Date.now() + 120_000;
    while (Date.now() - lastPush < 1000 && Date.now() < limit) await new Promise((r) => setTimeout(r, 200));
  };
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-vasp-'));
  const key = 'bench-api-key-0123456789abcdef';
  const configFile = join(dir, 'mmsc.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      vasp: { maxRecipients: 10_000, accounts: [{ id: 'bench', passwordHash: hashPassword('bench'), apiKeys: [hashApiKey(key)], shortCodes: ['12345'] }] },
    }),
  );
  let stopping = false;
  const gw: ChildProcess = spawn(process.execPath, [resolve(here, '../src/main.js')], {
    env: {
      ...process.env,
      MMSC_CONFIG: configFile,
      MMSC_DATA_DIR: join(dir, 'data'),
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: String(PORT),
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
  const base = `http://127.0.0.1:${PORT}`;
  await untilHealthy(`${base}/healthz`);
  const results: Record<string, { recipientsPerSec: number; runs: number[]; p99: number; non2xx: number }> = {};
  let seed = 0;
  const scenario = async (name: string, batch: number, make: (seed: number) => autocannon.Options): Promise<void> => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet();
      runs.push(await once(make(++seed), batch));
    }
    const m = median(runs.map((r) => r.recipientsPerSec));
    const at = runs.find((r) => r.recipientsPerSec === m)!;
    results[name] = { recipientsPerSec: m, runs: runs.map((r) => r.recipientsPerSec), p99: at.p99, non2xx: runs.reduce((n, r) => n + r.non2xx, 0) };
    console.log(`${name.padEnd(28)} ${String(m).padStart(7)} recipients/s (median of ${runs.map((r) => r.recipientsPerSec).join(', ')})  req/s ${at.reqPerSec}  p99 ${at.p99} ms  non-2xx ${results[name]!.non2xx}`);
  };
  try {
    const rest = (batch: number) => (s: number) => ({
      url: `${base}/api/v1/messages`,
      method: 'POST' as const,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: restBody(batch, s),
    });
    const mm7 = (batch: number) => (s: number) => {
      const b = mm7Body(batch, s);
      const template = Buffer.from(b.body, 'latin1');
      const at = template.indexOf(TID_PLACEHOLDER, 0, 'latin1');
      return {
        url: `${base}/mm7`,
        method: 'POST' as const,
        headers: { authorization: `Basic ${Buffer.from('bench:bench').toString('base64')}`, 'content-type': b.contentType },
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              const body = Buffer.from(template);
              body.write(`b-${String(++tidCounter).padStart(TID_PLACEHOLDER.length - 2, '0')}`, at, 'latin1');
              return { ...req, body };
            },
          },
        ],
      };
    };
    // Warm-up (not measured): the first seconds after start run cold code and a cold LMDB map.
    await autocannon({ connections: 8, duration: 3, ...rest(1)(++seed) });
    await autocannon({ connections: 8, duration: 3, ...mm7(1)(++seed) });
    await scenario('REST, 1 recipient', 1, rest(1));
    await scenario('REST, batches of 100', 100, rest(100));
    await scenario('REST, batches of 1000', 1000, rest(1000));
    await scenario('MM7, 1 recipient', 1, mm7(1));
    await scenario('MM7, batches of 100', 100, mm7(100));
  } finally {
    stopping = true;
    gw.kill('SIGTERM');
    await sim.stop();
  }
  console.log(`notifications pushed to the SMSC simulator during the run: ${pushes}`);
  console.log(JSON.stringify(results));
}

await main();
