/**
 * Scale-out benchmark (issue 8): complete deliveries per second and latency percentiles, in one run,
 * for the embedded single node (LMDB), one node on Redis, and two nodes on one Redis.
 *
 * A complete delivery: m-send-req answered (m-send-conf), the recipient's WAP Push reaches the SMSC
 * simulator, the handset GETs the message, sends m-acknowledge-ind, and the originator's
 * m-delivery-ind push arrives. With two nodes, sends alternate between them and every handset
 * retrieves and acknowledges on the *other* node, so each delivery crosses nodes.
 *
 *   npm run build && node dist/bench/scale.js
 *   COUNT (messages per throughput run, default 3000), WINDOW (sends in flight, default 64),
 *   RATE (msg/s of the latency run, default 200), SECONDS (latency run length, default 10),
 *   REDIS_URL (default redis://127.0.0.1:6379; keys under a unique prefix, deleted afterwards).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { SmscSimulator, type SimulatedPush } from '../src/emulator/smsc-simulator.js';
import { decode, encode, type MmsPdu } from '../protocol/mms/index.js';
import { decodeWspPush } from '../protocol/push/wsp-push.js';

const COUNT = Number(process.env.COUNT ?? 3000);
const WINDOW = Number(process.env.WINDOW ?? 64);
const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 10);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN = resolve(import.meta.dirname, '../src/main.js');
const ORIGINATOR = '15550000001';
const MMS = { 'content-type': 'application/vnd.wap.mms-message' };

interface Node {
  url: string;
  child: ChildProcess;
}

async function startNode(env: Record<string, string>, port: number): Promise<Node> {
  // GATEWAY_NODE_ARGS, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof', to look inside the gateways.
  const nodeArgs = process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { ...process.env, MMSC_CONFIG: '', MMSC_HTTP_HOST: '127.0.0.1', MMSC_HTTP_PORT: String(port), MMSC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`gateway on ${port} exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway on ${port} did not become ready`);
}

async function stopNode(n: Node): Promise<void> {
  if (n.child.exitCode !== null) return;
  const gone = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  await gone;
}

/** Timestamps of one message's way through the MMSC (ms, performance.now()). */
interface Trace {
  sent: number;
  conf?: number;
  notified?: number;
  retrieved?: number;
  acked?: number;
  reported?: number;
  node: number;
}

interface RunFigures {
  messages: number;
  completed: number;
  errors: Record<string, number>;
  seconds: number;
  deliveriesPerSec: number;
  /** Latency percentiles (ms) from the send: [p50, p90, p99]. */
  conf: number[];
  notified: number[];
  retrieved: number[];
  reported: number[];
}

function pct(values: number[]): number[] {
  if (!values.length) return [NaN, NaN, NaN];
  const s = [...values].sort((a, b) => a - b);
  return [0.5, 0.9, 0.99].map((q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 10) / 10);
}

function sendReq(i: number, recipient: string): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: `scale-${i}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: [`+${recipient}/TYPE=PLMN`],
    subject: `bench ${i}`,
    deliveryReport: true,
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from(`message ${i}`) },
      { contentType: { type: 'image/jpeg', params: { name: 'a.jpg' } }, data: Buffer.alloc(2048, i & 0xff) },
    ],
  } as MmsPdu);
}

/**
 * Drives `total` messages through the nodes: either as fast as a window of `window` sends in flight
 * allows, or at `rate` messages per second. Resolves once every message completed or failed, or the
 * time limit passed.
 */
async function drive(nodes: Node[], sim: SmscSimulator, run: number, o: { total: number; window?: number; rate?: number; limitMs: number }): Promise<RunFigures> {
  const traces = new Map<number, Trace>();
  const byRecipient = new Map<string, number>();
  const byMessageId = new Map<string, number>();
  // A report can overtake its own m-send-conf on a busy machine (the push path is faster than the
  // HTTP answer); it is kept here until the conf names the message.
  const earlyReports = new Map<string, number>();
  const errors: Record<string, number> = {};
  const fail = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);
  let completed = 0;
  let failed = 0;
  let last = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const settle = () => {
    if (completed + failed >= o.total) resolveDone();
  };
  const recipientOf = (i: number) => `1777${String(run).padStart(2, '0')}${String(i).padStart(6, '0')}`;

  async function handset(i: number, contentLocation: string, transactionId: string): Promise<void> {
    const t = traces.get(i)!;
    const msisdn = recipientOf(i);
    // The handset retrieves from the URL it was given and acknowledges on the other node.
    const res = await fetch(contentLocation, { headers: { 'x-msisdn': msisdn } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || decode(body).type !== 'm-retrieve-conf') throw new Error('retrieve');
    t.retrieved = performance.now();
    const ackNode = nodes[(t.node + 1) % nodes.length]!;
    const ack = await fetch(`${ackNode.url}/mms`, {
      method: 'POST',
      headers: { ...MMS, 'x-msisdn': msisdn },
      body: encode({ type: 'm-acknowledge-ind', transactionId, mmsVersion: '1.2', reportAllowed: true } as MmsPdu),
    });
    await ack.arrayBuffer();
    if (ack.status !== 200 && ack.status !== 204) throw new Error('acknowledge');
    t.acked = performance.now();
  }

  const off = sim.onPush((p: SimulatedPush) => {
    let pdu: MmsPdu;
    try {
      pdu = decode(decodeWspPush(p.payload).body);
    } catch {
      fail('undecodable push');
      return;
    }
    if (pdu.type === 'm-notification-ind') {
      const i = byRecipient.get(p.to.replace(/^\+/, ''));
      if (i === undefined) return;
      const t = traces.get(i)!;
      if (t.notified !== undefined) return; // a re-notification
      t.notified = performance.now();
      handset(i, pdu.contentLocation, pdu.transactionId).catch((err: Error) => {
        fail(err.message);
        failed++;
        settle();
      });
    } else if (pdu.type === 'm-delivery-ind') {
      const i = byMessageId.get(pdu.messageId);
      if (i === undefined) earlyReports.set(pdu.messageId, performance.now());
      else reported(i, performance.now());
    }
  });

  function reported(i: number, at: number): void {
    const t = traces.get(i)!;
    if (t.reported !== undefined) return;
    t.reported = at;
    last = Math.max(last, at);
    completed++;
    settle();
  }

  async function send(i: number): Promise<void> {
    const recipient = recipientOf(i);
    const node = i % nodes.length;
    const t: Trace = { sent: performance.now(), node };
    traces.set(i, t);
    byRecipient.set(recipient, i);
    try {
      const res = await fetch(`${nodes[node]!.url}/mms`, { method: 'POST', headers: { ...MMS, 'x-msisdn': ORIGINATOR }, body: sendReq(i, recipient) });
      const conf = decode(Buffer.from(await res.arrayBuffer()));
      if (conf.type !== 'm-send-conf' || !conf.messageId) throw new Error(`send refused (${conf.type === 'm-send-conf' ? conf.responseStatus : conf.type})`);
      t.conf = performance.now();
      byMessageId.set(conf.messageId, i);
      const early = earlyReports.get(conf.messageId);
      if (early !== undefined) reported(i, early);
    } catch (err) {
      fail((err as Error).message);
      failed++;
      settle();
    }
  }

  const start = performance.now();
  const limit = setTimeout(resolveDone, o.limitMs);
  if (o.rate) {
    const gap = 1000 / o.rate;
    for (let i = 0; i < o.total; i++) {
      const due = start + i * gap;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      void send(i);
    }
  } else {
    let next = 0;
    const lane = async () => {
      while (next < o.total) await send(next++);
    };
    await Promise.all(Array.from({ length: o.window ?? 64 }, lane));
  }
  await done;
  clearTimeout(limit);
  off();
  const all = [...traces.values()];
  const since = (k: keyof Trace) => all.filter((t) => t[k] !== undefined).map((t) => (t[k] as number) - t.sent);
  const seconds = ((last || performance.now()) - start) / 1000;
  if (completed < o.total) errors['not completed in time'] = o.total - completed - failed;
  return {
    messages: o.total,
    completed,
    errors,
    seconds: Math.round(seconds * 100) / 100,
    deliveriesPerSec: Math.round(completed / seconds),
    conf: pct(since('conf')),
    notified: pct(since('notified')),
    retrieved: pct(since('retrieved')),
    reported: pct(since('reported')),
  };
}

async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

async function redisPersistence(): Promise<string> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const aof = (await r.config('GET', 'appendonly')) as string[];
    const fsync = (await r.config('GET', 'appendfsync')) as string[];
    const save = (await r.config('GET', 'save')) as string[];
    return `appendonly ${aof[1]}, appendfsync ${fsync[1]}, save "${save[1]}"`;
  } finally {
    r.disconnect();
  }
}

interface Setup {
  name: string;
  nodes: number;
  redis: boolean;
}

async function measure(setup: Setup, sim: SmscSimulator, smscPort: number, run: number): Promise<{ max: RunFigures; paced: RunFigures }> {
  const prefix = `mmsc-bench:${process.pid}-${randomBytes(3).toString('hex')}:`;
  const dirs: string[] = [];
  const nodes: Node[] = [];
  try {
    for (let n = 0; n < setup.nodes; n++) {
      const dir = mkdtempSync(join(tmpdir(), 'mmsc-scale-'));
      dirs.push(dir);
      const env: Record<string, string> = {
        MMSC_DATA_DIR: dir,
        MMSC_SMSC_URL: `smpp://mmsc:bench@127.0.0.1:${smscPort}?window=100`,
        MMSC_NODE_ID: `bench-${n}`,
      };
      if (setup.redis) Object.assign(env, { MMSC_REDIS_URL: REDIS_URL, MMSC_REDIS_PREFIX: prefix });
      nodes.push(await startNode(env, 18300 + run * 10 + n));
    }
    // Warm-up: JIT, connection pools, SMPP binds.
    await drive(nodes, sim, run * 4, { total: 200, window: 16, limitMs: 30_000 });
    const max = await drive(nodes, sim, run * 4 + 1, { total: COUNT, window: WINDOW, limitMs: 120_000 });
    const paced = await drive(nodes, sim, run * 4 + 2, { total: RATE * SECONDS, rate: RATE, limitMs: SECONDS * 1000 + 30_000 });
    return { max, paced };
  } finally {
    await Promise.all(nodes.map(stopNode));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (setup.redis) await dropPrefix(prefix);
  }
}

async function main(): Promise<void> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'bench' }], receiptDelayMs: 50 });
  const smscPort = await sim.start();
  const only = process.env.SETUPS?.split(',');
  const setups: Setup[] = [
    { name: 'embedded (LMDB), 1 node', nodes: 1, redis: false },
    { name: 'Redis, 1 node', nodes: 1, redis: true },
    { name: 'Redis, 2 nodes', nodes: 2, redis: true },
  ].filter((_, i) => !only || only.includes(String(i)));
  console.log(`Redis at ${REDIS_URL}: ${await redisPersistence()}`);
  console.log(`throughput runs: ${COUNT} messages, ${WINDOW} sends in flight; latency runs: ${RATE} msg/s for ${SECONDS} s`);
  const results: Record<string, { max: RunFigures; paced: RunFigures }> = {};
  try {
    for (const [i, s] of setups.entries()) {
      const r = await measure(s, sim, smscPort, i + 1);
      results[s.name] = r;
      const p = (a: number[]) => a.join(' / ');
      console.log(`${s.name.padEnd(26)} ${String(r.max.deliveriesPerSec).padStart(6)} deliveries/s (${r.max.completed}/${r.max.messages} in ${r.max.seconds} s)` + (Object.keys(r.max.errors).length ? ` errors ${JSON.stringify(r.max.errors)}` : ''));
      console.log(`${''.padEnd(26)} at ${RATE} msg/s, ms p50/p90/p99: conf ${p(r.paced.conf)}  notified ${p(r.paced.notified)}  retrieved ${p(r.paced.retrieved)}  report ${p(r.paced.reported)}` + (Object.keys(r.paced.errors).length ? ` errors ${JSON.stringify(r.paced.errors)}` : ''));
    }
  } finally {
    await sim.stop();
  }
  if (setups.length < 3) return;
  const emb = results[setups[0]!.name]!.max.deliveriesPerSec;
  const one = results[setups[1]!.name]!.max.deliveriesPerSec;
  const two = results[setups[2]!.name]!.max.deliveriesPerSec;
  console.log(`Redis 1 node / embedded: ${Math.round((one / emb) * 100)}%; Redis 2 nodes / 1 node: ${(two / one).toFixed(2)}x`);
  console.log(JSON.stringify({ results, redisOneToEmbedded: Number((one / emb).toFixed(2)), redisTwoToOne: Number((two / one).toFixed(2)) }));
}

await main();
