import t, { type Test } from 'tap';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { decode, encode, type MmsPdu, type NotificationInd, type SendConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';

async function gateway(t: Test, tweak?: (c: GatewayConfig) => void): Promise<{ gw: Gateway; transport: RecordingTransport }> {
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  tweak?.(config);
  const transport = new RecordingTransport();
  const gw = await startGateway({ config, logger: pino({ level: 'silent' }), transport });
  t.teardown(() => gw.stop());
  return { gw, transport };
}

/** Posts a PDU over a real socket as the handset `msisdn` (header set by the trusted loopback proxy). */
async function post(gw: Gateway, pdu: MmsPdu | Buffer, msisdn?: string): Promise<{ status: number; pdu?: MmsPdu; raw: Buffer }> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.wap.mms-message' };
  if (msisdn) headers['x-msisdn'] = msisdn.replace('+', '');
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers, body: Buffer.isBuffer(pdu) ? pdu : encode(pdu) });
  const raw = Buffer.from(await res.arrayBuffer());
  return { status: res.status, raw, pdu: raw.length ? decode(raw, { strict: true }) : undefined };
}

function sendReq(to: string[], extra: Partial<Extract<MmsPdu, { type: 'm-send-req' }>> = {}): MmsPdu {
  return {
    type: 'm-send-req',
    transactionId: `tx-${Math.random().toString(36).slice(2)}`,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: to.map((n) => `${n}/TYPE=PLMN`),
    subject: 'Hello',
    deliveryReport: true,
    readReport: true,
    contentType: { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      { contentType: { type: 'application/smil', params: {} }, contentId: '<smil>', data: Buffer.from('<smil><body><par><text src="t.txt"/></par></body></smil>') },
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 't.txt', data: Buffer.from('Grüße aus Köln') },
    ],
    ...extra,
  } as MmsPdu;
}

async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The MMS PDUs pushed to `msisdn` so far, decoded from their WSP push. */
function pushesTo(transport: RecordingTransport, msisdn: string): MmsPdu[] {
  return transport.pushes.filter((p) => p.destination === msisdn).map((p) => decode(decodeWspPush(p.pdu).body, { strict: true }));
}

t.test('A sends to B and C; B retrieves and acknowledges; C defers then retrieves; reports reach A', async (t) => {
  const { gw, transport } = await gateway(t);
  const req = sendReq([B, C]);
  const sent = await post(gw, req, A);
  t.equal(sent.status, 200);
  const conf = sent.pdu as SendConf;
  t.match(conf, { type: 'm-send-conf', transactionId: req.transactionId, responseStatus: 'ok' });
  t.ok(conf.messageId, 'Message-ID given');

  const nB = (await until(() => pushesTo(transport, B)[0], 'notification to B')) as NotificationInd;
  const nC = (await until(() => pushesTo(transport, C)[0], 'notification to C')) as NotificationInd;
  t.match(nB, { type: 'm-notification-ind', messageClass: 'personal', expiry: { kind: 'relative' } });
  t.ok(nB.messageSize > 0, 'size announced');
  t.match(nB.contentLocation, new RegExp(`^${gw.url}/m/[A-Za-z0-9_-]{22,}$`), 'short unguessable URL without %');
  t.not(nB.contentLocation, nC.contentLocation, 'one URL per recipient');

  // B retrieves over HTTP and acknowledges.
  const got = await fetch(nB.contentLocation, { headers: { 'x-msisdn': B.slice(1) } });
  t.equal(got.status, 200);
  t.equal(got.headers.get('content-type'), 'application/vnd.wap.mms-message');
  const rc = decode(Buffer.from(await got.arrayBuffer()), { strict: true });
  t.match(rc, { type: 'm-retrieve-conf', transactionId: nB.transactionId, messageId: conf.messageId, from: `${A}/TYPE=PLMN`, subject: 'Hello' });
  t.same(rc.to, [`${B}/TYPE=PLMN`, `${C}/TYPE=PLMN`]);
  t.equal(rc.parts?.length, 2);
  t.equal(Buffer.from(rc.parts![1]!.data).toString(), 'Grüße aus Köln', 'content intact');
  t.equal(rc.contentType?.params.start, '<smil>');
  t.equal(rc.expiry, undefined, 'no Expiry in retrieve-conf');
  const ack = await post(gw, { type: 'm-acknowledge-ind', transactionId: nB.transactionId, mmsVersion: '1.2', reportAllowed: true }, B);
  t.equal(ack.status, 200);

  // C defers, then retrieves.
  await post(gw, { type: 'm-notifyresp-ind', transactionId: nC.transactionId, mmsVersion: '1.2', status: 'deferred' }, C);
  const recC = (await gw.store.listRecipients(conf.messageId!)).find((r) => r.address.startsWith(C))!;
  t.equal(recC.state, 'deferred');
  const gotC = await fetch(nC.contentLocation);
  t.equal(gotC.status, 200);
  await gotC.arrayBuffer();
  await post(gw, { type: 'm-notifyresp-ind', transactionId: nC.transactionId, mmsVersion: '1.2', status: 'retrieved' }, C);

  // Delivery reports for B and C reach A as m-delivery-ind carrying the Message-ID.
  const reports = await until(() => {
    const r = pushesTo(transport, A).filter((p) => p.type === 'm-delivery-ind');
    return r.length >= 2 ? r : undefined;
  }, 'two delivery reports');
  for (const r of reports) t.match(r, { type: 'm-delivery-ind', messageId: conf.messageId, status: 'retrieved' });
  t.same(reports.map((r) => r.to![0]).sort(), [`${B}/TYPE=PLMN`, `${C}/TYPE=PLMN`]);

  const states = (await gw.store.listRecipients(conf.messageId!)).map((r) => r.state).sort();
  t.same(states, ['acknowledged', 'retrieved']);

  // B reads it: A gets m-read-orig-ind.
  const rr = await post(gw, { type: 'm-read-rec-ind', mmsVersion: '1.2', messageId: conf.messageId!, to: [`${A}/TYPE=PLMN`], from: '<insert-address-token>', readStatus: 'read' }, B);
  t.equal(rr.status, 200);
  const readOrig = await until(() => pushesTo(transport, A).find((p) => p.type === 'm-read-orig-ind'), 'read report');
  t.match(readOrig, { messageId: conf.messageId, from: `${B}/TYPE=PLMN`, readStatus: 'read' });

  // Duplicate notifyresp / acknowledge change nothing and report nothing twice. A report is a job
  // written with its state change, before the answer: no new change in the records and no new job
  // means no report, now or later.
  const recordsBefore = await gw.store.listRecipients(conf.messageId!);
  const jobsBefore = await gw.store.countJobs();
  await post(gw, { type: 'm-acknowledge-ind', transactionId: nB.transactionId, mmsVersion: '1.2' }, B);
  await post(gw, { type: 'm-notifyresp-ind', transactionId: nC.transactionId, mmsVersion: '1.2', status: 'retrieved' }, C);
  t.same(await gw.store.listRecipients(conf.messageId!), recordsBefore, 'the repeats changed no recipient record');
  const jobsAfter = await gw.store.countJobs();
  t.ok(jobsAfter <= jobsBefore, `and scheduled no job (${jobsBefore} before, ${jobsAfter} after; earlier jobs may finish meanwhile)`);
  t.equal(pushesTo(transport, A).filter((p) => p.type === 'm-delivery-ind').length, 2, 'no duplicate delivery report');

  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /mmsc_messages_accepted_total\{interface="mm1"\} 1/);
  t.match(metrics, /mmsc_retrievals_total\{result="ok"\} 2/);
});

t.test('m-notifyresp-ind and m-acknowledge-ind posted to the Content-Location URL (Android MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED)', async (t) => {
  const { gw, transport } = await gateway(t);
  const sent = await post(gw, sendReq([B, C]), A);
  const conf = sent.pdu as SendConf;
  const nB = (await until(() => pushesTo(transport, B)[0], 'notification to B')) as NotificationInd;
  const nC = (await until(() => pushesTo(transport, C)[0], 'notification to C')) as NotificationInd;
  const postTo = async (url: string, pdu: MmsPdu, msisdn: string): Promise<number> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': msisdn.slice(1) }, body: encode(pdu) });
    await res.arrayBuffer();
    return res.status;
  };
  const stateOf = async (n: string): Promise<string | undefined> => (await gw.store.listRecipients(conf.messageId!)).find((r) => r.address.startsWith(n))?.state;

  t.equal(await postTo(nB.contentLocation, { type: 'm-notifyresp-ind', transactionId: nB.transactionId, mmsVersion: '1.2', status: 'deferred' }, B), 200);
  t.equal(await stateOf(B), 'deferred', 'notifyresp on the retrieval URL moved B');

  // C's transaction id on B's URL: the token names another recipient, so nothing moves.
  t.equal(await postTo(nB.contentLocation, { type: 'm-notifyresp-ind', transactionId: nC.transactionId, mmsVersion: '1.2', status: 'rejected' }, B), 200);
  t.equal(await stateOf(C), 'notified', 'a transaction id that is not the URL\'s recipient changes nothing');

  t.equal(await postTo(nB.contentLocation, { type: 'm-acknowledge-ind', transactionId: nB.transactionId, mmsVersion: '1.2', reportAllowed: true }, B), 200);
  t.equal(await stateOf(B), 'acknowledged');
  const report = await until(() => pushesTo(transport, A).find((p) => p.type === 'm-delivery-ind'), 'delivery report to A');
  t.match(report, { messageId: conf.messageId, status: 'retrieved', to: [`${B}/TYPE=PLMN`] });

  t.equal(await postTo(nC.contentLocation, sendReq([B]), C), 400, 'an m-send-req belongs on the MMSC URL, not a retrieval URL');
  t.equal((await gw.store.listRecipients(conf.messageId!)).length, 2);
  t.equal(await postTo(`${gw.url}/m/${'x'.repeat(22)}`, { type: 'm-notifyresp-ind', transactionId: nC.transactionId, mmsVersion: '1.2', status: 'rejected' }, C), 200, 'unknown token: the handset still gets its empty 200');
  t.equal(await stateOf(C), 'notified');
});

t.test('refusals map to Response-Status', async (t) => {
  const { gw } = await gateway(t, (c) => {
    c.mm1.maxRecipients = 2;
    c.mm1.maxMessageSize = 4000;
    c.mm1.allowedContentTypes = ['text/*', 'image/*', 'application/smil'];
  });
  const status = async (pdu: MmsPdu | Buffer, msisdn: string | undefined = A): Promise<string | undefined> => {
    const r = await post(gw, pdu, msisdn);
    t.equal(r.status, 200, 'always HTTP 200 with an m-send-conf');
    return (r.pdu as SendConf | undefined)?.responseStatus as string | undefined;
  };
  t.equal(await status(sendReq([B]), ''), 'error-permanent-sending-address-unresolved', 'no MSISDN: sender unresolved');
  t.equal(await status(sendReq([])), 'error-permanent-message-format-corrupt', 'no recipients');
  t.equal(await status(sendReq([B, C, '+15550000004'])), 'error-permanent-service-denied', 'too many recipients');
  t.equal(await status(sendReq(['nobody'])), 'error-permanent-sending-address-unresolved', 'unroutable recipient');
  const big = sendReq([B], { parts: [{ contentType: { type: 'image/jpeg', params: {} }, data: Buffer.alloc(5000) }] } as never);
  t.equal(await status(big), 'error-permanent-content-not-accepted', 'too large');
  const video = sendReq([B], { parts: [{ contentType: { type: 'video/mp4', params: {} }, data: Buffer.alloc(10) }] } as never);
  t.equal(await status(video), 'error-permanent-content-not-accepted', 'content type not accepted');
  const corrupt = Buffer.concat([encode(sendReq([B])).subarray(0, 40)]);
  const r = await post(gw, corrupt, A);
  t.equal((r.pdu as SendConf).responseStatus, 'error-permanent-message-format-corrupt', 'truncated PDU');
  t.equal((r.pdu as SendConf).transactionId.startsWith('tx-'), true, 'TID echoed even then');
  const fromLie = sendReq([B], { from: `${C}/TYPE=PLMN` } as never);
  const overwritten = await post(gw, fromLie, A);
  t.equal((overwritten.pdu as SendConf).responseStatus, 'ok', 'contradicting From is overwritten by default');
  const msg = await gw.store.getMessage((overwritten.pdu as SendConf).messageId!);
  t.equal(msg?.from, `${A}/TYPE=PLMN`, 'sender identity from the trusted header');
  const junk = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message' }, body: 'hello' });
  t.equal(junk.status, 400, 'not a PDU at all');
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /mmsc_messages_refused_total\{interface="mm1",reason="too-large"\} 1/);
});

t.test('from-mismatch refused when configured', async (t) => {
  const { gw } = await gateway(t, (c) => (c.mm1.fromMismatch = 'refuse'));
  const r = await post(gw, sendReq([B], { from: `${C}/TYPE=PLMN` } as never), A);
  t.equal((r.pdu as SendConf).responseStatus, 'error-permanent-service-denied');
});

t.test('unknown or malformed tokens get 404 with no detail', async (t) => {
  const { gw } = await gateway(t);
  for (const path of ['/m/AAAAAAAAAAAAAAAAAAAAAA', '/m/%00', '/m/x']) {
    const res = await fetch(`${gw.url}${path}`);
    t.equal(res.status, 404, path);
    t.equal((await res.text()).length, 0, 'empty body');
  }
});

t.test('forward without retrieving', async (t) => {
  const { gw, transport } = await gateway(t);
  const sent = await post(gw, sendReq([B]), A);
  const n = (await until(() => pushesTo(transport, B)[0], 'notification')) as NotificationInd;
  const fwd = await post(gw, { type: 'm-forward-req', transactionId: 'fw1', mmsVersion: '1.2', from: '<insert-address-token>', to: [`${C}/TYPE=PLMN`], contentLocation: n.contentLocation }, B);
  t.match(fwd.pdu, { type: 'm-forward-conf', transactionId: 'fw1', responseStatus: 'ok' });
  const nC = (await until(() => pushesTo(transport, C)[0], 'notification of the forward')) as NotificationInd;
  const rc = decode(Buffer.from(await (await fetch(nC.contentLocation)).arrayBuffer()));
  t.equal(rc.from, `${B}/TYPE=PLMN`);
  t.match(rc.previouslySentBy, [{ address: `${A}/TYPE=PLMN` }]);
  const orig = await gw.store.listRecipients((sent.pdu as SendConf).messageId!);
  t.equal(orig[0]!.state, 'forwarded');
  const bad = await post(gw, { type: 'm-forward-req', transactionId: 'fw2', mmsVersion: '1.2', from: '<insert-address-token>', to: [`${C}/TYPE=PLMN`], contentLocation: n.contentLocation }, C);
  t.not((bad.pdu as { responseStatus: string }).responseStatus, 'ok', 'only the recipient may forward');
});
