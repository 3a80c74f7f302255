import t from 'tap';
import {
  buildCancelRsp,
  buildDeliverReq,
  buildDeliveryReportReq,
  buildReadReplyReq,
  buildReplaceRsp,
  buildRSErrorRsp,
  buildSoapFault,
  buildSubmitRsp,
  buildVaspRsp,
  parseMm7Message,
  DEFAULT_MM7_NAMESPACE,
  MM7_STATUS,
  Mm7Status,
  mm7StatusText,
  isMm7Success,
  isMm7Namespace,
  defaultVersionFor,
  mm7Schema,
} from '../../protocol/mm7/index.js';
import { parseXml, childNamed } from '../../protocol/xml/index.js';
import { GIF, NS_REL5_10, NS_REL5_12, NS_REL6_14, SOAP, rel5PrefixedSubmit } from './fixtures.js';

t.test('SubmitRsp answers in the namespace and transaction of the request', async (t) => {
  const req = parseMm7Message(...Object.values(rel5PrefixedSubmit()) as [string, Buffer]);
  const xml = buildSubmitRsp({ namespace: req.namespace, transactionId: req.transactionId!, mm7Version: '5.3.0', status: { code: 1000 }, messageId: 'M-1' });
  const root = parseXml(xml);
  const op = childNamed(childNamed(root, 'Body')!, 'SubmitRsp')!;
  t.equal(op.ns, NS_REL5_12);
  t.equal(childNamed(op, 'MM7Version')!.ns, NS_REL5_12, 'children in the same namespace');
  const tid = childNamed(childNamed(root, 'Header')!, 'TransactionID')!;
  t.equal(tid.ns, NS_REL5_12);
  t.equal(tid.attrs.find((a) => a.local === 'mustUnderstand')?.ns, SOAP);
  const back = parseMm7Message('text/xml', Buffer.from(xml));
  t.equal(back.transactionId, 'vas00001-sub');
  t.same(back.operation, { type: 'SubmitRsp', mm7Version: '5.3.0', status: { code: 1000, text: 'Success' }, messageId: 'M-1' });
  const failed = parseMm7Message('text/xml', Buffer.from(buildSubmitRsp({ namespace: NS_REL6_14, mm7Version: '6.8.0', status: { code: 2002, details: 'bad <number>' } })));
  t.same(failed.operation, { type: 'SubmitRsp', mm7Version: '6.8.0', status: { code: 2002, text: 'Address Error', details: 'bad <number>' } });
  t.equal(failed.transactionId, undefined);
  t.equal(failed.namespace, NS_REL6_14);
  t.equal(parseMm7Message('text/xml', Buffer.from(buildSubmitRsp({ mm7Version: '5.3.0', status: { code: 1000 } }))).namespace, DEFAULT_MM7_NAMESPACE, 'default namespace when the request had none');
});

t.test('Cancel/Replace/VASP responses, RSErrorRsp and SOAP Fault round-trip', async (t) => {
  const base = { namespace: NS_REL5_10, transactionId: 'x', mm7Version: '5.3.0' };
  t.match(parseMm7Message('text/xml', Buffer.from(buildCancelRsp({ ...base, status: { code: 2005 } }))).operation, { type: 'CancelRsp', status: { code: 2005, text: 'Message ID Not found' } });
  t.match(parseMm7Message('text/xml', Buffer.from(buildReplaceRsp({ ...base, status: { code: 1000 } }))).operation, { type: 'ReplaceRsp', status: { code: 1000 } });
  t.match(parseMm7Message('text/xml', Buffer.from(buildVaspRsp('DeliverRsp', { ...base, status: { code: 1000 }, serviceCode: 'svc' }))).operation, { type: 'DeliverRsp', serviceCode: 'svc' });
  t.match(parseMm7Message('text/xml', Buffer.from(buildRSErrorRsp({ ...base, mmsRelayServerId: 'mmsc', status: { code: 4004 } }))).operation, { type: 'RSErrorRsp', mmsRelayServerId: 'mmsc', status: { code: 4004, text: 'Validation error' } });
  const fault = parseMm7Message('text/xml', Buffer.from(buildSoapFault({ ...base, faultcode: 'Client', faultstring: 'malformed & broken', status: { code: 2007 } })));
  t.equal(fault.transactionId, 'x');
  t.same(fault.operation, {
    type: 'Fault',
    faultcode: 'env:Client',
    faultstring: 'malformed & broken',
    error: { type: 'RSErrorRsp', mm7Version: '5.3.0', status: { code: 2007, text: 'Message format corrupt' } },
  });
});

t.test('DeliveryReportReq and ReadReplyReq round-trip', async (t) => {
  const dr = buildDeliveryReportReq({
    namespace: NS_REL6_14,
    transactionId: 'dr-1',
    mm7Version: '6.8.0',
    mmsRelayServerId: 'mmsc.example',
    messageId: 'M-1',
    recipient: { kind: 'Number', value: '+15551234567' },
    sender: { kind: 'ShortCode', value: '12345' },
    date: new Date('2024-06-01T12:00:00.250Z'),
    mmStatus: 'Retrieved',
    statusText: 'Retrieved by handset',
  });
  t.same(parseMm7Message('text/xml', Buffer.from(dr)).operation, {
    type: 'DeliveryReportReq',
    mm7Version: '6.8.0',
    mmsRelayServerId: 'mmsc.example',
    messageId: 'M-1',
    recipient: { kind: 'Number', value: '+15551234567' },
    sender: { kind: 'ShortCode', value: '12345' },
    date: new Date('2024-06-01T12:00:00Z'),
    mmStatus: 'Retrieved',
    statusText: 'Retrieved by handset',
  });
  const rr = buildReadReplyReq({ namespace: NS_REL5_12, transactionId: 'rr', mm7Version: '5.3.0', messageId: 'M-2', recipient: { kind: 'RFC2822Address', value: 'a@b.c' }, timeStamp: new Date('2024-01-01T00:00:00Z'), mmStatus: 'Read' });
  t.match(parseMm7Message('text/xml', Buffer.from(rr)).operation, { type: 'ReadReplyReq', messageId: 'M-2', mmStatus: 'Read', recipient: { kind: 'RFC2822Address', value: 'a@b.c' } });
});

t.test('DeliverReq is SOAP with attachments whose content parses back', async (t) => {
  const mm = Buffer.concat([Buffer.from('--inner\r\nContent-Type: image/gif\r\nContent-ID: <g>\r\n\r\n'), GIF, Buffer.from('\r\n--inner--\r\n')]);
  const { contentType, body } = buildDeliverReq({
    namespace: NS_REL5_12,
    transactionId: 'mo-1',
    mm7Version: '5.3.0',
    mmsRelayServerId: 'mmsc',
    sender: { kind: 'Number', value: '+15551234567' },
    recipients: { to: [{ kind: 'ShortCode', value: '12345' }], cc: [], bcc: [] },
    timeStamp: new Date('2024-06-01T00:00:00Z'),
    subject: 'STOP ünicode',
    content: { contentType: 'multipart/mixed; boundary=inner', body: mm },
  });
  t.match(contentType, /^multipart\/related; type="text\/xml"; start="<mm7-envelope>"; boundary="/);
  const m = parseMm7Message(contentType, body);
  t.match(m.operation, { type: 'DeliverReq', sender: { value: '+15551234567' }, recipients: { to: [{ kind: 'ShortCode', value: '12345' }] }, subject: 'STOP ünicode' });
  t.equal(m.contentMatchedBy, 'cid');
  t.same(m.content!.parts![0]!.body, GIF);
});

t.test('status table and namespaces', async (t) => {
  t.equal(new Set(MM7_STATUS.map((s) => s.code)).size, MM7_STATUS.length, 'codes unique');
  t.equal(Mm7Status.AddressError, 2002);
  t.equal(Mm7Status.ApplicationDenied, 4008);
  t.equal(mm7StatusText(4006), 'Service unavailable');
  t.equal(mm7StatusText(3005), 'Server Error', 'unknown vendor code reads as its class');
  t.ok(isMm7Success(1100));
  t.notOk(isMm7Success(2000));
  t.ok(isMm7Namespace(NS_REL5_10));
  t.ok(isMm7Namespace('http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-7-MM7-1-0'), 'unpublished releases accepted');
  t.notOk(isMm7Namespace(SOAP));
  t.same(mm7Schema(NS_REL6_14), { schema: 'REL-6-MM7-1-4', release: 6 });
  t.equal(defaultVersionFor(NS_REL6_14), '6.8.0');
  t.equal(defaultVersionFor(NS_REL5_12), '5.3.0');
  t.equal(defaultVersionFor('urn:other'), '5.3.0');
});
