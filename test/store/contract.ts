/**
 * The behaviour every Store implementation must show. Run against the embedded LMDB store and the
 * Redis store with the same assertions.
 */
import type { Test } from 'tap';
import type { MessageRecord, NewJob, RecipientRecord } from '../../src/records/model.js';
import type { Store } from '../../src/store/types.js';

export interface StoreFactory {
  /** A fresh, empty store. */
  create(clock: () => number): Promise<Store>;
  /** Opens the same data again (a restart), after `store.close()`. */
  reopen?(clock: () => number): Promise<Store>;
}

let seq = 0;

export function sampleMessage(n = 2, overrides: Partial<MessageRecord> = {}): { message: MessageRecord; recipients: RecipientRecord[] } {
  const id = `msg${++seq}x${Math.random().toString(36).slice(2, 8)}`;
  const now = 1_700_000_000_000;
  const message: MessageRecord = {
    id,
    createdAt: now,
    date: now / 1000,
    expiresAt: now + 86_400_000,
    from: '+15550000001/TYPE=PLMN',
    to: Array.from({ length: n }, (_, i) => `+1555000010${i}/TYPE=PLMN`),
    cc: [],
    bcc: [],
    subject: { text: 'Hello', charset: 'utf-8' },
    messageClass: 'personal',
    deliveryReport: true,
    readReport: false,
    contentType: { mediaType: 'application/vnd.wap.multipart.mixed', params: {} },
    contentSize: 5,
    mmsVersion: '1.2',
    origin: { kind: 'mm1', address: '+15550000001/TYPE=PLMN' },
    recipientCount: n,
    ...overrides,
  };
  const recipients: RecipientRecord[] = message.to.map((address, i) => ({
    id: `${id}/${i}`,
    messageId: id,
    address,
    field: 'to',
    state: 'accepted',
    token: `tok-${id}-${i}`,
    transactionId: `tid-${id}-${i}`,
    notifyAttempts: 0,
    pushFailures: 0,
    createdAt: now,
    updatedAt: now,
    history: [{ state: 'accepted', at: now }],
  }));
  return { message, recipients };
}

export function storeContract(t: Test, factory: StoreFactory): void {
  let now = 1_700_000_000_000;
  const clock = () => now;

  t.test('createMessage stores message, body, recipients and indexes atomically', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(3);
    const body = Buffer.from([0, 1, 2, 0xff, 0x80]);
    const jobs: NewJob[] = recipients.map((r) => ({ type: 'notify', dueAt: 0, key: `notify:${r.id}`, payload: { rid: r.id } }));
    await store.createMessage(message, body, recipients, jobs);

    t.same(await store.getMessage(message.id), message);
    t.same(await store.getBody(message.id), body, 'binary body intact');
    t.equal((await store.listRecipients(message.id)).length, 3);
    t.equal((await store.findRecipientByToken(recipients[1]!.token))?.id, recipients[1]!.id);
    t.equal((await store.findRecipientByTransactionId(recipients[2]!.transactionId))?.id, recipients[2]!.id);
    t.equal(await store.findRecipientByToken('nope'), undefined);
    t.equal(await store.countJobs(), 3);
    t.equal((await store.stateCounts()).accepted, 3);

    await t.rejects(store.createMessage(message, body, recipients, []), { message: /message \S+ exists|message exists/ }, 'a duplicate message id is refused');
    t.equal(await store.countJobs(), 3, 'the refused write left nothing behind');
  });

  t.test('a submission key: a repeat within its window creates nothing and names the first message', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const sub = { key: `sender-tid-${Math.random()}`, digest: 'digest-1', ttlMs: 600_000 };
    const notify = (r: RecipientRecord): NewJob => ({ type: 'notify', dueAt: now, key: `notify:${r.id}`, payload: { rid: r.id } });
    const first = sampleMessage(2);
    t.same(await store.createMessage(first.message, Buffer.from('one'), first.recipients, first.recipients.map(notify), sub), { created: true });

    const retry = sampleMessage(2);
    t.same(await store.createMessage(retry.message, Buffer.from('one'), retry.recipients, retry.recipients.map(notify), sub), { created: false, existing: first.message.id });
    t.equal(await store.getMessage(retry.message.id), undefined, 'no second message');
    t.equal(await store.getBody(retry.message.id), undefined, 'no second body');
    t.equal(await store.findRecipientByToken(retry.recipients[0]!.token), undefined, 'no second recipient index');
    t.equal(await store.countJobs(), 2, 'no second notification jobs');
    t.equal((await store.stateCounts()).accepted, 2, 'no second delivery records counted');

    // Same key, other content: a client reusing its transaction id. A new message, which takes the key over.
    const reuse = sampleMessage(1);
    t.same(await store.createMessage(reuse.message, Buffer.from('two'), reuse.recipients, [], { ...sub, digest: 'digest-2' }), { created: true, supersedes: first.message.id });
    t.ok(await store.getMessage(reuse.message.id));
    const again = sampleMessage(1);
    t.same(await store.createMessage(again.message, Buffer.from('two'), again.recipients, [], { ...sub, digest: 'digest-2' }), { created: false, existing: reuse.message.id });

    t.same(await store.createMessage(sampleMessage(1).message, Buffer.from('x'), [], []), { created: true }, 'without a key nothing is checked');

    // After the window a repeat is a new message.
    now += 600_001;
    try {
      await store.sweep(now);
      const late = sampleMessage(1);
      t.same(await store.createMessage(late.message, Buffer.from('two'), late.recipients, [], { ...sub, digest: 'digest-2' }), { created: true }, 'expired key: created, nothing superseded');
      t.ok(await store.getMessage(late.message.id));
      const lateRetry = sampleMessage(1);
      t.same(await store.createMessage(lateRetry.message, Buffer.from('two'), lateRetry.recipients, [], { ...sub, digest: 'digest-2' }), { created: false, existing: late.message.id }, 'and starts a new window');
    } finally {
      now -= 600_001;
    }
  });

  t.test('concurrent identical submissions: exactly one message, every loser names it', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const sub = { key: `race-${Math.random()}`, digest: 'same', ttlMs: 600_000 };
    const tries = Array.from({ length: 12 }, () => sampleMessage(1));
    const outcomes = await Promise.all(
      tries.map(({ message, recipients }) => store.createMessage(message, Buffer.from('body'), recipients, [{ type: 'notify', dueAt: now, key: `notify:${recipients[0]!.id}`, payload: {} }], sub)),
    );
    const winners = outcomes.flatMap((o, i) => (o.created ? [tries[i]!.message.id] : []));
    t.equal(winners.length, 1, 'one created');
    t.same(
      outcomes.filter((o) => !o.created),
      Array.from({ length: 11 }, () => ({ created: false, existing: winners[0] })),
      'the others name the winner',
    );
    t.equal(await store.countJobs(), 1);
    t.equal((await store.stateCounts()).accepted, 1);
    for (const [i, { message }] of tries.entries()) {
      t.equal((await store.getMessage(message.id)) !== undefined, outcomes[i]!.created, `message ${i} stored only if it won`);
    }
  });

  t.test('transition is compare-and-set and schedules jobs only when it happens', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(1);
    await store.createMessage(message, Buffer.from('x'), recipients, []);
    const rid = recipients[0]!.id;
    const report: NewJob = { type: 'report', dueAt: 0, payload: { rid } };

    const a = await store.transition(rid, { from: ['accepted'], to: 'notifying', at: now });
    t.equal(a?.changed, true);
    t.equal(a?.record.state, 'notifying');
    const b = await store.transition(rid, { from: ['accepted'], to: 'notifying', at: now });
    t.equal(b?.changed, false, 'second identical transition is a no-op');
    const c = await store.transition(rid, { from: ['notifying', 'notified'], to: 'retrieved', at: now + 5, note: 'GET', jobs: [report] });
    t.equal(c?.changed, true);
    t.equal(await store.countJobs(), 1);
    const d = await store.transition(rid, { from: ['notifying', 'notified'], to: 'retrieved', at: now + 6, jobs: [report] });
    t.equal(d?.changed, false);
    t.equal(await store.countJobs(), 1, 'no duplicate report job');
    const rec = await store.getRecipient(rid);
    t.same(rec?.history.map((h) => h.state), ['accepted', 'notifying', 'retrieved']);
    t.equal(rec?.history[2]?.note, 'GET');
    t.same(await store.stateCounts(), { accepted: 0, notifying: 0, retrieved: 1 });
    t.equal(await store.transition('missing/0', { from: ['accepted'], to: 'notified', at: now }), undefined);
  });

  t.test('updateRecipient with a function patches the record as it is at write time', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(1);
    await store.createMessage(message, Buffer.from('x'), recipients, []);
    const rid = recipients[0]!.id;
    // Twenty concurrent appends computed from the current record: none is lost (a patch computed
    // from a stale read would drop some).
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.updateRecipient(rid, (cur) => ({ webhookFailures: [...(cur.webhookFailures ?? []), { event: `e${i}`, at: now, attempts: 1, reason: 'x' }] })),
      ),
    );
    const rec = await store.getRecipient(rid);
    t.same(new Set(rec?.webhookFailures?.map((f) => f.event)), new Set(Array.from({ length: 20 }, (_, i) => `e${i}`)));
    t.equal(rec?.state, 'accepted', 'the state is untouched');
    t.equal(await store.updateRecipient('missing/0', () => ({ lastError: 'x' })), undefined);
  });

  t.test('pendingJobKeys: keys of jobs scheduled or running, not of completed ones', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    await store.scheduleJobs([
      { type: 'x', dueAt: 0, key: 'k1', payload: {} },
      { type: 'x', dueAt: now + 60_000, key: 'k2', payload: {} },
    ]);
    t.same((await store.pendingJobKeys(['k1', 'k2', 'k3'])).sort(), ['k1', 'k2']);
    const [claimed] = await store.claimDueJobs(now, 10, 60_000);
    t.equal(claimed?.key, 'k1');
    t.same((await store.pendingJobKeys(['k1'])), ['k1'], 'a running job is pending');
    await store.retryJob(claimed!, now + 1000, 'later');
    t.same((await store.pendingJobKeys(['k1'])), ['k1'], 'a job waiting for its retry is pending');
    const [again] = await store.claimDueJobs(now + 1000, 10, 60_000);
    await store.completeJob(again!);
    t.same(await store.pendingJobKeys(['k1', 'k2']), ['k2']);
    t.same(await store.pendingJobKeys([]), []);
  });

  t.test('concurrent transitions: exactly one wins', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(1);
    await store.createMessage(message, Buffer.from('x'), recipients, []);
    const rid = recipients[0]!.id;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.transition(rid, { from: ['accepted'], to: i % 2 ? 'notified' : 'rejected', at: now })),
    );
    t.equal(results.filter((r) => r?.changed).length, 1);
  });

  t.test('jobs: due order, leases, retry, completion with follow-ups, dedup keys', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    await store.scheduleJobs([
      { type: 'b', dueAt: now + 2000, payload: { n: 2 } },
      { type: 'a', dueAt: now + 1000, payload: { n: 1 }, key: 'k1' },
      { type: 'c', dueAt: now + 60_000, payload: { n: 3 } },
    ]);
    await store.scheduleJobs([{ type: 'a', dueAt: now, payload: { n: 99 }, key: 'k1' }]);
    t.equal(await store.countJobs(), 3, 'duplicate key not scheduled');
    t.equal(await store.nextDueAt(), now + 1000);
    t.same(await store.claimDueJobs(now, 10, 5000), [], 'nothing due yet');

    const due = await store.claimDueJobs(now + 2500, 10, 5000);
    t.same(due.map((j) => j.payload.n), [1, 2], 'due jobs in due order');
    t.same(await store.claimDueJobs(now + 2500, 10, 5000), [], 'leased jobs are not handed out twice');
    t.same((await store.claimDueJobs(now + 8000, 10, 5000)).map((j) => j.payload.n), [1, 2], 'expired lease: handed out again');

    await store.retryJob(due[0]!, now + 30_000, 'boom');
    await store.completeJob(due[1]!, [{ type: 'd', dueAt: now + 10_000, payload: { n: 4 } }]);
    t.equal(await store.countJobs(), 3);
    const later = await store.claimDueJobs(now + 40_000, 10, 5000);
    t.same(later.map((j) => j.payload.n), [4, 1]);
    t.equal(later[1]!.attempts, 1);
    t.equal(later[1]!.lastError, 'boom');
    await store.completeJob(later[1]!);
    await store.scheduleJobs([{ type: 'a', dueAt: now, payload: { n: 5 }, key: 'k1' }]);
    t.equal(await store.countJobs(), 3, 'key free again once its job completed');
  });

  t.test('a transition can index SMSC keys and complete a claimed job in the same write', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(2);
    const [r0, r1] = recipients as [RecipientRecord, RecipientRecord];
    await store.createMessage(message, Buffer.from('body'), recipients, [
      { type: 'notify', dueAt: now, key: `n:${r0.id}`, payload: { rid: r0.id } },
      { type: 'notify', dueAt: now, key: `n:${r1.id}`, payload: { rid: r1.id } },
    ]);
    const claimed = await store.claimDueJobs(now, 10, 5000);
    t.equal(claimed.length, 2);
    const job0 = claimed.find((j) => j.payload.rid === r0.id)!;
    const job1 = claimed.find((j) => j.payload.rid === r1.id)!;
    const renotify: NewJob = { type: 'notify', dueAt: now + 60_000, key: `re:${r0.id}`, payload: { rid: r0.id } };
    const moved = await store.transition(r0.id, { from: ['accepted'], to: 'notified', at: now, jobs: [renotify], smscKeys: { keys: ['k-a'], ttlMs: 60_000 }, completeJob: job0 });
    t.equal(moved?.changed, true);
    t.equal((await store.findRecipientBySmscKey('k-a'))?.id, r0.id, 'receipt key indexed');
    t.same((await store.getRecipient(r0.id))?.smscKeys, ['k-a'], 'the record lists its keys for clean-up');
    // The state moved on elsewhere (a quick retrieval): the CAS fails, yet keys and completion still apply.
    await store.transition(r1.id, { from: ['accepted'], to: 'retrieved', at: now });
    const lost = await store.transition(r1.id, { from: ['accepted', 'notifying'], to: 'notified', at: now, jobs: [{ type: 'x', dueAt: now, payload: {} }], smscKeys: { keys: ['k-b'], ttlMs: 60_000 }, completeJob: job1 });
    t.equal(lost?.changed, false);
    t.equal(lost?.record.state, 'retrieved');
    t.equal((await store.findRecipientBySmscKey('k-b'))?.id, r1.id, 'receipt key indexed although the state had moved on');
    t.equal(await store.countJobs(), 1, 'both claimed jobs completed; only the renotify job of the applied transition is scheduled');
    t.same((await store.claimDueJobs(now + 60_000, 10, 5000)).map((j) => j.key), [`re:${r0.id}`]);
  });

  t.test('smsc keys, body deletion and purge', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(2);
    await store.createMessage(message, Buffer.from('body'), recipients, []);
    await store.addSmscKeys(recipients[0]!.id, ['abc', '2748'], 60_000);
    t.equal((await store.findRecipientBySmscKey('2748'))?.id, recipients[0]!.id);
    now += 120_000;
    t.equal(await store.findRecipientBySmscKey('abc'), undefined, 'receipt keys expire');
    now -= 120_000;
    await store.deleteBody(message.id);
    t.equal(await store.getBody(message.id), undefined);
    t.ok(await store.getMessage(message.id), 'records outlive the content');
    await store.purgeMessage(message.id);
    t.equal(await store.getMessage(message.id), undefined);
    t.equal(await store.getRecipient(recipients[0]!.id), undefined);
    t.equal(await store.findRecipientByToken(recipients[0]!.token), undefined);
    t.equal(await store.findRecipientBySmscKey('abc'), undefined);
    t.equal((await store.stateCounts()).accepted ?? 0, 0);
  });

  t.test('cache with TTL and set-if-absent', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    await store.cacheSet('uaprof', 'http://x/p.rdf', Buffer.from('profile'), 1000);
    t.same(await store.cacheGet('uaprof', 'http://x/p.rdf'), Buffer.from('profile'));
    t.equal(await store.cacheSetIfAbsent('idem', 'k', Buffer.from('first'), 1000), undefined);
    t.same(await store.cacheSetIfAbsent('idem', 'k', Buffer.from('second'), 1000), Buffer.from('first'));
    now += 2000;
    t.equal(await store.cacheGet('uaprof', 'http://x/p.rdf'), undefined, 'expired');
    t.equal(await store.cacheSetIfAbsent('idem', 'k', Buffer.from('third'), 1000), undefined, 'expired key can be set again');
    await store.sweep(now);
    now -= 2000;
  });

  t.test('replaceContent swaps body, content type and size of a stored message', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(1);
    await store.createMessage(message, Buffer.from('old'), recipients, []);
    const ct = { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil' } };
    t.equal(await store.replaceContent(message.id, ct, Buffer.from('new body')), true);
    t.same(await store.getBody(message.id), Buffer.from('new body'));
    t.match(await store.getMessage(message.id), { contentType: ct, contentSize: 8, subject: { text: 'Hello' } });
    t.equal(await store.replaceContent('missing', ct, Buffer.from('x')), false);
  });

  t.test('cacheAdd counts atomically within a fixed window', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    t.equal(await store.cacheAdd('quota', 'v1', 3, 1000), 3);
    const totals = await Promise.all(Array.from({ length: 20 }, () => store.cacheAdd('quota', 'v1', 1, 1000)));
    t.same([...totals].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 4 + i), 'concurrent adds never lose an increment');
    t.same(await store.cacheGet('quota', 'v1'), Buffer.from('23'));
    t.equal(await store.cacheAdd('quota', 'other', -2, 1000), -2, 'counters are independent');
    now += 600;
    t.equal(await store.cacheAdd('quota', 'v1', 1, 1000), 24, 'a later add does not extend the window');
    now += 600;
    t.equal(await store.cacheAdd('quota', 'v1', 5, 1000), 5, 'after the window a new count starts');
    now -= 1200;
  });

  t.test('batch records: atomic puts, deletes and jobs, compare-and-set, TTL', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const b = (s: string) => Buffer.from(s);
    t.same(await store.batchGet(['a', 'b']), [undefined, undefined]);
    t.equal(await store.batchWrite({ put: [{ key: 'a', value: b('one'), ttlMs: 1000 }, { key: 'b', value: b('two'), ttlMs: 5000 }], jobs: [{ type: 'batch-release', dueAt: now, key: 'brel:x', payload: { id: 'x' } }] }), true);
    t.same(await store.batchGet(['a', 'b', 'c']), [b('one'), b('two'), undefined]);
    t.same(await store.pendingJobKeys(['brel:x']), ['brel:x'], 'the job is written with the records');
    t.equal(await store.batchWrite({ expect: { key: 'a', value: b('other') }, put: [{ key: 'c', value: b('no'), ttlMs: 1000 }] }), false, 'compare-and-set refuses a different value');
    t.equal(await store.batchWrite({ expect: { key: 'a', value: undefined }, put: [{ key: 'c', value: b('no'), ttlMs: 1000 }] }), false, 'expecting absence refuses a present key');
    t.same(await store.batchGet(['c']), [undefined], 'a refused write writes nothing');
    const racers = await Promise.all(Array.from({ length: 5 }, (_, i) => store.batchWrite({ expect: { key: 'a', value: b('one') }, put: [{ key: 'a', value: b(`won${i}`), ttlMs: 1000 }] })));
    t.equal(racers.filter(Boolean).length, 1, 'of concurrent compare-and-sets on one value exactly one wins');
    t.equal(await store.batchWrite({ expect: { key: 'new', value: undefined }, put: [{ key: 'new', value: b('x'), ttlMs: 1000 }], del: ['b'] }), true);
    t.same(await store.batchGet(['new', 'b']), [b('x'), undefined], 'put and delete together');
    now += 2000;
    t.same(await store.batchGet(['a', 'new']), [undefined, undefined], 'expired entries read as absent');
    t.equal(await store.batchWrite({ expect: { key: 'a', value: undefined }, put: [{ key: 'a', value: b('again'), ttlMs: 1000 }] }), true, 'an expired entry counts as absent');
    await store.sweep(now);
    t.same(await store.batchGet(['a']), [b('again')], 'the sweep keeps live entries');
    now -= 2000;
  });

  t.test('the stream: events are written with the message and each change that happens, in order', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const { message, recipients } = sampleMessage(3, { origin: { kind: 'rest', vaspId: 'V1' } });
    // An address without a route starts unreachable (and owes the 'unreachable' report).
    recipients[2] = { ...recipients[2]!, state: 'unreachable', history: [{ state: 'unreachable', at: now, note: 'no route' }] };
    for (const r of recipients) Object.assign(r, { vaspId: 'V1', origin: 'rest' });
    const sub = { key: `stream-${Math.random()}`, digest: 'd', ttlMs: 60_000 };
    await store.createMessage(message, Buffer.from('x'), recipients, [], sub);
    const [r0, r1] = recipients as [RecipientRecord, RecipientRecord];
    await store.transition(r0.id, { from: ['accepted'], to: 'notified', at: now + 1, note: 'push 1', patch: { smsc: { link: 'L', messageIds: ['m1'] } } });
    t.equal((await store.transition(r0.id, { from: ['accepted'], to: 'notified', at: now + 2 }))?.changed, false);
    await store.transition(r0.id, { from: ['notified'], to: 'notified', at: now + 3, note: 'push 2', patch: { smsc: { link: 'L', messageIds: ['m2'] } } });
    await store.transition(r0.id, { from: ['notified'], to: 'retrieved', at: now + 4, report: 'retrieved', patch: { reportAllowed: true } });
    await store.transition(r1.id, { from: ['accepted'], to: 'rejected', at: now + 5, report: 'rejected', patch: { reportAllowed: false }, events: [{ id: `${message.id}#cancelled`, kind: 'cancelled', messageId: message.id, at: now + 5, origin: 'rest' }] });
    // Neither a refused duplicate nor a retransmission writes an event.
    await t.rejects(store.createMessage(message, Buffer.from('x'), recipients, []));
    const retry = sampleMessage(1);
    t.same(await store.createMessage(retry.message, Buffer.from('x'), retry.recipients, [], sub), { created: false, existing: message.id });
    await store.updateRecipient(r0.id, { lastError: 'not a change' });
    t.equal(await store.replaceContent(message.id, message.contentType, Buffer.from('new')), true);
    await store.appendEvents([{ id: 'free#1', kind: 'mm4-hop', messageId: message.id, at: now + 7, origin: 'rest', data: { peer: 'mms.example.net' } }]);

    const entries = await store.readEvents('c1', 100, { leaseMs: 60_000, now });
    t.equal(await store.countEvents(), entries.length);
    t.same(
      entries.map((e) => e.event.id),
      [`${message.id}#accepted`, `${message.id}/2#0`, `${r0.id}#1`, `${r0.id}#2`, `${r0.id}#3`, `${r1.id}#1`, `${message.id}#cancelled`, `${message.id}#replaced@${now}`, 'free#1'],
      'in commit order, one per change that happened',
    );
    const [accepted, unreachable, notified, renotified, retrieved, rejected] = entries.map((e) => e.event);
    t.same(accepted, { id: `${message.id}#accepted`, kind: 'accepted', messageId: message.id, at: message.createdAt, origin: 'rest', vaspId: 'V1', count: 3 });
    t.same(unreachable, { id: `${message.id}/2#0`, kind: 'state', messageId: message.id, recipientId: `${message.id}/2`, sequence: 0, to: 'unreachable', at: now, note: 'no route', origin: 'rest', vaspId: 'V1', address: recipients[2]!.address, report: 'unreachable' });
    t.same(notified, { id: `${r0.id}#1`, kind: 'state', messageId: message.id, recipientId: r0.id, sequence: 1, from: 'accepted', to: 'notified', at: now + 1, note: 'push 1', origin: 'rest', vaspId: 'V1', address: r0.address, smsc: { link: 'L', messageIds: ['m1'] } });
    t.match(renotified, { kind: 'renotified', sequence: 2, from: 'notified', to: 'notified', smsc: { messageIds: ['m2'] } });
    t.match(retrieved, { kind: 'state', sequence: 3, from: 'notified', to: 'retrieved', report: 'retrieved' });
    t.notOk('reportAllowed' in retrieved!, 'Report-Allowed appears only when it forbids');
    t.match(rejected, { sequence: 1, from: 'accepted', to: 'rejected', report: 'rejected', reportAllowed: false });
    t.notOk('smsc' in retrieved!, 'no push, no SMSC facts');
    t.match(entries[7]!.event, { kind: 'replaced', messageId: message.id, vaspId: 'V1' });
    t.same(entries[8]!.event.data, { peer: 'mms.example.net' });
  });

  t.test('the stream: each consumer has its own position; effects apply once, with the acknowledgement', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    for (let i = 0; i < 3; i++) {
      const { message, recipients } = sampleMessage(1);
      await store.createMessage(message, Buffer.from('x'), recipients, []);
    }
    const opts = { leaseMs: 60_000, now };
    const a = await store.readEvents('a', 2, opts);
    t.equal(a.length, 2);
    t.same((await store.eventLag(['a'])).map((l) => l.events), [3], 'read is not acknowledged');
    const jobs = (i: number): NewJob[] => [{ type: 'x', dueAt: 0, key: `effect-${i}`, payload: { i } }];
    const counters = [{ key: 'vasp:V:2023-11-14:accepted', delta: 1 }, { key: 'vasp:V:2023-11-14:retrieved', delta: 2 }];
    t.equal(await store.ackEvents('a', [{ pos: a[0]!.pos, jobs: jobs(0), counters }]), 1);
    // A failed batch: the second entry was not acknowledged; it comes again, first.
    const again = await store.readEvents('a', 10, opts);
    t.equal(again.length, 2);
    t.equal(again[0]!.event.id, a[1]!.event.id, 'the unacknowledged one first');
    t.equal(await store.ackEvents('a', [{ pos: a[0]!.pos, jobs: jobs(9), counters }]), 0, 'acknowledged before: nothing applied again');
    t.equal(await store.ackEvents('a', again.map((e, i) => ({ pos: e.pos, jobs: jobs(i + 1), counters }))), 2);
    t.equal(await store.countJobs(), 3, 'one job per acknowledged event');
    t.same(await store.readCounters(['vasp:V:2023-11-14', 'vasp:none']), { 'vasp:V:2023-11-14': { accepted: 3, retrieved: 6 }, 'vasp:none': {} });
    t.equal(await store.readCounter('vasp:V:2023-11-14:retrieved'), 6);
    t.equal(await store.readCounter('vasp:V:2023-11-14:other'), 0);
    t.same(await store.readEvents('a', 10, opts), [], 'caught up');
    t.same(await store.eventLag(['a']), [{ consumer: 'a', events: 0 }]);

    // Another consumer starts from the oldest event the outbox holds, whatever 'a' did.
    const b = await store.readEvents('b', 10, opts);
    t.equal(b.length, 3);
    const lags = await store.eventLag();
    t.same(lags.map((l) => [l.consumer, l.events]), [['a', 0], ['b', 3]]);
    t.equal(lags[1]!.oldestAt, b[0]!.event.at);
  });

  t.test('the stream: trimmed once every consumer has passed; the cap trims regardless and names who lost events', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const make = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const { message, recipients } = sampleMessage(1);
        await store.createMessage(message, Buffer.from('x'), recipients, []);
      }
    };
    await make(4);
    const opts = { leaseMs: 60_000, now };
    const fast = await store.readEvents('fast', 10, opts);
    const slow = await store.readEvents('slow', 10, opts);
    await store.ackEvents('fast', fast.map((e) => ({ pos: e.pos })));
    await store.ackEvents('slow', slow.slice(0, 1).map((e) => ({ pos: e.pos })));
    t.same(await store.trimEvents(100), { trimmed: 1, forced: 0, lost: [] }, 'only what the slowest consumer passed');
    t.equal(await store.countEvents(), 3);
    t.same((await store.readEvents('slow', 10, opts)).map((e) => e.event.id), slow.slice(1).map((e) => e.event.id), 'the slow one still has its events');
    await make(3);
    const r = await store.trimEvents(4);
    t.equal(r.forced, 2);
    t.same(r.lost, [{ consumer: 'slow', events: 2 }], 'the slow consumer lost two');
    t.equal(await store.countEvents(), 4);
    const rest = await store.readEvents('slow', 10, opts);
    t.equal(rest.length, 4, 'it goes on with what is left');
    await store.dropEventConsumer('slow');
    t.same((await store.eventLag()).map((l) => l.consumer), ['fast']);
  });

  t.test('applyOnce: counters applied once per (consumer, event id)', async (t) => {
    const store = await factory.create(clock);
    t.teardown(() => store.close());
    const c = [{ key: 'batch:b1:retrieved', delta: 1 }, { key: 'batch:b1:notified', delta: -1 }];
    t.equal(await store.applyOnce('cdr', 'r/0#3', c, 3_600_000), true);
    t.equal(await store.applyOnce('cdr', 'r/0#3', c, 3_600_000), false, 'a replay applies nothing');
    t.equal(await store.applyOnce('other', 'r/0#3', c, 3_600_000), true, 'markers are per consumer');
    const results = await Promise.all(Array.from({ length: 10 }, () => store.applyOnce('cdr', 'r/0#4', [{ key: 'batch:b1:retrieved', delta: 1 }], 3_600_000)));
    t.equal(results.filter(Boolean).length, 1, 'concurrent repeats: one applies');
    t.same(await store.readCounters(['batch:b1']), { 'batch:b1': { retrieved: 3, notified: -2 } });
    await t.rejects(store.applyOnce('cdr', 'x', [{ key: 'nogroup', delta: 1 }], 1000), /not <group>:<name>/);
  });

  if (factory.reopen) {
    const reopen = factory.reopen;
    t.test('the stream: positions and events survive close and reopen', async (t) => {
      const store = await factory.create(clock);
      for (let i = 0; i < 3; i++) {
        const { message, recipients } = sampleMessage(1);
        await store.createMessage(message, Buffer.from('x'), recipients, []);
      }
      const first = await store.readEvents('p', 10, { leaseMs: 60_000, now });
      await store.ackEvents('p', [{ pos: first[0]!.pos, counters: [{ key: 'k:g:n', delta: 1 }] }]);
      await store.close();
      const again = await reopen(clock);
      t.teardown(() => again.close());
      const { message, recipients } = sampleMessage(1);
      await again.createMessage(message, Buffer.from('x'), recipients, []);
      // On Redis the reopened store is another reader (node): it takes what the first one read and
      // did not acknowledge once that lease has run out (the clock here is past it).
      const next = await again.readEvents('p', 10, { leaseMs: 60_000, now: Date.now() + 120_000 });
      t.same(next.map((e) => e.event.id), [...first.slice(1).map((e) => e.event.id), `${message.id}#accepted`], 'continues after its position, new events after old ones');
      t.equal(await again.readCounter('k:g:n'), 1);
    });
  }

  if (factory.reopen) {
    const reopen = factory.reopen;
    t.test('data survives close and reopen', async (t) => {
      const store = await factory.create(clock);
      const { message, recipients } = sampleMessage(1);
      await store.createMessage(message, Buffer.from('persist'), recipients, [{ type: 'notify', dueAt: now, payload: {} }]);
      const claimed = await store.claimDueJobs(now, 10, 60_000);
      t.equal(claimed.length, 1);
      await store.close();
      const again = await reopen(clock);
      t.teardown(() => again.close());
      t.same(await again.getBody(message.id), Buffer.from('persist'));
      t.equal((await again.claimDueJobs(now, 10, 60_000)).length, 1, 'a job leased before the restart is due again');
    });
  }
}
