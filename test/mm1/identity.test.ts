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

t.test('header order decides; values are normalised', async (t) => {
  const r = new SenderResolver({ ...base, msisdnHeaders: ['x-nokia-msisdn', 'x-msisdn'] });
  t.equal(r.msisdnFromHeaders('127.0.0.1', { 'x-msisdn': '15551111111', 'x-nokia-msisdn': '15552222222' }), '+15552222222');
  // A length no plan of the calling code can dial is no subscriber: the next header is tried.
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
