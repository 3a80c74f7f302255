import t from 'tap';
import {
  decode,
  encode,
  MmsEncoder,
  MESSAGE_TYPES,
  HEADERS,
  INSERT_ADDRESS,
  parseAddress,
  type MmsPdu,
  type NotificationInd,
} from '../../protocol/mms/index.js';
import { DecodeError, EncodeError } from '../../protocol/wsp/index.js';
import { randomPdu, rng } from './gen.js';
import { assignHeader } from '../../protocol/mms/assign.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Compares what matters: every field, with part data by content. */
function normalise(p: MmsPdu): unknown {
  const { warnings: _w, ...rest } = p as MmsPdu & { warnings?: unknown };
  return JSON.parse(JSON.stringify(rest, (_k, v) => (v instanceof Uint8Array || (v && v.type === 'Buffer') ? Buffer.from(v).toString('hex') : v)));
}

t.test('the header table covers every field 0x81-0xBF once', async (t) => {
  const codes = HEADERS.map((h) => h.code).sort((a, b) => a - b);
  t.same(codes, Array.from({ length: 0x3f }, (_, i) => 0x81 + i));
  t.equal(new Set(HEADERS.map((h) => h.field)).size, HEADERS.length, 'field names are unique');
  t.equal(MESSAGE_TYPES.length, 0x18, 'message types 0x80-0x97');
});

t.test('assignHeader stores every header of the table under its field', async (t) => {
  for (const h of HEADERS) {
    const pdu: Record<string, unknown> = {};
    t.equal(assignHeader(pdu, h.code, 'a'), true, h.wireName);
    if (h.multi) {
      t.equal(assignHeader(pdu, h.code, 'b'), true, `${h.wireName} again`);
      t.same(pdu, { [h.field]: ['a', 'b'] }, h.wireName);
    } else {
      t.equal(assignHeader(pdu, h.code, 'b'), false, `${h.wireName} repeated`);
      t.same(pdu, { [h.field]: 'a' }, h.wireName);
    }
  }
  t.equal(assignHeader({}, 0x80, 'a'), false, 'not a header code');
});

t.test('worked example from the notes (section 4.3)', async (t) => {
  const bytes = hex(`8C82 98 5431613262336300 8D92
    89 18 80 2B31353535313233343536372F545950453D504C4D4E00
    8A80 8E02AFC8 880581 03093A80
    83 687474703A2F2F6D6D73632E6578616D706C652E6E65742F6D2F41423132434400`);
  const pdu = decode(bytes, { strict: true }) as NotificationInd;
  t.match(pdu, {
    type: 'm-notification-ind',
    transactionId: 'T1a2b3c',
    mmsVersion: '1.2',
    from: '+15551234567/TYPE=PLMN',
    messageClass: 'personal',
    messageSize: 45000,
    expiry: { kind: 'relative', value: 604800 },
    contentLocation: 'http://mmsc.example.net/m/AB12CD',
  });
  t.equal(encode(pdu).toString('hex'), bytes.toString('hex'), 'our encoding is byte-identical');
});

t.test('reference m-send-conf encodings (notes section 3)', async (t) => {
  const ok = hex('8C81 98 333138383700 8D90 9280 8B 34646332363864373134333861 00');
  t.equal(encode({ type: 'm-send-conf', transactionId: '31887', mmsVersion: '1.0', responseStatus: 'ok', messageId: '4dc268d71438a' }).toString('hex'), ok.toString('hex'));
  const bad = hex('8C81 98 333138383800 8D90 92E2');
  t.equal(encode({ type: 'm-send-conf', transactionId: '31888', mmsVersion: '1.0', responseStatus: 'error-permanent-message-format-corrupt' }).toString('hex'), bad.toString('hex'));
});

t.test('round trip of random valid PDUs of every type', async (t) => {
  const r = rng(20261122);
  let n = 0;
  for (const type of MESSAGE_TYPES) {
    for (let i = 0; i < 40; i++) {
      const pdu = randomPdu(r, type);
      const bytes = encode(pdu);
      const back = decode(bytes, { strict: true });
      if (JSON.stringify(normalise(back)) !== JSON.stringify(normalise(pdu))) {
        t.same(normalise(back), normalise(pdu), `${type} #${i} round trip`);
        return;
      }
      t.equal(new MmsEncoder().encode(back).toString('hex'), bytes.toString('hex'), 'the reusing encoder writes the same bytes');
      n++;
    }
  }
  t.equal(n, MESSAGE_TYPES.length * 40, `${n} PDUs round-tripped`);
});

t.test('header order and mandatory fields', async (t) => {
  // Version before TID
  const swapped = hex('8C83 8D92 98 543100 9581');
  t.throws(() => decode(swapped, { strict: true }), DecodeError);
  const lenient = decode(swapped);
  t.match(lenient, { type: 'm-notifyresp-ind', transactionId: 'T1', status: 'retrieved' });
  t.ok(lenient.warnings?.some((w) => /must/.test(w.reason)), 'order violation recorded');
  // Missing Status
  const missing = hex('8C83 98 543100 8D92');
  t.throws(() => decode(missing, { strict: true }), /status/);
  t.match(decode(missing).warnings, [{ field: 'status' }]);
  t.throws(() => encode({ type: 'm-notifyresp-ind', transactionId: 'T1', mmsVersion: '1.2' } as MmsPdu), EncodeError, 'never emit what strict decoding refuses');
  t.throws(() => decode(hex('8C20')), DecodeError, 'unknown message type');
  t.throws(() => decode(hex('98 543100')), DecodeError, 'must start with the message type');
  t.throws(() => decode(Buffer.alloc(0)), DecodeError);
});

t.test('unknown and application headers survive a round trip', async (t) => {
  const bytes = hex('8C85 98 543100 8D92 C5 81 582D466F6F00 62617200');
  const pdu = decode(bytes, { strict: true });
  t.same(pdu.unknownHeaders?.map((u) => ('name' in u ? u.name : u.code)), [0xc5, 'X-Foo']);
  t.same(decode(encode(pdu)).unknownHeaders, pdu.unknownHeaders);
});

t.test('non-ASCII text is encoded as UTF-8 with charset 106', async (t) => {
  const pdu: MmsPdu = { type: 'm-send-req', transactionId: 't', mmsVersion: '1.2', from: INSERT_ADDRESS, subject: 'Grüße', contentType: { type: 'text/plain', params: {} }, body: Buffer.from('x') };
  const bytes = encode(pdu);
  t.ok(bytes.includes(hex('96 09 EA 4772C3BC C39F 6500')), 'Subject as Value-length, 0xEA, UTF-8');
  t.equal(decode(bytes).subject, 'Grüße');
  t.ok(bytes.includes(hex('89 01 81')), 'insert-address token');
});

t.test('limits', async (t) => {
  const big = encode({ type: 'm-send-req', transactionId: 't', mmsVersion: '1.2', from: INSERT_ADDRESS, contentType: { type: 'text/plain', params: {} }, body: Buffer.alloc(5000) });
  t.throws(() => decode(big, { maxPduSize: 1000 }), /exceed the limit/);
  const many = hex('8C80 98 7400 8D92 89 01 81 84 A3 82 0101 83 41 0101 83 42');
  t.throws(() => decode(many, { maxParts: 1 }), /exceed the limit/);
  const deep = encode({
    type: 'm-retrieve-conf',
    mmsVersion: '1.2',
    date: 1,
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} }, data: hex('01 0101 83 41') }],
  });
  t.equal(decode(deep).parts?.[0]?.parts?.length, 1, 'nested multipart decoded');
  t.throws(() => decode(deep, { maxDepth: 0 }), /nested deeper/);
});

t.test('addresses', async (t) => {
  t.same(parseAddress('+1-555-123.4567/TYPE=PLMN'), { kind: 'plmn', value: '+15551234567', type: 'PLMN' });
  t.same(parseAddress('10.1.2.3/TYPE=IPV4'), { kind: 'ipv4', value: '10.1.2.3', type: 'IPV4' });
  t.same(parseAddress('fe80::1/TYPE=IPv6'), { kind: 'ipv6', value: 'fe80::1', type: 'IPv6' });
  t.same(parseAddress('Jane <jane@example.com>'), { kind: 'email', value: 'jane@example.com' });
  t.same(parseAddress('12345'), { kind: 'shortcode', value: '12345' });
  t.same(parseAddress('Erotik'), { kind: 'alphanumeric', value: 'Erotik' });
  t.equal(parseAddress('foo/TYPE=x-custom').kind, 'other');
});
