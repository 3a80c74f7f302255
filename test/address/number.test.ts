import t from 'tap';
import { callingCodeOf, countryOf, isPossibleNumber, isValidNumber, normaliseNumber, timeZonesOf, type NumberingPlan } from '../../src/address/index.js';

const uk: NumberingPlan = { countryCode: '44', nationalPrefix: '0' };
const us: NumberingPlan = { countryCode: '1', nationalPrefix: '' };
const none: NumberingPlan = { countryCode: '', nationalPrefix: '0' };

t.test('E.164 normalisation keeps short codes (the rules VASP sends have always had)', async (t) => {
  const cases: [string, NumberingPlan, string | undefined][] = [
    ['+44 7700 900123', uk, '+447700900123'],
    ['0044 7700 900123', uk, '+447700900123'],
    ['07700 900123', uk, '+447700900123'],
    ['+15551234567/TYPE=PLMN', uk, '+15551234567'],
    ['tel:+1-555-123-4567', uk, '+15551234567'],
    ['(555) 123-4567', us, '+15551234567'],
    ['1-555-123-4567', us, '+15551234567'],
    ['0044 7700 900123', us, '+447700900123'],
    ['12345', uk, '12345'],
    ['4242', us, '4242'],
    ['74951234567', none, '+74951234567'],
    ['07700900123', none, undefined],
    ['+0123456789', uk, undefined],
    ['+1234567890123456', uk, undefined],
    ['12', uk, undefined],
    ['user@example.com', uk, undefined],
    ['', uk, undefined],
    ['1'.repeat(40), uk, undefined],
  ];
  for (const [input, plan, want] of cases) {
    const n = normaliseNumber(input, plan);
    if (want === undefined) t.notOk(n.ok, `${JSON.stringify(input)} refused`);
    else t.same(n.ok && n.value, want, `${input} -> ${want}`);
  }
  t.match(normaliseNumber('12345', uk), { ok: true, kind: 'shortcode' });
  t.match(normaliseNumber('+447700900123', uk), { ok: true, kind: 'e164' });
  t.match(normaliseNumber('01234', uk), { ok: true, kind: 'shortcode', value: '01234' }, 'a trunk-prefixed string of 5 digits is still a short code');
  t.match(normaliseNumber('012345', uk), { ok: false }, 'longer than 5 with the trunk prefix: a national number, too short for +44');
});

t.test('acceptance is a possible length for the calling code (libphonenumber), not an assigned range', async (t) => {
  // Lab numbers: possible (NANP has 10 national digits) but not valid.
  t.ok(isPossibleNumber('+15551234567'));
  t.notOk(isValidNumber('+15551234567'), '+1 555 is no assigned range');
  t.match(normaliseNumber('+15551234567', uk), { ok: true, value: '+15551234567' }, 'so VASP lab traffic is accepted');
  t.ok(isValidNumber('+12025550123'));
  t.ok(isValidNumber('+4917012345678'));
  t.ok(isValidNumber('+33612345678'));
  // Lengths no plan of the calling code can dial are refused, though they were 7-15 digits.
  for (const n of ['+7255441234', '+4412345', '+111111111', '+222222222']) {
    t.notOk(isPossibleNumber(n), `${n} impossible`);
    t.match(normaliseNumber(n, none), { ok: false, reason: /not a possible international number/ });
  }
  t.notOk(isPossibleNumber('15551234567'), 'E.164 needs the +');
  t.notOk(isPossibleNumber('+0441234567'));
  // The union over countries sharing a code: Canada allows 7 national digits, the US only 10.
  t.ok(isPossibleNumber('+13101234'), '+1 with 7 digits is possible (CA)');
  // A non-geographic code (+800 freephone) is decided by libphonenumber in full.
  t.ok(isPossibleNumber('+80012345678'));
  t.notOk(isPossibleNumber('+8001234'));
});

t.test('calling code and country of a number', async (t) => {
  t.equal(callingCodeOf('+4917012345678'), '49');
  t.equal(callingCodeOf('+15551234567'), '1');
  t.equal(callingCodeOf('+358401234567'), '358');
  t.equal(callingCodeOf('+80012345678'), undefined, 'non-geographic');
  t.equal(countryOf('+4917012345678'), 'DE', 'one country per code: no parse needed');
  t.equal(countryOf('+4917012345'), 'DE', 'even when not a valid range: +49 is only Germany');
  t.equal(countryOf('+33612345678'), 'FR');
  t.equal(countryOf('+12025550123'), 'US', 'shared code +1: by the number range');
  t.equal(countryOf('+16135550123'), 'CA', 'Ottawa');
  t.equal(countryOf('+447700900123'), undefined, '+44 7700 900 is Ofcom drama range, no country');
  t.equal(countryOf('+447400123456'), 'GB');
  t.equal(countryOf('+15551234567'), undefined, 'a lab number on a shared code has no country');
  t.equal(countryOf('+74951234567'), 'RU');
  t.equal(countryOf('+77012345678'), 'KZ');
  t.equal(countryOf('12345'), undefined);
  t.equal(countryOf('+80012345678'), undefined);
});

t.test('time zones of a country or a number', async (t) => {
  t.same(timeZonesOf('DE'), ['Europe/Berlin', 'Europe/Busingen']);
  t.same(timeZonesOf('de'), ['Europe/Berlin', 'Europe/Busingen']);
  t.same(timeZonesOf('+4917012345678'), ['Europe/Berlin', 'Europe/Busingen']);
  t.same(timeZonesOf('+33612345678'), ['Europe/Paris']);
  t.ok(timeZonesOf('US').includes('America/New_York'));
  t.ok(timeZonesOf('US').length > 5, 'a country with several zones gets them all');
  t.same(timeZonesOf('+15551234567'), [], 'no country, no zone');
  t.same(timeZonesOf('Germany'), []);
  for (const z of timeZonesOf('AU')) t.doesNotThrow(() => new Intl.DateTimeFormat('en', { timeZone: z }), `${z} is a zone the runtime knows`);
});
