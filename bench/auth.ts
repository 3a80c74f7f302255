/**
 * MM7 password checks and the event loop: how long the loop stalls while a burst of new (not yet
 * verified) HTTP Basic credentials is checked, with the synchronous scrypt the request path used
 * before (reproduced here as the baseline: scryptSync with the same parameters) and with
 * `VaspAccounts.basic` (asynchronous scrypt on the libuv pool).
 *   npm run bench:auth        (BURST checks per round, default 16; ROUNDS, default 5)
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { hashPassword, VaspAccounts } from '../src/vasp/accounts.js';

const BURST = Number(process.env.BURST ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// The parameters of src/vasp/accounts.ts.
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

const ids = Array.from({ length: BURST }, (_, i) => `vasp-${i}`);
const hashes = ids.map(() => hashPassword('secret'));
const basic = (id: string) => `Basic ${Buffer.from(`${id}:secret`).toString('base64')}`;

function syncCheck(stored: string): boolean {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash!, 'base64');
  const got = scryptSync('secret', Buffer.from(salt!, 'base64'), expected.length, SCRYPT);
  return timingSafeEqual(got, expected);
}

/**
 * Runs `burst` while a 1 ms interval timer ticks: wall time, and the longest gap between two ticks
 * (the longest the loop could not run a timer: a request arriving then would wait as long).
 */
async function measure(burst: () => Promise<unknown>): Promise<{ wallMs: number; maxStallMs: number; stalledMs: number }> {
  let last = performance.now();
  let maxGap = 0;
  let stalled = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    maxGap = Math.max(maxGap, gap);
    // Gaps of 10 ms and more count as time the loop was held up.
    if (gap >= 10) stalled += gap;
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  maxGap = 0;
  stalled = 0;
  const t0 = performance.now();
  await burst();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(ticker);
  return { wallMs, maxStallMs: maxGap, stalledMs: stalled };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows: Record<'sync' | 'async', { wallMs: number[]; maxStallMs: number[]; stalledMs: number[] }> = {
  sync: { wallMs: [], maxStallMs: [], stalledMs: [] },
  async: { wallMs: [], maxStallMs: [], stalledMs: [] },
};
for (let round = 0; round < ROUNDS; round++) {
  // One check per turn of the loop, as requests arriving one after the other would run.
  const sync = await measure(async () => {
    for (const h of hashes) await new Promise((r) => setTimeout(() => r(syncCheck(h)), 0));
  });
  // A fresh VaspAccounts per round: nothing verified yet, so every check hashes.
  const accounts = new VaspAccounts(ids.map((id, i) => ({ id, passwordHash: hashes[i]! })));
  const async = await measure(() => Promise.all(ids.map((id) => accounts.basic(basic(id), '192.0.2.1'))));
  for (const [k, v] of [['sync', sync], ['async', async]] as const) {
    rows[k].wallMs.push(v.wallMs);
    rows[k].maxStallMs.push(v.maxStallMs);
    rows[k].stalledMs.push(v.stalledMs);
  }
}
console.log(`${BURST} checks of new credentials per burst, ${ROUNDS} rounds, medians (ms):`);
for (const k of ['sync', 'async'] as const) {
  const m = (xs: number[]) => median(xs).toFixed(1).padStart(7);
  console.log(`${k.padEnd(5)}  burst wall ${m(rows[k].wallMs)}  longest loop stall ${m(rows[k].maxStallMs)}  loop stalled (gaps >= 10 ms) ${m(rows[k].stalledMs)}`);
}
