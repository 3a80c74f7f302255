import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import t from 'tap';
import { Redis } from 'ioredis';
import { defaultConfig } from '../../src/config/index.js';
import type { NewJob } from '../../src/records/model.js';
import { openStore } from '../../src/store/open.js';
import { connectRedis } from '../../src/store/redis-connect.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis-store.js';
import { sampleMessage, storeContract } from './contract.js';
import { deleteKeys, redisForTests } from '../support/redis.js';

const { server, skip } = await redisForTests();
if (!server) {
  t.test('RedisStore', { skip }, () => undefined);
} else {
  const runPrefix = `mmsc-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
  const admin = new Redis(server.url);
  let n = 0;
  const stores: RedisStore[] = [];
  const make = (opts: RedisStoreOptions = {}) => {
    const s = new RedisStore({ url: server.url, keyPrefix: `${runPrefix}${n}:`, ...opts });
    stores.push(s);
    return s;
  };

  t.teardown(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await deleteKeys(admin, runPrefix);
    await admin.quit();
    server.child?.kill();
  });

  for (const variant of [
    { name: 'one script per write', opts: {} },
    { name: 'split slots (Redis Cluster layout)', opts: { splitSlots: true } },
    { name: 'content on a shared folder', opts: 'dir' as const },
  ]) {
    t.test(`RedisStore contract: ${variant.name}`, async (t) => {
      const dir = variant.opts === 'dir' ? t.testdir({}) : undefined;
      const opts = (): RedisStoreOptions => (dir ? { contentMode: { dir } } : (variant.opts as RedisStoreOptions));
      storeContract(t, {
        async create(clock) {
          n++;
          return make({ ...opts(), clock });
        },
        async reopen(clock) {
          return make({ ...opts(), clock });
        },
      });
    });
  }

  t.test('counter groups with a TTL expire in Redis from their latest increment; stale stream members are kept while they hold events', async (t) => {
    n++;
    const store = make();
    const prefix = `${runPrefix}${n}:`;
    await store.ackEvents('none', []);
    t.equal(await store.applyOnce('live', 'e1', [{ key: 'live:1:accepted', delta: 1, ttlMs: 60_000 }, { key: 'vasp:V:d:accepted', delta: 1 }], 3_600_000), true);
    const ttl = await admin.pttl(`${prefix}{g}:n:live:1`);
    t.ok(ttl > 50_000 && ttl <= 60_000, `the group expires (${ttl} ms)`);
    t.equal(await admin.pttl(`${prefix}{g}:n:vasp:V:d`), -1, 'groups without a TTL do not');
    const marker = await admin.pttl(`${prefix}{g}:o:live:e1`);
    t.ok(marker > 3_500_000, 'the applyOnce marker lives as long as asked');
    const { message, recipients } = sampleMessage(1);
    await store.createMessage(message, Buffer.from('x'), recipients, []);
    t.equal((await store.readEvents('c', 10, { leaseMs: 60_000, now: Date.now() })).length, 1);
    t.equal(await store.sweep(Date.now()), 0, 'a member holding events, or active, is kept');
  });

  t.test('a body survives as exact bytes, including 0x00 and 0xFF', async (t) => {
    for (const mode of ['redis', 'dir'] as const) {
      n++;
      const store = make(mode === 'dir' ? { contentMode: { dir: t.testdir({}) } } : {});
      const { message, recipients } = sampleMessage(1);
      const body = Buffer.concat([Buffer.from([0x00, 0xff, 0x00, 0x0d, 0x0a]), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)), randomBytes(100_000), Buffer.from([0xff, 0x00])]);
      await store.createMessage(message, body, recipients, []);
      const back = await store.getBody(message.id);
      t.ok(back && body.equals(back), `${mode}: ${body.length} bytes back unchanged`);
    }
  });

  /** The job stream's pending entries: [entry id, consumer] (binary-safe read not needed: ASCII). */
  const pending = async (prefix: string): Promise<[string, string][]> =>
    ((await admin.call('XPENDING', `${prefix}{g}:jobstream`, 'workers', '-', '+', 1000)) as [string, string, number, number][]).map(([id, c]) => [id, c]);

  t.test('two nodes: a job claimed by node A and not completed is claimed by node B after the lease', async (t) => {
    n++;
    const p = `${runPrefix}${n}:`;
    const a = make({ consumer: 'node-a' });
    const b = make({ consumer: 'node-b' });
    const t0 = 1_700_000_000_000;
    await a.scheduleJobs([{ type: 'notify', dueAt: t0, key: 'notify:x', payload: { rid: 'x' } }]);
    const [claimedA] = await a.claimDueJobs(t0, 10, 30_000);
    t.ok(claimedA, 'node A claimed the job');
    const [[entry, owner]] = (await pending(p)) as [[string, string]];
    t.equal(owner, 'node-a', 'the job is a pending stream entry of consumer node-a');
    // Leases are measured to the millisecond of the Redis clock; stay clear of the exact boundary.
    t.same(await b.claimDueJobs(t0 + 29_990, 10, 30_000), [], 'node B does not get it while A holds the lease');
    t.equal(await b.nextDueAt(), undefined, 'a held job is not a scheduled one');
    const [claimedB] = await b.claimDueJobs(t0 + 30_000, 10, 30_000);
    t.equal(claimedB?.id, claimedA!.id, 'node B claims the same job once the lease ran out');
    t.same(await pending(p), [[entry, 'node-b']], 'XAUTOCLAIM moved the same entry to node-b');
    t.same(await a.claimDueJobs(t0 + 30_001, 10, 30_000), [], 'and now node B holds it');
    t.same(await a.claimDueJobs(t0 + 59_990, 10, 30_000), [], 'with a fresh lease from its claim');

    const followUp: NewJob = { type: 'expire', dueAt: t0 + 100_000, payload: {} };
    await b.completeJob(claimedB!, [followUp]);
    await a.completeJob(claimedA!, [followUp]);
    t.equal(await a.countJobs(), 1, 'the late completion by node A schedules no second follow-up');
    await a.scheduleJobs([{ type: 'notify', dueAt: t0, key: 'notify:x', payload: { rid: 'x' } }]);
    t.equal(await a.countJobs(), 2, 'the dedupe key was released by the completion');
  });

  t.test('jobs are never handed to two nodes at once while leased', async (t) => {
    n++;
    const nodes = [make({ consumer: 'n1' }), make({ consumer: 'n2' }), make({ consumer: 'n3' })];
    const t0 = 1_700_000_000_000;
    const total = 200;
    await nodes[0]!.scheduleJobs(Array.from({ length: total }, (_, i) => ({ type: 'x', dueAt: t0 + (i % 7), payload: { i } })));
    const seen = new Map<string, string>();
    // Rounds of concurrent claims by all three nodes, all inside the lease.
    for (let round = 0; round < 8; round++) {
      const got = await Promise.all(nodes.map((s) => s.claimDueJobs(t0 + 10 + round, 7, 60_000)));
      got.forEach((jobs, k) => {
        for (const j of jobs) {
          t.notOk(seen.has(j.id), `job ${j.payload.i} not handed out before (now to n${k + 1})`);
          seen.set(j.id, `n${k + 1}`);
        }
      });
    }
    const rest = await nodes[1]!.claimDueJobs(t0 + 100, 1000, 60_000);
    for (const j of rest) seen.set(j.id, 'n2');
    t.equal(seen.size, total, 'every job handed out');
    t.equal(rest.length, total - 8 * 21, 'the rest in one claim, nothing twice');
    t.same(await nodes[2]!.claimDueJobs(t0 + 59_000, 1000, 60_000), [], 'nothing while the leases hold');
  });

  t.test('the stream only holds jobs being worked on: settled entries are acknowledged and deleted', async (t) => {
    n++;
    const p = `${runPrefix}${n}:`;
    const s = make({ consumer: 'solo' });
    const t0 = 1_700_000_000_000;
    await s.scheduleJobs(Array.from({ length: 30 }, (_, i) => ({ type: 'x', dueAt: t0, payload: { i } })));
    const jobs = await s.claimDueJobs(t0, 100, 60_000);
    t.equal(jobs.length, 30);
    t.equal(await admin.xlen(`${p}{g}:jobstream`), 30, 'claimed jobs are stream entries');
    for (const j of jobs.slice(0, 20)) await s.completeJob(j);
    for (const j of jobs.slice(20)) await s.retryJob(j, t0 + 1000, 'later');
    t.equal(await admin.xlen(`${p}{g}:jobstream`), 0, 'completed and retried entries are gone from the stream');
    t.same(await pending(p), [], 'and from the pending list');
    t.equal(await admin.hlen(`${p}{g}:jobentry`), 0, 'no stale entry references');
    t.equal(await admin.zcard(`${p}{g}:jobs`), 10, 'the retried ones wait in the schedule');
    t.equal(await s.nextDueAt(), t0 + 1000);
    const again = await s.claimDueJobs(t0 + 1000, 100, 60_000);
    t.equal(again.length, 10);
    t.ok(again.every((j) => j.attempts === 1 && j.lastError === 'later'), 'retried jobs carry their attempt count');
    for (const j of again) await s.completeJob(j);
    t.equal(await admin.xlen(`${p}{g}:jobstream`), 0);
    t.equal(await s.countJobs(), 0);
    t.equal(await s.sweep(Date.now()), 0, 'no consumer is stale yet');
  });

  t.test('a takeover scan continues where the previous one stopped (bounded work per claim)', async (t) => {
    n++;
    const a = make({ consumer: 'a' });
    const b = make({ consumer: 'b' });
    const t0 = 1_700_000_000_000;
    await a.scheduleJobs(Array.from({ length: 300 }, (_, i) => ({ type: 'x', dueAt: t0, payload: { i } })));
    t.equal((await a.claimDueJobs(t0, 300, 10_000)).length, 300);
    // One free slot: each XAUTOCLAIM call looks at a few PEL entries only, yet the cursor moves on.
    const taken = new Set<number>();
    for (let k = 0; k < 300 && taken.size < 300; k++) for (const j of await b.claimDueJobs(t0 + 20_000, 1, 10_000)) taken.add(j.payload.i as number);
    t.equal(taken.size, 300, 'node B took over every expired job one by one');
  });

  t.test('a node stopping hands its unfinished leases back, but not ones another node took over', async (t) => {
    n++;
    const a = make();
    const b = make();
    const t0 = 1_700_000_000_000;
    await a.scheduleJobs([
      { type: 'x', dueAt: t0, payload: { n: 1 } },
      { type: 'x', dueAt: t0 + 1, payload: { n: 2 } },
    ]);
    const claimed = await a.claimDueJobs(t0 + 1, 10, 30_000);
    t.equal(claimed.length, 2);
    // Job 1's lease runs out and node B takes it; job 2 is still A's.
    const [taken] = await b.claimDueJobs(t0 + 30_001, 1, 30_000);
    t.equal(taken?.payload.n, 1);
    await a.close();
    const again = await b.claimDueJobs(t0 + 30_001, 10, 30_000);
    t.same(again.map((j) => j.payload.n), [2], 'the job A still held is free at once; the one B holds is not');
  });

  t.test('two nodes: concurrent transitions of one recipient, exactly one wins', async (t) => {
    n++;
    const a = make();
    const b = make();
    const { message, recipients } = sampleMessage(1);
    await a.createMessage(message, Buffer.from('x'), recipients, []);
    const rid = recipients[0]!.id;
    const report: NewJob = { type: 'report', dueAt: 0, payload: { rid } };
    const attempts = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).transition(rid, { from: ['accepted'], to: i % 4 < 2 ? 'notified' : 'rejected', at: message.createdAt + i, note: `n${i}`, jobs: [report] }),
    );
    const results = await Promise.all(attempts);
    t.equal(results.filter((r) => r?.changed).length, 1, 'one transition applied');
    const rec = await b.getRecipient(rid);
    t.equal(rec?.history.length, 2, 'history has the one change');
    t.equal(await a.countJobs(), 1, 'only the winner scheduled its job');
    const counts = await a.stateCounts();
    t.equal(counts.accepted, 0);
    t.equal((counts.notified ?? 0) + (counts.rejected ?? 0), 1);
  });

  t.test('a field update and a transition from two nodes both persist (no lost update)', async (t) => {
    n++;
    const a = make();
    const b = make();
    const { message, recipients } = sampleMessage(1);
    await a.createMessage(message, Buffer.from('x'), recipients, []);
    const rid = recipients[0]!.id;
    await Promise.all([
      a.transition(rid, { from: ['accepted'], to: 'notifying', at: message.createdAt + 1 }),
      ...Array.from({ length: 10 }, (_, i) => b.addSmscKeys(rid, [`k${i}`], 60_000)),
    ]);
    const rec = await a.getRecipient(rid);
    t.equal(rec?.state, 'notifying');
    t.equal(rec?.smscKeys?.length, 10, 'every SMSC key recorded');
  });

  t.test('keys carry TTLs that follow expiry and retention', async (t) => {
    n++;
    const now = Date.now();
    const store = make({ retentionMs: 3_600_000, graceMs: 60_000, clock: () => now });
    const { message, recipients } = sampleMessage(1, { expiresAt: now + 7_200_000 });
    await store.createMessage(message, Buffer.from('x'), recipients, []);
    const p = `${runPrefix}${n}:`;
    const msgTtl = await admin.pttl(`${p}{${message.id}}:msg`);
    const bodyTtl = await admin.pttl(`${p}{${message.id}}:body`);
    const rcpTtl = await admin.pttl(`${p}{g}:r:${recipients[0]!.id}`);
    const tokTtl = await admin.pttl(`${p}{g}:t:${recipients[0]!.token}`);
    t.ok(msgTtl > 7_200_000 + 3_600_000 && msgTtl <= 7_200_000 + 3_600_000 + 60_000, `message ttl ${msgTtl}: expiry + retention + grace`);
    t.ok(bodyTtl > 7_200_000 && bodyTtl <= 7_200_000 + 60_000, `body ttl ${bodyTtl}: expiry + grace`);
    t.ok(rcpTtl > 7_200_000 + 3_600_000, 'recipient record lives through retention');
    t.ok(tokTtl > 7_200_000 + 3_600_000, 'token index lives through retention');
    await store.transition(recipients[0]!.id, { from: ['accepted'], to: 'notifying', at: now });
    t.ok((await admin.pttl(`${p}{g}:r:${recipients[0]!.id}`)) > 7_200_000, 'a transition keeps the TTL');
  });

  t.test('split slots: a failed records step removes the content it wrote', async (t) => {
    n++;
    const store = make({ splitSlots: true });
    const { message, recipients } = sampleMessage(1);
    // A key of the wrong type where the recipient record goes makes the records script fail.
    await admin.set(`${runPrefix}${n}:{g}:r:${recipients[0]!.id}`, 'not a hash');
    await t.rejects(store.createMessage(message, Buffer.from('x'), recipients, [{ type: 'notify', dueAt: 0, payload: {} }]), { message: /^WRONGTYPE/ }, 'the records script fails on the planted key');
    t.equal(await store.getMessage(message.id), undefined, 'message removed again');
    t.equal(await store.getBody(message.id), undefined, 'body removed again');
  });

  t.test('a submission key lives in the records slot with a Redis TTL of its window', async (t) => {
    for (const split of [false, true]) {
      n++;
      const store = make({ splitSlots: split });
      const sub = { key: 'k1', digest: 'd1', ttlMs: 600_000 };
      const first = sampleMessage(1);
      await store.createMessage(first.message, Buffer.from('x'), first.recipients, [], sub);
      const key = `${runPrefix}${n}:{g}:k:k1`;
      const ttl = await admin.pttl(key);
      t.ok(ttl > 590_000 && ttl <= 600_000, `${split ? 'split' : 'one script'}: TTL ${ttl} ms is the window`);
      t.match(await admin.get(key), new RegExp(`\\|d1\\|${first.message.id}$`));
      const retry = sampleMessage(1);
      t.same(await store.createMessage(retry.message, Buffer.from('x'), retry.recipients, [], sub), { created: false, existing: first.message.id });
      t.equal(await admin.exists(`${runPrefix}${n}:{${retry.message.id}}:msg`, `${runPrefix}${n}:{${retry.message.id}}:body`), 0, 'no content keys of the retransmission left');
    }
  });

  t.test('purge leaves an SMSC id that now belongs to another recipient', async (t) => {
    n++;
    const store = make();
    const one = sampleMessage(1);
    const two = sampleMessage(1);
    await store.createMessage(one.message, Buffer.from('1'), one.recipients, []);
    await store.createMessage(two.message, Buffer.from('2'), two.recipients, []);
    await store.addSmscKeys(one.recipients[0]!.id, ['42'], 60_000);
    await store.addSmscKeys(two.recipients[0]!.id, ['42'], 60_000);
    await store.purgeMessage(one.message.id);
    t.equal((await store.findRecipientBySmscKey('42'))?.id, two.recipients[0]!.id);
  });

  t.test('openStore picks Redis when redis.url is set, LMDB otherwise', async (t) => {
    const cfg = defaultConfig();
    cfg.dataDir = t.testdir({});
    const lmdb = openStore(cfg);
    t.equal(lmdb.kind, 'lmdb');
    await lmdb.close();
    n++;
    cfg.redis = { url: server.url, keyPrefix: `${runPrefix}${n}:` };
    const redis = openStore(cfg);
    t.teardown(() => redis.close());
    t.equal(redis.kind, 'redis');
    await redis.ping();
    await redis.cacheSet('ns', 'k', Buffer.from([0, 255]), 10_000);
    t.same(await redis.cacheGet('ns', 'k'), Buffer.from([0, 255]));
  });
}

t.test('ping fails promptly while Redis is unreachable', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 1));
    });
  });
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'unused:' });
  store.client.on('error', () => undefined);
  await t.rejects(store.ping(200), /did not answer PING/);
  store.client.disconnect();
});

t.test('connectRedis reads Sentinel and Cluster URLs', async (t) => {
  const s = connectRedis('redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2/mymaster/2', { lazyConnect: true });
  t.same((s.options as { sentinels?: unknown }).sentinels, [
    { host: '10.0.0.1', port: 26379 },
    { host: '10.0.0.2', port: 26379 },
  ]);
  t.equal((s.options as { name?: string }).name, 'mymaster');
  t.equal((s.options as { db?: number }).db, 2);
  t.equal((s.options as { password?: string }).password, 's3cret');
  s.disconnect();
  const c = connectRedis('redis+cluster://h1:7000,h2', { lazyConnect: true });
  t.same((c as unknown as { startupNodes: unknown }).startupNodes, [
    { host: 'h1', port: 7000 },
    { host: 'h2', port: 6379 },
  ]);
  c.disconnect();
  t.throws(() => connectRedis('redis+sentinel://h1:26379', { lazyConnect: true }), /master name/);
});
