/**
 * kill -9 of a gateway process (embedded store) between the state writes and the stream
 * consumers' effects, and again in the middle of the consumers' work: no event is lost and none is
 * applied twice. MM1 messages owe delivery reports (consumer 'reports'); REST messages are counted
 * per VASP and day (consumer 'vasp-counters').
 *   1. stream.run off: messages sent, notified and retrieved (their events written), then kill -9;
 *   2. restarted with the consumers on and no SMSC (report jobs cannot push), kill -9 as soon as
 *      the consumers have applied something;
 *   3. restarted with the SMSC: the consumers finish; every report arrives once, every counter is exact.
 */
import { join } from 'node:path';
import t from 'tap';
import { decode, type DeliveryInd, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { SmscSimulator, type SimulatedPush } from '../../src/smsc-sim/simulator.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { utcDay, vaspDailyCounters } from '../../src/vasp/counters.js';
import { assertFreshBuild, freePort, ORIGINATOR_ADDRESS, send, startNode, waitFor, type NodeProcess } from '../scale/nodes.js';
import { account, bearer } from '../vasp/helpers.js';

const N = 8;

interface StreamHealth {
  checks: { stream: { ok: boolean; detail: { consumer: string; lag: number }[] } };
}

async function lags(node: NodeProcess): Promise<Record<string, number>> {
  const h = (await (await fetch(`${node.url}/healthz`)).json()) as StreamHealth;
  return Object.fromEntries(h.checks.stream.detail.map((d) => [d.consumer, d.lag]));
}

async function applied(node: NodeProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^mmsc_stream_events_total\{[^}]*outcome="applied"[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

t.test('kill -9 between the state writes and the consumers, and during their work: nothing lost, nothing twice', async (t) => {
  assertFreshBuild();
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushes: SimulatedPush[] = [];
  sim.onPush((p) => pushes.push(p));

  const dir = t.testdir({ data: {}, 'mmsc.json': JSON.stringify({ vasp: { accounts: [account('TNN')] }, stream: { batchSize: 1 } }) });
  const dataDir = join(dir, 'data');
  const base = { redisUrl: '', prefix: '', dataDir };
  const env = { MMSC_CONFIG: join(dir, 'mmsc.json') };
  const nodes: NodeProcess[] = [];
  t.teardown(() => Promise.all(nodes.map((n) => n.kill('SIGKILL'))));

  // 1. The state writes, with nobody consuming.
  const first = await startNode({ ...base, name: 'first', smscPort, env: { ...env, MMSC_STREAM_RUN: 'false' } });
  nodes.push(first);
  const mm1Ids: string[] = [];
  for (let i = 0; i < N; i++) mm1Ids.push((await send(first, `+1555000110${i}`, `mm1 ${i}`, { deliveryReport: true })).messageId!);
  for (let i = 0; i < N; i++) {
    const res = await fetch(`${first.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: bearer('TNN'), 'content-type': 'application/json' },
      body: JSON.stringify({ to: [`+1555000120${i}`], text: `rest ${i}` }),
    });
    t.equal(res.status, 202, `REST message ${i} accepted`);
    await res.arrayBuffer();
  }
  await waitFor('every notification', () => new Set(pushes.map((p) => p.to)).size === 2 * N);
  for (const p of pushes) {
    const n = decode(decodeWspPush(p.payload).body) as NotificationInd;
    const got = await fetch(`${first.url}${new URL(n.contentLocation).pathname}`, { headers: { 'x-msisdn': p.to.slice(1) } });
    t.equal(got.status, 200);
    await got.arrayBuffer();
  }
  // accepted, notified and retrieved per message: all written, none consumed.
  await waitFor('every retrieval written', async () => Object.values(await lags(first)).every((l) => l === 3 * 2 * N));
  await first.kill('SIGKILL');
  t.equal(pushes.filter((p) => p.to === ORIGINATOR_ADDRESS).length, 0, 'no delivery report before the consumers ran');

  // 2. The consumers start and are killed in the middle of their work (no SMSC: reports cannot go yet).
  const second = await startNode({ ...base, name: 'second', smscPort: await freePort(), env });
  nodes.push(second);
  await waitFor('the consumers to apply something', async () => (await applied(second)) > 0, 30_000);
  await second.kill('SIGKILL');
  const between = new LmdbStore(join(dataDir, 'store'));
  const left = await between.eventLag();
  await between.close();
  t.comment(`killed with ${left.map((l) => `${l.consumer} ${l.events}`).join(', ')} of ${3 * 2 * N} events still owed`);
  t.ok(left.some((l) => l.events < 3 * 2 * N), 'the consumers had applied something');

  // 3. The consumers finish.
  const third = await startNode({ ...base, name: 'third', smscPort, env });
  nodes.push(third);
  await waitFor('the consumers to catch up', async () => Object.values(await lags(third)).every((l) => l === 0), 60_000);
  await waitFor('every delivery report', () => pushes.filter((p) => p.to === ORIGINATOR_ADDRESS).length >= N, 60_000);
  await third.kill('SIGTERM');
  const reports = pushes.filter((p) => p.to === ORIGINATOR_ADDRESS).map((p) => decode(decodeWspPush(p.payload).body) as DeliveryInd);
  t.same(reports.map((r) => r.messageId).sort(), [...mm1Ids].sort(), 'one m-delivery-ind per MM1 message, none twice');
  t.ok(reports.every((r) => r.status === 'retrieved'));

  const store = new LmdbStore(join(dataDir, 'store'));
  t.teardown(() => store.close());
  const now = Date.now();
  const days = [...new Set([utcDay(now - 3_600_000), utcDay(now)])];
  const counts = await vaspDailyCounters(store, 'TNN', days);
  const total: Record<string, number> = {};
  for (const d of days) for (const [k, v] of Object.entries(counts[d]!)) total[k] = (total[k] ?? 0) + v;
  t.same(total, { accepted: N, notified: N, retrieved: N }, 'each REST recipient counted once per state');
  t.same((await store.eventLag()).map((l) => [l.consumer, l.events]), [['batch-funnel', 0], ['reports', 0], ['vasp-counters', 0]]);
});
