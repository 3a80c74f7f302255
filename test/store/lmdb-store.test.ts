import t from 'tap';
import { defaultConfig } from '../../src/config/index.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { openStore } from '../../src/store/open.js';
import { storeContract } from './contract.js';

t.test('LmdbStore contract', async (t) => {
  const dirs: string[] = [];
  let last = '';
  storeContract(t, {
    async create(clock) {
      last = t.testdir({});
      dirs.push(last);
      return new LmdbStore(last, { clock, mapSizeBytes: 2 ** 26 });
    },
    async reopen(clock) {
      return new LmdbStore(last, { clock, mapSizeBytes: 2 ** 26 });
    },
  });
});

t.test('LmdbStore contract with a group-commit window', async (t) => {
  let last = '';
  storeContract(t, {
    async create(clock) {
      last = t.testdir({});
      return new LmdbStore(last, { clock, mapSizeBytes: 2 ** 26, commitWindowMs: 3 });
    },
    async reopen(clock) {
      return new LmdbStore(last, { clock, mapSizeBytes: 2 ** 26, commitWindowMs: 3 });
    },
  });
});

/** LMDB's id of the last committed transaction: how many commits a run of writes took. */
function lastTxnId(store: LmdbStore): number {
  return (store as unknown as { root: { getStats(): { lastTxnId: number } } }).root.getStats().lastTxnId;
}

t.test('writes that arrive within the commit window share a commit; without a window each has its own', async (t) => {
  const { sampleMessage } = await import('./contract.js');
  const dir = t.testdir({ a: {} }) + '/a';
  const write = (store: LmdbStore) => {
    const m = sampleMessage(1);
    return store.createMessage(m.message, Buffer.from('m'), m.recipients, []);
  };
  // Warm-up write, then a fresh open: the record structures are saved (they would add to the
  // first commit only) and no commit window is running.
  const warm = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  await write(warm);
  await warm.close();

  // Opened as the gateway opens it, from the config key. The window is long against the few ms the
  // writes below take to be issued, so a busy machine does not split them.
  const windowed = openStore({ dataDir: dir, redis: { url: '', keyPrefix: '' }, relay: defaultConfig().relay, store: { commitWindowMs: 1000 } }) as LmdbStore;
  t.teardown(() => windowed.close());
  const before = lastTxnId(windowed);
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 5; i++) {
    writes.push(write(windowed));
    // Each write from its own event-loop turn, as requests arrive one by one.
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(writes);
  // The first write finds no commit started within the window and goes at once; the other four share the next.
  t.equal(lastTxnId(windowed) - before, 2, 'five writes, two commits');

  const immediate = new LmdbStore(t.testdir({ b: {} }) + '/b', { mapSizeBytes: 2 ** 26, commitWindowMs: 0 });
  t.teardown(() => immediate.close());
  await write(immediate);
  const start = lastTxnId(immediate);
  // Without a window, a write issued after the previous one is durable gets a commit of its own.
  for (let i = 0; i < 5; i++) await write(immediate);
  t.equal(lastTxnId(immediate) - start, 5, 'five writes one after another, five commits');
});

t.test('close() waits for writes still waiting in the commit window, and they are on disk after a reopen', async (t) => {
  const { sampleMessage } = await import('./contract.js');
  const dir = t.testdir({});
  const store = new LmdbStore(dir, { mapSizeBytes: 2 ** 26, commitWindowMs: 50 });
  const first = sampleMessage(1);
  const { message, recipients } = sampleMessage(2);
  const firstCreated = store.createMessage(first.message, Buffer.from('first'), first.recipients, []);
  await new Promise((r) => setImmediate(r));
  // Within the window of the first write's commit: waits for the next.
  const created = store.createMessage(message, Buffer.from('body'), recipients, []);
  await store.close();
  t.same(await firstCreated, { created: true });
  t.same(await created, { created: true });
  const again = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  t.teardown(() => again.close());
  t.equal((await again.getMessage(message.id))?.id, message.id);
  t.equal((await again.getBody(message.id))?.toString(), 'body');
  t.equal((await again.listRecipients(message.id)).length, 2);
});

t.test('a write that fails half-way leaves nothing behind', async (t) => {
  const store = new LmdbStore(t.testdir({}), { mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  const { sampleMessage } = await import('./contract.js');
  const { message, recipients } = sampleMessage(2);
  // A job payload that msgpack cannot encode makes the write throw after the message was put.
  const bad = { type: 'notify', dueAt: 0, payload: { n: 10n ** 30n } as unknown as Record<string, unknown> };
  await t.rejects(store.createMessage(message, Buffer.from('b'), recipients, [bad]), { name: 'RangeError', message: /too large to fit/ });
  t.equal(await store.getMessage(message.id), undefined, 'message rolled back');
  t.equal(await store.findRecipientByToken(recipients[0]!.token), undefined, 'index rolled back');
  t.equal(await store.countJobs(), 0);
  // Deterministic variant: a duplicate id throws before any put, then a second message in the same
  // turn must still commit.
  const other = sampleMessage(1);
  const results = await Promise.allSettled([
    store.createMessage(other.message, Buffer.from('o'), other.recipients, []),
    store.createMessage(other.message, Buffer.from('o'), other.recipients, []),
  ]);
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  t.ok(await store.getMessage(other.message.id));
});

t.test('sweep drops submission keys whose window ended, and only those', async (t) => {
  let now = 1_700_000_000_000;
  const store = new LmdbStore(t.testdir({}), { clock: () => now, mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  const { sampleMessage } = await import('./contract.js');
  const a = sampleMessage(1);
  const b = sampleMessage(1);
  await store.createMessage(a.message, Buffer.from('a'), a.recipients, [], { key: 'short', digest: 'd', ttlMs: 1000 });
  await store.createMessage(b.message, Buffer.from('b'), b.recipients, [], { key: 'long', digest: 'd', ttlMs: 60_000 });
  t.equal(await store.sweep(now), 0, 'nothing expired yet');
  now += 2000;
  t.equal(await store.sweep(now), 1, 'the short window ended');
  t.equal(await store.sweep(now), 0, 'already gone');
  const retry = sampleMessage(1);
  t.same(await store.createMessage(retry.message, Buffer.from('b'), retry.recipients, [], { key: 'long', digest: 'd', ttlMs: 60_000 }), { created: false, existing: b.message.id }, 'the live key is kept');

  // A key whose window ended and that was written again before the sweep: the old window's sweep keeps the new one.
  const c = sampleMessage(1);
  await store.createMessage(c.message, Buffer.from('c'), c.recipients, [], { key: 'again', digest: 'd', ttlMs: 1000 });
  now += 2000;
  const c2 = sampleMessage(1);
  t.same(await store.createMessage(c2.message, Buffer.from('c'), c2.recipients, [], { key: 'again', digest: 'd', ttlMs: 60_000 }), { created: true });
  t.equal(await store.sweep(now), 0, 'the rewritten key is not swept');
  const c3 = sampleMessage(1);
  t.same(await store.createMessage(c3.message, Buffer.from('c'), c3.recipients, [], { key: 'again', digest: 'd', ttlMs: 60_000 }), { created: false, existing: c2.message.id });
  now += 61_000;
  t.equal(await store.sweep(now), 2, 'both long windows ended');
});

t.test('sweep drops expired cache entries and receipt keys from the expiry index, and keeps rewritten ones', async (t) => {
  let now = 1_700_000_000_000;
  const store = new LmdbStore(t.testdir({}), { clock: () => now, mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  const { sampleMessage } = await import('./contract.js');
  const m = sampleMessage(1);
  await store.createMessage(m.message, Buffer.from('a'), m.recipients, []);
  const rid = m.recipients[0]!.id;
  await store.cacheSet('variant', 'short', Buffer.from('x'), 1000);
  await store.cacheSet('variant', 'long', Buffer.from('y'), 60_000);
  await store.cacheSet('variant', 'refreshed', Buffer.from('z'), 1000);
  await store.addSmscKeys(rid, ['r-short'], 1000);
  await store.addSmscKeys(rid, ['r-long'], 60_000);
  t.equal(await store.sweep(now), 0, 'nothing expired yet');
  now += 500;
  await store.cacheSet('variant', 'refreshed', Buffer.from('z2'), 60_000);
  now += 1000;
  t.equal(await store.sweep(now), 2, 'the short cache entry and the short receipt key');
  t.equal(await store.cacheGet('variant', 'short'), undefined);
  t.equal((await store.cacheGet('variant', 'refreshed'))?.toString(), 'z2', 'rewritten with a later expiry: kept');
  t.equal((await store.cacheGet('variant', 'long'))?.toString(), 'y');
  t.equal(await store.findRecipientBySmscKey('r-short'), undefined);
  t.equal((await store.findRecipientBySmscKey('r-long'))?.id, rid);
  t.equal(await store.sweep(now), 0, 'already gone');
  now += 60_000;
  t.equal(await store.sweep(now), 3, 'the long ones and the refreshed one');
  t.equal(await store.sweep(now), 0);
});

t.test('a folder written before the expiry index gets it built at open', async (t) => {
  const dir = t.testdir({});
  const now = 1_700_000_000_000;
  // Entries as the earlier layout wrote them: cache and receipt keys with no expiry index beside them.
  const { open } = await import('lmdb');
  const { join } = await import('node:path');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const old = open({ path: join(dir, 'mmsc.mdb'), mapSize: 2 ** 26, maxDbs: 16 });
  await old.openDB({ name: 'cache' }).put('uaprof\u0000gone', { v: Buffer.from('p'), exp: now - 1 });
  await old.openDB({ name: 'cache' }).put('uaprof\u0000live', { v: Buffer.from('q'), exp: now + 60_000 });
  await old.openDB({ name: 'index' }).put('s:old-receipt', { rid: 'm/0', exp: now - 1 });
  await old.openDB({ name: 'index' }).put('t:some-token', 'm/0');
  await old.close();

  const store = new LmdbStore(dir, { clock: () => now, mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  t.equal(await store.sweep(now), 2, 'the expired cache entry and receipt key were found');
  t.equal((await store.cacheGet('uaprof', 'live'))?.toString(), 'q', 'live entry kept');
  t.equal(await store.sweep(now + 61_000), 1, 'and swept once it expires');
});

t.test('records written before shared structures (each with its own key list) still read, change and survive a reopen', async (t) => {
  const dir = t.testdir({});
  const { sampleMessage } = await import('./contract.js');
  const { open } = await import('lmdb');
  const { join } = await import('node:path');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const { message, recipients } = sampleMessage(1);
  const r = recipients[0]!;
  const job = { type: 'notify', dueAt: 5, key: `notify:${r.id}`, payload: { rid: r.id }, id: 'job1', attempts: 0, createdAt: 5 };
  // The earlier layout: lmdb-js's default msgpack encoding, no sharedStructuresKey.
  const old = open({ path: join(dir, 'mmsc.mdb'), mapSize: 2 ** 26, maxDbs: 16 });
  await old.openDB({ name: 'messages' }).put(message.id, message);
  await old.openDB({ name: 'bodies', encoding: 'binary' }).put(message.id, Buffer.from('body'));
  await old.openDB({ name: 'recipients' }).put(r.id, r);
  await old.openDB({ name: 'index' }).put(`t:${r.token}`, r.id);
  await old.openDB({ name: 'index' }).put(`x:${r.transactionId}`, r.id);
  await old.openDB({ name: 'index' }).put('s:receipt1', { rid: r.id, exp: Date.now() + 60_000 });
  await old.openDB({ name: 'jobs' }).put([5, 'job1'], job);
  await old.openDB({ name: 'jobkeys' }).put(`k:${job.key}`, [5, 'job1']);
  await old.openDB({ name: 'counts' }).put('accepted', 1);
  await old.openDB({ name: 'meta' }).put('expiry-index', 1);
  await old.close();

  let store = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  t.same(await store.getMessage(message.id), message, 'old message record');
  t.same(await store.findRecipientByToken(r.token), r, 'old recipient record via the old index');
  t.equal((await store.findRecipientBySmscKey('receipt1'))?.id, r.id, 'old receipt key');
  const [claimed] = await store.claimDueJobs(10, 10, 1000);
  t.same(claimed, job, 'old job record');
  const moved = await store.transition(r.id, { from: ['accepted'], to: 'notified', at: 7, completeJob: claimed!, jobs: [{ type: 'report', dueAt: 9, key: 'report:x', payload: { rid: r.id } }] });
  t.equal(moved?.changed, true);
  const other = sampleMessage(1);
  await store.createMessage(other.message, Buffer.from('new'), other.recipients, []);
  await store.close();

  store = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  t.same(await store.getMessage(message.id), message);
  t.equal((await store.getRecipient(r.id))?.state, 'notified');
  t.same(await store.getMessage(other.message.id), other.message, 'a record written with shared structures');
  t.same(await store.getRecipient(other.recipients[0]!.id), other.recipients[0]);
  t.same(await store.pendingJobKeys([job.key, 'report:x']), ['report:x']);
  t.same(await store.stateCounts(), { accepted: 1, notified: 1 });
});

t.test('a record shape first seen in a write that fails is written correctly by the next write (and after a reopen)', async (t) => {
  const dir = t.testdir({});
  let store = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  const { sampleMessage } = await import('./contract.js');
  const bad = { type: 'notify', dueAt: 0, payload: { n: 10n ** 30n } as unknown as Record<string, unknown> };
  // A shape no earlier message had: its structure is saved in the write that then fails.
  const shape = { senderVisibility: 'hide' as const, priority: 'high' as const, extraHeaders: [{ name: 'X-A', value: 'b' }] };
  const first = sampleMessage(1, shape);
  await t.rejects(store.createMessage(first.message, Buffer.from('a'), first.recipients, [bad]), { name: 'RangeError', message: /too large to fit/ });
  const second = sampleMessage(1, shape);
  await store.createMessage(second.message, Buffer.from('b'), second.recipients, []);
  t.same(await store.getMessage(second.message.id), second.message);
  await store.close();
  store = new LmdbStore(dir, { mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  t.same(await store.getMessage(second.message.id), second.message, 'decodes from what is on disk');
  t.equal(await store.getMessage(first.message.id), undefined);
});

t.test('counter groups with a TTL expire by the store clock, from their latest increment', async (t) => {
  let now = 1_800_000_000_000;
  const store = new LmdbStore(t.testdir({}), { clock: () => now, mapSizeBytes: 2 ** 26 });
  t.teardown(() => store.close());
  await store.applyOnce('live', 'e1', [{ key: 'live:1800000000:accepted', delta: 2, ttlMs: 60_000 }, { key: 'vasp:V:2027-01-15:accepted', delta: 2 }], 3_600_000);
  now += 50_000;
  await store.applyOnce('live', 'e2', [{ key: 'live:1800000000:accepted', delta: 1, ttlMs: 60_000 }], 3_600_000);
  now += 50_000;
  t.same(await store.readCounters(['live:1800000000']), { 'live:1800000000': { accepted: 3 } }, 'alive 60 s after its latest increment');
  now += 10_001;
  t.same(await store.readCounters(['live:1800000000']), { 'live:1800000000': {} }, 'expired');
  t.equal(await store.readCounter('live:1800000000:accepted'), 0);
  t.ok((await store.sweep(now)) >= 1, 'the sweep removes it');
  t.equal(await store.readCounter('vasp:V:2027-01-15:accepted'), 2, 'groups without a TTL stay');
  // The marker of e1 expired with its TTL: after it, the same id would apply again (markers must outlive replays).
  now += 3_600_000;
  await store.sweep(now);
  t.equal(await store.applyOnce('live', 'e1', [{ key: 'vasp:V:2027-01-15:accepted', delta: 1 }], 3_600_000), true);
});
