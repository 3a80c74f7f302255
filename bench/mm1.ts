/**
 * MM1 HTTP benchmark (issue 3): autocannon on loopback against a gateway in its own process
 * (embedded LMDB store, SMPP to an SMSC simulator in a third process), and a trivial Fastify route as
 * the machine's ceiling, in the same run.
 *   npm run bench:mm1        (DURATION seconds per scenario, default 10)
 * ONLY=steady: only the steady 1 000 req/s scenario, on a gateway that has served nothing yet (a cold
 * start); STEADY_CONNECTIONS: the steady driver's connections (default 20).
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { decode, encode, type NotificationInd } from '../protocol/mms/index.js';
import { decodeWspPush } from '../protocol/push/wsp-push.js';
import { cpuSeconds } from './proc-stats.js';
import { steadyRate, type SteadyRateOptions } from './steady-rate.js';
import { untilHealthy } from './until-healthy.js';

const DURATION = Number(process.env.DURATION ?? 10);
const ONLY_STEADY = process.env.ONLY === 'steady';
const STEADY_CONNECTIONS = Number(process.env.STEADY_CONNECTIONS ?? 20);
const here = import.meta.dirname;

let stopping = false;

function child(args: string[], env: Record<string, string>, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  c.once('exit', (code, signal) => {
    if (!stopping && signal !== 'SIGTERM') {
      console.error(`${args.join(' ')} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  return c;
}

/** The TID is a fixed-width counter placeholder that `fresh` overwrites per request. */
const TID_DIGITS = '000000000000';

function sendReq(size: number, i: number): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: `bench-${size}-${i}-${TID_DIGITS}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15550000002/TYPE=PLMN'],
    subject: 'bench',
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'image/jpeg', params: { name: 'a.jpg' } }, data: Buffer.alloc(size, i & 0xff) }],
  });
}

interface Figures {
  reqPerSec: number;
  p50: number;
  p99: number;
  p90?: number;
  max?: number;
  p99FromSend?: number;
  p99AfterFirstSecond?: number;
  non2xx: number;
  errors: number;
  /** CPU the server process used during the run, % of one core (Linux /proc). */
  serverCpuPercent: number;
}

let tidCounter = 0;

/**
 * Requests that each carry a new Transaction-ID: the gateway answers a repeated one (same sender,
 * TID and content) with the first Message-ID without storing anything, which is not the send path.
 */
function withFreshTid(body: Buffer): () => Buffer {
  const at = body.indexOf(TID_DIGITS, 0, 'latin1');
  if (at < 0) throw new Error('no TID placeholder in the request');
  return () => {
    const b = Buffer.from(body);
    b.write(String(++tidCounter).padStart(TID_DIGITS.length, '0'), at, 'latin1');
    return b;
  };
}

function fresh(body: Buffer): Pick<autocannon.Options, 'requests'> {
  const next = withFreshTid(body);
  return { requests: [{ setupRequest: (req) => ({ ...req, body: next() }) }] };
}

/** The process whose CPU a scenario reports (the server it targets). */
let measured: ChildProcess | undefined;
/** Messages the last scenario had accepted (2xx answers). */
let lastAccepted = 0;

/** Runs a scenario; also the CPU the measured server used meanwhile, % of one core (NaN without one). */
async function withServerCpu<T>(scenario: () => Promise<T>): Promise<[T, number]> {
  const pid = measured?.pid;
  const cpu0 = pid ? cpuSeconds(pid) : NaN;
  const t0 = Date.now();
  const r = await scenario();
  return [r, pid ? Math.round(((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100) : NaN];
}

async function run(name: string, opts: autocannon.Options): Promise<Figures> {
  const [r, cpu] = await withServerCpu(() => autocannon({ connections: 20, duration: DURATION, ...opts }));
  lastAccepted = (r as unknown as Record<string, number>)['2xx'] ?? 0;
  const f = { reqPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, serverCpuPercent: cpu };
  console.log(`${name.padEnd(34)} ${String(f.reqPerSec).padStart(7)} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  non-2xx ${f.non2xx} errors ${f.errors}  server CPU ${cpu}% of a core`);
  return f;
}

/** A steady (open-loop) rate: see steady-rate.ts for why autocannon's overallRate is not one. */
async function runSteady(name: string, o: Omit<SteadyRateOptions, 'durationSeconds'>): Promise<Figures> {
  const [r, cpu] = await withServerCpu(() => steadyRate({ ...o, durationSeconds: DURATION }));
  lastAccepted = r.ok;
  const f = { reqPerSec: r.reqPerSec, p50: r.p50, p90: r.p90, p99: r.p99, max: r.max, p99FromSend: r.p99FromSend, p99AfterFirstSecond: r.p99AfterFirstSecond, non2xx: r.failed, errors: 0, serverCpuPercent: cpu };
  console.log(`${name.padEnd(34)} ${String(f.reqPerSec).padStart(7)} req/s  p50 ${f.p50} ms  p90 ${f.p90} ms  p99 ${f.p99} ms (from send ${f.p99FromSend}, after the first second ${f.p99AfterFirstSecond})  max ${f.max} ms  failed ${f.non2xx}  server CPU ${cpu}% of a core`);
  return f;
}

async function untilListening(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      }).once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  // The SMSC simulator runs in its own process: in this one it would share autocannon's event loop,
  // and its submit/receipt work (1 000 of each per second at the offered rate) would show up as
  // latency that the gateway never caused.
  const smscPort = 18092;
  const sim = child([resolve(here, '../src/smsc-sim/cli.js'), '--port', String(smscPort), '--account', 'mmsc:bench', '--receipt-delay', '50', '--log-level', 'warn'], {}, 'pipe');
  await untilListening(smscPort);
  const urls: string[] = [];
  let pushes = 0;
  createInterface({ input: sim.stdout! }).on('line', (line) => {
    pushes++;
    if (urls.length >= 500) return;
    const pdu = decode(decodeWspPush(Buffer.from((JSON.parse(line) as { payload: string }).payload, 'hex')).body) as NotificationInd;
    if (pdu.type === 'm-notification-ind') urls.push(pdu.contentLocation);
  });
  let accepted = 0;
  /** Each scenario starts on an idle gateway: every message accepted so far has been pushed. */
  const drained = async (): Promise<void> => {
    accepted += lastAccepted;
    lastAccepted = 0;
    const deadline = Date.now() + 60_000;
    while (pushes < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (pushes < accepted) console.error(`only ${pushes} of ${accepted} accepted messages were pushed after 60 s`);
  };
  // GATEWAY_NODE_ARGS: node options for the gateway only (a CPU profile: --cpu-prof --cpu-prof-dir=DIR).
  const gw = child([...(process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), resolve(here, '../src/main.js')], {
    MMSC_DATA_DIR: mkdtempSync(join(tmpdir(), 'mmsc-bench-')),
    MMSC_HTTP_HOST: '127.0.0.1',
    MMSC_HTTP_PORT: '18090',
    MMSC_SMSC_URL: `smpp://mmsc:bench@127.0.0.1:${smscPort}?window=100`,
    MMSC_LOG_LEVEL: 'warn',
    MMSC_MAX_MESSAGE_SIZE: String(1024 * 1024),
  });
  const trivial = child([resolve(here, 'trivial-server.js'), '18091', join(mkdtempSync(join(tmpdir(), 'mmsc-bench-trivial-')), 'd.mdb')], {});
  await untilHealthy('http://127.0.0.1:18090/healthz');
  await untilHealthy('http://127.0.0.1:18091/healthz').catch(() => undefined);
  const headers = { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' };
  const results: Record<string, Figures> = {};
  try {
    const small = sendReq(2048, 1);
    const steady = (): Promise<Figures> =>
      runSteady('m-send-req 2 KB, steady 1,000 req/s', { url: 'http://127.0.0.1:18090/mms', method: 'POST', headers, body: withFreshTid(small), ratePerSecond: 1000, connections: STEADY_CONNECTIONS });
    if (ONLY_STEADY) {
      measured = gw;
      results.sendReq2kSteady1000 = await steady();
    } else {
      measured = trivial;
      results.trivialPost2k = await run('trivial Fastify POST 2 KB', { url: 'http://127.0.0.1:18091/mms', method: 'POST', headers, body: small });
      // The least a durable gateway does per message: read the request, one durable put, answer.
      results.trivialDurablePost2k = await run('trivial POST 2 KB + one durable put', { url: 'http://127.0.0.1:18091/mms-durable', method: 'POST', headers, body: small });
      measured = gw;
      results.sendReq2k = await run('m-send-req 2 KB', { url: 'http://127.0.0.1:18090/mms', method: 'POST', headers, ...fresh(small) });
      await drained();
      results.sendReq100k = await run('m-send-req 100 KB', { url: 'http://127.0.0.1:18090/mms', method: 'POST', headers, ...fresh(sendReq(100 * 1024, 2)), connections: 10 });
      await drained();
      results.sendReq2kSteady1000 = await steady();
      await drained();
      // autocannon's overallRate: per-second bursts at full speed (kept for comparison with earlier figures).
      results.sendReq2kAt1000 = await run('m-send-req 2 KB, 1,000/s in bursts', { url: 'http://127.0.0.1:18090/mms', method: 'POST', headers, ...fresh(small), overallRate: 1000 });
      await drained();
      // The same request over and over: retransmissions, answered without a second message.
      results.sendReq2kRepeated = await run('m-send-req 2 KB, one TID repeated', { url: 'http://127.0.0.1:18090/mms', method: 'POST', headers, body: sendReq(2048, 3) });
      const deadline = Date.now() + 10_000;
      while (urls.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const paths = urls.map((u) => new URL(u).pathname);
      results.retrieveGet = await run(`retrieval GET (${paths.length} messages)`, {
        url: 'http://127.0.0.1:18090',
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)]! }) }],
      });
    }
  } finally {
    stopping = true;
    gw.kill('SIGTERM');
    trivial.kill('SIGTERM');
    sim.kill('SIGTERM');
  }
  if (ONLY_STEADY) {
    console.log(JSON.stringify(results));
    return;
  }
  const ratio = results.sendReq2k!.reqPerSec / results.trivialPost2k!.reqPerSec;
  console.log(`m-send-req 2 KB / trivial route: ${(ratio * 100).toFixed(1)}%`);
  console.log(`trivial route + one durable put / trivial route: ${((results.trivialDurablePost2k!.reqPerSec / results.trivialPost2k!.reqPerSec) * 100).toFixed(1)}%`);
  console.log(JSON.stringify({ ...results, ratio2kToTrivial: Number(ratio.toFixed(2)) }));
}

await main();
