import t, { type Test } from 'tap';
import { parseMm7Message, Mm7Error, Mm7Status, type SubmitReq, type Mm7Message } from '../../protocol/mm7/index.js';
import { GIF, NS_REL5_10, NS_REL5_12, NS_REL6_14, SOAP, rel5PrefixedSubmit, rel6DefaultNsSubmit } from './fixtures.js';

const NOW = new Date('2024-06-01T00:00:00Z');

function mm7Error(t: Test, fn: () => unknown, code: number, msg: string): Mm7Error | undefined {
  try {
    fn();
    t.fail(`${msg}: no error`);
  } catch (e) {
    t.type(e, Mm7Error, msg);
    t.equal((e as Mm7Error).statusCode, code, `${msg}: status ${code}`);
    return e as Mm7Error;
  }
  return undefined;
}

function bare(body: string): Buffer {
  return Buffer.from(`<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Body>${body}</env:Body></env:Envelope>`);
}

t.test('REL-5 prefixed SubmitReq with nested multipart content referenced by cid', async (t) => {
  const { contentType, body } = rel5PrefixedSubmit();
  const m = parseMm7Message(contentType, body, { now: NOW }) as Mm7Message<SubmitReq>;
  t.equal(m.namespace, NS_REL5_12);
  t.equal(m.soapNs, SOAP);
  t.equal(m.transactionId, 'vas00001-sub');
  const op = m.operation;
  t.equal(op.type, 'SubmitReq');
  t.match(op, {
    mm7Version: '5.3.0',
    vaspId: 'TNN',
    vasId: 'News',
    senderAddress: { kind: 'ShortCode', value: '12345' },
    serviceCode: 'gold-sp33-im42',
    linkedId: 'mms00016666',
    messageClass: 'Informational',
    deliveryReport: true,
    readReply: false,
    priority: 'Normal',
    subject: 'News for today & tomorrow',
    chargedParty: 'Sender',
    distributionIndicator: true,
    content: { href: 'cid:SaturnPics-01020930@news.tnn.com', allowAdaptations: true },
  });
  t.same(op.recipients, {
    to: [
      { kind: 'Number', value: '7255441234' },
      { kind: 'RFC2822Address', value: '7255442222@OMMS.com', displayOnly: true },
    ],
    cc: [{ kind: 'Number', value: '7255443333' }],
    bcc: [{ kind: 'RFC2822Address', value: '7255444444@OMMS.com' }],
  });
  t.equal(op.timeStamp!.toISOString(), '2002-01-02T14:30:47.000Z');
  t.equal(op.earliestDeliveryTime!.kind, 'absolute');
  t.same(op.expiryDate, { kind: 'relative', date: new Date('2024-08-30T00:00:00Z'), raw: 'P90D' });
  t.equal(op.replyCharging!.size, 32000);
  t.equal(op.replyCharging!.deadline!.date.toISOString(), '2024-06-15T00:00:00.000Z');

  t.equal(m.contentMatchedBy, 'cid');
  const mm = m.content!;
  t.equal(mm.contentType.mediaType, 'multipart/related');
  t.equal(mm.contentType.params['start'], '<mm.smil>');
  t.equal(mm.parts!.length, 3);
  const [smil, text, gif] = mm.parts!;
  t.equal(smil!.contentId, 'mm.smil');
  t.match(smil!.body.toString(), /^<smil>.*<\/smil>$/, 'no trailing CRLF belongs to the body');
  t.equal(text!.body.toString('utf8'), 'Saturn été softbreak', 'quoted-printable decoded');
  t.same(gif!.body, GIF, 'base64 decoded');
  t.equal(m.attachments.length, 1);
  t.equal(smil!.body.buffer, body.buffer, 'identity-encoded bodies are views into the request');
});

t.test('REL-6 unprefixed SubmitReq: content by Content-Location, LF line ends, no start parameter', async (t) => {
  const { contentType, body } = rel6DefaultNsSubmit();
  const m = parseMm7Message(contentType, body, { now: NOW }) as Mm7Message<SubmitReq>;
  t.equal(m.namespace, NS_REL6_14);
  t.equal(m.transactionId, 'TID.6');
  t.match(m.operation, {
    mm7Version: '6.8.0',
    vaspId: 'acme',
    senderAddress: { kind: 'Number', value: '+15550001111' },
    contentClass: 'image-basic',
    drmContent: false,
    content: { allowAdaptations: false },
  });
  t.equal(m.operation.recipients.to.length, 2);
  t.equal(m.operation.expiryDate!.kind, 'absolute');
  t.equal(m.contentMatchedBy, 'location');
  t.same(m.content!.body, GIF);
  t.equal(m.content!.contentType.mediaType, 'image/gif');
});

t.test('operation prefixed, children unqualified; REL-5-MM7-1-0 bare envelope; sender as plain text', async (t) => {
  const xml = `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP}"><SOAP-ENV:Header><mm7:TransactionID xmlns:mm7="${NS_REL5_10}">1</mm7:TransactionID></SOAP-ENV:Header>
<SOAP-ENV:Body><mm7:CancelReq xmlns:mm7="${NS_REL5_10}"><MM7Version>5.3.0</MM7Version>
<SenderIdentification><VASPID>v1</VASPID><SenderAddress>4321</SenderAddress></SenderIdentification><MessageID>msg-77</MessageID></mm7:CancelReq></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  const m = parseMm7Message('text/xml; charset=utf-8', Buffer.from(xml));
  t.equal(m.namespace, NS_REL5_10);
  t.same(m.operation, { type: 'CancelReq', mm7Version: '5.3.0', vaspId: 'v1', senderAddress: { kind: 'ShortCode', value: '4321' }, messageId: 'msg-77' });
  t.equal(m.content, undefined);
  t.same(m.attachments, []);
  const noNs = parseMm7Message(undefined, bare('<ReplaceReq><MM7Version>5.3.0</MM7Version><MessageID>m1</MessageID><ReadReply>1</ReadReply><EarliestDeliveryTime>PT1H</EarliestDeliveryTime></ReplaceReq>'), { now: NOW });
  t.equal(noNs.namespace, '', 'no namespace anywhere: the builder will pick the default');
  t.match(noNs.operation, { type: 'ReplaceReq', messageId: 'm1', readReply: true, earliestDeliveryTime: { kind: 'relative', raw: 'PT1H' } });
});

t.test('reports and responses parse', async (t) => {
  const dr = parseMm7Message('text/xml', bare(`<DeliveryReportReq xmlns="${NS_REL6_14}"><MM7Version>6.8.0</MM7Version><MMSRelayServerID>mmsc</MMSRelayServerID><MessageID>abc</MessageID><Recipient><Number>+1555</Number></Recipient><Sender><ShortCode>123</ShortCode></Sender><Date>2024-06-01T10:00:00+02:00</Date><MMStatus>Retrieved</MMStatus><StatusText>ok</StatusText></DeliveryReportReq>`));
  t.same(dr.operation, {
    type: 'DeliveryReportReq',
    mm7Version: '6.8.0',
    mmsRelayServerId: 'mmsc',
    messageId: 'abc',
    recipient: { kind: 'Number', value: '+1555' },
    sender: { kind: 'ShortCode', value: '123' },
    date: new Date('2024-06-01T08:00:00Z'),
    mmStatus: 'Retrieved',
    statusText: 'ok',
  });
  const rsp = parseMm7Message('text/xml', bare(`<mm7:SubmitRsp xmlns:mm7="${NS_REL5_12}"><mm7:MM7Version>5.3.0</mm7:MM7Version><mm7:Status><mm7:StatusCode>1000</mm7:StatusCode><mm7:StatusText>Success</mm7:StatusText></mm7:Status><mm7:MessageID>id-1</mm7:MessageID></mm7:SubmitRsp>`));
  t.same(rsp.operation, { type: 'SubmitRsp', mm7Version: '5.3.0', status: { code: 1000, text: 'Success' }, messageId: 'id-1' });
  const fault = parseMm7Message('text/xml', bare(`<env:Fault><faultcode>env:Client</faultcode><faultstring>bad</faultstring><detail><VASPErrorRsp xmlns="${NS_REL5_12}"><MM7Version>5.3.0</MM7Version><Status><StatusCode>4004</StatusCode><Details>x</Details></Status></VASPErrorRsp></detail></env:Fault>`));
  t.same(fault.operation, { type: 'Fault', faultcode: 'env:Client', faultstring: 'bad', error: { type: 'VASPErrorRsp', mm7Version: '5.3.0', status: { code: 4004, details: 'x' } } });
});

t.test('malformed requests give Mm7Error with the status to answer', async (t) => {
  mm7Error(t, () => parseMm7Message('text/xml', Buffer.from('<env:Envelope xmlns:env="x"><env:Body>')), Mm7Status.MessageFormatCorrupt, 'truncated XML');
  mm7Error(t, () => parseMm7Message('text/xml', Buffer.from('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')), Mm7Status.MessageFormatCorrupt, 'entity attack');
  mm7Error(t, () => parseMm7Message('text/xml', Buffer.from('<html><body/></html>')), Mm7Status.ValidationError, 'not an envelope');
  mm7Error(t, () => parseMm7Message('text/xml', bare('')), Mm7Status.ValidationError, 'empty body');
  const unsupported = mm7Error(t, () => parseMm7Message('text/xml', Buffer.from(`<e:Envelope xmlns:e="${SOAP}"><e:Header><TransactionID xmlns="${NS_REL6_14}">t9</TransactionID></e:Header><e:Body><GetDeviceProfileReq xmlns="${NS_REL6_14}"/></e:Body></e:Envelope>`)), Mm7Status.UnsupportedOperation, 'unsupported operation');
  t.same(unsupported?.context, { namespace: NS_REL6_14, soapNs: SOAP, transactionId: 't9' }, 'context lets the fault answer in kind');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<SubmitReq><MM7Version>5.3.0</MM7Version><Recipients/></SubmitReq>`)), Mm7Status.AddressError, 'no recipients');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<SubmitReq><Recipients><To><Number> </Number></To></Recipients></SubmitReq>`)), Mm7Status.AddressError, 'empty address');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<SubmitReq><Recipients><To><Number>1</Number></To></Recipients><DeliveryReport>yes</DeliveryReport></SubmitReq>`)), Mm7Status.ValidationError, 'bad boolean');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<SubmitReq><Recipients><To><Number>1</Number></To></Recipients><ExpiryDate>tomorrow</ExpiryDate></SubmitReq>`)), Mm7Status.ValidationError, 'bad time');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<SubmitReq><Recipients><To><Number>1</Number></To></Recipients><Content href="cid:nothing"/></SubmitReq>`)), Mm7Status.ValidationError, 'content href without attachment');
  mm7Error(t, () => parseMm7Message('text/xml', bare(`<CancelReq><MM7Version>5.3.0</MM7Version></CancelReq>`)), Mm7Status.ValidationError, 'CancelReq without MessageID');

  const { contentType, body } = rel5PrefixedSubmit();
  mm7Error(t, () => parseMm7Message(contentType, body.subarray(0, body.length - 200)), Mm7Status.MessageFormatCorrupt, 'truncated multipart');
  mm7Error(t, () => parseMm7Message('multipart/related; boundary=nope', body), Mm7Status.MessageFormatCorrupt, 'boundary absent');
  mm7Error(t, () => parseMm7Message(contentType, body, { mime: { maxDepth: 1 } }), Mm7Status.MessageFormatCorrupt, 'nesting beyond the MIME depth limit');
  const two = Buffer.from(body.toString('latin1').replace('cid:SaturnPics-01020930@news.tnn.com', 'cid:other'), 'latin1');
  const single = parseMm7Message(contentType, two);
  t.equal(single.contentMatchedBy, 'only-attachment', 'a wrong href with one attachment still finds the MM');
});

t.test('mutated SOAP-with-attachments requests give a message or an Mm7Error, nothing else', async (t) => {
  const { contentType, body } = rel5PrefixedSubmit();
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n; // the low bits of an LCG cycle quickly
  };
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    const b = Buffer.from(body);
    for (let k = 0; k < 1 + rand(3); k++) b[rand(b.length)] = rand(256);
    const cut = rand(4) === 0 ? b.subarray(0, rand(b.length)) : b;
    try {
      parseMm7Message(contentType, cut);
      ok++;
    } catch (e) {
      if (!(e instanceof Mm7Error)) {
        t.fail(`iteration ${i}: ${String(e)}`);
        return;
      }
      refused++;
    }
  }
  t.ok(ok > 0 && refused > 0, `both outcomes occur (${ok} parsed, ${refused} refused)`);
});
