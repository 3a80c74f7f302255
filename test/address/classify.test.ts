import t from 'tap';
import { addressKind, classifyAddress, isRoutable, msisdnOf, plmnAddress, sameSubscriber, type AddressKind } from '../../src/address/index.js';

t.test('kinds of wire-form addresses (OMA-MMS-ENC 8), as the relay has routed them', async (t) => {
  const cases: [string, AddressKind][] = [
    ['+15551234567/TYPE=PLMN', 'plmn'],
    ['+1-555-123.4567/TYPE=PLMN', 'plmn'],
    ['15551234567/type=plmn', 'plmn'],
    ['*100#/TYPE=PLMN', 'plmn'],
    ['john/TYPE=PLMN', 'other'],
    ['10.1.2.3/TYPE=IPv4', 'ipv4'],
    ['10.1.2.3/TYPE=IPV4', 'ipv4'],
    ['fe80::1/TYPE=IPv6', 'ipv6'],
    ['foo/TYPE=x-custom', 'other'],
    ['user@example.com', 'email'],
    ['Jane <jane@example.com>', 'email'],
    ['+15551234567', 'plmn'],
    ['+1 555 123 4567', 'plmn'],
    ['15551234567', 'plmn'],
    ['12345', 'shortcode'],
    ['555 1234', 'shortcode'],
    ['12', 'other'],
    ['1234567890123456', 'other'],
    ['+123', 'other'],
    ['Erotik', 'other'],
    ['', 'other'],
  ];
  for (const [address, kind] of cases) t.equal(addressKind(address), kind, `${JSON.stringify(address)} is ${kind}`);
});

t.test('classification: the number, its E.164 form, the /TYPE', async (t) => {
  t.same(classifyAddress('+1-555-123.4567/TYPE=PLMN'), { kind: 'plmn', value: '+15551234567', type: 'PLMN', e164: '+15551234567' });
  t.same(classifyAddress('015551234/TYPE=PLMN'), { kind: 'plmn', value: '015551234', type: 'PLMN' }, 'a national number has no E.164 form here');
  t.same(classifyAddress('12345'), { kind: 'shortcode', value: '12345' });
  t.same(classifyAddress('10.1.2.3/TYPE=IPv4'), { kind: 'ipv4', value: '10.1.2.3', type: 'IPv4' });
  t.same(classifyAddress('Jane <Jane@Example.com>'), { kind: 'email', value: 'Jane@Example.com', local: 'Jane', domain: 'example.com' });
});

t.test('MM4 forms: a number at a peer domain, with or without /TYPE, and the operator of a 3GPP domain', async (t) => {
  t.same(classifyAddress('+4917012345/TYPE=PLMN@mms.mnc001.mcc262.3gppnetwork.org'), {
    kind: 'plmn',
    value: '+4917012345',
    type: 'PLMN',
    e164: '+4917012345',
    local: '+4917012345/TYPE=PLMN',
    domain: 'mms.mnc001.mcc262.3gppnetwork.org',
    operator: { mcc: '262', mnc: '001' },
  });
  t.match(classifyAddress('+48601234567/TYPE=PLMN@MMS.MNC06.MCC260.GPRS'), { kind: 'plmn', e164: '+48601234567', domain: 'mms.mnc06.mcc260.gprs', operator: { mcc: '260', mnc: '006' } });
  t.match(classifyAddress('+4917012345@peer.example'), { kind: 'plmn', value: '+4917012345', e164: '+4917012345', local: '+4917012345', domain: 'peer.example' });
  t.notOk('operator' in classifyAddress('+4917012345@peer.example'), 'no operator for a plain domain');
  t.match(classifyAddress('user/TYPE=PLMN@mms.mnc001.mcc262.3gppnetwork.org'), { kind: 'other', domain: 'mms.mnc001.mcc262.3gppnetwork.org' }, 'a PLMN address must be a number');
  t.match(classifyAddress('alice@mms.example.net'), { kind: 'email', local: 'alice', domain: 'mms.example.net' });
  // Numbers at a peer's domain are MM4's, not ours to push to.
  t.notOk(isRoutable('+4917012345/TYPE=PLMN@mms.mnc001.mcc262.3gppnetwork.org'));
  t.notOk(isRoutable('+4917012345@peer.example'));
  t.equal(msisdnOf('+4917012345/TYPE=PLMN@mms.mnc001.mcc262.3gppnetwork.org'), '+4917012345');
  t.ok(sameSubscriber('+4917012345/TYPE=PLMN@mms.mnc001.mcc262.gprs', '+4917012345/TYPE=PLMN'), 'the same number with and without domain');
});

t.test('routable, msisdnOf, sameSubscriber, plmnAddress', async (t) => {
  t.ok(isRoutable('+15551234567/TYPE=PLMN'));
  t.ok(isRoutable('12345'));
  t.ok(isRoutable('15551234567'));
  t.notOk(isRoutable('user@example.com'));
  t.notOk(isRoutable('10.1.2.3/TYPE=IPv4'));
  t.notOk(isRoutable('Erotik'));
  t.equal(msisdnOf('+1-555-123-4567/TYPE=PLMN'), '+15551234567');
  t.equal(msisdnOf('12345/TYPE=PLMN'), '12345');
  t.equal(msisdnOf('555 1234'), '5551234');
  t.equal(msisdnOf('user@example.com'), 'user@example.com');
  t.ok(sameSubscriber('+15551234567/TYPE=PLMN', '15551234567/TYPE=PLMN'), "'+' aside");
  t.ok(sameSubscriber('+1-555-123-4567/TYPE=PLMN', '+15551234567'), 'separators and /TYPE aside');
  t.notOk(sameSubscriber('+15551234567/TYPE=PLMN', '+15557654321/TYPE=PLMN'));
  t.ok(sameSubscriber('User@Example.com', 'user@example.com'));
  t.ok(sameSubscriber('Jane <jane@example.com>', 'jane@example.com'), 'display names aside');
  t.notOk(sameSubscriber('12345', 'user@example.com'));
  t.equal(plmnAddress('+15551234567'), '+15551234567/TYPE=PLMN');
});
