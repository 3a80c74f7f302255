/**
 * Two gateway processes on one Redis and one SMSC: a message sent to node A is retrieved from node
 * B, the handset's notifyresp and acknowledge go to B, the delivery report is pushed, and the SMSC
 * receipt of A's notification push arrives on B's bind and still finds its recipient.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { redisForTests } from '../support/redis.js';
import { SmscSimulator, type SimulatedPush } from '../../src/smsc-sim/simulator.js';
import { decode, encode, type DeliveryInd, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import type { RecipientRecord } from '../../src/records/model.js';
import { ORIGINATOR_ADDRESS, assertFreshBuild, dropPrefix, postPdu, send, startNode, uniquePrefix, waitFor } from './nodes.js';

// The Redis on 127.0.0.1:6379 (.ci/run starts it), else one of the test's own.
const { server: redisServer, skip } = await redisForTests();
const REDIS = redisServer?.url ?? '';

t.test('send to node A, retrieve from node B; a receipt on B finds A\'s notification', { skip }, async (t) => {
  assertFreshBuild();
  const prefix = uniquePrefix('two-nodes');
  const admin = new Redis(REDIS);
  t.teardown(async () => {
    await dropPrefix(REDIS, prefix);
    await admin.quit();
  });
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: 300 });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const pushes: SimulatedPush[] = [];
  sim.onPush((p) => pushes.push(p));

  // B binds first: the simulator hands a receipt to the first bind of the submitting account, so
  // receipts of A's pushes arrive on B's bind, as a real SMSC may do with several binds.
  const dir = t.testdir({ a: {}, b: {} });
  const common = { redisUrl: REDIS, prefix, smscPort };
  const b = await startNode({ ...common, name: 'node-b', dataDir: `${dir}/b` });
  t.teardown(() => b.kill('SIGTERM'));
  await waitFor('node B to bind', () => sim.boundSessions === 1);
  const a = await startNode({ ...common, name: 'node-a', dataDir: `${dir}/a` });
  t.teardown(() => a.kill('SIGTERM'));
  await waitFor('node A to bind', () => sim.boundSessions === 2);

  const to = '+15550000777';
  const conf = await send(a, to, 'hello from node A', { deliveryReport: true });
  t.equal(conf.responseStatus, 'ok', 'node A accepted the message');
  // The log line travels through a pipe, the answer through a socket: either may arrive first.
  await waitFor("node A's acceptance log line", () => a.logs.some((l) => l.msg === 'm-send-req accepted' && l.msgId === conf.messageId), 10_000);
  t.pass('node A stored it');

  await waitFor('the notification push', () => pushes.some((p) => p.to === to));
  const push = pushes.find((p) => p.to === to)!;
  const ind = decode(decodeWspPush(push.payload).body) as NotificationInd;
  t.equal(ind.type, 'm-notification-ind');

  // The handset here is quicker than the node's write after the SMSC's answer can be on a busy
  // host; the history asserted below wants the 'notified' step recorded before the retrieval.
  await waitFor('the notification to be recorded', () => [a, b].some((n) => n.logs.some((l) => l.msg === 'notification pushed' && l.msgId === conf.messageId)));
  // The retrieval URL names whichever node notified; any node serves it.
  const location = new URL(ind.contentLocation);
  const got = await fetch(`${b.url}${location.pathname}`);
  t.equal(got.status, 200, 'node B serves the retrieval');
  const rc = decode(Buffer.from(await got.arrayBuffer()));
  t.equal(rc.type, 'm-retrieve-conf');
  t.equal(rc.messageId, conf.messageId, 'the Message-ID node A answered');
  t.equal(Buffer.from(rc.parts![0]!.data).toString(), 'hello from node A');

  const nr = await postPdu(b, encode({ type: 'm-notifyresp-ind', transactionId: ind.transactionId, mmsVersion: '1.2', status: 'retrieved' }));
  t.equal(nr.status, 200, 'notifyresp to node B');
  const ack = await postPdu(b, encode({ type: 'm-acknowledge-ind', transactionId: ind.transactionId, mmsVersion: '1.2' }));
  t.equal(ack.status, 200, 'acknowledge to node B');

  await waitFor('the delivery report push', () => pushes.some((p) => p.to === ORIGINATOR_ADDRESS));
  const report = decode(decodeWspPush(pushes.find((p) => p.to === ORIGINATOR_ADDRESS)!.payload).body) as DeliveryInd;
  t.equal(report.type, 'm-delivery-ind');
  t.equal(report.messageId, conf.messageId);
  t.equal(report.status, 'retrieved');

  const notifiedBy = [a, b].find((n) => n.logs.some((l) => l.msg === 'notification pushed' && l.msgId === conf.messageId));
  t.ok(notifiedBy, 'one node pushed the notification');
  await waitFor('the SMSC receipt to be recorded', () => [a, b].some((n) => n.logs.some((l) => l.msg === 'SMSC receipt for notification' && l.msgId === conf.messageId)));
  const receivedBy = [a, b].filter((n) => n.logs.some((l) => l.msg === 'SMSC receipt for notification' && l.msgId === conf.messageId));
  t.same(receivedBy.map((n) => n.name), ['node-b'], 'the receipt arrived on node B');
  t.comment(`notification pushed by ${notifiedBy?.name}, receipt handled by node-b`);

  const raw = await admin.hget(`${prefix}{g}:r:${conf.messageId}/0`, 'j');
  const rec = JSON.parse(raw!) as RecipientRecord;
  t.equal(rec.state, 'acknowledged');
  t.equal(rec.smsc?.receipt?.state, 'DELIVRD', 'the receipt is on the shared record');
  t.same(
    rec.history.map((h) => h.state),
    ['accepted', 'notified', 'retrieved', 'acknowledged'],
    'one pass through the state machine across both nodes',
  );
});
