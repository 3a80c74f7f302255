import t from 'tap';
import {
  DecodeError,
  WspReader,
  WspWriter,
  readContentType,
  writeContentType,
  readEncodedString,
  writeEncodedString,
  readMultipart,
  writeMultipart,
  isMultipart,
  type Part,
} from '../../protocol/wsp/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const reader = (s: string | Buffer): WspReader => new WspReader(typeof s === 'string' ? hex(s) : s);
const written = (f: (w: WspWriter) => void): string => {
  const w = new WspWriter(8);
  f(w);
  return w.finish().toString('hex');
};

// Vectors from ../shared/docs/protocol-notes.md section 1.
t.test('uintvar', async (t) => {
  const vectors: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8100'],
    [16383, 'ff7f'],
    [16384, '818000'],
    [45000, '82df48'],
    [0xffffffff, '8fffffff7f'],
  ];
  for (const [v, h] of vectors) {
    t.equal(written((w) => w.uintvar(v)), h, `encode ${v}`);
    t.equal(reader(h).uintvar(), v, `decode ${h}`);
  }
  t.throws(() => reader('8080808080 00').uintvar(), DecodeError, 'six octets refused');
  t.throws(() => reader('9fffffffff7f').uintvar(), DecodeError, 'value over 32 bits refused');
  t.throws(() => reader('81').uintvar(), DecodeError, 'truncated');
});

t.test('short, long and integer values', async (t) => {
  t.equal(written((w) => w.shortInteger(4)), '84');
  t.equal(written((w) => w.shortInteger(106)), 'ea');
  t.equal(written((w) => w.longInteger(45000)), '02afc8');
  t.equal(written((w) => w.longInteger(604800)), '03093a80');
  t.equal(written((w) => w.dateValue(1700000000)), '046553f100');
  t.equal(reader('046553f100').dateValue(), 1700000000);
  t.equal(reader('84').integerValue(), 4);
  t.equal(reader('02afc8').integerValue(), 45000);
  t.throws(() => reader('00').longInteger(), DecodeError, 'zero-length long integer');
  t.throws(() => reader('05 0102').longInteger(), DecodeError, 'length beyond data');
  t.throws(() => reader('04').shortInteger(), DecodeError, 'short integer needs the high bit');
  t.throws(() => reader('1f 8fffffff7f').valueLength(), DecodeError, 'lying value length');
});

t.test('value-length', async (t) => {
  t.equal(written((w) => w.valueLength(27)), '1b');
  t.equal(written((w) => w.valueLength(40)), '1f28');
  const r = reader('1f28' + '00'.repeat(40));
  t.equal(r.valueLength(), 40);
  t.throws(() => reader('20').valueLength(), DecodeError, 'text octet is not a length');
});

t.test('text strings', async (t) => {
  t.equal(written((w) => w.textString('abc')), '61626300');
  t.equal(written((w) => w.textString('')), '00');
  t.equal(written((w) => w.textString('é')), '7fc3a900', 'quote before an octet >= 0x80');
  t.equal(reader('7fc3a900').textString(), 'é');
  t.equal(reader('7f616200').textString(), 'ab', 'superfluous quote dropped');
  t.equal(reader('e9 00').textString(), 'é', 'invalid UTF-8 falls back to Latin-1');
  t.equal(written((w) => w.quotedString('<a>')), '223c613e00');
  t.equal(reader('223c613e00').quotedString(), '<a>');
  t.throws(() => reader('616263').textString(), DecodeError, 'unterminated');
  t.throws(() => written((w) => w.textString('a\0b')), 'NUL inside a value refused');
  const long = new WspReader(Buffer.from('a'.repeat(100) + '\0'), { maxPduSize: 1000, maxParts: 1, maxHeaders: 1, maxDepth: 1, maxStringLength: 50 });
  t.throws(() => long.textString(), /longer than 50/, 'string length limit');
});

t.test('text values on and across text window boundaries', async (t) => {
  // The reader makes strings from windows of the input: values before, across, longer than and far
  // past a window must come out whole, in any order of reading.
  const values = ['a'.repeat(250), 'bcdefghijklmnopq', 'x'.repeat(600), 'tail', 'y'.repeat(255), 'z'];
  const r = reader(Buffer.from(values.map((v) => v + '\0').join(''), 'latin1'));
  t.same(values.map(() => r.textString()), values);
  t.ok(r.atEnd());
});

t.test('text scanning: terminator and non-ASCII octets at every alignment and position', async (t) => {
  // The reader scans text four octets at a time from 4-aligned addresses: the NUL and an octet
  // >= 0x80 must be found wherever they fall (first, middle or last octet of a word, before the
  // first whole word, after the last one), whatever the input's offset in its ArrayBuffer.
  const backing = new ArrayBuffer(128);
  for (let offset = 0; offset < 4; offset++) {
    for (let len = 0; len < 24; len++) {
      for (let at = -1; at < len; at++) {
        const text = Buffer.alloc(len, 0x61);
        if (at >= 0) text.set([0xc3, 0xa9].slice(0, Math.min(2, len - at)), at);
        const expected = at >= 0 && at + 1 < len ? text.toString('utf8') : text.toString('latin1');
        const input = Buffer.from(backing, offset, len + 3);
        input.set(text);
        input.set([0, 0x62, 0], len);
        const r = new WspReader(input);
        t.equal(r.textString(), expected, `offset ${offset}, length ${len}, é at ${at}`);
        t.equal(r.textString(), 'b', 'the next string starts after the NUL');
        t.ok(r.atEnd());
      }
    }
  }
});

t.test('encoded-string-value', async (t) => {
  // Subject "Café" as UTF-8: 96 07 EA 43 61 66 C3 A9 00 (without the header octet)
  t.equal(written((w) => writeEncodedString(w, 'Café', 'Subject')), '07ea436166c3a900');
  t.equal(readEncodedString(reader('07ea436166c3a900')), 'Café');
  t.equal(written((w) => writeEncodedString(w, 'Hi', 'Subject')), '486900', 'ASCII as plain text');
  t.equal(readEncodedString(reader('00')), '', 'empty value');
  // UCS-2 (MIB 1000 = 02 03 E8) "AB" with a two-octet terminator
  t.equal(readEncodedString(reader('08 0203e8 00410042 0000')), 'AB');
  // ISO-8859-1 (4 = 84)
  t.equal(readEncodedString(reader('04 84 e9 e8 00')), 'éè');
  // Shift_JIS (17 = 91): "日本" = 93fa 967b
  t.equal(readEncodedString(reader('06 91 93fa967b 00')), '日本');
  const strict = reader('05 ea 616263');
  strict.strict = true;
  t.throws(() => readEncodedString(strict), DecodeError, 'strict: text must end inside its length');
});

t.test('content-type', async (t) => {
  // notes 1.3: multipart/related; type=application/smil; start=<smil>
  const h = '1b b3 89 6170706c69636174696f6e2f736d696c00 8a 3c736d696c3e00';
  const ct = readContentType(reader(h));
  t.same(ct, { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } });
  t.equal(written((w) => writeContentType(w, ct)), h.replace(/\s+/g, ''));
  t.same(readContentType(reader('9e')), { type: 'image/jpeg', params: {} }, 'constrained well-known');
  t.same(readContentType(reader('617564696f2f616d7200')), { type: 'audio/amr', params: {} }, 'extension media');
  t.equal(written((w) => writeContentType(w, { type: 'image/jpeg', params: {} })), '9e');
  // WSP 1.4 codes: name 0x97, start 0x99
  const v14 = readContentType(reader('0d 9e 97 612e6a706700 99 3c783e00'));
  t.same(v14.params, { name: 'a.jpg', start: '<x>' });
  // Text with charset: 83 81 EA 85 "text.txt"
  t.same(readContentType(reader('0d 83 81 ea 85 746578742e74787400')), {
    type: 'text/plain',
    params: { charset: 'utf-8', name: 'text.txt' },
  });
  // Untyped parameter
  t.same(readContentType(reader('09 83 666f6f00 62617200')).params, { foo: 'bar' });
  // Two-octet well-known code (text/calendar 0x0305)
  t.equal(readContentType(reader('03 02 0305')).type, 'text/calendar');
  t.throws(() => readContentType(reader('05 83 81')), DecodeError, 'length beyond data');
  // Media types, parameter names and charset names are case-insensitive: upper case encodes as lower.
  const mixed = { type: 'Text/Plain', params: { Charset: 'UTF-8', NAME: 'a.txt', Type: 'Application/SMIL' } };
  const lower = { type: 'text/plain', params: { charset: 'utf-8', name: 'a.txt', type: 'Application/SMIL' } };
  t.equal(written((w) => writeContentType(w, mixed)), written((w) => writeContentType(w, lower)), 'case-folded on encode');
  t.equal(written((w) => writeContentType(w, mixed)).slice(2, 10), '83' + '81ea' + '85', 'well-known codes for the folded names (text/plain, charset utf-8, name)');
});

t.test('multipart', async (t) => {
  // notes 1.6 image part: HeadersLen 33
  const entry = '21 04 0c9e85 70686f746f2e6a706700 c0 223c696d67313e00 8e 70686f746f2e6a706700 01020304';
  const parts = readMultipart(reader('01' + entry), { strict: true, warn: () => {}, depth: 0 });
  t.equal(parts.length, 1);
  t.same(parts[0]!.contentType, { type: 'image/jpeg', params: { name: 'photo.jpg' } });
  t.equal(parts[0]!.contentId, '<img1>');
  t.equal(parts[0]!.contentLocation, 'photo.jpg');
  t.same([...parts[0]!.data], [1, 2, 3, 4]);
  const w = new WspWriter();
  writeMultipart(w, parts);
  const again = readMultipart(new WspReader(w.finish()), { strict: true, warn: () => {}, depth: 0 });
  t.same(again, parts, 'written back equivalently');

  const input = hex('01' + entry);
  const zeroCopy = readMultipart(new WspReader(input), { strict: true, warn: () => {}, depth: 0 });
  t.equal(zeroCopy[0]!.data.buffer, input.buffer, 'part data is a view into the input');
  // The views are made without Buffer#subarray: they must still be Buffers over the right octets.
  const view = zeroCopy[0]!.data as Buffer;
  t.ok(Buffer.isBuffer(view), 'part data is a Buffer');
  t.equal(view.byteOffset, input.byteOffset + input.length - 4, 'at the data octets of a pooled input');
  t.equal(view.toString('hex'), '01020304', 'Buffer methods work on it');
  t.ok(Buffer.isBuffer(view.subarray(1)) && view.subarray(1).constructor === Buffer, 'its own views are ordinary Buffers');
  input[input.length - 1] = 0x09;
  t.equal(view[3], 0x09, 'shares the input memory');

  const big: Part = { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.alloc(300, 0x41), contentDisposition: { type: 'attachment', params: { filename: 'a.txt' } }, otherHeaders: [{ name: 'X-Custom', value: 'v' }] };
  const w2 = new WspWriter(16);
  writeMultipart(w2, [big, big]);
  const back = readMultipart(new WspReader(w2.finish()), { strict: true, warn: () => {}, depth: 0 });
  t.equal(back.length, 2);
  t.same(back[1]!.contentDisposition, { type: 'attachment', params: { filename: 'a.txt' } });
  t.same(back[1]!.otherHeaders, [{ name: 'X-Custom', value: 'v' }]);
  t.equal(back[1]!.data.length, 300);

  t.throws(
    () => readMultipart(reader('01 05 ffffff0f 9e'), { strict: false, warn: () => {}, depth: 0 }),
    DecodeError,
    'lying data length refused before any allocation',
  );
  t.throws(() => readMultipart(reader('8fffffff7f'), { strict: false, warn: () => {}, depth: 0 }), /exceed the limit/, 'part count limit');
  const warnings: string[] = [];
  const lenient = readMultipart(reader('02' + entry), { strict: false, warn: (_o, _f, r) => warnings.push(r), depth: 0 });
  t.equal(lenient.length, 1, 'count one too high: the present part is kept');
  t.match(warnings[0], /1 of 2/);
});

t.test('multipart parts with unreadable headers', async (t) => {
  // Part 1: a Content-Type whose Value-length (5) overruns the 2 header octets; part 2: text/plain,
  // then a code page shift nothing in MMS uses.
  const input = '02 02 02 0500 4142 02 01 8301 43';
  const warnings: string[] = [];
  const parts = readMultipart(reader(input), { strict: false, warn: (_o, f, r) => warnings.push(`${f}: ${r}`), depth: 0 });
  t.same(parts.map((p) => p.contentType), [{ type: 'application/octet-stream', params: {} }, { type: 'text/plain', params: {} }], 'unreadable Content-Type: kept as octet-stream; readable one kept');
  t.same(parts.map((p) => Buffer.from(p.data).toString()), ['AB', 'C'], 'both parts keep their data');
  t.equal(warnings.length, 2);
  t.match(warnings[0], /part 1 Content-Type: Value-length 5 exceeds/);
  t.match(warnings[1], /code page shift/);
  t.throws(() => readMultipart(reader(input), { strict: true, warn: () => {}, depth: 0 }), DecodeError, 'strict: refused');
});

t.test('isMultipart: both multipart families, media types case-insensitive', async (t) => {
  for (const type of ['application/vnd.wap.multipart.related', 'application/vnd.wap.multipart.mixed', 'multipart/mixed', 'Multipart/Related', 'APPLICATION/VND.WAP.MULTIPART.ALTERNATIVE']) {
    t.ok(isMultipart(type), type);
  }
  for (const type of ['application/smil', 'text/plain', 'image/jpeg', 'application/vnd.wap.multipart', 'x-multipart/mixed', 'application/multipart.related', '']) {
    t.notOk(isMultipart(type), type);
  }
});
