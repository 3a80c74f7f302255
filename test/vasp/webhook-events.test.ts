/**
 * State-change webhooks over real sockets: a REST send, the handset's steps, and a local HTTP
 * receiver that sees one signed event per change - over real SMPP to the simulator on the embedded
 * store, with a failing receiver (retries, give-up recorded), and on Redis.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { decode, encode, type NotificationInd, type RetrieveConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { type GatewayConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { webhookSignature } from '../../src/vasp/reports.js';
import { deleteKeys, redisForTests } from '../support/redis.js';
import { account, bearer, smppVaspGateway, until, vaspGateway } from './helpers.js';
import { receiver, type Received } from './receiver.js';

const SECRET = 'state-events-secret-0123456789';

interface Event {
  event: string;
  id: string;
  vaspId: string;
  messageId: string;
  recipient: string;
  state: string;
  previousState?: string;
  sequence: number;
  status?: string;
  at: string;
}

/** The events a receiver took (2xx), each checked for a valid signature, ordered by sequence. */
function accepted(t: Test, received: Received[]): Event[] {
  const ok = received.filter((r) => r.status >= 200 && r.status < 300);
  for (const r of ok) {
    const ts = String(r.headers['x-mmsc-timestamp']);
    t.equal(r.headers['x-mmsc-signature'], `sha256=${webhookSignature(SECRET, ts, r.body.toString())}`, 'signed');
  }
  return ok.map((r) => JSON.parse(r.body.toString()) as Event).sort((a, b) => a.sequence - b.sequence);
}

async function send(gw: Gateway, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function postPdu(gw: Gateway, msisdn: string, pdu: Parameters<typeof encode>[0]): Promise<void> {
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': msisdn.slice(1) }, body: encode(pdu) });
  t.equal(res.status, 200);
  await res.arrayBuffer();
}

/** The handset `msisdn` fetches its notification's URL (a completed retrieval) and returns the retrieve-conf. */
async function retrieve(transport: RecordingTransport, msisdn: string): Promise<RetrieveConf> {
  const push = await until(() => transport.pushes.find((p) => p.destination === msisdn), `notification to ${msisdn}`);
  const n = decode(decodeWspPush(push.pdu).body, { strict: true }) as NotificationInd;
  const res = await fetch(n.contentLocation, { headers: { 'x-msisdn': msisdn.slice(1) } });
  t.equal(res.status, 200);
  return decode(Buffer.from(await res.arrayBuffer())) as RetrieveConf;
}

function fastRetries(c: GatewayConfig): void {
  c.vasp.reports = { ...c.vasp.reports, initialSeconds: 0.05, maxSeconds: 1, maxAttempts: 4, timeoutMs: 2000 };
}

t.test('over SMPP: notified, deferred, retrieved and acknowledged reach the webhook once each, signed, in sequence', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw, notificationFor } = await smppVaspGateway(t, { url: hook.url, secret: SECRET });

  const handset = '+15550102020';
  const pushed = notificationFor(handset);
  const sent = await send(gw, { to: [handset], text: 'events please', events: ['delivery-report', 'notified', 'deferred', 'final'] });
  t.equal(sent.status, 202);
  const { messageId } = (await sent.json()) as { messageId: string };

  const n = await pushed;
  await until(() => hook.received.find((r) => JSON.parse(r.body.toString()).state === 'notified'), 'notified event');
  await postPdu(gw, handset, { type: 'm-notifyresp-ind', transactionId: n.transactionId, mmsVersion: '1.2', status: 'deferred' });
  const got = await fetch(n.contentLocation, { headers: { 'x-msisdn': handset.slice(1) } });
  t.equal(got.status, 200);
  const conf = decode(Buffer.from(await got.arrayBuffer())) as RetrieveConf;
  const ack = { type: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2', reportAllowed: true } as const;
  await postPdu(gw, handset, ack);
  await postPdu(gw, handset, ack);

  await until(() => (hook.received.length >= 4 ? true : undefined), 'four events');
  const events = accepted(t, hook.received);
  t.match(events, [
    { event: 'state-change', messageId, recipient: handset, vaspId: 'TNN', state: 'notified', previousState: 'accepted', sequence: 1 },
    { event: 'state-change', state: 'deferred', previousState: 'notified', sequence: 2 },
    { event: 'delivery-report', state: 'retrieved', previousState: 'deferred', sequence: 3, status: 'retrieved' },
    { event: 'state-change', state: 'acknowledged', previousState: 'retrieved', sequence: 4 },
  ]);
  t.equal(new Set(events.map((e) => e.id)).size, 4, 'an id per event');
  for (const e of events) t.ok(Date.parse(e.at) > 0, 'at is an ISO time');
  t.ok(events.every((e, i) => i === 0 || Date.parse(e.at) >= Date.parse(events[i - 1]!.at)), 'at grows with the sequence');

  const status = (await (await fetch(`${gw.url}/api/v1/messages/${messageId}`, { headers: { authorization: bearer('TNN') } })).json()) as { recipients: { history: { state: string }[] }[] };
  t.same(status.recipients[0]!.history.map((h) => h.state), ['accepted', 'notified', 'deferred', 'retrieved', 'acknowledged'], 'the sequence is the index in the history the status shows');
  t.equal(hook.received.length, 4, 'no fifth event so far (test/vasp/state-events.test.ts shows a repeated change schedules none)');
});

t.test('a failing receiver: every event retried until taken, same id on each attempt; one never taken is recorded in the status', async (t) => {
  // The first two requests fail, whatever they carry.
  const flaky = await receiver(t, ({ n }) => ({ status: n < 2 ? 503 : 200 }));
  const down = await receiver(t, () => ({ status: 500 }));
  const { gw, transport } = await vaspGateway(t, (c) => {
    fastRetries(c);
    c.vasp.accounts = [account('TNN', { webhookSecret: SECRET, webhookUrl: flaky.url, webhookEvents: ['notified', 'final'] })];
    c.vasp.reports.allowPrivateHosts = true;
  });
  const sent = await send(gw, { to: ['+15550102021'], text: 'retry me' });
  t.equal(sent.status, 202);
  const { messageId } = (await sent.json()) as { messageId: string };
  await retrieve(transport, '+15550102021');
  await until(() => (accepted(t, flaky.received).length >= 2 ? true : undefined), 'both events taken');
  const events = accepted(t, flaky.received);
  t.match(events, [
    { event: 'state-change', messageId, state: 'notified', previousState: 'accepted', sequence: 1 },
    // The account's events leave out 'delivery-report': the retrieval comes as a state change.
    { event: 'state-change', state: 'retrieved', previousState: 'notified', sequence: 2 },
  ]);
  t.notOk('status' in events[1]!, 'no delivery-report status when delivery reports were not asked for');
  t.equal(flaky.received.filter((r) => r.status === 503).length, 2, 'two attempts failed and were retried');
  const ids = new Set(flaky.received.map((r) => r.headers['x-mmsc-event-id']));
  t.same([...ids].sort(), events.map((e) => e.id).sort(), 'retries carry the id of their event');

  const lost = await send(gw, { to: ['+15550102022'], text: 'nobody listens', webhookUrl: down.url, events: ['notified'] });
  const lostId = ((await lost.json()) as { messageId: string }).messageId;
  const failures = await until(async () => {
    const res = await fetch(`${gw.url}/api/v1/messages/${lostId}`, { headers: { authorization: bearer('TNN') } });
    const body = (await res.json()) as { recipients: { webhookFailures?: unknown[]; lastError?: string }[] };
    return body.recipients[0]!.webhookFailures ? body.recipients[0]! : undefined;
  }, 'webhook give-up in the status');
  t.match(failures.webhookFailures, [{ event: `whev:${lostId}/0:notified`, state: 'notified', attempts: 4, reason: 'HTTP 500' }]);
  t.match(failures.lastError, /^webhook state \(notified\) given up after 4 attempts: HTTP 500/);
  t.equal(down.received.length, 4, 'four attempts, then given up');
  // Counted once the give-up is recorded, so the status above can be read a moment before the counter moves.
  const counted = await until(async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return /mmsc_vasp_reports_given_up_total\{type="webhook"\} \d/.test(text) ? text : undefined;
  }, 'the give-up counted');
  t.match(counted, /mmsc_vasp_reports_given_up_total\{type="webhook"\} 1\n/, 'the give-up is counted once');
});

t.test('an event waits while an earlier event of its recipient is still being sent', async (t) => {
  // The receiver holds its answer to 'notified' until the test lets it go.
  const log: string[] = [];
  let held: ServerResponse | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString()) as Event;
      log.push(`arrived ${e.state}`);
      if (e.state === 'notified') held = res;
      else res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address() as { port: number };
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { webhookUrl: `http://127.0.0.1:${addr.port}/hook`, webhookEvents: ['notified', 'final'] })];
  });
  t.equal((await send(gw, { to: ['+15550102025'], text: 'in order' })).status, 202);
  await until(() => held, "'notified' event at the receiver");
  await retrieve(transport, '+15550102025');
  // Time for the runner to pick up the 'retrieved' event (it must not go out before 'notified' is answered).
  await new Promise((r) => setTimeout(r, 300));
  log.push('answered notified');
  held!.writeHead(200).end();
  await until(() => (log.includes('arrived retrieved') ? true : undefined), "'retrieved' event");
  t.same(log, ['arrived notified', 'answered notified', 'arrived retrieved']);
});

t.test('events: unknown names and events without a webhook URL are refused; multipart takes a comma list', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.reports.allowPrivateHosts = true;
  });
  const unknown = await send(gw, { to: ['+15550102030'], text: 'x', webhookUrl: hook.url, events: ['notified', 'read'] });
  t.equal(unknown.status, 400);
  t.match(await unknown.json(), { error: 'invalid-request', message: /events/ });
  const noUrl = await send(gw, { to: ['+15550102030'], text: 'x', events: ['notified'] });
  t.equal(noUrl.status, 400);
  t.match(await noUrl.json(), { error: 'no-webhook' });
  t.equal((await gw.store.stateCounts()).accepted ?? 0, 0, 'nothing accepted');

  const form = new FormData();
  form.append('to', '+15550102031');
  form.append('text', 'form');
  form.append('webhookUrl', hook.url);
  form.append('events', 'notified, cancelled');
  const sent = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN') }, body: form });
  t.equal(sent.status, 202);
  const { messageId } = (await sent.json()) as { messageId: string };
  await until(() => transport.pushes.find((p) => p.destination === '+15550102031'), 'notification');
  const del = await fetch(`${gw.url}/api/v1/messages/${messageId}`, { method: 'DELETE', headers: { authorization: bearer('TNN') } });
  t.equal(del.status, 200);
  await until(() => (hook.received.length >= 2 ? true : undefined), 'two events');
  const states = hook.received.map((r) => JSON.parse(r.body.toString()) as Event).sort((a, b) => a.sequence - b.sequence);
  t.match(states, [{ state: 'notified' }, { state: 'cancelled', previousState: 'notified' }]);
});

const { server, skip } = await redisForTests();
t.test('on Redis: the events of a REST send reach the webhook, signed and in sequence', { skip }, async (t) => {
  const prefix = `mmsc-test:wh-${process.pid}-${randomBytes(4).toString('hex')}:`;
  t.teardown(async () => {
    const admin = new Redis(server!.url);
    await deleteKeys(admin, prefix);
    await admin.quit();
    server!.child?.kill();
  });
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.redis = { url: server!.url, keyPrefix: prefix };
    c.vasp.accounts = [account('TNN', { webhookSecret: SECRET, webhookUrl: hook.url })];
  });
  t.equal(gw.store.kind, 'redis');
  const sent = await send(gw, { to: ['+15550102040'], text: 'redis', events: ['delivery-report', 'notified', 'final'] });
  const { messageId } = (await sent.json()) as { messageId: string };
  const conf = await retrieve(transport, '+15550102040');
  await postPdu(gw, '+15550102040', { type: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2' });
  await until(() => (hook.received.length >= 3 ? true : undefined), 'three events');
  t.match(accepted(t, hook.received), [
    { event: 'state-change', messageId, state: 'notified', sequence: 1 },
    { event: 'delivery-report', state: 'retrieved', status: 'retrieved', previousState: 'notified', sequence: 2 },
    { event: 'state-change', state: 'acknowledged', previousState: 'retrieved', sequence: 3 },
  ]);
});
