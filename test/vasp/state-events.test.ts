/**
 * Webhook events of a REST message's recipients at the relay and store level, on the embedded store
 * and on Redis: each state change writes its stream event in the same write, the consumer
 * 'reports' schedules its webhook once, and nothing is scheduled for a change that did not happen.
 */
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import pino from 'pino';
import { Redis } from 'ioredis';
import { defaultConfig } from '../../src/config/index.js';
import type { JobRecord, MessageRecord, RecipientRecord } from '../../src/records/model.js';
import type { NotificationPort, PushOutcome, ReportPort } from '../../src/relay/ports.js';
import { Relay, type SubmitInput } from '../../src/relay/relay.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/types.js';
import { EventRunner } from '../../src/stream/runner.js';
import { placeInHistory, webhookJobsFor, WEBHOOK_JOB } from '../../src/vasp/events.js';
import { deleteKeys, redisForTests } from '../support/redis.js';

const HOUR = 3_600_000;

/** Pushes always accepted: the SMPP side is tested elsewhere; here the relay's writes matter. */
class AcceptingNotifier implements NotificationPort {
  pushes: string[] = [];
  async notify(_m: MessageRecord, r: RecipientRecord): Promise<PushOutcome> {
    this.pushes.push(r.address);
    return { ok: true, link: 'test', messageIds: [], receiptKeys: [] };
  }
}

const restPort: ReportPort = {
  eventJobs: webhookJobsFor,
  deliveryReport: async () => ({ ok: false, temporary: false, reason: 'a REST delivery report must come through eventJobs' }),
  readReport: async () => ({ ok: true }),
};

function input(events: string[] | undefined): SubmitInput {
  return {
    from: '12345/TYPE=PLMN',
    to: ['+15550001001/TYPE=PLMN', '+15550001002/TYPE=PLMN', '+15550001003/TYPE=PLMN'],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed', params: {} },
    body: Buffer.from([1, 2, 3]),
    mmsVersion: '1.2',
    origin: { kind: 'rest', vaspId: 'TNN', webhookUrl: 'https://vasp.example/hook', ...(events ? { events } : {}) },
    deliveryReport: true,
  };
}

/** A relay on `store` whose job loop runs the relay's jobs and collects (and completes) webhook jobs. */
function harness(store: Store, clock: () => number) {
  const notifier = new AcceptingNotifier();
  const relay = new Relay({ store, config: defaultConfig().relay, logger: pino({ level: 'silent' }), notifier, reports: { rest: restPort }, clock });
  const handlers = relay.jobHandlers();
  const events = new EventRunner({ store, logger: pino({ level: 'silent' }), consumers: [relay.reportConsumer()], clock });
  const webhooks: JobRecord[] = [];
  async function drain(): Promise<void> {
    for (;;) {
      await events.drain();
      const jobs = await store.claimDueJobs(clock(), 100, 60_000);
      if (jobs.length === 0) return;
      for (const job of jobs) {
        if (job.type === WEBHOOK_JOB) {
          webhooks.push(job);
          await store.completeJob(job);
          continue;
        }
        const outcome = await handlers[job.type]!(job);
        if ('done' in outcome) {
          if (!outcome.completed) await store.completeJob(job, outcome.followUps);
        } else await store.retryJob(job, outcome.retryAt, outcome.error);
      }
    }
  }
  return { relay, notifier, webhooks, drain };
}

type StoreMaker = (t: Test, clock: () => number) => Promise<Store>;

function scenarios(t: Test, name: string, make: StoreMaker): void {
  t.test(`${name}: one event per state change, written with it; no event for a change that did not happen`, async (t) => {
    let now = 1_800_000_000_000;
    const clock = () => now;
    const store = await make(t, clock);
    const { relay, notifier, webhooks, drain } = harness(store, clock);
    const { message, recipients } = await relay.submit(input(['delivery-report', 'notified', 'deferred', 'final']), { maxRecipients: 10 });
    const [a, b, c] = recipients as [RecipientRecord, RecipientRecord, RecipientRecord];
    await drain();
    t.equal(notifier.pushes.length, 3);

    // Drained after each step: a sent event's key is free again, so only the compare-and-set can
    // keep a repeated change from scheduling a second one.
    now += 1000;
    await relay.notifyResp(a.transactionId, 'deferred');
    await drain();
    now += 1000;
    await relay.retrievalCompleted((await store.getRecipient(a.id))!);
    await drain();
    now += 1000;
    // Three acknowledgements at once (a handset retrying, two nodes): one change, one event.
    await Promise.all([relay.acknowledge(a.transactionId), relay.acknowledge(a.transactionId), relay.acknowledge(a.transactionId)]);
    await drain();
    await relay.acknowledge(a.transactionId);
    await relay.notifyResp(a.transactionId, 'retrieved');
    await relay.retrievalCompleted((await store.getRecipient(a.id))!);
    await drain();
    t.equal((await store.getRecipient(a.id))!.state, 'acknowledged', 'late acknowledge, notifyresp and GET change nothing');
    // B rejects and does not allow reports: neither the report nor the state event goes out.
    await relay.notifyResp(b.transactionId, 'rejected', false);
    // C is re-notified (no new state, no event), then the VASP cancels.
    now += defaultConfig().relay.renotify.intervalSeconds * 1000 + 1;
    await drain();
    t.equal(notifier.pushes.filter((p) => p === c.address).length, 2, 'C was notified again');
    await relay.cancel(message.id);
    await relay.cancel(message.id);
    await drain();

    const seen = webhooks.map((j) => `${String(j.payload.rid).split('/')[1]}:${String(j.payload.state)}:${String(j.payload.kind)}`);
    t.same(seen.sort(), ['0:acknowledged:state', '0:deferred:state', '0:notified:state', '0:retrieved:delivery', '1:notified:state', '2:cancelled:state', '2:notified:state'].sort());
    t.same(new Set(webhooks.map((j) => j.key)).size, webhooks.length, 'one key per (recipient, state)');
    const retrieved = webhooks.find((j) => j.payload.state === 'retrieved')!;
    t.equal(retrieved.payload.status, 'retrieved', 'the change that carries a delivery report is sent as one');

    // Sequence and previous state come from the history written with each change.
    const ra = (await store.getRecipient(a.id))!;
    const placed = webhooks
      .filter((j) => j.payload.rid === a.id)
      .map((j) => ({ state: j.payload.state, ...placeInHistory(ra, String(j.payload.state), Number(j.payload.at)) }))
      .sort((x, y) => x.sequence! - y.sequence!);
    t.same(placed, [
      { state: 'notified', sequence: 1, previousState: 'accepted' },
      { state: 'deferred', sequence: 2, previousState: 'notified' },
      { state: 'retrieved', sequence: 3, previousState: 'deferred' },
      { state: 'acknowledged', sequence: 4, previousState: 'retrieved' },
    ]);
    for (const j of webhooks.filter((j) => j.payload.rid === a.id)) {
      const place = placeInHistory(ra, String(j.payload.state), Number(j.payload.at))!;
      t.same([j.payload.sequence, j.payload.previousState], [place.sequence, place.previousState], `the job carries the place the store wrote (${String(j.payload.state)})`);
    }
    const rc = (await store.getRecipient(c.id))!;
    const cancelled = webhooks.find((j) => j.payload.state === 'cancelled')!;
    t.same(placeInHistory(rc, 'cancelled', Number(cancelled.payload.at)), { sequence: 3, previousState: 'notified' }, 'the re-notification is in the history, not among the events');
  });

  t.test(`${name}: an acknowledge racing the GET that retrieved: one 'retrieved' report`, async (t) => {
    const now = 1_800_000_000_000;
    const store = await make(t, () => now);
    const { relay, webhooks, drain } = harness(store, () => now);
    const { recipients } = await relay.submit(input(['delivery-report', 'final']), { maxRecipients: 10 });
    const a = recipients[0]!;
    await drain();
    // The handset acknowledges as soon as it has the content, while the GET's own write is under way.
    await Promise.all([relay.retrievalCompleted((await store.getRecipient(a.id))!), relay.acknowledge(a.transactionId)]);
    await drain();
    const mine = webhooks.filter((j) => j.payload.rid === a.id);
    t.same(mine.map((j) => [j.payload.state, j.payload.status ?? null]).sort(), [['acknowledged', null], ['retrieved', 'retrieved']]);
  });

  t.test(`${name}: without events, only the delivery reports go out, as before`, async (t) => {
    let now = 1_800_000_000_000;
    const clock = () => now;
    const store = await make(t, clock);
    const { relay, webhooks, drain } = harness(store, clock);
    const { message, recipients } = await relay.submit(input(undefined), { maxRecipients: 10 });
    const [a, b] = recipients as [RecipientRecord, RecipientRecord];
    await drain();
    await relay.retrievalCompleted((await store.getRecipient(a.id))!);
    await relay.acknowledge(a.transactionId);
    await relay.notifyResp(b.transactionId, 'deferred');
    now += 2 * HOUR;
    await relay.cancel(message.id);
    await drain();
    t.same(
      webhooks.map((j) => ({ kind: j.payload.kind, state: j.payload.state, status: j.payload.status })),
      [{ kind: 'delivery', state: 'retrieved', status: 'retrieved' }],
      'no event for notified, deferred, acknowledged or cancelled',
    );
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
  const prefix = `mmsc-test:events-${process.pid}-${randomBytes(4).toString('hex')}:`;
  let n = 0;
  t.teardown(async () => {
    const admin = new Redis(server.url);
    await deleteKeys(admin, prefix);
    await admin.quit();
    server.child?.kill();
  });
  scenarios(t, 'Redis store', async (t, clock) => {
    const store = new RedisStore({ url: server.url, keyPrefix: `${prefix}${n++}:`, clock });
    t.teardown(() => store.close());
    return store;
  });
}
