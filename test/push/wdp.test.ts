import t from 'tap';
import { decodeUserData, encodeUdh, Reassembler, segment, SMS_USER_DATA_OCTETS, WdpDecodeError } from '../../protocol/push/wdp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

t.test('single-segment UDH is exactly 06 05 04 0B 84 23 F0 (protocol-notes §4.1)', async (t) => {
  const payload = bytes(133);
  const [sms, ...rest] = segment(payload, { reference: 9 });
  t.equal(rest.length, 0);
  t.same(sms!.subarray(0, 7), hex('06 05 04 0B 84 23 F0'));
  t.equal(sms!.length, SMS_USER_DATA_OCTETS);
  const ud = decodeUserData(sms!);
  t.same(ud.header.ports, { destination: 2948, source: 9200, bits: 16 });
  t.equal(ud.header.concat, undefined);
  t.same(ud.body, payload);
});

t.test('134 octets need two segments of at most 128 octets with 8-bit concat', async (t) => {
  const payload = bytes(134);
  const parts = segment(payload, { reference: 0x1a7 });
  t.equal(parts.length, 2);
  t.same(parts[0]!.subarray(0, 12), hex('0B 05 04 0B 84 23 F0 00 03 A7 02 01'), 'reference truncated to 8 bits');
  t.same(parts[1]!.subarray(0, 12), hex('0B 05 04 0B 84 23 F0 00 03 A7 02 02'));
  t.equal(parts[0]!.length, 140);
  t.equal(parts[1]!.length, 12 + 6);
  for (const p of parts) t.ok(p.length <= 140);
});

t.test('16-bit concat: 08 04 RR RR TT NN, 127 octets per segment, round-trip', async (t) => {
  const payload = bytes(400);
  const parts = segment(payload, { reference: 0xbeef, referenceBits: 16 });
  t.equal(parts.length, Math.ceil(400 / 127));
  t.same(parts[0]!.subarray(0, 13), hex('0C 05 04 0B 84 23 F0 08 04 BE EF 04 01'));
  const r = new Reassembler();
  let done;
  for (const p of [...parts].reverse()) {
    const res = r.accept('+331', p, 0);
    if (res.status === 'complete') done = res.datagram;
  }
  t.ok(done);
  t.same(done!.payload, payload);
  t.equal(done!.segments, 4);
  t.equal(done!.reference, 0xbeef);
  t.same(done!.ports, { destination: 2948, source: 9200, bits: 16 });
});

t.test('multi-segment reassembly is byte-identical, out of order and with duplicates', async (t) => {
  const payload = bytes(1000, 3);
  const parts = segment(payload, { reference: 42 });
  const r = new Reassembler();
  const order = [3, 0, 0, 5, 1, 7, 2, 4, 6];
  const results = order.filter((i) => i < parts.length).map((i) => r.accept('+15550001', parts[i]!, 1000));
  const complete = results.filter((x) => x.status === 'complete');
  t.equal(complete.length, 1, 'completes once despite a duplicate');
  t.same(complete[0]!.status === 'complete' && complete[0]!.datagram.payload, payload);
  t.equal(r.pendingSets, 0);
});

t.test('sets are keyed by originator and reference', async (t) => {
  const a = segment(bytes(300, 1), { reference: 5 });
  const b = segment(bytes(300, 2), { reference: 5 });
  const c = segment(bytes(300, 3), { reference: 6 });
  const r = new Reassembler();
  const got: Buffer[] = [];
  for (let i = 0; i < a.length; i++) {
    for (const [who, p] of [['A', a[i]!], ['B', b[i]!], ['A', c[i]!]] as const) {
      const res = r.accept(who, p, 0);
      if (res.status === 'complete') got.push(res.datagram.payload);
    }
  }
  t.same(got, [bytes(300, 1), bytes(300, 2), bytes(300, 3)]);
});

t.test('reassembler limits: segment count, pending sets, age', async (t) => {
  const r = new Reassembler({ maxSegments: 3, maxPendingSets: 2, maxAgeMs: 1000 });
  const big = segment(bytes(600), { reference: 1 });
  const res = r.accept('x', big[0]!, 0);
  t.equal(res.status, 'rejected');
  t.match(res.status === 'rejected' && res.reason, /segments exceed/);

  const s1 = segment(bytes(200, 1), { reference: 1 });
  const s2 = segment(bytes(200, 2), { reference: 2 });
  const s3 = segment(bytes(200, 3), { reference: 3 });
  r.accept('x', s1[0]!, 0);
  r.accept('x', s2[0]!, 10);
  r.accept('x', s3[0]!, 20);
  t.equal(r.pendingSets, 2, 'the oldest set (1) was evicted');
  t.equal(r.dropped, 1);
  t.equal(r.accept('x', s3[1]!, 30).status, 'complete');
  t.equal(r.accept('x', s1[1]!, 40).status, 'pending', 'evicted set 1 starts over instead of completing');
  t.equal(r.pendingSets, 2);
  t.equal(r.accept('x', s2[1]!, 1010).status, 'pending', 'set 2 (first seen at 10) expired at 1010, so its second half starts anew');
  t.equal(r.dropped, 2);
  t.equal(r.prune(1039), 0, 'set 1 (restarted at 40) is 999 ms old');
  t.equal(r.prune(1040), 1, 'set 1 is dropped at age 1000');
  t.equal(r.pendingSets, 1);
});

t.test('UDH decoding keeps unknown elements and rejects malformed headers', async (t) => {
  const ud = decodeUserData(hex('0A 05 04 0B 84 23 F0 70 02 AA BB 99'));
  t.same(
    ud.header.elements.map((e) => e.iei),
    [0x05, 0x70],
  );
  t.same(ud.body, hex('99'));
  const p8 = decodeUserData(hex('04 04 02 E2 E2 FF'));
  t.same(p8.header.ports, { destination: 0xe2, source: 0xe2, bits: 8 });

  t.throws(() => decodeUserData(hex('09 05 04 0B 84')), WdpDecodeError);
  const caught = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as WdpDecodeError;
    }
    return undefined;
  };
  t.match(caught(() => decodeUserData(hex('03 05 04 0B 84'))), { field: 'IEDL', offset: 2 });
  t.match(caught(() => decodeUserData(Buffer.alloc(0))), { field: 'UDHL', offset: 0 });
  t.equal(new Reassembler().accept('x', hex('09 05'), 0).status, 'rejected');

  const bad = decodeUserData(hex('05 00 03 01 00 01'));
  t.equal(bad.header.concat, undefined, 'total 0 is ignored per TS 23.040');
});

t.test('encodeUdh and segment guard their limits', async (t) => {
  t.throws(() => segment(bytes(256 * 128), { reference: 1 }), RangeError);
  t.throws(() => segment(bytes(300), { reference: 1, maxOctets: 12 }), RangeError);
  t.throws(() => encodeUdh({ extra: [{ iei: 0x70, data: Buffer.alloc(140) }] }), RangeError);
  t.equal(segment(bytes(255 * 128), { reference: 1 }).length, 255);
});
