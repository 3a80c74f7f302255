import t, { type Test } from 'tap';
import pino from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import type { JobOutcome } from '../../src/queue/runner.js';
import type { MessageRecord, RecipientRecord } from '../../src/records/model.js';
import type { DeliveryStatus, NotificationPort, PushOutcome, ReadStatus, ReportPort } from '../../src/relay/ports.js';
import { Relay, type Retransmission, type SubmitInput, type SubmitResult } from '../../src/relay/relay.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/types.js';
import { EventRunner } from '../../src/stream/runner.js';
import { redisForTests } from '../support/redis.js';

const HOUR = 3_600_000;

class FakeNotifier implements NotificationPort {
  pushes: { to: string; tid: string; attempt: number }[] = [];
  next: PushOutcome[] = [];
  async notify(_m: MessageRecord, r: RecipientRecord): Promise<PushOutcome> {
    this.pushes.push({ to: r.address, tid: r.transactionId, attempt: r.notifyAttempts + 1 });
    return this.next.shift() ?? { ok: true, link: 'sim', messageIds: [`id${this.pushes.length}`], receiptKeys: [`id${this.pushes.length}`] };
  }
}

class FakeReports implements ReportPort {
  delivery: { to: string; rcpt: string; status: DeliveryStatus }[] = [];
  read: { to: string; reader: string; status: ReadStatus }[] = [];
  async deliveryReport(m: MessageRecord, r: RecipientRecord, status: DeliveryStatus): Promise<PushOutcome> {
    this.delivery.push({ to: m.from, rcpt: r.address, status });
    return { ok: true };
  }
  async readReport(m: MessageRecord, reader: string, status: ReadStatus): Promise<PushOutcome> {
    this.read.push({ to: m.from, reader, status });
    return { ok: true };
  }
}

function setup(t: Test, makeStore: (clock: () => number) => Store = (clock) => new LmdbStore(t.testdir({}), { clock, mapSizeBytes: 2 ** 26 })) {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const store = makeStore(clock);
  t.teardown(() => store.close());
  const notifier = new FakeNotifier();
  const reports = new FakeReports();
  const cfg = defaultConfig().relay;
  const relay = new Relay({ store, config: cfg, logger: pino({ level: 'silent' }), notifier, reports: { mm1: reports }, clock });
  const handlers = relay.jobHandlers();
  const events = new EventRunner({ store, logger: pino({ level: 'silent' }), consumers: [relay.reportConsumer()], clock });
  /** Runs every job due at the current time, like the JobRunner would, after the stream's consumers. */
  async function drain(): Promise<number> {
    let ran = 0;
    for (;;) {
      await events.drain();
      const jobs = await store.claimDueJobs(now, 100, 60_000);
      if (jobs.length === 0) return ran;
      for (const job of jobs) {
        const outcome: JobOutcome = await handlers[job.type]!(job);
        if ('done' in outcome) await store.completeJob(job, outcome.followUps);
        else await store.retryJob(job, outcome.retryAt, outcome.error);
        ran++;
      }
    }
  }
  const advance = (ms: number) => {
    now += ms;
  };
  return { store, notifier, reports, relay, drain, advance, clock, cfg };
}

function input(over: Partial<SubmitInput> = {}): SubmitInput {
  return {
    from: '+15550000001/TYPE=PLMN',
    to: ['+15550000002/TYPE=PLMN', '+15550000003/TYPE=PLMN'],
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed', params: {} },
    body: Buffer.from([1, 2, 3]),
    mmsVersion: '1.2',
    origin: { kind: 'mm1', address: '+15550000001/TYPE=PLMN' },
    deliveryReport: true,
    readReport: true,
    ...over,
  };
}

const limits = { maxRecipients: 10 };

/** The id of the message a submission created; throws on a retransmission. */
function created(r: SubmitResult | Retransmission): string {
  if (r.retransmission) throw new Error(`a retransmission of ${r.messageId} where a new message was expected`);
  return r.message.id;
}

t.test('submit validates recipients', async (t) => {
  const { relay } = setup(t);
  await t.rejects(relay.submit(input({ to: [] }), limits), { name: 'SubmitError', reason: 'no-recipients' });
  await t.rejects(relay.submit(input({ to: Array.from({ length: 11 }, (_, i) => `+1555000${1000 + i}/TYPE=PLMN`) }), limits), {
    name: 'SubmitError',
    reason: 'too-many-recipients',
  });
  await t.rejects(relay.submit(input({ to: ['bob@example.com'] }), limits), { name: 'SubmitError', reason: 'unroutable-recipients' });
  await t.rejects(relay.submit(input({ expiry: { kind: 'absolute', seconds: 1000 } }), limits), { name: 'SubmitError', reason: 'bad-expiry' });
});

t.test('A sends to B and C: fan-out, notification, retrieval, acknowledge, reports', async (t) => {
  const { relay, store, notifier, reports, drain } = setup(t);
  const { message, recipients } = await relay.submit(input({ cc: ['+15550000002/TYPE=PLMN', 'carol@example.com'] }), limits);
  t.equal(recipients.length, 3, 'duplicate address merged, e-mail kept as its own record');
  t.same(recipients.map((r) => r.state), ['accepted', 'accepted', 'unreachable']);
  t.not(recipients[0]!.token, recipients[1]!.token);
  t.match(recipients[0]!.token, /^[A-Za-z0-9_-]{22}$/, '128-bit base64url token');

  await drain();
  t.same(notifier.pushes.map((p) => p.to).sort(), ['+15550000002/TYPE=PLMN', '+15550000003/TYPE=PLMN']);
  t.same(reports.delivery, [{ to: message.from, rcpt: 'carol@example.com', status: 'unreachable' }]);
  const b = (await store.getRecipient(recipients[0]!.id))!;
  t.equal(b.state, 'notified');
  t.equal(b.notifyAttempts, 1);
  t.equal((await store.findRecipientBySmscKey(b.smsc!.messageIds[0]!))?.id, b.id, 'receipt key indexed');

  // B retrieves (GET) then acknowledges.
  const open = await relay.openRetrieval(b.token);
  t.same(open?.body, Buffer.from([1, 2, 3]));
  await relay.retrievalCompleted(open!.recipient);
  await relay.acknowledge(b.transactionId, true);
  // C defers, then retrieves later.
  const c = recipients[1]!;
  await relay.notifyResp(c.transactionId, 'deferred');
  t.equal((await store.getRecipient(c.id))!.state, 'deferred');
  const openC = await relay.openRetrieval(c.token);
  await relay.retrievalCompleted(openC!.recipient);
  await relay.notifyResp(c.transactionId, 'retrieved');
  await drain();
  t.equal((await store.getRecipient(b.id))!.state, 'acknowledged');
  t.equal((await store.getRecipient(c.id))!.state, 'retrieved');
  t.same(
    reports.delivery.filter((d) => d.status === 'retrieved').map((d) => d.rcpt).sort(),
    ['+15550000002/TYPE=PLMN', '+15550000003/TYPE=PLMN'],
    'exactly one Retrieved report per recipient',
  );
});

t.test('repeated notifyresp and acknowledge are idempotent', async (t) => {
  const { relay, store, reports, drain } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  const r = recipients[0]!;
  for (let i = 0; i < 3; i++) await relay.notifyResp(r.transactionId, 'retrieved');
  for (let i = 0; i < 3; i++) await relay.acknowledge(r.transactionId);
  await drain();
  const rec = (await store.getRecipient(r.id))!;
  t.same(rec.history.map((h) => h.state), ['accepted', 'notified', 'retrieved', 'acknowledged']);
  t.equal(reports.delivery.length, 1);
  t.equal(await relay.notifyResp('no-such-tid', 'retrieved'), undefined);
});

t.test('Report-Allowed: No suppresses the recipient-caused report', async (t) => {
  const { relay, reports, drain } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  await relay.notifyResp(recipients[0]!.transactionId, 'rejected', false);
  await drain();
  t.same(reports.delivery, []);
});

t.test('no delivery report unless the originator asked', async (t) => {
  const { relay, reports, drain } = setup(t);
  const { recipients } = await relay.submit(input({ deliveryReport: false }), limits);
  await drain();
  await relay.notifyResp(recipients[0]!.transactionId, 'retrieved');
  await drain();
  t.same(reports.delivery, []);
});

t.test('records written before recipients carried the origin and Delivery-Report flag still report as the message asks', async (t) => {
  const { relay, store, reports, drain } = setup(t);
  const asked = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  const notAsked = await relay.submit(input({ to: ['+15550000003/TYPE=PLMN'], deliveryReport: false }), limits);
  t.match(asked.recipients[0], { origin: 'mm1', deliveryReport: true }, 'new records carry both');
  t.match(notAsked.recipients[0], { origin: 'mm1', deliveryReport: false });
  await drain();
  for (const r of [asked.recipients[0]!, notAsked.recipients[0]!]) {
    const old = await store.updateRecipient(r.id, { origin: undefined, deliveryReport: undefined });
    t.equal(old?.origin, undefined, 'written as the old code wrote it');
    const open = await relay.openRetrieval(r.token);
    await relay.retrievalCompleted(open!.recipient);
    await relay.acknowledge(r.transactionId);
  }
  await drain();
  t.same(reports.delivery, [{ to: asked.message.from, rcpt: '+15550000002/TYPE=PLMN', status: 'retrieved' }], 'the report the message asked for, and none for the other');
  t.equal((await store.getRecipient(asked.recipients[0]!.id))!.state, 'acknowledged');
});

t.test('re-notification with back-off up to the cap, then unreachable', async (t) => {
  const { relay, store, notifier, reports, drain, advance, cfg } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  const rid = recipients[0]!.id;
  await drain();
  t.equal(notifier.pushes.length, 1);
  advance(cfg.renotify.intervalSeconds * 1000 - 1);
  await drain();
  t.equal(notifier.pushes.length, 1, 'not before the interval');
  advance(1);
  await drain();
  t.equal(notifier.pushes.length, 2, 'second notification after the interval');
  advance(2 * cfg.renotify.intervalSeconds * 1000);
  await drain();
  t.equal(notifier.pushes.length, 3, 'third after twice the interval');
  advance(4 * cfg.renotify.intervalSeconds * 1000);
  await drain();
  t.equal(notifier.pushes.length, 4);
  t.equal((await store.getRecipient(rid))!.state, 'notified');
  advance(8 * cfg.renotify.intervalSeconds * 1000);
  await drain();
  t.equal(notifier.pushes.length, 4, 'no more than maxAttempts notifications');
  t.equal((await store.getRecipient(rid))!.state, 'unreachable');
  t.same(reports.delivery.map((d) => d.status), ['unreachable']);
  // A late retrieval still works and is reported.
  const open = await relay.openRetrieval(recipients[0]!.token);
  await relay.retrievalCompleted(open!.recipient);
  await drain();
  t.equal((await store.getRecipient(rid))!.state, 'retrieved');
});

t.test('a retrieved recipient is not notified again', async (t) => {
  const { relay, notifier, drain, advance } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  const open = await relay.openRetrieval(recipients[0]!.token);
  await relay.retrievalCompleted(open!.recipient);
  advance(100 * HOUR);
  await drain();
  t.equal(notifier.pushes.length, 1);
});

t.test('temporary push failures retry with back-off; permanent ones make the recipient unreachable', async (t) => {
  const { relay, store, notifier, reports, drain, advance } = setup(t);
  notifier.next = [{ ok: false, temporary: true, reason: 'no-link' }, { ok: false, temporary: true, reason: 'no-link' }];
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  t.equal(notifier.pushes.length, 1);
  t.equal((await store.getRecipient(recipients[0]!.id))!.state, 'notifying');
  advance(5000);
  await drain();
  t.equal(notifier.pushes.length, 2);
  advance(9999);
  await drain();
  t.equal(notifier.pushes.length, 2, 'second retry waits twice as long');
  advance(1);
  await drain();
  t.equal(notifier.pushes.length, 3);
  t.equal((await store.getRecipient(recipients[0]!.id))!.state, 'notified', 'delivered once the link is back');

  notifier.next = [{ ok: false, temporary: false, reason: 'invalid destination', code: 0x0b }];
  const second = await relay.submit(input({ to: ['+15550000009/TYPE=PLMN'] }), limits);
  await drain();
  const r2 = (await store.getRecipient(second.recipients[0]!.id))!;
  t.equal(r2.state, 'unreachable');
  t.equal(r2.lastError, 'invalid destination');
  t.same(reports.delivery.map((d) => d.status), ['unreachable']);
});

t.test('expiry: pending recipients expire with a report, content is removed, records purged after retention', async (t) => {
  const { relay, store, reports, drain, advance, cfg } = setup(t);
  const { message, recipients } = await relay.submit(input({ expiry: { kind: 'relative', seconds: 3600 } }), limits);
  t.equal(message.expiresAt - message.createdAt, 3_600_000);
  await drain();
  await relay.notifyResp(recipients[0]!.transactionId, 'retrieved');
  advance(HOUR);
  await drain();
  t.equal((await store.getRecipient(recipients[0]!.id))!.state, 'retrieved');
  t.equal((await store.getRecipient(recipients[1]!.id))!.state, 'expired');
  t.same(reports.delivery.map((d) => d.status).sort(), ['expired', 'retrieved']);
  t.equal(await store.getBody(message.id), undefined, 'content removed');
  t.equal(await relay.openRetrieval(recipients[0]!.token), undefined, 'retrieval URL dead after expiry');
  advance(cfg.retentionSeconds * 1000);
  await drain();
  t.equal(await store.getMessage(message.id), undefined, 'records purged after retention');
});

t.test('expiry request is capped', async (t) => {
  const { relay, cfg } = setup(t);
  const { message } = await relay.submit(input({ expiry: { kind: 'relative', seconds: 365 * 86400 } }), limits);
  t.equal(message.expiresAt - message.createdAt, cfg.maxExpirySeconds * 1000);
});

t.test('read report travels to the originator only from a recipient, once', async (t) => {
  const { relay, reports, drain } = setup(t);
  const { message } = await relay.submit(input(), limits);
  t.equal(await relay.readReport('+15559999999/TYPE=PLMN', message.id, 'read'), 'not-a-recipient');
  t.equal(await relay.readReport('+15550000002/TYPE=PLMN', 'nope', 'read'), 'not-found');
  t.equal(await relay.readReport('+15550000002', message.id, 'read'), 'queued');
  t.equal(await relay.readReport('+15550000002', message.id, 'read'), 'queued');
  await drain();
  t.same(reports.read, [{ to: message.from, reader: '+15550000002', status: 'read' }]);
});

t.test('forward without retrieval', async (t) => {
  const { relay, store, reports, drain } = setup(t);
  const { message, recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  const tok = recipients[0]!.token;
  t.equal(await relay.forward('+15550000003/TYPE=PLMN', tok, { to: ['+15550000004/TYPE=PLMN'], mmsVersion: '1.2' }, limits), 'not-the-recipient');
  const res = await relay.forward('+15550000002/TYPE=PLMN', tok, { to: ['+15550000004/TYPE=PLMN'], mmsVersion: '1.2' }, limits);
  if (typeof res === 'string' || res.retransmission) throw new Error(`unexpected ${JSON.stringify(res)}`);
  t.equal(res.message.from, '+15550000002/TYPE=PLMN');
  t.same(res.message.previouslySent, [{ by: message.from, date: message.date }]);
  t.same(await store.getBody(res.message.id), Buffer.from([1, 2, 3]));
  await drain();
  t.equal((await store.getRecipient(recipients[0]!.id))!.state, 'forwarded');
  t.same(reports.delivery.map((d) => d.status), ['forwarded']);
});

t.test('a retransmitted submission creates nothing and gets the first Message-ID', async (t) => {
  const { relay, store, notifier, drain, advance } = setup(t);
  const once = { kind: 'mm1-send' as const, sender: '+15550000001/TYPE=PLMN', requestId: 'T1', windowMs: 600_000 };
  const first = await relay.submitOnce(input(), limits, once);
  if (first.retransmission) throw new Error('the first submission is no retransmission');
  await drain();
  t.equal(notifier.pushes.length, 2);

  t.same(await relay.submitOnce(input({ date: 1_800_000_005 }), limits, once), { retransmission: true, messageId: first.message.id }, 'a re-stamped Date is still the same request');
  await drain();
  t.equal(notifier.pushes.length, 2, 'no second notification');

  const other = created(await relay.submitOnce(input(), limits, { ...once, requestId: 'T2' }));
  t.not(other, first.message.id, 'another transaction id is another message');
  const otherSender = created(await relay.submitOnce(input(), limits, { ...once, sender: '+15550000009/TYPE=PLMN' }));
  t.not(otherSender, first.message.id, 'the same transaction id from another sender is another message');

  const reused = await relay.submitOnce(input({ subject: { text: 'something else', charset: 'utf-8' } }), limits, once);
  if (reused.retransmission) throw new Error('different content under a reused TID must not be swallowed');
  t.equal(reused.supersedes, first.message.id, 'a reused TID with other content is accepted as new, naming the earlier message');
  t.same(await relay.submitOnce(input({ subject: { text: 'something else', charset: 'utf-8' } }), limits, once), { retransmission: true, messageId: reused.message.id });

  advance(600_001);
  const late = created(await relay.submitOnce(input({ subject: { text: 'something else', charset: 'utf-8' } }), limits, once));
  t.not(late, reused.message.id, 'after the window a repeat is a new message');
  await drain();
  t.equal(notifier.pushes.length, 2 + 2 + 2 + 2 + 2, 'one notification per recipient of each message created');
  t.equal((await store.stateCounts()).notified, 10);
});

const { server: redis, skip: redisSkip } = await redisForTests();
for (const kind of ['lmdb', 'redis'] as const) {
  const skip = kind === 'redis' ? redisSkip : false;
  t.test(`${kind}: concurrent identical submissions (a retry racing the original) yield exactly one message`, { skip }, async (t) => {
    let makeStore: ((clock: () => number) => Store) | undefined;
    if (kind === 'redis') {
      const server = redis!;
      const prefix = `mmsc-test:relay-${process.pid}-${Math.random().toString(36).slice(2)}:`;
      makeStore = (clock) => new RedisStore({ url: server.url, keyPrefix: prefix, clock });
      t.teardown(async () => {
        const { Redis } = await import('ioredis');
        const admin = new Redis(server.url);
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length) await admin.del(...keys);
        await admin.quit();
      });
    }
    const { relay, store, notifier, drain } = setup(t, makeStore);
    const once = { kind: 'mm1-send' as const, sender: '+15550000001/TYPE=PLMN', requestId: 'T-race', windowMs: 600_000 };
    const results = await Promise.all(Array.from({ length: 8 }, () => relay.submitOnce(input(), limits, once)));
    const created = results.flatMap((r) => (r.retransmission ? [] : [r.message.id]));
    t.equal(created.length, 1, 'one message created');
    t.same(
      results.filter((r) => r.retransmission),
      Array.from({ length: 7 }, () => ({ retransmission: true, messageId: created[0] })),
      'the others answer with its Message-ID',
    );
    await drain();
    t.same(notifier.pushes.map((p) => p.to).sort(), ['+15550000002/TYPE=PLMN', '+15550000003/TYPE=PLMN'], 'each recipient notified once');
    t.equal(await store.countJobs(), 3, 'one expire job and two re-notification jobs: nothing of the losers');
  });
}

t.test('a retransmitted forward creates nothing and reports the forward once', async (t) => {
  const { relay, store, notifier, reports, drain } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  const tok = recipients[0]!.token;
  const req = { to: ['+15550000004/TYPE=PLMN'], mmsVersion: '1.2' };
  const once = { requestId: 'F1', windowMs: 600_000 };
  const first = await relay.forward('+15550000002/TYPE=PLMN', tok, req, limits, once);
  if (typeof first === 'string' || first.retransmission) throw new Error(`unexpected ${JSON.stringify(first)}`);
  t.same(await relay.forward('+15550000002/TYPE=PLMN', tok, req, limits, once), { retransmission: true, messageId: first.message.id });
  await drain();
  t.equal(notifier.pushes.filter((p) => p.to === '+15550000004/TYPE=PLMN').length, 1, 'the forward recipient is notified once');
  t.same(reports.delivery.map((d) => d.status), ['forwarded'], 'one forwarded report');
  t.equal((await store.getRecipient(recipients[0]!.id))!.state, 'forwarded');
});

t.test('SMSC receipt recorded; an undeliverable push is retried early', async (t) => {
  const { relay, store, notifier, drain, advance } = setup(t);
  const { recipients } = await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'] }), limits);
  await drain();
  const key = (await store.getRecipient(recipients[0]!.id))!.smsc!.messageIds[0]!;
  t.equal(await relay.smscReceipt('unknown', 'DELIVRD', true), undefined);
  const r = await relay.smscReceipt(key, 'UNDELIV', false, '000');
  t.equal(r?.smsc?.receipt?.state, 'UNDELIV');
  advance(5000);
  await drain();
  t.equal(notifier.pushes.length, 2, 'pushed again after an undeliverable receipt');
});

t.test('deferred delivery time delays the first notification', async (t) => {
  const { relay, notifier, drain, advance } = setup(t);
  await relay.submit(input({ to: ['+15550000002/TYPE=PLMN'], deliveryTime: { kind: 'relative', seconds: 60 } }), limits);
  await drain();
  t.equal(notifier.pushes.length, 0);
  advance(60_000);
  await drain();
  t.equal(notifier.pushes.length, 1);
});
