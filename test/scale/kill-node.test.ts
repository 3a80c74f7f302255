/**
 * A burst of sends to node A while A is killed with SIGKILL: every message A answered with an ok
 * m-send-conf is notified, the jobs A held are taken over by node B once their lease ran out, and
 * the delivery state records one notification per recipient however many pushes went out.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { redisForTests } from '../support/redis.js';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';
import type { RecipientRecord } from '../../src/records/model.js';
import { assertFreshBuild, dropPrefix, postPdu, sendReq, startNode, uniquePrefix, waitFor } from './nodes.js';

// The Redis on 127.0.0.1:6379 (.ci/run starts it), else one of the test's own.
const { server: redisServer, skip } = await redisForTests();
const REDIS = redisServer?.url ?? '';
const MESSAGES = 60;
const PARALLEL = 6;
const KILL_AFTER = 20;

t.test('node A killed mid-burst: node B notifies everything A accepted', { skip }, async (t) => {
  assertFreshBuild();
  const prefix = uniquePrefix('kill-node');
  const admin = new Redis(REDIS);
  t.teardown(async () => {
    await dropPrefix(REDIS, prefix);
    await admin.quit();
  });
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushesTo = new Map<string, number>();
  sim.onPush((p) => pushesTo.set(p.to, (pushesTo.get(p.to) ?? 0) + 1));

  const dir = t.testdir({ a: {}, b: {} });
  const common = { redisUrl: REDIS, prefix, smscPort, leaseSeconds: 3 };
  const a = await startNode({ ...common, name: 'node-a', dataDir: `${dir}/a` });
  t.teardown(() => a.kill('SIGKILL'));
  const b = await startNode({ ...common, name: 'node-b', dataDir: `${dir}/b` });
  t.teardown(() => b.kill('SIGTERM'));
  await waitFor('both nodes to bind', () => sim.boundSessions === 2);
  // Slow SMSC answers keep notification jobs in flight, so A dies holding some.
  sim.delayResponses(800);

  const accepted = new Map<string, string>(); // address -> message id
  let answered = 0;
  let failed = 0;
  let killed: Promise<void> | undefined;
  let pendingAtKill: [string, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      const to = `+1555200${String(i).padStart(4, '0')}`;
      try {
        const r = await postPdu(a, sendReq(to, `burst ${i}`), 10_000);
        answered++;
        if (r.pdu?.type === 'm-send-conf' && r.pdu.responseStatus === 'ok') accepted.set(to, r.pdu.messageId!);
      } catch {
        failed++; // connection reset or refused: A is gone, the handset was told nothing
      }
      if (answered >= KILL_AFTER && !killed) {
        killed = (async () => {
          await a.kill('SIGKILL');
          pendingAtKill = ((await admin.call('XPENDING', `${prefix}{g}:jobstream`, 'workers')) as [number, string, string, [string, string][] | null])[3] ?? [];
        })();
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await killed;
  t.ok(accepted.size >= KILL_AFTER, `${accepted.size} messages accepted by A before it died (${failed} requests failed with it)`);
  t.notOk(a.alive(), 'node A is dead');
  const heldByA = Number(pendingAtKill.find(([c]) => c === 'node-a')?.[1] ?? 0);
  t.ok(heldByA > 0, `A died holding ${heldByA} unfinished jobs`);

  const records = async () => {
    const out: RecipientRecord[] = [];
    for (const id of accepted.values()) {
      const raw = await admin.hget(`${prefix}{g}:r:${id}/0`, 'j');
      if (raw) out.push(JSON.parse(raw) as RecipientRecord);
    }
    return out;
  };
  await waitFor(
    'every accepted message to be notified',
    async () => (await records()).filter((r) => r.state === 'notified').length === accepted.size,
    45_000,
  ).catch(() => undefined);
  // Every job A held is settled before the states are judged: a duplicate run that came late
  // would otherwise go unseen.
  const pending = async () => ((await admin.call('XPENDING', `${prefix}{g}:jobstream`, 'workers')) as [number, ...unknown[]])[0];
  await waitFor('no job pending', async () => (await pending()) === 0, 30_000).catch(() => undefined);
  t.equal(await pending(), 0, "no job is left pending: B settled A's");
  const recs = await records();
  t.equal(recs.length, accepted.size, 'every accepted message is stored');
  const notNotified = recs.filter((r) => r.state !== 'notified').map((r) => `${r.address}:${r.state}`);
  t.same(notNotified, [], 'every accepted message is notified');
  for (const to of accepted.keys()) if (!pushesTo.has(to)) t.fail(`no push reached ${to}`);
  const twice = recs.filter((r) => r.history.filter((h) => h.state === 'notified').length !== 1);
  t.same(twice.map((r) => r.address), [], 'each recipient went to notified exactly once (duplicate runs suppressed by state)');
  const extraPushes = [...accepted.keys()].reduce((n, to) => n + (pushesTo.get(to) ?? 0) - 1, 0);
  t.comment(`${extraPushes} duplicate pushes (A pushed, then died before recording it; at-least-once)`);

  t.ok(
    b.logs.some((l) => l.msg === 'notification pushed' && [...accepted.values()].includes(String(l.msgId))),
    'node B pushed notifications for messages node A accepted',
  );
  t.ok(b.alive(), 'node B is still running');
});
