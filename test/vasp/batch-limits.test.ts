import t from 'tap';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { VaspLimits } from '../../src/vasp/limits.js';

t.test('a bulk release takes the whole tps alone and leaves a reserve while transactional sends are active', async (t) => {
  let now = Date.parse('2026-12-07T10:00:00.000Z');
  const store = new LmdbStore(t.testdir({}), { clock: () => now });
  t.teardown(() => store.close());
  const limits = new VaspLimits(store, () => now, 0.2);
  const acct = { id: 'acme', tps: 100 };
  t.match(await limits.takeBulk(acct, 500), { granted: 100 }, 'alone: a full second of throughput');
  t.match(await limits.takeBulk(acct, 500), { granted: 0 }, 'then it waits');
  now += 1000;
  t.match(await limits.take(acct, 1), { ok: true }, 'a transactional send');
  t.match(await limits.takeBulk(acct, 500), { granted: 79 }, 'bulk leaves 20 % to transactional sends while they are active');
  t.match(await limits.take(acct, 15), { ok: true }, 'which then still get through');
  now += 1000;
  t.match(await limits.takeBulk(acct, 500, true), { granted: 100 }, 'a batch of priority high competes like a transactional send');
  now += 6000;
  t.match(await limits.takeBulk(acct, 500), { granted: 100 }, 'transactional sends quiet for 5 s: the reserve is free again');
  const g = await limits.takeBulk({ id: 'free', tps: 0, dailyQuota: 120 }, 100);
  t.equal(g.granted, 100, 'unlimited tps: everything wanted');
  t.match(await limits.takeBulk({ id: 'free', tps: 0, dailyQuota: 120 }, 100), { granted: 20 }, 'the daily quota caps a release');
  await g.giveBack(50);
  t.match(await limits.takeBulk({ id: 'free', tps: 0, dailyQuota: 120 }, 100), { granted: 50 }, 'unused recipients are given back');
});
