import t from 'tap';
import { defaultConfig } from '../../src/config/index.js';
import { SenderResolver } from '../../src/mm1/identity.js';

const base = defaultConfig().mm1;

t.test('MSISDN headers are believed only from trusted proxies', async (t) => {
  const r = new SenderResolver({ ...base, trustedProxies: ['10.0.0.0/8', '::1/128'] });
  const h = { 'x-msisdn': '15551234567' };
  t.equal(r.msisdnFromHeaders('10.1.2.3', h), '+15551234567');
  t.equal(r.msisdnFromHeaders('::ffff:10.1.2.3', h), '+15551234567', 'IPv4-mapped IPv6 peer');
  t.equal(r.msisdnFromHeaders('::1', h), '+15551234567');
  t.equal(r.msisdnFromHeaders('192.168.1.1', h), undefined, 'untrusted peer');
  t.equal(r.msisdnFromHeaders('10.1.2.3', { 'x-wap-network-client-msisdn': '+447700900123' }), '+447700900123');
  t.equal(r.msisdnFromHeaders('10.1.2.3', { 'x-up-calling-line-id': 'garbage' }), undefined);
});

t.test('values are normalised; headers that agree are one sender', async (t) => {
  const r = new SenderResolver({ ...base, msisdnHeaders: ['x-nokia-msisdn', 'x-msisdn'] });
  t.equal(r.msisdnFromHeaders('127.0.0.1', { 'x-msisdn': '15551234567', 'x-nokia-msisdn': 'tel:+1-555-123-4567' }), '+15551234567', 'the same number in two forms');
  t.equal(r.msisdnFromHeaders('127.0.0.1', { 'x-msisdn': '15551234567, +15551234567' }), '+15551234567', 'a repeated header with one number');
  // A length no plan of the calling code can dial is no subscriber (and no conflict): the other header is taken.
  t.equal(r.msisdnFromHeaders('127.0.0.1', { 'x-msisdn': '15551111111', 'x-nokia-msisdn': '222222222' }), '+15551111111');
  t.equal(r.normalise('12345'), undefined, 'a short code is no MSISDN');
  t.equal(r.normalise('tel:+1-555-123-4567'), '+15551234567');
  t.equal(r.normalise('0044770090012'), '+44770090012');
  const fr = new SenderResolver({ ...base, msisdnCountryPrefix: '+33' });
  t.equal(fr.normalise('0612345678'), '+33612345678');
  t.equal(fr.normalise('33612345678'), '+33612345678');
  t.equal(fr.normalise('612345678'), '+33612345678');
  t.equal(fr.normalise('331234567'), '+33331234567', 'a national number that happens to start with 33');
  t.equal(fr.normalise('tel:+33612345678;phone-context=x'), '+33612345678');
});

t.test('resolve: insert-address-token, mismatching From, unidentified', async (t) => {
  const over = new SenderResolver(base);
  const h = { 'x-msisdn': '+15551234567' };
  t.same(over.resolve('127.0.0.1', h, 'insert'), { ok: true, address: '+15551234567/TYPE=PLMN', source: 'header' });
  t.same(over.resolve('127.0.0.1', h, '+15551234567/TYPE=PLMN'), { ok: true, address: '+15551234567/TYPE=PLMN', source: 'header' });
  t.same(over.resolve('127.0.0.1', h, '+19999999999/TYPE=PLMN'), {
    ok: true,
    address: '+15551234567/TYPE=PLMN',
    source: 'header',
    overwrote: '+19999999999/TYPE=PLMN',
  });
  const refuse = new SenderResolver({ ...base, fromMismatch: 'refuse' });
  t.match(refuse.resolve('127.0.0.1', h, '+19999999999/TYPE=PLMN'), { ok: false, reason: 'from-mismatch' });
  t.match(over.resolve('127.0.0.1', {}, 'insert'), { ok: false, reason: 'unidentified' });
  t.match(over.resolve('8.8.8.8', h, '+15551234567/TYPE=PLMN'), { ok: false, reason: 'unidentified', detail: /not a trusted proxy/ });
  const lab = new SenderResolver({ ...base, allowClientFrom: true });
  t.same(lab.resolve('8.8.8.8', {}, '+15551234567/TYPE=PLMN'), { ok: true, address: '+15551234567/TYPE=PLMN', source: 'pdu' });
  t.match(lab.resolve('8.8.8.8', {}, 'insert'), { ok: false, reason: 'unidentified' });
});

t.test('conflicting MSISDN headers: refused by default, never the first silently (issue 16, finding 4)', async (t) => {
  const r = new SenderResolver(base);
  // The client adds its own X-MSISDN; the WAP gateway sets X-WAP-Network-Client-MSISDN.
  const spoofed = { 'x-msisdn': '15550000666', 'x-wap-network-client-msisdn': '15551234567' };
  t.match(r.headerVerdict('127.0.0.1', spoofed), {
    kind: 'conflict',
    values: [
      { header: 'x-wap-network-client-msisdn', msisdn: '+15551234567' },
      { header: 'x-msisdn', msisdn: '+15550000666' },
    ],
  });
  t.equal(r.msisdnFromHeaders('127.0.0.1', spoofed), undefined);
  t.match(r.resolve('127.0.0.1', spoofed, 'insert'), { ok: false, reason: 'unidentified', detail: /conflicting MSISDN headers: x-wap-network-client-msisdn=15551234567, x-msisdn=15550000666/ });
  t.match(new SenderResolver({ ...base, allowClientFrom: true }).resolve('127.0.0.1', spoofed, '+15550000666/TYPE=PLMN'), { ok: false, reason: 'unidentified' }, 'lab mode does not let the PDU settle a conflict');
  // Two values of one header (a repeated header arrives joined with commas).
  t.match(r.headerVerdict('127.0.0.1', { 'x-msisdn': '15550000666, 15551234567' }), { kind: 'conflict' });
  t.match(r.headerVerdict('127.0.0.1', { 'x-msisdn': ['15550000666', '15551234567'] }), { kind: 'conflict' });
  t.same(r.headerVerdict('8.8.8.8', spoofed), { kind: 'untrusted' });
  t.same(r.headerVerdict('127.0.0.1', { 'x-up-calling-line-id': 'garbage' }), { kind: 'none' });
});

t.test('msisdnConflict "prefer-first": the header first in mm1.msisdnHeaders wins, and says what it overrode', async (t) => {
  const r = new SenderResolver({ ...base, msisdnConflict: 'prefer-first' });
  const spoofed = { 'x-msisdn': '15550000666', 'x-wap-network-client-msisdn': '15551234567' };
  t.match(r.headerVerdict('127.0.0.1', spoofed), { kind: 'msisdn', msisdn: '+15551234567', header: 'x-wap-network-client-msisdn', overrode: [{ header: 'x-msisdn', msisdn: '+15550000666' }] });
  t.same(r.resolve('127.0.0.1', spoofed, 'insert'), { ok: true, address: '+15551234567/TYPE=PLMN', source: 'header' });
  const other = new SenderResolver({ ...base, msisdnConflict: 'prefer-first', msisdnHeaders: ['x-msisdn', 'x-wap-network-client-msisdn'] });
  t.equal(other.msisdnFromHeaders('127.0.0.1', spoofed), '+15550000666', 'precedence is the configured order');
});

t.test('default trust: the loopback addresses npm start needs, not all of 127.0.0.0/8', async (t) => {
  t.same(base.trustedProxies, ['127.0.0.1/32', '::1/128']);
  t.equal(base.msisdnHeaders[0], 'x-wap-network-client-msisdn', "the WAP gateway's header comes first");
  t.equal(base.msisdnConflict, 'refuse');
  const r = new SenderResolver(base);
  for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) t.equal(r.isTrusted(peer), true, peer);
  for (const peer of ['127.0.0.2', '127.1.2.3', '::ffff:127.0.0.2', '10.0.0.1']) t.equal(r.isTrusted(peer), false, peer);
});
