import t from 'tap';
import {
  addDuration,
  formatXsDateTime,
  parseMm7Time,
  parseXsDateTime,
  parseXsDuration,
  parseContentType,
  formatContentType,
  splitMultipart,
  parseEntity,
  MimeError,
  decodeQuotedPrintable,
  serializeMultipart,
} from '../../protocol/mm7/index.js';

t.test('xs:dateTime', async (t) => {
  t.equal(parseXsDateTime('2002-01-02T09:30:47-05:00')!.toISOString(), '2002-01-02T14:30:47.000Z');
  t.equal(parseXsDateTime('2002-01-02T09:30:47.5Z')!.toISOString(), '2002-01-02T09:30:47.500Z');
  t.equal(parseXsDateTime(' 2002-01-02T09:30:47 ')!.toISOString(), '2002-01-02T09:30:47.000Z', 'no zone = UTC');
  t.equal(parseXsDateTime('2024-02-29T00:00:00Z')!.getUTCDate(), 29);
  for (const bad of ['2023-02-29T00:00:00Z', '2002-13-01T00:00:00Z', '2002-01-02 09:30:47', '2002-01-02T25:00:00Z', 'P1D', '']) {
    t.equal(parseXsDateTime(bad), undefined, bad);
  }
  t.equal(formatXsDateTime(new Date('2024-06-01T12:00:00.999Z')), '2024-06-01T12:00:00Z');
});

t.test('xs:duration and relative times', async (t) => {
  t.same(parseXsDuration('P1Y2M3DT4H5M6.5S'), { negative: false, years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6.5 });
  t.same(parseXsDuration('-PT1H'), { negative: true, years: 0, months: 0, days: 0, hours: 1, minutes: 0, seconds: 0 });
  for (const bad of ['P', 'PT', '1D', 'P1H', 'PT1D', 'P-1D']) t.equal(parseXsDuration(bad), undefined, bad);
  const jan31 = new Date('2023-01-31T10:00:00Z');
  t.equal(addDuration(jan31, parseXsDuration('P1M')!).toISOString(), '2023-02-28T10:00:00.000Z', 'month end clamps');
  t.equal(addDuration(jan31, parseXsDuration('PT36H')!).toISOString(), '2023-02-01T22:00:00.000Z');
  const now = new Date('2024-06-01T00:00:00Z');
  t.same(parseMm7Time('P1D', now), { kind: 'relative', date: new Date('2024-06-02T00:00:00Z'), raw: 'P1D' });
  t.equal(parseMm7Time('2024-07-01T00:00:00Z', now)!.kind, 'absolute');
  t.equal(parseMm7Time('soon', now), undefined);
});

t.test('Content-Type parameters', async (t) => {
  const ct = parseContentType('Multipart/Related; type="text/xml"; start="<a\\"b>"; boundary=----=_Part_1.2;;  charset = utf-8 ;');
  t.equal(ct.mediaType, 'multipart/related');
  t.same({ ...ct.params }, { type: 'text/xml', start: '<a"b>', boundary: '----=_Part_1.2', charset: 'utf-8' });
  t.equal(formatContentType(ct), 'multipart/related; type="text/xml"; start="<a\\"b>"; boundary="----=_Part_1.2"; charset=utf-8');
  t.equal(parseContentType('text/plain; constructor=x').params['constructor'], 'x', 'no prototype interference');
});

t.test('multipart splitting', async (t) => {
  const body = Buffer.from('--b\r\nX-A: 1\r\n continued\r\n\r\nline one\r\n--bnot-a-delimiter\r\n--b \r\n\r\nsecond\r\n--b--');
  const parts = splitMultipart(body, 'b');
  t.equal(parts.length, 2);
  t.same(parts[0]!.headers, [{ name: 'x-a', value: '1 continued' }]);
  t.equal(parts[0]!.body.toString(), 'line one\r\n--bnot-a-delimiter', 'boundary text inside content does not split');
  t.same(parts[1]!.headers, []);
  t.equal(parts[1]!.body.toString(), 'second');
  t.equal(splitMultipart(Buffer.from('--b\r\n\r\nonly\r\n--b\r\n'), 'b').length, 1, 'missing close delimiter tolerated at end of body');
  t.throws(() => splitMultipart(Buffer.from('--b\r\n\r\ntruncated'), 'b'), MimeError);
  t.throws(() => splitMultipart(Buffer.from('--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--'), 'b', 0, { maxParts: 1 }), MimeError);
  t.throws(() => splitMultipart(Buffer.from(`--b\r\n${'X: y\r\n'.repeat(100)}\r\nz\r\n--b--`), 'b', 0, { maxHeaderBytes: 64 }), MimeError);
});

t.test('multipart without boundary is refused', async (t) => {
  t.throws(() => parseEntity([{ name: 'content-type', value: 'multipart/mixed' }], Buffer.from('x'), 0), MimeError);
});

t.test('quoted-printable and serialization', async (t) => {
  t.equal(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc=ZZ=4')).toString(), 'a=bc=ZZ=4');
  const out = serializeMultipart([{ headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('hi') }], 'B');
  t.equal(out.toString(), '--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B--\r\n');
  const back = parseEntity([{ name: 'content-type', value: 'multipart/mixed; boundary=B' }], out, 0);
  t.equal(back.parts![0]!.body.toString(), 'hi');
});
