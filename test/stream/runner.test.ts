/**
 * The EventRunner over real stores: a failing consumer retries from its position and applies each
 * event once; a consumer that was down for a minute catches up with every recipient's events in
 * sequence order; a stuck consumer does not hold the writes back and shows in /healthz; the
 * retention cap; and on Redis two nodes sharing one consumer, and a dead node's events taken over
 * after the lease.
 */
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import pino from 'pino';
import { Redis } from 'ioredis';
import type { StreamEvent } from '../../src/records/events.js';
import type { MessageRecord, RecipientRecord } from '../../src/records/model.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/types.js';
import { EventRunner, type EventConsumer } from '../../src/stream/runner.js';
import { utcDay, vaspCountersConsumer, vaspDailyCounters } from '../../src/vasp/counters.js';
import { sampleMessage } from '../store/contract.js';
import { deleteKeys, redisForTests } from '../support/redis.js';

const silent = pino({ level: 'silent' });

/** A REST message of VASP `V` with `n` recipients, stored. */
async function vaspMessage(store: Store, n: number, at: number): Promise<{ message: MessageRecord; recipients: RecipientRecord[] }> {
  const m = sampleMessage(n, { origin: { kind: 'rest', vaspId: 'V' }, createdAt: at });
  for (const r of m.recipients) Object.assign(r, { origin: 'rest', vaspId: 'V', history: [{ state: 'accepted', at }] });
  await store.createMessage(m.message, Buffer.from('x'), m.recipients, []);
  return m;
}

/** Moves each recipient through notified -> retrieved -> acknowledged. */
async function deliver(store: Store, recipients: RecipientRecord[], at: number): Promise<void> {
  for (const r of recipients) {
    await store.transition(r.id, { from: ['accepted'], to: 'notified', at, patch: { smsc: { messageIds: ['1'] } } });
    await store.transition(r.id, { from: ['notified'], to: 'retrieved', at: at + 1 });
    await store.transition(r.id, { from: ['retrieved'], to: 'acknowledged', at: at + 2 });
  }
}

/** Records what it is handed; throws while `failOn` names the event. */
function recorder(name: string): EventConsumer & { seen: StreamEvent[]; failOn?: string; block?: Promise<void> } {
  const c: EventConsumer & { seen: StreamEvent[]; failOn?: string; block?: Promise<void> } = {
    name,
    seen: [],
    async handle(e) {
      if (c.block) await c.block;
      if (e.id === c.failOn) throw new Error(`cannot handle ${e.id}`);
      c.seen.push(e);
      return e.recipientId ? { counters: [{ key: `test:${name}:handled`, delta: 1 }] } : undefined;
    },
  };
  return c;
}

type Maker = (t: Test, clock: () => number) => Promise<Store>;

function scenarios(t: Test, kind: string, make: Maker): void {
  t.test(`${kind}: a failing consumer retries from its position; every event applies once`, async (t) => {
    let now = Date.now();
    const clock = () => now;
    const store = await make(t, clock);
    const { recipients } = await vaspMessage(store, 3, now);
    await deliver(store, recipients, now);
    const rec = recorder('flaky');
    rec.failOn = `${recipients[1]!.id}#2`;
    const runner = new EventRunner({ store, logger: silent, consumers: [rec, vaspCountersConsumer()], clock, batchSize: 4, backoff: { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 } });
    await runner.drain();
    t.equal(rec.seen.length, 5, 'the events before the failing one were handled');
    const [st] = await runner.status();
    t.match(st, { consumer: 'flaky', state: 'stopped', attempts: 1, lastError: /cannot handle/ });
    t.equal(st!.lag, 5, 'the failing event and those after it are still owed');
    await runner.drain();
    t.equal(rec.seen.length, 5, 'nothing is read during the back-off');
    now += 1000;
    await runner.drain();
    t.equal(rec.seen.length, 5, 'still failing: back-off doubles');
    t.equal((await runner.status())[0]!.attempts, 2);
    rec.failOn = undefined;
    now += 2000;
    await runner.drain();
    t.same(rec.seen.map((e) => e.id), [
      (await store.readEvents('check', 1, { leaseMs: 1, now }))[0]!.event.id,
      ...recipients.flatMap((r) => [1, 2, 3].map((s) => `${r.id}#${s}`)),
    ]);
    t.equal(await store.readCounter('test:flaky:handled'), 9, 'each recipient event counted once, the retried ones included');
    t.same((await runner.status()).map((s) => [s.consumer, s.lag, s.attempts]), [['flaky', 0, 0], ['vasp-counters', 0, 0]]);
    const day = utcDay(now);
    t.same(await vaspDailyCounters(store, 'V', [day]), { [day]: { accepted: 3, notified: 3, retrieved: 3, acknowledged: 3 } });
  });

  t.test(`${kind}: a consumer down for a minute catches up, each recipient's events in sequence order`, async (t) => {
    let now = Date.now();
    const clock = () => now;
    const store = await make(t, clock);
    const rec = recorder('late');
    const runner = new EventRunner({ store, logger: silent, consumers: [rec], clock, batchSize: 50 });
    await runner.drain();
    const messages = [];
    for (let i = 0; i < 40; i++) messages.push(await vaspMessage(store, 2, now));
    // Interleaved across recipients and messages, as handsets do.
    await Promise.all(messages.map((m) => deliver(store, m.recipients, now)));
    t.equal((await runner.status())[0]!.lag, 40 + 80 * 3, 'events pile up while it is down');
    now += 60_000;
    t.equal((await runner.status())[0]!.oldestSeconds, 60);
    await runner.drain();
    t.equal((await runner.status())[0]!.lag, 0, 'caught up');
    const seqs = new Map<string, number[]>();
    for (const e of rec.seen) if (e.recipientId) (seqs.get(e.recipientId) ?? seqs.set(e.recipientId, []).get(e.recipientId)!).push(e.sequence!);
    t.equal(seqs.size, 80);
    t.ok([...seqs.values()].every((s) => s.join() === '1,2,3'), 'per recipient: 1, 2, 3 in order, none twice, none missing');
    t.equal(await store.readCounter('test:late:handled'), 240);
  });

  t.test(`${kind}: a stuck consumer holds nothing back and shows in /healthz; the retention cap`, async (t) => {
    const now = Date.now();
    const store = await make(t, () => now);
    const stuck = recorder('stuck');
    let release!: () => void;
    stuck.block = new Promise((r) => (release = r));
    const other = recorder('other');
    const logs: string[] = [];
    const logger = pino({ level: 'error' }, { write: (l: string) => void logs.push(l) });
    const runner = new EventRunner({ store, logger, consumers: [stuck, other], clock: () => now, lagAlertEvents: 20, maxEvents: 30, pollMs: 60_000 });
    runner.start();
    t.teardown(() => runner.stop(0));
    const m = await vaspMessage(store, 10, now);
    // The writes complete while 'stuck' waits on its first event.
    await deliver(store, m.recipients, now);
    await runner.drain(['other']);
    t.equal(other.seen.length, 31, 'the other consumer is not held back');
    const h = await runner.health();
    t.equal(h.ok, false, 'lagging consumer reported');
    t.match(h.detail.find((d) => d.consumer === 'stuck'), { lag: 31 });
    const trimmed = await runner.trim();
    t.same(trimmed.lost, [{ consumer: 'stuck', events: 1 }], 'past the cap the oldest event goes');
    t.match(logs.join(''), /stream retention cap reached/);
    release();
  });
}

scenarios(t, 'embedded store', async (t, clock) => {
  const store = new LmdbStore(t.testdir({}), { clock, mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  return store;
});

const { server, skip } = await redisForTests();
if (!server) {
  t.test('Redis store', { skip }, () => undefined);
} else {
  const prefix = `mmsc-test:stream-${process.pid}-${randomBytes(4).toString('hex')}:`;
  let n = 0;
  const admin = new Redis(server.url);
  t.teardown(async () => {
    await deleteKeys(admin, prefix);
    await admin.quit();
  });
  scenarios(t, 'Redis store', async (t, clock) => {
    const store = new RedisStore({ url: server.url, keyPrefix: `${prefix}${n++}:`, clock });
    t.teardown(() => store.close());
    return store;
  });

  t.test('Redis: two nodes share one consumer; each event is handled by one of them and applied once', async (t) => {
    const now = Date.now();
    const p = `${prefix}${n++}:`;
    const a = new RedisStore({ url: server.url, keyPrefix: p, consumer: 'node-a', clock: () => now });
    const b = new RedisStore({ url: server.url, keyPrefix: p, consumer: 'node-b', clock: () => now });
    t.teardown(() => Promise.all([a.close(), b.close()]));
    const onA = recorder('shared');
    const onB = recorder('shared');
    const ra = new EventRunner({ store: a, logger: silent, consumers: [onA, vaspCountersConsumer()], clock: () => now, batchSize: 7 });
    const rb = new EventRunner({ store: b, logger: silent, consumers: [onB, vaspCountersConsumer()], clock: () => now, batchSize: 7 });
    const messages = [];
    for (let i = 0; i < 30; i++) messages.push(await vaspMessage(i % 2 ? a : b, 2, now));
    await Promise.all(messages.map((m, i) => deliver(i % 2 ? b : a, m.recipients, now)));
    await Promise.all([ra.drain(), rb.drain(), ra.drain(), rb.drain()]);
    await Promise.all([ra.drain(), rb.drain()]);
    const ids = [...onA.seen, ...onB.seen].map((e) => e.id);
    t.ok(onA.seen.length > 0 && onB.seen.length > 0, `both nodes worked (${onA.seen.length} / ${onB.seen.length})`);
    t.equal(ids.length, 30 + 60 * 3, 'every event handled');
    t.equal(new Set(ids).size, ids.length, 'none by both nodes');
    t.equal(await a.readCounter('test:shared:handled'), 180);
    const day = utcDay(now);
    t.same(await vaspDailyCounters(b, 'V', [day]), { [day]: { accepted: 60, notified: 60, retrieved: 60, acknowledged: 60 } });
    t.same((await a.eventLag()).map((l) => [l.consumer, l.events]), [['shared', 0], ['vasp-counters', 0]]);
  });

  t.test('Redis: a dead node\'s events are taken over after the lease; its late acknowledgement applies nothing', async (t) => {
    let now = Date.now();
    const p = `${prefix}${n++}:`;
    const dead = new RedisStore({ url: server.url, keyPrefix: p, consumer: 'node-dead', clock: () => now });
    const live = new RedisStore({ url: server.url, keyPrefix: p, consumer: 'node-live', clock: () => now });
    t.teardown(() => Promise.all([dead.close(), live.close()]));
    const m = await vaspMessage(live, 4, now);
    await deliver(live, m.recipients, now);
    const held = await dead.readEvents('c', 5, { leaseMs: 30_000, now });
    t.equal(held.length, 5, 'the node that dies took five events');
    const rec = recorder('c');
    const runner = new EventRunner({ store: live, logger: silent, consumers: [rec], clock: () => now, leaseMs: 30_000 });
    await runner.drain();
    t.equal(rec.seen.length, 8, 'the others went to the live node');
    t.equal((await runner.status())[0]!.lag, 5, 'the held ones are still owed');
    now += 30_001;
    await runner.drain();
    t.equal(rec.seen.length, 13, 'taken over once the lease ran out');
    t.same(rec.seen.slice(8).map((e) => e.id), held.map((e) => e.event.id), 'in their order');
    t.equal(await dead.ackEvents('c', held.map((e) => ({ pos: e.pos, counters: [{ key: 'test:c:handled', delta: 100 }] }))), 0, 'the dead node, back, applies nothing');
    t.equal(await live.readCounter('test:c:handled'), 12, 'the twelve recipient events once each');
  });
}
