import t from 'tap';
import { buildVaspRsp, parseMm7Message, type DeliveryReportReq, type ReadReplyReq } from '../../protocol/mm7/index.js';
import { decode, encode, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import type { GatewayConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { RecordingTransport } from '../../src/relay/transport.js';
import { webhookSignature } from '../../src/vasp/reports.js';
import { NS_REL5_12, SOAP } from '../mm7/fixtures.js';
import { account, basic, bearer, until, vaspGateway } from './helpers.js';
import { receiver } from './receiver.js';

const SECRET = 'webhook-secret-0123456789';

function fastRetries(c: GatewayConfig): void {
  c.vasp.reports = { ...c.vasp.reports, initialSeconds: 0.05, maxSeconds: 1, maxAttempts: 4, timeoutMs: 2000 };
}

/** The handset `msisdn` fetches its notification's URL over HTTP: a completed retrieval. */
async function retrieve(transport: RecordingTransport, msisdn: string): Promise<NotificationInd> {
  const push = await until(() => transport.pushes.find((p) => p.destination === msisdn), `notification to ${msisdn}`);
  const n = decode(decodeWspPush(push.pdu).body, { strict: true }) as NotificationInd;
  const res = await fetch(n.contentLocation, { headers: { 'x-msisdn': msisdn.slice(1) } });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  return n;
}

async function readRec(gw: Gateway, messageId: string, msisdn: string): Promise<void> {
  const pdu = encode({ type: 'm-read-rec-ind', mmsVersion: '1.2', messageId, to: ['12345/TYPE=PLMN'], from: '<insert-address-token>', readStatus: 'read' });
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': msisdn.slice(1) }, body: pdu });
  t.equal(res.status, 200);
}

t.test('REST: signed delivery-report webhook, retried after failures until the receiver takes it; read report too', async (t) => {
  const hook = await receiver(t, ({ n }) => ({ status: n < 2 ? 503 : 204 }));
  const { gw, transport } = await vaspGateway(t, (c) => {
    fastRetries(c);
    c.vasp.reports.allowPrivateHosts = true;
    c.vasp.accounts = [account('TNN', { webhookSecret: SECRET })];
  });
  const sent = await fetch(`${gw.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: bearer('TNN'), 'content-type': 'application/json' },
    body: JSON.stringify({ to: ['+15550006001'], text: 'report me', webhookUrl: hook.url, readReport: true }),
  });
  t.equal(sent.status, 202);
  const { messageId } = (await sent.json()) as { messageId: string };
  await retrieve(transport, '+15550006001');

  const ok = await until(() => hook.received.find((r) => r.status === 204), 'webhook accepted');
  t.equal(hook.received.filter((r) => JSON.parse(r.body.toString()).event === 'delivery-report').length, 3, 'two failures, then delivered');
  const event = JSON.parse(ok.body.toString());
  t.match(event, { event: 'delivery-report', messageId, recipient: '+15550006001', status: 'retrieved', vaspId: 'TNN' });
  const ts = String(ok.headers['x-mmsc-timestamp']);
  t.equal(ok.headers['x-mmsc-signature'], `sha256=${webhookSignature(SECRET, ts, ok.body.toString())}`, 'HMAC over timestamp and body');
  t.equal(ok.headers['x-mmsc-event-id'], event.id);
  t.same(new Set(hook.received.map((r) => r.headers['x-mmsc-event-id'])).size, 1, 'retries carry the same event id');

  await readRec(gw, messageId, '+15550006001');
  const read = await until(() => hook.received.map((r) => JSON.parse(r.body.toString())).find((e) => e.event === 'read-report'), 'read-report webhook');
  t.match(read, { messageId, recipient: '+15550006001', status: 'read' });
});

t.test('REST: a webhook that never succeeds is given up after the limit and recorded on the recipient', async (t) => {
  const hook = await receiver(t, () => ({ status: 500 }));
  const { gw, transport } = await vaspGateway(t, (c) => {
    fastRetries(c);
    c.vasp.reports.allowPrivateHosts = true;
  });
  const sent = await fetch(`${gw.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: bearer('TNN'), 'content-type': 'application/json' },
    body: JSON.stringify({ to: ['+15550006002'], text: 'x', webhookUrl: hook.url }),
  });
  const { messageId } = (await sent.json()) as { messageId: string };
  await retrieve(transport, '+15550006002');
  const rec = await until(async () => {
    const [r] = await gw.store.listRecipients(messageId);
    return r?.lastError ? r : undefined;
  }, 'give-up recorded');
  t.match(rec.lastError, /^webhook delivery \(retrieved\) given up after 4 attempts: HTTP 500/);
  t.equal(hook.received.length, 4);
  const status = await fetch(`${gw.url}/api/v1/messages/${messageId}`, { headers: { authorization: bearer('TNN') } });
  t.match(((await status.json()) as any).recipients[0].lastError, /given up/);
});

t.test('REST: a webhook URL on a private address from a request is refused unless allowed', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw, transport } = await vaspGateway(t, fastRetries);
  const sent = await fetch(`${gw.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: bearer('TNN'), 'content-type': 'application/json' },
    body: JSON.stringify({ to: ['+15550006003'], text: 'x', webhookUrl: hook.url }),
  });
  const { messageId } = (await sent.json()) as { messageId: string };
  await retrieve(transport, '+15550006003');
  const rec = await until(async () => {
    const [r] = await gw.store.listRecipients(messageId);
    return r?.lastError ? r : undefined;
  }, 'give-up recorded');
  t.match(rec.lastError, /private or loopback/);
  t.equal(hook.received.length, 0, 'never contacted');
});

t.test('MM7: DeliveryReportReq and ReadReplyReq to the VASP in its namespace, retried after a fault', async (t) => {
  const vasp = await receiver(t, ({ body, n }) => {
    const m = parseMm7Message('text/xml', body);
    const type = m.operation.type === 'ReadReplyReq' ? 'ReadReplyRsp' : 'DeliveryReportRsp';
    if (n === 0) return { status: 500, type: 'text/xml', body: '<oops' };
    return { status: 200, type: 'text/xml', body: buildVaspRsp(type, { namespace: m.namespace, transactionId: m.transactionId, mm7Version: '5.3.0', status: { code: 1000 } }) };
  });
  const { gw, transport } = await vaspGateway(t, (c) => {
    fastRetries(c);
    c.vasp.accounts = [account('TNN', { reportUrl: vasp.url.replace('http://', 'http://gw:s%40cret@') })];
  });
  const env = `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Header><mm7:TransactionID xmlns:mm7="${NS_REL5_12}">tx-dr</mm7:TransactionID></env:Header><env:Body>
<mm7:SubmitReq xmlns:mm7="${NS_REL5_12}"><mm7:MM7Version>5.3.0</mm7:MM7Version><mm7:SenderIdentification><mm7:VASPID>TNN</mm7:VASPID><mm7:SenderAddress><mm7:ShortCode>12345</mm7:ShortCode></mm7:SenderAddress></mm7:SenderIdentification>
<mm7:Recipients><mm7:To><mm7:Number>+15550006010</mm7:Number></mm7:To></mm7:Recipients><mm7:DeliveryReport>true</mm7:DeliveryReport><mm7:ReadReply>true</mm7:ReadReply>
<mm7:Content href="cid:c1"/></mm7:SubmitReq></env:Body></env:Envelope>`;
  const body = `--B\r\nContent-Type: text/xml\r\nContent-ID: <e>\r\n\r\n${env}\r\n--B\r\nContent-Type: text/plain\r\nContent-ID: <c1>\r\n\r\nhello\r\n--B--\r\n`;
  const res = await fetch(`${gw.url}/mm7`, { method: 'POST', headers: { authorization: basic('TNN'), 'content-type': 'multipart/related; type="text/xml"; start="<e>"; boundary=B' }, body });
  const rsp = parseMm7Message(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()));
  const messageId = (rsp.operation as { messageId: string }).messageId;
  t.ok(messageId);
  await retrieve(transport, '+15550006010');
  const dr = await until(() => vasp.received.filter((r) => r.status === 200).map((r) => parseMm7Message(String(r.headers['content-type']), r.body)).find((m) => m.operation.type === 'DeliveryReportReq'), 'DeliveryReportReq');
  t.equal(dr.namespace, NS_REL5_12, 'in the namespace the VASP used');
  t.match(dr.operation as DeliveryReportReq, { mm7Version: '5.3.0', mmsRelayServerId: 'mmsc', messageId, recipient: { kind: 'Number', value: '+15550006010' }, sender: { kind: 'ShortCode', value: '12345' }, mmStatus: 'Retrieved' });
  t.equal(vasp.received[0]!.status, 500, 'first attempt failed and was retried');
  t.equal(vasp.received[0]!.headers.soapaction, '""');
  t.equal(vasp.received[0]!.headers.authorization, `Basic ${Buffer.from('gw:s@cret').toString('base64')}`, 'credentials of the report URL sent as HTTP Basic');

  await readRec(gw, messageId, '+15550006010');
  const rr = await until(() => vasp.received.map((r) => parseMm7Message(String(r.headers['content-type']), r.body)).find((m) => m.operation.type === 'ReadReplyReq'), 'ReadReplyReq');
  t.match(rr.operation as ReadReplyReq, { messageId, recipient: { value: '+15550006010' }, mmStatus: 'Read' });
});
