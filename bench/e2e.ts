/**
 * End-to-end benchmark (issues 5 and 8): emulated handsets in this process send m-send-req to gateways
 * spawned from dist/ as their own processes; notifications and delivery reports travel as WAP Push
 * over SMPP to the SMSC simulator in this process, which hands them to the handsets; the handsets
 * retrieve, answer notifyresp + acknowledge, and the delivery report comes back to the sender.
 *   npm run bench:e2e                 embedded store: max rate, then 200 msg/s offered
 *   npm run bench:e2e -- --scale      also one node on Redis and two nodes on Redis, same run
 * DURATION seconds per measurement (default 15), HANDSETS (default 200), WINDOW for max rate (default 400),
 * REDIS_URL (default redis://127.0.0.1:6379), GATEWAY_NODE_ARGS (e.g. '--cpu-prof --cpu-prof-dir=/tmp/p'
 * to profile the gateways).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { HandsetDirectory } from '../src/emulator/handset.js';
import { formatLoadReport, runLoad, type LoadReport } from '../src/emulator/load.js';
import { Mm1Client } from '../src/emulator/mm1-client.js';
import { SimulatorPushSource } from '../src/emulator/receiver.js';
import { SmscSimulator } from '../src/smsc-sim/simulator.js';
import { deleteKeys } from '../test/support/redis.js';
import { cpuSeconds, loadAverage } from './proc-stats.js';
import { untilHealthy } from './until-healthy.js';

const DURATION = Number(process.env.DURATION ?? 15);
const HANDSETS = Number(process.env.HANDSETS ?? 200);
const WINDOW = Number(process.env.WINDOW ?? 400);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const scale = process.argv.includes('--scale');
const here = import.meta.dirname;

interface Node {
  child: ChildProcess;
  url: string;
  dir: string;
}

let stopping = false;

async function startNode(i: number, port: number, smscPort: number, env: Record<string, string>): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-e2e-'));
  const child = spawn(process.execPath, [...(process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), resolve(here, '../src/main.js')], {
    env: {
      ...process.env,
      MMSC_DATA_DIR: dir,
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: String(port),
      // Each node its own link (own system_id) to the simulator, so receipts come back to the node that sent.
      MMSC_SMSC_URL: `smpp://node${i}:bench@127.0.0.1:${smscPort}?window=200`,
      MMSC_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping && signal !== 'SIGTERM') {
      console.error(`gateway node ${i} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await untilHealthy(`${url}/healthz`);
  return { child, url, dir };
}

async function stopNodes(nodes: Node[]): Promise<void> {
  stopping = true;
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise<void>((ok) => {
          if (n.child.exitCode !== null) return ok();
          n.child.once('exit', () => ok());
          n.child.kill('SIGTERM');
        }),
    ),
  );
  for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  stopping = false;
}

interface Figures {
  completedPerSec: number;
  sent: number;
  completed: number;
  errors: Record<string, number>;
  conf: { p50: number; p99: number };
  notification: { p50: number; p99: number };
  retrieved: { p50: number; p99: number };
  report: { p50: number; p99: number };
}

function figures(r: LoadReport): Figures {
  const pp = (p: { p50: number; p99: number }) => ({ p50: p.p50, p99: p.p99 });
  return {
    completedPerSec: r.perSecond.completed,
    sent: r.counts.sent,
    completed: r.counts.completed,
    errors: r.errors,
    conf: pp(r.latencyMs.sendToConf),
    notification: pp(r.latencyMs.sendToNotification),
    retrieved: pp(r.latencyMs.sendToRetrieved),
    report: pp(r.latencyMs.sendToReport),
  };
}

let msisdnBlock = 0;
const cpuNotes: Record<string, unknown> = {};

/** One measurement against `nodes` (load split across them), each with fresh handset numbers. */
async function measure(label: string, nodes: Node[], sim: SmscSimulator, rate: number, seconds: number): Promise<LoadReport> {
  const clients = nodes.map((n) => new Mm1Client({ mmscUrl: `${n.url}/mms`, maxSockets: 128 }));
  const directory = new HandsetDirectory();
  const source = new SimulatorPushSource(sim);
  source.onPush((p) => directory.deliver(p.to, p.payload, p.segments));
  await source.start();
  const cpu0 = nodes.map((n) => cpuSeconds(n.child.pid!));
  const self0 = process.cpuUsage();
  const t0 = Date.now();
  try {
    const r = await runLoad({
      handsets: HANDSETS,
      rate,
      window: rate > 0 ? 5000 : WINDOW,
      durationSeconds: seconds,
      mediaBytes: 1024,
      drainSeconds: 60,
      firstMsisdn: `+1555${String(1_000_000 + msisdnBlock++ * 10_000).padStart(7, '0')}`,
      client: clients[0]!,
      clients,
      directory,
      progress: (l) => process.stderr.write(`  [${label}] ${l}\n`),
      progressIntervalMs: 5000,
    });
    const wall = (Date.now() - t0) / 1000;
    const nodeCpu = nodes.map((n, i) => cpuSeconds(n.child.pid!) - cpu0[i]!);
    const used = nodeCpu.map((s, i) => `node ${i + 1} ${Math.round((s / wall) * 100)}%`);
    const self = process.cpuUsage(self0);
    const selfSeconds = (self.user + self.system) / 1e6;
    const emu = Math.round((selfSeconds / wall) * 100);
    // CPU per complete delivery is what the shared machine cannot distort much (throughput it can).
    const perDelivery = (s: number) => (r.counts.completed > 0 ? Number(((s * 1000) / r.counts.completed).toFixed(3)) : NaN);
    const gatewayMs = perDelivery(nodeCpu.reduce((a, b) => a + b, 0));
    const emulatorMs = perDelivery(selfSeconds);
    console.log(
      `\n== ${label}\n${formatLoadReport(r)}\nCPU (% of one core): ${used.join(', ')}, emulator+simulator ${emu}%; load average ${loadAverage()}` +
        `\nCPU per complete delivery: gateway ${gatewayMs} ms, emulator+simulator ${emulatorMs} ms`,
    );
    cpuNotes[label] = { nodes: used, emulator: emu, gatewayMsPerDelivery: gatewayMs, emulatorMsPerDelivery: emulatorMs, load: loadAverage() };
    return r;
  } finally {
    await source.stop();
    for (const c of clients) c.close();
  }
}

async function scenarioFor(label: string, nodes: Node[], sim: SmscSimulator): Promise<{ max: Figures; at200: Figures }> {
  await measure(`${label}: warm-up`, nodes, sim, 100, 2);
  const max = figures(await measure(`${label}: max rate (window ${WINDOW})`, nodes, sim, 0, DURATION));
  const at200 = figures(await measure(`${label}: 200 msg/s offered`, nodes, sim, 200, DURATION));
  return { max, at200 };
}

async function cleanRedis(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  await deleteKeys(r, prefix);
  await r.quit();
}

async function main(): Promise<void> {
  // No receipts: the relay does not need them for the flow measured here, and they only add SMPP traffic.
  const sim = new SmscSimulator({ receiptDelayMs: false });
  const smscPort = await sim.start();
  const results: Record<string, { max: Figures; at200: Figures }> = {};
  let nodes: Node[] = [];
  const prefixes: string[] = [];
  try {
    nodes = [await startNode(1, 18190, smscPort, {})];
    results.embedded = await scenarioFor('embedded (LMDB), 1 node', nodes, sim);
    await stopNodes(nodes);
    nodes = [];
    if (scale) {
      const p1 = `mmsc-bench-e2e-${process.pid}-1:`;
      prefixes.push(p1);
      nodes = [await startNode(1, 18191, smscPort, { MMSC_REDIS_URL: REDIS_URL, MMSC_REDIS_PREFIX: p1, MMSC_NODE_ID: 'bench-a' })];
      results.redis1 = await scenarioFor('Redis, 1 node', nodes, sim);
      await stopNodes(nodes);
      nodes = [];
      const p2 = `mmsc-bench-e2e-${process.pid}-2:`;
      prefixes.push(p2);
      nodes = [
        await startNode(1, 18192, smscPort, { MMSC_REDIS_URL: REDIS_URL, MMSC_REDIS_PREFIX: p2, MMSC_NODE_ID: 'bench-a' }),
        await startNode(2, 18193, smscPort, { MMSC_REDIS_URL: REDIS_URL, MMSC_REDIS_PREFIX: p2, MMSC_NODE_ID: 'bench-b' }),
      ];
      results.redis2 = await scenarioFor('Redis, 2 nodes', nodes, sim);
      await stopNodes(nodes);
      nodes = [];
    }
  } finally {
    await stopNodes(nodes);
    await sim.stop();
    for (const p of prefixes) await cleanRedis(p).catch((e: Error) => console.error(`could not clean Redis prefix ${p}: ${e.message}`));
  }
  console.log('\n== summary (complete deliveries/s at max rate; p99 send->retrieved at 200 msg/s)');
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(9)} ${String(v.max.completedPerSec).padStart(6)}/s   p99 retrieved @200: ${v.at200.retrieved.p99} ms   p99 report @200: ${v.at200.report.p99} ms`);
  if (results.redis1) console.log(`Redis 1 node / embedded: ${((results.redis1.max.completedPerSec / results.embedded!.max.completedPerSec) * 100).toFixed(0)}%`);
  if (results.redis2) console.log(`Redis 2 nodes / Redis 1 node: ${((results.redis2.max.completedPerSec / results.redis1!.max.completedPerSec) * 100).toFixed(0)}%`);
  console.log(JSON.stringify({ results, cpu: cpuNotes }));
}

await main();
