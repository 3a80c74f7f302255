/**
 * Issue 16's attack, measured (npm run bench:hostile): a gateway in its own process (embedded
 * store, SMPP to an SMSC simulator in a third process) serves a steady m-send-req load (RATE, 2 KB,
 * from the trusted loopback proxy) in three phases of DURATION seconds:
 *   quiet     the load alone;
 *   attack    the load, and ATTACK_MM7 (100) connections without credentials that each send about
 *             5 MB to /mm7 and stall - the attack of the issue;
 *   + trusted the same, and ATTACK_MMS (20) chunked POSTs to /mms from the trusted address, 1 MB
 *             each, never finished (they are read: the body timeouts and the buffer cap bound them).
 * Attackers run in processes of their own; a connection the gateway closes comes back after a
 * second. Reported in the same run: the gateway's RSS (and its anonymous part: the embedded store's
 * pages are file-backed and grow with the data the load writes) idle and at its peak per phase, and
 * the load's p99 per phase against the quiet one.
 *   RATE (200 req/s), DURATION (10 s), MAIN (the gateway's main.js: another build to compare).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { encode } from '../protocol/mms/index.js';
import { cpuSeconds, loadAverage } from './proc-stats.js';
import { steadyRate, type SteadyRateResult } from './steady-rate.js';
import { untilHealthy } from './until-healthy.js';

const RATE = Number(process.env.RATE ?? 200);
const DURATION = Number(process.env.DURATION ?? 10);
const ATTACK_MM7 = Number(process.env.ATTACK_MM7 ?? 100);
const ATTACK_MMS = Number(process.env.ATTACK_MMS ?? 20);
const here = import.meta.dirname;
const MAIN = process.env.MAIN ?? resolve(here, '../src/main.js');

let stopping = false;
const children: ChildProcess[] = [];

function child(args: string[], env: Record<string, string>, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  children.push(c);
  c.once('exit', (code, signal) => {
    if (!stopping && signal !== 'SIGTERM') {
      console.error(`${args.join(' ')} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  return c;
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Resident set of a process and its anonymous part (heap, buffers; not mapped files), in MB (Linux /proc). */
function rss(pid: number): { total: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { total: Math.round(kb('VmRSS') / 1024), anon: Math.round(kb('RssAnon') / 1024) };
}

let tid = 0;
function sendReq(): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: `hostile-${process.pid}-${++tid}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15550000002/TYPE=PLMN'],
    subject: 'bench',
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'image/jpeg', params: { name: 'a.jpg' } }, data: Buffer.alloc(2048, 7) }],
  });
}

interface Phase {
  p50: number;
  p99: number;
  max: number;
  failed: number;
  reqPerSec: number;
  rssMaxMB: number;
  anonMaxMB: number;
  gatewayCpuPercent: number;
}

async function phase(name: string, pid: number, url: string, seconds = DURATION): Promise<Phase> {
  let rssMax = rss(pid).total;
  let anonMax = rss(pid).anon;
  const sampler = setInterval(() => {
    const r = rss(pid);
    rssMax = Math.max(rssMax, r.total);
    anonMax = Math.max(anonMax, r.anon);
  }, 250);
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  let r: SteadyRateResult;
  try {
    r = await steadyRate({
      url: `${url}/mms`,
      method: 'POST',
      headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' },
      body: () => sendReq(),
      ratePerSecond: RATE,
      durationSeconds: seconds,
      connections: 20,
    });
  } finally {
    clearInterval(sampler);
  }
  const cpu = Math.round(((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100);
  const f = { p50: r.p50, p99: r.p99, max: r.max, failed: r.failed, reqPerSec: r.reqPerSec, rssMaxMB: rssMax, anonMaxMB: anonMax, gatewayCpuPercent: cpu };
  console.log(`${name.padEnd(12)} ${f.reqPerSec} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  max ${f.max} ms  failed ${f.failed}  gateway RSS max ${f.rssMaxMB} MB (anonymous ${f.anonMaxMB} MB)  gateway CPU ${cpu}% of a core`);
  return f;
}

async function main(): Promise<void> {
  const [smscPort, httpPort] = [await freePort(), await freePort()];
  child([resolve(here, '../src/smsc-sim/cli.js'), '--port', String(smscPort), '--account', 'mmsc:bench', '--receipt-delay', '50', '--log-level', 'warn'], {});
  const gw = child([MAIN], {
    MMSC_DATA_DIR: mkdtempSync(join(tmpdir(), 'mmsc-bench-hostile-')),
    MMSC_HTTP_HOST: '127.0.0.1',
    MMSC_HTTP_PORT: String(httpPort),
    MMSC_SMSC_URL: `smpp://mmsc:bench@127.0.0.1:${smscPort}?window=100`,
    MMSC_LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${httpPort}`;
  await untilHealthy(`${url}/healthz`).catch(async () => untilHealthy(`${url}/readyz`));
  const pid = gw.pid!;
  console.log(`gateway ${MAIN}, load average ${loadAverage()}, ${RATE} req/s m-send-req 2 KB, ${DURATION} s per phase`);
  try {
    await phase('warm-up', pid, url, 3);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rss(pid);
    console.log(`idle         gateway RSS ${idle.total} MB (anonymous ${idle.anon} MB)`);
    const quiet = await phase('quiet', pid, url);

    const reports: Record<string, string> = {};
    const attack = (kind: 'mm7' | 'mms', n: number): void => {
      if (n === 0) return;
      const a = child([resolve(here, 'hostile-attacker.js'), kind, url, String(n)], {}, 'pipe');
      createInterface({ input: a.stdout! }).on('line', (l) => (reports[kind] = l));
    };
    attack('mm7', ATTACK_MM7);
    // Let the attack build up before measuring.
    await new Promise((r) => setTimeout(r, 3000));
    const attacked = await phase('attack', pid, url);
    attack('mms', ATTACK_MMS);
    await new Promise((r) => setTimeout(r, 3000));
    const trusted = await phase('+ trusted', pid, url);
    for (const [kind, line] of Object.entries(reports)) console.log(`attacker ${kind}: ${line}`);

    const over = (p: Phase) => `+${p.rssMaxMB - idle.total} MB (anonymous +${p.anonMaxMB - idle.anon} MB)`;
    const ratio = (p: Phase) => Number((p.p99 / quiet.p99).toFixed(2));
    console.log(`RSS over idle (${idle.total} MB, anonymous ${idle.anon} MB), target within 64 MB: quiet ${over(quiet)}, attack ${over(attacked)}, + trusted ${over(trusted)}`);
    console.log(`m-send-req p99, target within 2x of quiet (${quiet.p99} ms): attack ${attacked.p99} ms (x${ratio(attacked)}), + trusted ${trusted.p99} ms (x${ratio(trusted)}); failed ${attacked.failed + trusted.failed}`);
    console.log(
      JSON.stringify({
        load: loadAverage(),
        rate: RATE,
        duration: DURATION,
        idle,
        quiet,
        attacked,
        trusted,
        attackRssOverIdleMB: attacked.rssMaxMB - idle.total,
        attackAnonOverIdleMB: attacked.anonMaxMB - idle.anon,
        attackP99Ratio: ratio(attacked),
        trustedP99Ratio: ratio(trusted),
      }),
    );
  } finally {
    stopping = true;
    for (const c of children) c.kill('SIGTERM');
  }
}

await main();
