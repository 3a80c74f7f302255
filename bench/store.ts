/**
 * The embedded LMDB store alone, driven through the store calls of one complete MM1 delivery as the
 * relay and the job runner make them (src/relay/relay.ts, src/queue/runner.ts), with N deliveries in
 * flight. Reports deliveries/s, store calls/s and the CPU of this process (main thread and LMDB's
 * writer thread: process.cpuUsage counts every thread) per delivery; medians of ROUNDS rounds.
 *   npm run bench:store      (ROUNDS=5 DELIVERIES=3000 INFLIGHT=20 SIZE=2048)
 *
 * One delivery, in order:
 *   m-send-req      createMessage (1 recipient, SIZE octets, expire + notify jobs, submission key)
 *   notify job      claimDueJobs, getRecipient, getMessage, transition -> notified (re-notify job,
 *                   SMSC receipt key, the notify job completed in the same write)
 *   SMSC receipt    findRecipientBySmscKey, updateRecipient (receipt)
 *   GET             findRecipientByToken, getMessage, getBody, getMessage, transition -> retrieved
 *                   (delivery report job)
 *   notifyresp      findRecipientByTransactionId, getMessage, transition -> retrieved (a no-op)
 *   acknowledge     findRecipientByTransactionId, getMessage, transition -> acknowledged
 *   report job      claimDueJobs, getRecipient, getMessage, completeJob
 * Six durable writes. Not in the mix: the re-notify job that later finds nothing to do, expiry and
 * purge (they run hours later), the minutely sweep.
 *
 * STORE_MODULE=path/to/lmdb-store.js measures another build of the store with this same driver.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobRecord, MessageRecord, NewJob, RecipientRecord, RecipientState } from '../src/records/model.js';
import type { Store } from '../src/store/types.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DELIVERIES = Number(process.env.DELIVERIES ?? 3000);
const INFLIGHT = Number(process.env.INFLIGHT ?? 20);
const SIZE = Number(process.env.SIZE ?? 2048);

const mod = (await import(process.env.STORE_MODULE ? pathToFileURL(resolve(process.env.STORE_MODULE)).href : '../src/store/lmdb-store.js')) as typeof import('../src/store/lmdb-store.js');
const dir = mkdtempSync(join(tmpdir(), 'mmsc-bench-store-'));
const store: Store = new mod.LmdbStore(dir);
/** LMDB's last committed transaction id: how many commits (batches of writes) a round took. */
const lastTxnId = (): number => (store as unknown as { root: { getStats(): { lastTxnId: number } } }).root.getStats().lastTxnId;

const PENDING: RecipientState[] = ['accepted', 'notifying', 'notified', 'deferred', 'unreachable', 'fallback-sms'];
const body = Buffer.alloc(SIZE, 7);
let seq = 0;
let calls = 0;

/** Hands claimed jobs to the delivery waiting for them, as the job runner would run their handlers. */
class Claimer {
  private readonly waiting = new Map<string, (job: JobRecord) => void>();
  /** Claimed before their delivery asked (a claim may see a commit before its writer hears of the flush). */
  private readonly early = new Map<string, JobRecord>();
  private busy = false;
  private again = false;

  claim(key: string): Promise<JobRecord> {
    const job = this.early.get(key);
    if (job) {
      this.early.delete(key);
      return Promise.resolve(job);
    }
    return new Promise((resolve) => {
      this.waiting.set(key, resolve);
      this.nudge();
    });
  }

  nudge(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      calls++;
      const jobs = await store.claimDueJobs(Date.now(), 256, 60_000);
      for (const job of jobs) {
        const f = this.waiting.get(job.key!);
        if (f) {
          this.waiting.delete(job.key!);
          f(job);
        } else this.early.set(job.key!, job);
      }
      if (jobs.length === 256) this.again = true;
    } while (this.again);
    this.busy = false;
  }
}
const claimer = new Claimer();

async function delivery(): Promise<void> {
  const now = Date.now();
  const id = `bench${process.pid}x${++seq}`;
  const rid = `${id}/0`;
  const from = '+15550000001/TYPE=PLMN';
  const message: MessageRecord = {
    id,
    createdAt: now,
    date: Math.floor(now / 1000),
    expiresAt: now + 7 * 86_400_000,
    from,
    to: ['+15550000002/TYPE=PLMN'],
    cc: [],
    bcc: [],
    subject: { text: 'bench', charset: 'utf-8' },
    messageClass: 'personal',
    deliveryReport: true,
    readReport: false,
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    contentSize: body.byteLength,
    mmsVersion: '1.2',
    origin: { kind: 'mm1', address: from, userAgent: 'Android-Mms/2.0' },
    recipientCount: 1,
  };
  const recipient: RecipientRecord = {
    id: rid,
    messageId: id,
    address: '+15550000002/TYPE=PLMN',
    field: 'to',
    state: 'accepted',
    token: `tok${seq.toString(36)}AbCdEfGhIjKlMnOpQrStUv`,
    transactionId: `T${seq.toString(36)}abcdefghij`,
    notifyAttempts: 0,
    pushFailures: 0,
    createdAt: now,
    updatedAt: now,
    history: [{ state: 'accepted', at: now }],
  };
  const jobs: NewJob[] = [
    { type: 'expire', dueAt: message.expiresAt, key: `expire:${id}`, payload: { messageId: id } },
    { type: 'notify', dueAt: now, key: `notify:${rid}`, payload: { rid } },
  ];
  calls++;
  await store.createMessage(message, body, [recipient], jobs, { key: `mm1-send\u0000${from}\u0000T${seq}`, digest: 'x'.repeat(43), ttlMs: 600_000 });

  // The notify job: one push, then the recipient is 'notified' in the write that completes the job.
  const notify = await claimer.claim(`notify:${rid}`);
  const r = (await store.getRecipient(rid))!;
  await store.getMessage(r.messageId);
  const smscId = `${(seq * 7919).toString(16)}`;
  let at = Date.now();
  await store.transition(rid, {
    from: ['accepted', 'notifying', 'notified'],
    to: 'notified',
    at,
    note: 'push 1',
    patch: { notifyAttempts: 1, pushFailures: 0, smsc: { link: 'smsc0', messageIds: [smscId] } },
    jobs: [{ type: 'notify', dueAt: at + 3_600_000, key: `renotify:${rid}:1`, payload: { rid, renotify: true } }],
    smscKeys: { keys: [smscId], ttlMs: 3 * 86_400_000 },
    completeJob: notify,
  });
  calls += 3;

  // The SMSC's delivery receipt for the push.
  const byReceipt = (await store.findRecipientBySmscKey(smscId))!;
  await store.updateRecipient(rid, { smsc: { ...(byReceipt.smsc ?? { messageIds: [] }), receipt: { state: 'DELIVRD', at: Date.now() } } });
  calls += 2;

  // The handset's GET, counted as retrieval.
  const got = (await store.findRecipientByToken(recipient.token))!;
  await store.getMessage(got.messageId);
  await store.getBody(got.messageId);
  await store.getMessage(got.messageId);
  at = Date.now();
  const report: NewJob = { type: 'report', dueAt: 0, key: `report:${rid}:retrieved`, payload: { rid, status: 'retrieved', at } };
  await store.transition(rid, { from: PENDING, to: 'retrieved', at, note: 'GET', patch: { retrievals: 1 }, jobs: [report] });
  calls += 5;

  // m-notifyresp-ind (Retrieved) after the GET: the compare-and-set finds nothing to do.
  await store.findRecipientByTransactionId(recipient.transactionId);
  await store.getMessage(id);
  await store.transition(rid, { from: PENDING, to: 'retrieved', at: Date.now(), note: 'notifyresp retrieved', jobs: [report] });
  calls += 3;

  // m-acknowledge-ind.
  await store.findRecipientByTransactionId(recipient.transactionId);
  await store.getMessage(id);
  await store.transition(rid, { from: ['retrieved'], to: 'acknowledged', at: Date.now(), note: 'acknowledge', jobs: [] });
  calls += 3;

  // The delivery report job.
  const job = await claimer.claim(`report:${rid}:retrieved`);
  await store.getRecipient(rid);
  await store.getMessage(id);
  await store.completeJob(job);
  calls += 3;
}

/** [deliveries/s, store calls/s, CPU µs per delivery, LMDB commits per delivery] */
async function round(): Promise<[number, number, number, number]> {
  const txn0 = lastTxnId();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const calls0 = calls;
  let next = 0;
  const worker = async () => {
    while (next < DELIVERIES) {
      next++;
      await delivery();
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const used = process.cpuUsage(cpu);
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  return [DELIVERIES / s, (calls - calls0) / s, (used.user + used.system) / DELIVERIES, (lastTxnId() - txn0) / DELIVERIES];
}

/** User+system seconds per thread of this process (Linux /proc), busiest first: the event loop's share, and what LMDB's commits, GC and compilation use beside it. */
function threadCpu(): string | undefined {
  try {
    const rows = readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = Number(tid) === process.pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return { name, s: (Number(f[11]) + Number(f[12])) / 100 };
    });
    return rows
      .filter((r) => r.s > 0)
      .sort((a, b) => b.s - a.s)
      .map((r) => `${r.name} ${r.s.toFixed(2)}`)
      .join(', ');
  } catch {
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
await round(); // warm-up
const results: [number, number, number, number][] = [];
for (let r = 0; r < ROUNDS; r++) results.push(await round());
const jobsLeft = await store.countJobs();
const threads = threadCpu();
await store.close();
rmSync(dir, { recursive: true, force: true });
const col = (i: number) => results.map((x) => x[i]!);
console.log(`store ${process.env.STORE_MODULE ?? 'dist/src/store/lmdb-store.js'}, ${INFLIGHT} in flight, ${DELIVERIES} deliveries x ${ROUNDS} rounds, ${SIZE} octets`);
console.log(`deliveries/s  median ${Math.round(median(col(0)))} (${fmt(col(0))})`);
console.log(`store calls/s median ${Math.round(median(col(1)))} (${fmt(col(1))})`);
console.log(`CPU us/delivery median ${Math.round(median(col(2)))} (${fmt(col(2))})`);
console.log(`LMDB commits per delivery (6 durable writes) median ${median(col(3)).toFixed(2)} (${col(3).map((x) => x.toFixed(2)).join(', ')})`);
if (threads) console.log(`CPU by thread over the whole run (s): ${threads}`);
console.log(`jobs left (re-notify + expire per delivery): ${jobsLeft}`);
