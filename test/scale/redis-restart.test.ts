/**
 * Redis crashing (SIGKILL) and coming back under a burst of sends to two nodes, with the
 * persistence docs/operations.md asks for (appendonly yes, appendfsync always): requests during
 * the outage get a clear error answer instead of hanging, /readyz says 503 and recovers, the nodes
 * keep running, and every message answered with an ok m-send-conf is still there and notified.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';
import type { RecipientRecord } from '../../src/records/model.js';
import { requires } from '../support/requires.js';
import { RedisServer, assertFreshBuild, postPdu, sendReq, sleep, startNode, uniquePrefix, waitFor, type NodeProcess } from './nodes.js';

const MESSAGES = 80;
const PARALLEL = 4;
const RESTART_AFTER = 20;

t.test('Redis restarting under load loses no accepted message', { skip: requires('redis', !RedisServer.available() && 'no redis-server binary') }, async (t) => {
  assertFreshBuild();
  const dir = t.testdir({ a: {}, b: {}, redis: {} });
  const redis = await RedisServer.start(`${dir}/redis`);
  t.teardown(() => redis.kill());
  const prefix = uniquePrefix('redis-restart');
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushesTo = new Set<string>();
  sim.onPush((p) => pushesTo.add(p.to));

  const common = { redisUrl: redis.url, prefix, smscPort, leaseSeconds: 3 };
  const a = await startNode({ ...common, name: 'node-a', dataDir: `${dir}/a` });
  t.teardown(() => a.kill('SIGTERM'));
  const b = await startNode({ ...common, name: 'node-b', dataDir: `${dir}/b` });
  t.teardown(() => b.kill('SIGTERM'));
  const nodes = [a, b];
  const ready = async (n: NodeProcess) => (await fetch(`${n.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;

  const accepted = new Map<string, string>(); // address -> message id
  const outcomes = { ok: 0, transient: 0, other: [] as string[] };
  let answered = 0;
  let outage: Promise<void> | undefined;
  const duringOutage: Record<string, unknown> = {};

  const restart = async () => {
    await redis.kill();
    // While Redis is down, each kind of request answers with an error, promptly.
    const conf = await postPdu(a, sendReq('+15553000000', 'during the outage'), 20_000);
    duringOutage.sendStatus = conf.status;
    duringOutage.sendConf = conf.pdu?.type === 'm-send-conf' ? conf.pdu.responseStatus : conf.pdu?.type;
    const get = await fetch(`${b.url}/m/AAAAAAAAAAAAAAAAAAAAAA`, { signal: AbortSignal.timeout(20_000) });
    duringOutage.retrieval = get.status;
    duringOutage.retrievalBody = await get.text();
    duringOutage.readyA = await ready(a);
    duringOutage.readyB = await ready(b);
    await sleep(500);
    await redis.start();
  };

  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      const to = `+1555300${String(i).padStart(4, '0')}`;
      const node = nodes[i % 2]!;
      try {
        const r = await postPdu(node, sendReq(to, `burst ${i}`), 20_000);
        answered++;
        const status = r.pdu?.type === 'm-send-conf' ? r.pdu.responseStatus : `${r.status}`;
        if (status === 'ok') {
          outcomes.ok++;
          accepted.set(to, r.pdu!.messageId!);
        } else if (status === 'error-transient-failure') outcomes.transient++;
        else outcomes.other.push(String(status));
      } catch (err) {
        outcomes.other.push(`${node.name}: ${(err as Error).name} ${(err as Error).message}`);
      }
      if (answered >= RESTART_AFTER && !outage) outage = restart();
      await sleep(20);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await outage;

  t.same(outcomes.other, [], 'every request got an ok or a transient-failure m-send-conf (no hang, no dropped connection)');
  t.equal(duringOutage.sendStatus, 200, 'm-send-req during the outage: HTTP 200 (what handsets need)');
  t.equal(duringOutage.sendConf, 'error-transient-failure', 'with X-Mms-Response-Status error-transient-failure');
  t.equal(duringOutage.retrieval, 503, 'a retrieval during the outage: 503');
  t.notMatch(String(duringOutage.retrievalBody), /redis|connection|command|timed out|stream/i, 'without internals in the body');
  t.same([duringOutage.readyA, duringOutage.readyB], [503, 503], '/readyz fails on both nodes during the outage');
  t.ok(a.alive() && b.alive(), 'both nodes survived the outage');
  await waitFor('both nodes ready again', async () => (await ready(a)) === 200 && (await ready(b)) === 200, 20_000);
  t.pass('/readyz recovered on both nodes');
  t.ok(outcomes.ok >= RESTART_AFTER, `${outcomes.ok} accepted, ${outcomes.transient} refused as transient failures`);

  const admin = new Redis(redis.url);
  t.teardown(() => admin.quit());
  const records = async () => {
    const out: RecipientRecord[] = [];
    for (const id of accepted.values()) {
      const raw = await admin.hget(`${prefix}{g}:r:${id}/0`, 'j');
      if (raw) out.push(JSON.parse(raw) as RecipientRecord);
    }
    return out;
  };
  t.equal((await records()).length, accepted.size, 'every accepted message survived the Redis crash');
  await waitFor('every accepted message to be notified', async () => (await records()).every((r) => r.state === 'notified'), 30_000).catch(() => undefined);
  const recs = await records();
  t.same(recs.filter((r) => r.state !== 'notified').map((r) => `${r.address}:${r.state}`), [], 'and notified');
  t.same([...accepted.keys()].filter((to) => !pushesTo.has(to)), [], 'a push reached every recipient');

  // A request after recovery works end to end on both nodes.
  for (const n of nodes) {
    const r = await postPdu(n, sendReq('+15553999999', `after on ${n.name}`));
    t.equal(r.pdu?.type === 'm-send-conf' && r.pdu.responseStatus, 'ok', `${n.name} accepts again`);
  }
});
