/**
 * Helpers for the multi-process tests: gateway processes (`node dist/src/main.js`) sharing one
 * Redis and one SMSC simulator, a private redis-server that can be killed and restarted, and
 * small MM1 client calls.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { decode, encode, type MmsPdu, type SendConf } from '../../protocol/mms/index.js';
import { deleteKeys } from '../support/redis.js';

export const root = resolve(import.meta.dirname, '../..');
const MAIN = join(root, 'dist/src/main.js');
const ORIGINATOR = '15550000001';

/** The spawned gateways run the build; refuse to test a build older than the sources. */
export function assertFreshBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
  const built = statSync(MAIN).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  const src = Math.max(newest(join(root, 'src')), newest(join(root, 'protocol')));
  if (src > built) throw new Error('dist/ is older than src/ or protocol/: run npm run build (npm test does)');
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  alive(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface NodeOptions {
  name: string;
  redisUrl: string;
  prefix: string;
  smscPort: number;
  dataDir: string;
  leaseSeconds?: number;
  /** More environment (config file, stream settings); wins over the above. */
  env?: Record<string, string>;
}

/** Starts `node dist/src/main.js` and resolves once it listens. */
export async function startNode(o: NodeOptions): Promise<NodeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: o.dataDir,
    env: {
      ...process.env,
      MMSC_CONFIG: '',
      MMSC_DATA_DIR: o.dataDir,
      MMSC_HTTP_HOST: '127.0.0.1',
      MMSC_HTTP_PORT: String(port),
      MMSC_REDIS_URL: o.redisUrl,
      MMSC_REDIS_PREFIX: o.prefix,
      MMSC_NODE_ID: o.name,
      MMSC_JOB_LEASE_SECONDS: String(o.leaseSeconds ?? 60),
      MMSC_SMSC_URL: `smpp://mmsc:secret@127.0.0.1:${o.smscPort}`,
      MMSC_LOG_LEVEL: 'info',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const node: NodeProcess = {
    name: o.name,
    child,
    url: '',
    logs,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal) {
      if (!node.alive()) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await gone;
    },
  };
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.msg === 'gateway listening' && typeof rec.url === 'string') {
            node.url = rec.url;
            ok();
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code, sig) => fail(new Error(`node ${o.name} exited (${code ?? sig}) before listening: ${err}`)));
  });
  return node;
}

/** Deletes every key under `prefix` (the test's own namespace). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await deleteKeys(r, prefix);
  } finally {
    r.disconnect();
  }
}

export function uniquePrefix(tag: string): string {
  return `mmsc-test:${tag}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** A redis-server of our own (persistence as docs/operations.md asks), restartable on its port. */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static available(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }

  static async start(dir: string): Promise<RedisServer> {
    const s = new RedisServer(await freePort(), dir);
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    await waitFor('redis-server to answer', async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        // Not before the AOF is loaded: LOADING errors answer PING until then.
        await c.ping();
        return true;
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    });
  }

  /** A crash, not a shutdown: nothing is flushed beyond what appendfsync already wrote. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}

export function sendReq(to: string, text: string, opts: { deliveryReport?: boolean; tid?: string } = {}): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: opts.tid ?? `t-${randomBytes(4).toString('hex')}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: [`${to}/TYPE=PLMN`],
    deliveryReport: opts.deliveryReport ?? false,
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from(text) }],
  });
}

/** POSTs a PDU to a node's MM1 path as the originator's handset; bounded so a hang is a failure. */
export async function postPdu(node: NodeProcess | string, pdu: Buffer, timeoutMs = 20_000): Promise<{ status: number; pdu?: MmsPdu }> {
  const url = typeof node === 'string' ? node : node.url;
  const res = await fetch(`${url}/mms`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': ORIGINATOR },
    body: pdu,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, pdu: body.length ? decode(body) : undefined };
}

export async function send(node: NodeProcess, to: string, text: string, opts: { deliveryReport?: boolean } = {}): Promise<SendConf> {
  const r = await postPdu(node, sendReq(to, text, opts));
  if (r.status !== 200 || r.pdu?.type !== 'm-send-conf') throw new Error(`m-send-req answered ${r.status} ${r.pdu?.type}`);
  return r.pdu;
}

export const ORIGINATOR_ADDRESS = `+${ORIGINATOR}`;
