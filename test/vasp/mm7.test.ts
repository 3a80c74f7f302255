import t from 'tap';
import { parseMm7Message, type Mm7Message, type Mm7Response, type SoapFault } from '../../protocol/mm7/index.js';
import { WspReader, readMultipart } from '../../protocol/wsp/index.js';
import { GIF, NS_REL5_12, NS_REL6_14, SOAP, rel5PrefixedSubmit, rel6DefaultNsSubmit } from '../mm7/fixtures.js';
import type { Gateway } from '../../src/gateway.js';
import { account, basic, until, vaspGateway } from './helpers.js';

interface Answer {
  status: number;
  headers: Headers;
  msg: Mm7Message;
  text: string;
}

async function postMm7(gw: Gateway, req: { contentType: string; body: Buffer }, auth: string | null = basic('TNN')): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': req.contentType, soapaction: '""' };
  if (auth) headers.authorization = auth;
  const res = await fetch(`${gw.url}/mm7`, { method: 'POST', headers, body: req.body });
  const text = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, msg: parseMm7Message(res.headers.get('content-type') ?? 'text/xml', text), text: text.toString('utf8') };
}

function rsp(a: Answer): Mm7Response {
  return a.msg.operation as Mm7Response;
}

/** A SubmitReq in the REL-6 default-namespace shape, with a text part, for the rule tests. */
function submit(recipients: string[], o: { vaspId?: string; sender?: string; ns?: string } = {}): { contentType: string; body: Buffer } {
  const ns = o.ns ?? NS_REL6_14;
  const to = recipients.map((r) => (/^\d{3,8}$/.test(r) ? `<ShortCode>${r}</ShortCode>` : `<Number>${r}</Number>`)).join('');
  const env = `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Header><TransactionID xmlns="${ns}">t-${recipients.length}</TransactionID></env:Header>
<env:Body><SubmitReq xmlns="${ns}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>${o.vaspId ?? 'TNN'}</VASPID>
<SenderAddress><ShortCode>${o.sender ?? '12345'}</ShortCode></SenderAddress></SenderIdentification>
<Recipients><To>${to}</To></Recipients><DeliveryReport>true</DeliveryReport><Subject>Rules</Subject><Content href="cid:mm"/></SubmitReq></env:Body></env:Envelope>`;
  const body = Buffer.from(
    `--b1\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${env}\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-ID: <mm>\r\n\r\nHello from the VASP\r\n--b1--\r\n`,
  );
  return { contentType: 'multipart/related; type="text/xml"; start="<env>"; boundary=b1', body };
}

t.test('REL-5 prefixed SubmitReq, content by Content-ID: accepted in REL-5, handsets notified, content stored as WSP multipart', async (t) => {
  // The 23.140 example numbers (725 544 1234) are national NANP numbers: without a numbering plan
  // '+7255441234' would be a Russian number of impossible length, and refused.
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.defaultCountryCode = '1';
    c.vasp.nationalPrefix = '';
  });
  const a = await postMm7(gw, rel5PrefixedSubmit());
  t.equal(a.status, 200);
  t.equal(a.msg.namespace, NS_REL5_12, 'answered in the request namespace');
  t.equal(a.msg.transactionId, 'vas00001-sub', 'TransactionID echoed');
  const r = rsp(a);
  t.equal(r.type, 'SubmitRsp');
  t.equal(r.mm7Version, '5.3.0');
  // The Bcc recipient is an e-mail address: refused per recipient, so the answer is partial success.
  t.equal(r.status.code, 1100);
  t.match(r.status.details, /7255444444@OMMS\.com: invalid/);
  t.ok(r.messageId);

  const message = (await gw.store.getMessage(r.messageId!))!;
  t.match(message, { from: '12345/TYPE=PLMN', deliveryReport: true, readReport: false, messageClass: 'informational', subject: { text: 'News for today & tomorrow' } });
  t.match(message.origin, { kind: 'mm7', vaspId: 'TNN', namespace: NS_REL5_12, version: '5.3.0', linkedId: 'mms00016666' });
  t.same(message.to, ['+17255441234/TYPE=PLMN'], 'displayOnly recipient not delivered to');
  t.same(message.cc, ['+17255443333/TYPE=PLMN']);
  t.equal(message.contentType.mediaType, 'application/vnd.wap.multipart.related');
  t.equal(message.contentType.params.start, '<mm.smil>');
  const body = (await gw.store.getBody(r.messageId!))!;
  const parts = readMultipart(new WspReader(body), { warn: () => undefined } as never);
  t.same(parts.map((p) => p.contentType.type), ['application/smil', 'text/plain', 'image/gif']);
  t.equal(Buffer.from(parts[1]!.data).toString('utf8'), 'Saturn été softbreak', 'quoted-printable decoded');
  t.same(Buffer.from(parts[2]!.data), GIF, 'base64 decoded');
  t.equal(parts[2]!.contentId, '<saturn.gif>');

  await until(() => (transport.pushes.some((p) => p.destination === '+17255441234') ? true : undefined), 'notification to the recipient');
});

t.test('REL-6 default-namespace SubmitReq, content by Content-Location', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('acme', { shortCodes: ['15550001111'] })];
  });
  const a = await postMm7(gw, rel6DefaultNsSubmit(), basic('acme'));
  t.equal(a.status, 200);
  t.equal(a.msg.namespace, NS_REL6_14);
  t.equal(a.msg.transactionId, 'TID.6');
  t.match(rsp(a), { type: 'SubmitRsp', mm7Version: '6.8.0', status: { code: 1000 } });
  const message = (await gw.store.getMessage(rsp(a).messageId!))!;
  t.same(message.to, ['+15551234567/TYPE=PLMN', '+15557654321/TYPE=PLMN']);
  t.equal(message.from, '+15550001111/TYPE=PLMN');
  t.equal(message.expiresAt <= Date.now() + gw.config.relay.maxExpirySeconds * 1000, true, 'expiry capped');
  const parts = readMultipart(new WspReader((await gw.store.getBody(message.id))!), { warn: () => undefined } as never);
  t.same(parts.map((p) => [p.contentType.type, p.contentLocation]), [['image/gif', 'promo.gif']]);
});

t.test('bad credentials, wrong VASPID, source not allowed: refused with a fault, nothing stored', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN'), account('walled', { username: 'walled', shortCodes: ['999'], allowedSources: ['192.0.2.0/24'] })];
  });
  const none = await postMm7(gw, submit(['+15551230001']), null);
  t.equal(none.status, 401);
  t.match(none.headers.get('www-authenticate'), /^Basic realm="MM7"/);
  t.match(none.msg.operation, { type: 'Fault', faultcode: 'env:Client', error: { type: 'RSErrorRsp', status: { code: 4001 } } });
  const wrong = await postMm7(gw, submit(['+15551230001']), basic('TNN', 'guess'));
  t.equal(wrong.status, 401);
  const unknown = await postMm7(gw, submit(['+15551230001']), basic('nobody'));
  t.equal(unknown.status, 401);
  const mismatch = await postMm7(gw, submit(['+15551230001'], { vaspId: 'OTHER' }));
  t.equal(mismatch.status, 500);
  t.match((mismatch.msg.operation as SoapFault).error, { status: { code: 4001 } });
  t.equal(mismatch.msg.namespace, NS_REL6_14);
  const walled = await postMm7(gw, submit(['+15551230001'], { vaspId: 'walled', sender: '999' }), basic('walled'));
  t.equal(walled.status, 403, 'loopback is not among 192.0.2.0/24');
  const sender = await postMm7(gw, submit(['+15551230001'], { sender: '55555' }));
  t.match(rsp(sender), { type: 'SubmitRsp', status: { code: 2001 } }, 'sender must be one of the VASP short codes');
  t.equal((await gw.store.stateCounts()).accepted ?? 0, 0, 'nothing accepted');
});

t.test('failed passwords from one source address are limited across user names (config vasp.auth)', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.auth = { maxFailuresPerUser: 100, maxFailuresPerSource: 2, windowSeconds: 60 };
    c.vasp.accounts = [account('TNN'), account('acme', { shortCodes: ['777'] })];
  });
  t.equal((await postMm7(gw, submit(['+15551230001']), basic('acme', 'guess-1'))).status, 401);
  t.equal((await postMm7(gw, submit(['+15551230001']), basic('nobody'))).status, 401);
  const right = await postMm7(gw, submit(['+15551230001']), basic('TNN'));
  t.equal(right.status, 401, 'the source used up its failures: even a right, not yet verified password waits');
  t.equal((await gw.store.stateCounts()).accepted ?? 0, 0, 'nothing accepted');
});

t.test('malformed requests: SOAP fault with RSErrorRsp, in the namespace when one was readable', async (t) => {
  const { gw } = await vaspGateway(t);
  const broken = await postMm7(gw, { contentType: 'text/xml', body: Buffer.from(`<env:Envelope xmlns:env="${SOAP}"><env:Body><SubmitReq>`) });
  t.equal(broken.status, 500);
  t.match(broken.msg.operation, { type: 'Fault', faultcode: 'env:Client', error: { status: { code: 2007 } } });
  const notSoap = await postMm7(gw, { contentType: 'text/xml', body: Buffer.from('<html><body>hi</body></html>') });
  t.equal(notSoap.status, 500);
  t.match((notSoap.msg.operation as SoapFault).error, { status: { code: 4004 } });
  const noRcpt = submit(['+15551230001']);
  const bad = await postMm7(gw, { contentType: noRcpt.contentType, body: Buffer.from(noRcpt.body.toString().replace(/<Recipients>.*<\/Recipients>/, '')) });
  t.equal(bad.status, 500);
  t.equal(bad.msg.namespace, NS_REL6_14);
  t.equal(bad.msg.transactionId, 't-1');
  t.match((bad.msg.operation as SoapFault).error, { status: { code: 2002 } });
  const truncated = submit(['+15551230001']);
  const cut = await postMm7(gw, { contentType: truncated.contentType, body: truncated.body.subarray(0, truncated.body.length - 30) });
  t.equal(cut.status, 500);
  const unsupported = await postMm7(gw, {
    contentType: 'text/xml',
    body: Buffer.from(`<env:Envelope xmlns:env="${SOAP}"><env:Body><GetDeviceProfileReq xmlns="${NS_REL5_12}"><MM7Version>5.3.0</MM7Version></GetDeviceProfileReq></env:Body></env:Envelope>`),
  });
  t.match((unsupported.msg.operation as SoapFault).error, { status: { code: 4003 } });
  t.match(unsupported.text, `<RSErrorRsp xmlns="${NS_REL5_12}">`, 'RSErrorRsp in the namespace of the request');
});

t.test('sending rules: E.164 normalisation, opt-out per recipient, throughput and daily quota', async (t) => {
  // The limits' clock stands still unless moved: no request lands in another second by accident.
  let now = Date.parse('2026-11-23T10:00:00.100Z');
  const { gw } = await vaspGateway(
    t,
    (c) => {
      c.vasp.defaultCountryCode = '44';
      c.vasp.optOut = ['+447700900002'];
      c.vasp.accounts = [account('TNN', { tps: 3, dailyQuota: 5 })];
    },
    () => now,
  );
  const a = await postMm7(gw, submit(['07700 900001', '+44 7700 900002', '0044-7700-900001', 'abc']));
  t.match(rsp(a), { status: { code: 1100 } });
  t.match(rsp(a).status.details, /\+44 7700 900002: opted-out/);
  t.match(rsp(a).status.details, /0044-7700-900001: duplicate/);
  t.match(rsp(a).status.details, /abc: invalid/);
  t.same((await gw.store.getMessage(rsp(a).messageId!))!.to, ['+447700900001/TYPE=PLMN'], 'national number normalised to E.164');

  const allOut = await postMm7(gw, submit(['+447700900002']));
  t.match(rsp(allOut), { status: { code: 2001 } }, 'every recipient opted out');
  const shortCode = await postMm7(gw, submit(['4242', '+447700900003']));
  t.match(rsp(shortCode), { status: { code: 1000 } });
  t.same((await gw.store.getMessage(rsp(shortCode).messageId!))!.to, ['4242/TYPE=PLMN', '+447700900003/TYPE=PLMN'], 'short code kept');

  // 3 recipients used of a bucket of 3 per second: the next one waits.
  const throttled = await postMm7(gw, submit(['+447700900004']));
  t.match(rsp(throttled), { status: { code: 4006 } });
  t.equal(throttled.headers.get('retry-after'), '1');
  // Two recipients need two tokens: 667 ms at 3 per second.
  now += 600;
  t.match(rsp(await postMm7(gw, submit(['+447700900004', '+447700900005']))), { status: { code: 4006 } }, 'not yet refilled 600 ms later');
  now += 100;
  const ok = await postMm7(gw, submit(['+447700900004', '+447700900005']));
  t.match(rsp(ok), { status: { code: 1000 } }, 'the bucket refilled enough 700 ms later');
  now += 1000;
  const over = await postMm7(gw, submit(['+447700900006']));
  t.match(rsp(over), { status: { code: 4007 } }, 'daily quota of 5 used up');
  t.match(rsp(over).status.details, /daily quota/);
});

t.test('a SubmitReq repeated with its TransactionID (SubmitRsp lost) gets the first MessageID and creates nothing', async (t) => {
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.defaultCountryCode = '44';
    c.vasp.accounts = [account('TNN', { dailyQuota: 2 })];
  });
  const first = await postMm7(gw, submit(['+447700900001']));
  t.match(rsp(first), { status: { code: 1000 } });
  const id = rsp(first).messageId!;
  const again = await postMm7(gw, submit(['+447700900001']));
  t.match(rsp(again), { type: 'SubmitRsp', status: { code: 1000 }, messageId: id }, 'same MessageID');
  t.equal(again.msg.transactionId, first.msg.transactionId);

  // Same TransactionID (t-1), other recipient: a different request, a new message.
  const other = await postMm7(gw, submit(['+447700900002']));
  t.match(rsp(other), { status: { code: 1000 } });
  t.not(rsp(other).messageId, id);
  // The repeat did not spend the daily quota of 2: only now is it used up.
  const over = await postMm7(gw, submit(['+447700900003']));
  t.match(rsp(over), { status: { code: 4007 } }, 'quota used by the two messages, not by the repeat');

  await until(() => (transport.pushes.some((p) => p.destination === '+447700900002') ? true : undefined), 'notification of the second message');
  // Delivery records are written with the message, before the SubmitRsp: two records in all means
  // the repeat made none, so no notification of it can come later either.
  const counts = await gw.store.stateCounts();
  t.equal(Object.values(counts).reduce((a, b) => a + (b ?? 0), 0), 2, 'two delivery records: none for the repeat');
  t.equal(transport.pushes.filter((p) => p.destination === '+447700900001').length, 1, 'one notification for the repeated request');
  t.match(await (await fetch(`${gw.url}/metrics`)).text(), /mmsc_retransmissions_total\{pdu="mm7-submit"\} 1/);
});

t.test('with vasp.retransmissionWindowSeconds 0 a repeated SubmitReq is a new message', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.defaultCountryCode = '44';
    c.vasp.retransmissionWindowSeconds = 0;
  });
  const a = await postMm7(gw, submit(['+447700900001']));
  const b = await postMm7(gw, submit(['+447700900001']));
  t.match(rsp(b), { status: { code: 1000 } });
  t.not(rsp(b).messageId, rsp(a).messageId);
});
