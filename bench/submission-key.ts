/**
 * Cost of MM1 retransmission detection on the send path: Relay.submit (no key) against
 * Relay.submitOnce (hash of sender + TID, digest of the content, one more index entry in the same
 * LMDB write), alternating rounds in one process so both see the same machine load.
 *   npm run build && node dist/bench/submission-key.js      (ROUNDS=5 MESSAGES=2000 INFLIGHT=20 SIZE=2048)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../src/config/index.js';
import type { NotificationPort } from '../src/relay/ports.js';
import { Relay, type SubmitInput } from '../src/relay/relay.js';
import { LmdbStore } from '../src/store/lmdb-store.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MESSAGES = Number(process.env.MESSAGES ?? 2000);
const INFLIGHT = Number(process.env.INFLIGHT ?? 20);
const SIZE = Number(process.env.SIZE ?? 2048);

const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-subkey-'));
const store = new LmdbStore(dir);
const notifier: NotificationPort = { notify: async () => ({ ok: true }) };
const relay = new Relay({ store, config: defaultConfig().relay, logger: pino({ level: 'silent' }), notifier, reports: {} });
const body = Buffer.alloc(SIZE, 7);
const input: SubmitInput = {
  from: '+15550000001/TYPE=PLMN',
  to: ['+15550000002/TYPE=PLMN'],
  subject: { text: 'bench', charset: 'utf-8' },
  contentType: { mediaType: 'application/vnd.wap.multipart.mixed', params: {} },
  body,
  mmsVersion: '1.2',
  origin: { kind: 'mm1', address: '+15550000001/TYPE=PLMN' },
};
const limits = { maxRecipients: 10 };
let tid = 0;

/** Returns [messages/s, CPU µs of this process per message]. */
async function round(withKey: boolean): Promise<[number, number]> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      next++;
      if (withKey) await relay.submitOnce(input, limits, { kind: 'mm1-send', sender: input.from, requestId: `T${++tid}`, windowMs: 600_000 });
      else await relay.submit(input, limits);
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const used = process.cpuUsage(cpu);
  return [MESSAGES / (Number(process.hrtime.bigint() - start) / 1e9), (used.user + used.system) / MESSAGES];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const without: [number, number][] = [];
const withKey: [number, number][] = [];
await round(false); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  without.push(await round(false));
  withKey.push(await round(true));
}
await store.close();
rmSync(dir, { recursive: true, force: true });
const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
for (const [name, xs] of [['submit (no key)      ', without], ['submitOnce (with key)', withKey]] as const) {
  const rate = xs.map((x) => x[0]);
  const cpu = xs.map((x) => x[1]);
  console.log(`${name}  median ${Math.round(median(rate))} msg/s (${fmt(rate)}), CPU ${Math.round(median(cpu))} us/msg (${fmt(cpu)})`);
}
console.log(`ratio with/without: throughput ${(median(withKey.map((x) => x[0])) / median(without.map((x) => x[0]))).toFixed(2)}, CPU per message ${(median(withKey.map((x) => x[1])) / median(without.map((x) => x[1]))).toFixed(2)}`);
