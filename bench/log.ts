/**
 * What a synchronous info line would cost (issue 16, finding 6): npm run bench:log.
 * A child process logs 'm-send-req accepted' lines (the gateway's busiest info line, same fields)
 * at a steady RATE for SECONDS, either through the gateway's destination (info queued and written
 * asynchronously, error/fatal synchronously: src/log.ts) or with every line written synchronously.
 * Its stdout goes to a file, to a pipe drained at once (`cat > /dev/null`), or to a pipe drained
 * slowly (SLOW_KBPS, a log shipper that falls behind). Reported per run: the time spent inside the
 * logging calls per line, the longest single call, and the event loop's p99 delay.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { createLogger } from '../src/log.js';
import { loadAverage } from './proc-stats.js';

const RATE = Number(process.env.RATE ?? 20_000);
const SECONDS = Number(process.env.SECONDS ?? 3);
const SLOW_KBPS = Number(process.env.SLOW_KBPS ?? 256);

interface Result {
  mode: string;
  sink: string;
  lines: number;
  usPerLine: number;
  maxCallMs: number;
  loopP99Ms: number;
}

async function childMain(mode: 'queued' | 'sync'): Promise<void> {
  const logger =
    mode === 'queued'
      ? createLogger({ level: 'info' })
      : pino({ name: 'mmsc', level: 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const total = RATE * SECONDS;
  const perTick = Math.max(1, Math.round(RATE / 1000));
  let n = 0;
  let inCalls = 0n;
  let maxCall = 0n;
  const start = performance.now();
  await new Promise<void>((done) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + perTick);
      for (; n < due; n++) {
        const t0 = process.hrtime.bigint();
        logger.info({ reqId: `req-${n}`, tid: `T${n.toString(16)}`, msgId: `0m${n.toString(36)}x8f2k1q7`, from: '+15550000001/TYPE=PLMN', recipients: 1, size: 2100 }, 'm-send-req accepted');
        const d = process.hrtime.bigint() - t0;
        inCalls += d;
        if (d > maxCall) maxCall = d;
      }
      if (n < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  h.disable();
  const r = { lines: n, usPerLine: Number(inCalls / BigInt(n)) / 1000, maxCallMs: Number(maxCall) / 1e6, loopP99Ms: h.percentile(99) / 1e6 };
  process.stderr.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

async function run(mode: 'queued' | 'sync', sink: 'file' | 'pipe' | 'slow pipe'): Promise<Result> {
  let stdout: number | 'pipe';
  let file: number | undefined;
  if (sink === 'file') stdout = file = openSync(join(mkdtempSync(join(tmpdir(), 'mmsc-bench-log-')), 'out.log'), 'w');
  else stdout = 'pipe';
  const c = spawn(process.execPath, [import.meta.filename, 'child', mode], { stdio: ['ignore', stdout, 'pipe'], env: { ...process.env, RATE: String(RATE), SECONDS: String(SECONDS) } });
  if (file !== undefined) closeSync(file);
  if (sink === 'pipe') c.stdout!.resume();
  if (sink === 'slow pipe') {
    // A reader that takes SLOW_KBPS: pause the pipe, read in bursts.
    const out = c.stdout!;
    out.pause();
    const t = setInterval(() => {
      let budget = (SLOW_KBPS * 1024) / 10;
      let chunk: Buffer | null;
      while (budget > 0 && (chunk = out.read() as Buffer | null)) budget -= chunk.length;
    }, 100);
    c.once('exit', () => {
      clearInterval(t);
      out.resume();
    });
  }
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise((r) => c.once('exit', r));
  const line = err.trim().split('\n').pop()!;
  return { mode, sink, ...(JSON.parse(line) as Omit<Result, 'mode' | 'sink'>) };
}

if (process.argv[2] === 'child') {
  await childMain(process.argv[3] as 'queued' | 'sync');
} else {
  console.log(`${RATE} info lines/s for ${SECONDS} s per run; slow pipe drained at ${SLOW_KBPS} KB/s; load average ${loadAverage()}`);
  const results: Result[] = [];
  for (const sink of ['file', 'pipe', 'slow pipe'] as const) {
    for (const mode of ['queued', 'sync'] as const) {
      const r = await run(mode, sink);
      results.push(r);
      console.log(`${`${mode} info, ${sink}`.padEnd(24)} ${r.usPerLine.toFixed(2)} us per line in the call, longest call ${r.maxCallMs.toFixed(2)} ms, event loop p99 ${r.loopP99Ms.toFixed(2)} ms (${r.lines} lines)`);
    }
  }
  console.log(JSON.stringify({ load: loadAverage(), rate: RATE, seconds: SECONDS, results }));
}
