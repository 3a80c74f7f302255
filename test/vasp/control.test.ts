import t from 'tap';
import { buildVaspRsp, parseMm7Message, type DeliverReq, type Mm7Response } from '../../protocol/mm7/index.js';
import { decode, encode, type NotificationInd, type RetrieveConf, type SendConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import type { Gateway } from '../../src/gateway.js';
import { NS_REL6_14, SOAP } from '../mm7/fixtures.js';
import { account, basic, bearer, until, vaspGateway } from './helpers.js';
import { receiver } from './receiver.js';

async function mm7(gw: Gateway, op: string, auth = basic('TNN')) {
  const body = `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Header><TransactionID xmlns="${NS_REL6_14}">c1</TransactionID></env:Header><env:Body>${op}</env:Body></env:Envelope>`;
  const res = await fetch(`${gw.url}/mm7`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/xml' }, body });
  return { status: res.status, msg: parseMm7Message(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer())) };
}

const cancel = (id: string) => `<CancelReq xmlns="${NS_REL6_14}"><MM7Version>6.8.0</MM7Version><MessageID>${id}</MessageID></CancelReq>`;

async function restSend(gw: Gateway, to: string[], key = 'TNN'): Promise<string> {
  const res = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer(key), 'content-type': 'application/json' }, body: JSON.stringify({ to, text: 'hi' }) });
  t.equal(res.status, 202);
  return ((await res.json()) as { messageId: string }).messageId;
}

t.test('CancelReq withdraws the message from recipients that have not retrieved it', async (t) => {
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN'), account('OTHER', { shortCodes: ['777'] })];
  });
  const id = await restSend(gw, ['+15550007001', '+15550007002']);
  const push = await until(() => transport.pushes.find((p) => p.destination === '+15550007001'), 'notification');
  const n = decode(decodeWspPush(push.pdu).body) as NotificationInd;
  const got = await fetch(n.contentLocation);
  await got.arrayBuffer();
  await until(async () => ((await gw.store.listRecipients(id))[0]!.state === 'retrieved' ? true : undefined), 'retrieved');

  const push2 = await until(() => transport.pushes.find((p) => p.destination === '+15550007002'), 'second notification');
  const other = await mm7(gw, cancel(id), basic('OTHER'));
  t.match(other.msg.operation as Mm7Response, { type: 'CancelRsp', status: { code: 2005 } }, "another VASP's message is not found");
  const done = await mm7(gw, cancel(id));
  t.equal(done.status, 200);
  t.match(done.msg.operation as Mm7Response, { type: 'CancelRsp', mm7Version: '6.8.0', status: { code: 1000 } });
  t.equal(done.msg.transactionId, 'c1');
  const states = (await gw.store.listRecipients(id)).map((r) => r.state);
  t.same(states, ['retrieved', 'cancelled']);
  const n2 = decode(decodeWspPush(push2.pdu).body) as NotificationInd;
  t.equal((await fetch(n2.contentLocation)).status, 404, 'a cancelled recipient cannot retrieve');
  t.ok(await gw.store.getBody(id), 'content kept for the recipient who retrieved it');
  const again = await mm7(gw, cancel(id));
  t.match(again.msg.operation as Mm7Response, { status: { code: 3001 } }, 'nothing left to cancel');
  t.match((await mm7(gw, cancel('nope'))).msg.operation as Mm7Response, { status: { code: 2005 } });

  const id2 = await restSend(gw, ['+15550007003']);
  const del = await fetch(`${gw.url}/api/v1/messages/${id2}`, { method: 'DELETE', headers: { authorization: bearer('TNN') } });
  t.same(await del.json(), { messageId: id2, cancelled: 1 });
  t.equal(await gw.store.getBody(id2), undefined, 'content removed once nobody can retrieve it');
});

t.test('ReplaceReq swaps the content while nobody has retrieved it', async (t) => {
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN'), account('OTHER', { shortCodes: ['777'] })];
  });
  const id = await restSend(gw, ['+15550007101']);
  const replaceReq = (messageId: string, text: string) => {
    const env = `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Header><TransactionID xmlns="${NS_REL6_14}">r1</TransactionID></env:Header><env:Body><ReplaceReq xmlns="${NS_REL6_14}"><MM7Version>6.8.0</MM7Version><MessageID>${messageId}</MessageID><Content href="cid:new"/></ReplaceReq></env:Body></env:Envelope>`;
    return `--R\r\nContent-Type: text/xml\r\nContent-ID: <e>\r\n\r\n${env}\r\n--R\r\nContent-Type: text/plain; charset=utf-8\r\nContent-ID: <new>\r\n\r\n${text}\r\n--R--\r\n`;
  };
  const post = async (body: string, auth = basic('TNN')) => {
    const res = await fetch(`${gw.url}/mm7`, { method: 'POST', headers: { authorization: auth, 'content-type': 'multipart/related; type="text/xml"; start="<e>"; boundary=R' }, body });
    return parseMm7Message(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer())).operation as Mm7Response;
  };
  t.match(await post(replaceReq(id, 'corrected'), basic('OTHER')), { type: 'ReplaceRsp', status: { code: 2005 } });
  t.match(await post(replaceReq(id, 'corrected text')), { type: 'ReplaceRsp', status: { code: 1000 } });
  t.equal((await gw.store.getMessage(id))!.contentSize, (await gw.store.getBody(id))!.length);

  const push = await until(() => transport.pushes.find((p) => p.destination === '+15550007101'), 'notification');
  const n = decode(decodeWspPush(push.pdu).body) as NotificationInd;
  const conf = decode(Buffer.from(await (await fetch(n.contentLocation)).arrayBuffer())) as RetrieveConf;
  t.same(conf.parts?.map((p) => Buffer.from(p.data).toString()), ['corrected text'], 'the handset gets the new content');
  await until(async () => ((await gw.store.listRecipients(id))[0]!.state === 'retrieved' ? true : undefined), 'retrieved');
  t.match(await post(replaceReq(id, 'too late')), { status: { code: 3001 } }, 'not after retrieval');
});

t.test('a handset message to a VASP short code becomes a DeliverReq; STOP opts the sender out', async (t) => {
  const vasp = await receiver(t, ({ headers, body }) => {
    const m = parseMm7Message(String(headers['content-type']), body);
    return { status: 200, type: 'text/xml', body: buildVaspRsp('DeliverRsp', { namespace: m.namespace, transactionId: m.transactionId, mm7Version: '5.3.0', status: { code: 1000 } }) };
  });
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { reportUrl: vasp.url })];
  });
  const sendReq = encode({
    type: 'm-send-req',
    transactionId: 'mo-1',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['12345/TYPE=PLMN'],
    subject: 'unsubscribe',
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: Buffer.from(' stop ') }],
  });
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550008001' }, body: sendReq });
  const conf = decode(Buffer.from(await res.arrayBuffer())) as SendConf;
  t.equal(conf.responseStatus, 'ok');

  const got = await until(() => vasp.received[0], 'DeliverReq');
  const m = parseMm7Message(String(got.headers['content-type']), got.body);
  const op = m.operation as DeliverReq;
  t.equal(op.type, 'DeliverReq');
  t.match(op, { mmsRelayServerId: 'mmsc', sender: { kind: 'Number', value: '+15550008001' }, subject: 'unsubscribe' });
  t.same(op.recipients.to, [{ kind: 'ShortCode', value: '12345' }]);
  t.equal(m.content?.contentType.mediaType, 'multipart/mixed');
  t.equal(m.content?.parts?.[0]?.body.toString(), ' stop ');
  await until(async () => ((await gw.store.listRecipients(conf.messageId!))[0]!.state === 'retrieved' ? true : undefined), 'MO recipient retrieved');

  const refused = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN'), 'content-type': 'application/json' }, body: JSON.stringify({ to: ['+15550008001'], text: 'promo' }) });
  t.equal(refused.status, 422);
  t.match(await refused.json(), { error: 'all-opted-out', recipients: [{ to: '+15550008001', status: 'opted-out' }] });
});

t.test('quiet hours: a message sent inside the window is held until it ends', async (t) => {
  const now = new Date();
  const hhmm = (d: Date) => d.toISOString().slice(11, 16);
  const start = new Date(now.getTime() - 3_600_000);
  const end = new Date(now.getTime() + 3_600_000);
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { quietHours: { start: hhmm(start), end: hhmm(end), timeZone: 'UTC' } })];
  });
  const res = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN'), 'content-type': 'application/json' }, body: JSON.stringify({ to: ['+15550009001'], text: 'later' }) });
  const body = (await res.json()) as { messageId: string; deferredUntil: string };
  const expected = new Date(Math.floor(end.getTime() / 60_000) * 60_000).toISOString();
  t.equal(body.deferredUntil, expected, 'deferred to the end of the window');
  t.equal(await gw.store.nextDueAt(), Date.parse(expected), 'the notification job waits for it');
  t.equal(transport.pushes.length, 0);
  t.equal((await gw.store.listRecipients(body.messageId))[0]!.state, 'accepted');
});

t.test('a handset message to the short code of a REST account arrives as a signed mo-message webhook', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { webhookUrl: hook.url, webhookSecret: 'mo-secret-0123456789' })];
  });
  const sendReq = encode({
    type: 'm-send-req',
    transactionId: 'mo-2',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['12345/TYPE=PLMN'],
    subject: 'entry',
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: Buffer.from('WIN 42') },
      { contentType: { type: 'image/gif', params: {} }, contentLocation: 'photo.gif', data: Buffer.alloc(30, 1) },
    ],
  });
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550008002' }, body: sendReq });
  const conf = decode(Buffer.from(await res.arrayBuffer())) as SendConf;
  const got = await until(() => hook.received[0], 'mo-message webhook');
  t.match(JSON.parse(got.body.toString()), {
    event: 'mo-message',
    messageId: conf.messageId,
    from: '+15550008002',
    to: '12345',
    subject: 'entry',
    text: 'WIN 42',
    parts: [{ contentType: 'text/plain', size: 6 }, { contentType: 'image/gif', size: 30, name: 'photo.gif' }],
    vaspId: 'TNN',
  });
  t.match(got.headers['x-mmsc-signature'], /^sha256=[0-9a-f]{64}$/);
  await until(async () => ((await gw.store.listRecipients(conf.messageId!))[0]!.state === 'retrieved' ? true : undefined), 'MO recipient retrieved');
});
