import t from 'tap';
import { formatLoadReport, percentiles, runLoad } from '../../src/emulator/load.js';
import { lab } from './lab.js';

t.test('a small bounded load run reports consistent counts', async (t) => {
  const l = await lab(t);
  const lines: string[] = [];
  const r = await runLoad({ handsets: 10, rate: 100, count: 80, mediaBytes: 2000, drainSeconds: 30, client: l.client, directory: l.handsets, progress: (s) => lines.push(s), progressIntervalMs: 100 });
  t.same(r.errors, {}, 'no errors');
  t.same(r.counts, { sent: 80, confirmed: 80, notified: 80, retrieved: 80, acknowledged: 80, reports: 80, completed: 80, failed: 0, outstanding: 0 });
  for (const [name, p] of Object.entries(r.latencyMs)) {
    t.equal(p.n, 80, `${name}: one sample per message`);
    t.ok(p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.max, `${name}: percentiles ordered`);
  }
  t.ok(r.latencyMs.sendToConf.p50 <= r.latencyMs.sendToRetrieved.p50, 'the conf comes before the retrieval');
  t.ok(lines.length > 0 && /^t=\d+s sent \d+ conf \d+ notified/.test(lines[0]!), 'progress lines');
  t.equal(l.sim.stats.pushes, 160, 'one notification and one delivery report per message went through the SMSC');
  const text = formatLoadReport(r);
  t.match(text, /complete 80 \(/);
  t.match(text, /errors: none/);
  t.same(JSON.parse(JSON.stringify(r)).counts.completed, 80, 'JSON form');
});

t.test('rejecting handsets: complete means a rejected report, nothing retrieved', async (t) => {
  const l = await lab(t);
  const r = await runLoad({ handsets: 4, rate: 0, window: 5, count: 20, behaviour: 'reject', client: l.client, directory: l.handsets });
  t.same(r.errors, {});
  t.match(r.counts, { sent: 20, notified: 20, retrieved: 0, acknowledged: 0, reports: 20, completed: 20 });
});

t.test('handsets that answer on the Content-Location URL complete as well', async (t) => {
  const l = await lab(t);
  const r = await runLoad({ handsets: 4, rate: 0, window: 5, count: 12, reportsTo: 'content-location', client: l.client, directory: l.handsets });
  t.same(r.errors, {}, 'every notifyresp and acknowledge posted to a retrieval URL was taken (HTTP 200)');
  t.match(r.counts, { sent: 12, retrieved: 12, acknowledged: 12, completed: 12 });
  t.equal(r.options.reportsTo, 'content-location');
  t.equal((await l.gw.store.stateCounts()).acknowledged, 12, 'the MMSC recorded every acknowledgement');
});

t.test('bounded: a duration stops sending, and errors are counted by kind', async (t) => {
  const l = await lab(t);
  const r = await runLoad({ handsets: 2, rate: 20, durationSeconds: 0.5, drainSeconds: 10, client: l.client, directory: l.handsets });
  // The offered rate is an upper bound whatever the machine's load: a send is due only once its
  // share of the elapsed time has passed, and none starts after the duration.
  t.ok(r.counts.sent >= 1 && r.counts.sent <= 10, `sent ${r.counts.sent}, at most 20/s x 0.5 s`);
  t.ok(r.sendSeconds >= 0.5, `sending stopped at the duration (${r.sendSeconds} s), not before`);
  t.equal(r.counts.completed, r.counts.sent);
  await t.rejects(runLoad({ handsets: 0, rate: 1, count: 1, client: l.client, directory: l.handsets }), /handsets must be in 1\.\./);
  await t.rejects(runLoad({ handsets: 1, rate: 1, client: l.client, directory: l.handsets }), /duration or a count/);
  await t.rejects(runLoad({ handsets: 1, rate: 1, count: 2_000_000, client: l.client, directory: l.handsets }), /count must be/);
  l.sim.outage();
  const broken = await runLoad({ handsets: 2, rate: 0, count: 3, drainSeconds: 0.5, client: l.client, directory: l.handsets, firstMsisdn: '+15552000000' });
  t.equal(broken.counts.completed, 0);
  t.equal(broken.errors['incomplete-at-end'], 3, 'messages stuck behind the outage are reported, not counted complete');
});

t.test('percentiles', async (t) => {
  t.same(percentiles([]), { n: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  t.same(percentiles(v), { n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
});

t.test('an MMSC that leaves the Subject out of notifications: messages are matched once retrieved', async (t) => {
  const l = await lab(t, { tweak: (c) => (c.relay.notification.includeSubject = false) });
  const r = await runLoad({ handsets: 3, rate: 0, window: 5, count: 15, client: l.client, directory: l.handsets });
  t.same(r.errors, {});
  t.match(r.counts, { sent: 15, notified: 15, retrieved: 15, acknowledged: 15, reports: 15, completed: 15 });
  t.equal(r.latencyMs.sendToNotification.n, 15);
});
