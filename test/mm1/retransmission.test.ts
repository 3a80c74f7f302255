/**
 * A handset that lost its m-send-conf re-POSTs the same m-send-req: over real HTTP to a gateway
 * bound over real SMPP to the SMSC simulator, the recipient must get one notification, not two.
 */
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import pino from 'pino';
import { decode, encode, type ForwardConf, type MmsPdu, type NotificationInd, type SendConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { SmscSimulator, type SimulatedPush } from '../../src/smsc-sim/simulator.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { until } from '../support/until.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';

interface Setup {
  gw: Gateway;
  pushes: SimulatedPush[];
  logs: Record<string, unknown>[];
  /** Moves the gateway's clock forward. */
  advance(ms: number): void;
}

async function setup(t: Test, tweak?: (c: GatewayConfig) => void): Promise<Setup> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: 10 });
  const smscPort = await sim.start();
  const pushes: SimulatedPush[] = [];
  sim.onPush((p) => pushes.push(p));
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${smscPort}?reconnect_initial_ms=50&reconnect_max_ms=200` };
  tweak?.(config);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let offset = 0;
  const gw = await startGateway({ config, logger: pino({ level: 'info' }, sink), clock: () => Date.now() + offset });
  t.teardown(async () => {
    await gw.stop();
    await sim.stop();
  });
  return { gw, pushes, logs, advance: (ms) => void (offset += ms) };
}

async function post(gw: Gateway, body: Buffer, msisdn: string): Promise<MmsPdu> {
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': msisdn.slice(1) }, body });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return decode(Buffer.from(await res.arrayBuffer()), { strict: true });
}

function sendReq(tid: string, to: string[], text: string): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: tid,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: to.map((n) => `${n}/TYPE=PLMN`),
    subject: 'Hi',
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from(text) }],
  });
}

/** Notifications (m-notification-ind) the simulator delivered to `msisdn`. */
function notificationsTo(pushes: SimulatedPush[], msisdn: string): NotificationInd[] {
  return pushes
    .filter((p) => p.to === msisdn)
    .map((p) => decode(decodeWspPush(p.payload).body, { strict: true }))
    .filter((p): p is NotificationInd => p.type === 'm-notification-ind');
}

async function metric(gw: Gateway, line: RegExp): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m ? Number(m.split(' ').pop()) : 0;
}

t.test('a re-POSTed m-send-req gets the same Message-ID and the recipient one notification over SMPP', async (t) => {
  const { gw, pushes, logs, advance } = await setup(t);
  const first = sendReq('T-1', [B], 'hello');

  const c1 = (await post(gw, first, A)) as SendConf;
  t.match(c1, { type: 'm-send-conf', transactionId: 'T-1', responseStatus: 'ok' });
  const c2 = (await post(gw, first, A)) as SendConf;
  t.match(c2, { type: 'm-send-conf', transactionId: 'T-1', responseStatus: 'ok', messageId: c1.messageId }, 'the retry gets the same Message-ID');

  // The retry racing a second retry: both answered with the first Message-ID.
  const racing = (await Promise.all([post(gw, first, A), post(gw, first, A)])) as SendConf[];
  t.same(racing.map((c) => [c.responseStatus, c.messageId]), [['ok', c1.messageId], ['ok', c1.messageId]]);

  const line = logs.find((l) => l.msg === 'm-send-req retransmission: answered with the first Message-ID, nothing created');
  t.match(line, { tid: 'T-1', msgId: c1.messageId, from: `${A}/TYPE=PLMN` }, 'the retransmission is logged');
  t.equal(await metric(gw, /^mmsc_retransmissions_total\{pdu="m-send-req"\}/), 3, 'suppressed duplicates counted');

  // The same TID from another sender is that sender's own message.
  const c3 = (await post(gw, first, C)) as SendConf;
  t.equal(c3.responseStatus, 'ok');
  t.not(c3.messageId, c1.messageId, 'another sender, another message');

  // A different TID from A is a new message.
  const c4 = (await post(gw, sendReq('T-2', [B], 'hello'), A)) as SendConf;
  t.equal(c4.responseStatus, 'ok');
  t.not(c4.messageId, c1.messageId, 'another TID, another message');

  const three = await until(() => notificationsTo(pushes, B).length >= 3 && notificationsTo(pushes, B), 'three notifications to B');
  // Each notification names its message in its URL; the retrieve-conf says which Message-ID that is.
  const ids: string[] = [];
  for (const n of three) {
    const rc = decode(Buffer.from(await (await fetch(n.contentLocation)).arrayBuffer()), { strict: true });
    ids.push((rc as { messageId: string }).messageId);
  }
  t.same(ids.sort(), [c1.messageId, c3.messageId, c4.messageId].sort(), 'one notification per message created, none for the retransmissions');
  t.equal(await metric(gw, /^mmsc_messages_accepted_total\{interface="mm1"\}/), 3);

  // After the window the same request is a new message (the handset meant it: a manual resend).
  advance(600_001);
  const c5 = (await post(gw, first, A)) as SendConf;
  t.equal(c5.responseStatus, 'ok');
  t.not(c5.messageId, c1.messageId, 'after the window a repeat creates a new message');
  await until(() => notificationsTo(pushes, B).length >= 4, 'its notification');
  t.equal(notificationsTo(pushes, B).length, 4);
  const counts = await gw.store.stateCounts();
  const records = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  t.equal(records, 4, 'four delivery records in the store: one per message created');
});

t.test('same TID, different content: accepted as a new message with a warning', async (t) => {
  const { gw, pushes, logs } = await setup(t);
  const c1 = (await post(gw, sendReq('T-9', [B], 'first text'), A)) as SendConf;
  const c2 = (await post(gw, sendReq('T-9', [B], 'second text'), A)) as SendConf;
  t.equal(c2.responseStatus, 'ok');
  t.not(c2.messageId, c1.messageId, 'nothing is swallowed');
  t.match(
    logs.find((l) => l.level === 40 && l.tid === 'T-9'),
    { msgId: c2.messageId, previous: c1.messageId, msg: /transaction id reused/ },
  );
  await until(() => notificationsTo(pushes, B).length >= 2, 'both notifications');
});

t.test('a re-POSTed m-forward-req gets the same Message-ID; the new recipient one notification', async (t) => {
  const { gw, pushes } = await setup(t);
  const sent = (await post(gw, sendReq('T-f', [B], 'pass it on'), A)) as SendConf;
  t.equal(sent.responseStatus, 'ok');
  const [n] = await until(() => notificationsTo(pushes, B).length >= 1 && notificationsTo(pushes, B), 'notification to B');
  const fwd = encode({ type: 'm-forward-req', transactionId: 'F-1', mmsVersion: '1.2', from: '<insert-address-token>', to: [`${C}/TYPE=PLMN`], contentLocation: n!.contentLocation });
  const f1 = (await post(gw, fwd, B)) as ForwardConf;
  const f2 = (await post(gw, fwd, B)) as ForwardConf;
  t.match(f1, { type: 'm-forward-conf', transactionId: 'F-1', responseStatus: 'ok' });
  t.match(f2, { type: 'm-forward-conf', transactionId: 'F-1', responseStatus: 'ok', messageId: f1.messageId });
  t.equal(await metric(gw, /^mmsc_retransmissions_total\{pdu="m-forward-req"\}/), 1);
  // A second forward (another TID) is a second message: its notification also proves the queue ran past any duplicate.
  const f3 = (await post(gw, encode({ type: 'm-forward-req', transactionId: 'F-2', mmsVersion: '1.2', from: '<insert-address-token>', to: [`${C}/TYPE=PLMN`], contentLocation: n!.contentLocation }), B)) as ForwardConf;
  t.equal(f3.responseStatus, 'ok');
  t.not(f3.messageId, f1.messageId);
  await until(() => notificationsTo(pushes, C).length >= 2, 'notifications to C');
  t.equal((await gw.store.listRecipients(f1.messageId!)).length, 1);
});

t.test('mm1.retransmissionWindowSeconds: 0 turns the check off', async (t) => {
  const { gw } = await setup(t, (c) => {
    c.mm1.retransmissionWindowSeconds = 0;
  });
  const req = sendReq('T-off', [B], 'twice');
  const c1 = (await post(gw, req, A)) as SendConf;
  const c2 = (await post(gw, req, A)) as SendConf;
  t.not(c2.messageId, c1.messageId);
});
