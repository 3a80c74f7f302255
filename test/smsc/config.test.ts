import t from 'tap';
import { ConfigError } from '../../src/config/schema.js';
import { parseSmscUrl, smscLinksFromConfig } from '../../src/config/smsc.js';
import { normaliseSmscId, receiptKeys } from '../../src/smsc/ids.js';
import { isDeliveryReceipt, parseReceiptText, readReceipt } from '../../src/smsc/receipt.js';

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    t.ok(e instanceof ConfigError, 'a ConfigError');
    return (e as Error).message;
  }
  return 'no error';
};

t.test('parseSmscUrl reads credentials, host, port and settings', async (t) => {
  const c = parseSmscUrl('smpp://my%40id:p%3Ass@10.0.0.1:2776?system_type=WAP&window=50&tps=200&bind=tx-rx&data_coding=0xF5&prefix=%2B33,44&concat=16');
  t.match(c, { host: '10.0.0.1', port: 2776, systemId: 'my@id', password: 'p:ss', systemType: 'WAP', window: 50, tps: 200, bind: 'tx-rx', dataCoding: 0xf5, prefixes: ['33', '44'], concatBits: 16, tls: false });
  t.match(parseSmscUrl('smpp://u@h'), { port: 2775, password: '', window: 10, tps: 0, bind: 'trx', dataCoding: 4, registeredDelivery: 1 });
  t.match(parseSmscUrl('ssmpp://u:p@h'), { port: 3550, tls: true });
});

t.test('parseSmscUrl names the bad part', async (t) => {
  t.match(err(() => parseSmscUrl('http://u:p@h')), /scheme must be smpp/);
  t.match(err(() => parseSmscUrl('smpp://h:2775')), /no system_id/);
  t.match(err(() => parseSmscUrl('smpp://u:p@h?windw=5')), /smsc\.url\?windw: is not a known setting/);
  t.match(err(() => parseSmscUrl('smpp://u:p@h?window=0')), /window: must be >= 1/);
  t.match(err(() => parseSmscUrl('smpp://u:p@h?bind=rx')), /must be one of trx, tx-rx/);
  t.match(err(() => parseSmscUrl('smpp://u:p@h?concat=12')), /must be 8 or 16/);
  t.match(err(() => parseSmscUrl('smpp://u:toolongpassword@h')), /password is longer than 8/);
  t.match(err(() => parseSmscUrl('not a url')), /is not a URL/);
});

t.test('config section: url plus links in URL or object form', async (t) => {
  t.same(smscLinksFromConfig({}), []);
  const links = smscLinksFromConfig({
    url: 'smpp://a:b@h1',
    links: ['smpp://c:d@h2?name=backup', { host: 'h3', systemId: 'e', password: 'f', window: 5, prefixes: ['+49'] }, { url: 'smpp://g:h@h4', port: 9000, tps: 10 }],
  });
  t.same(
    links.map((l) => [l.name, l.host, l.port, l.systemId]),
    [
      ['smsc', 'h1', 2775, 'a'],
      ['backup', 'h2', 2775, 'c'],
      ['smsc3', 'h3', 2775, 'e'],
      ['smsc4', 'h4', 9000, 'g'],
    ],
  );
  t.equal(links[2]!.window, 5);
  t.same(links[2]!.prefixes, ['49']);
  t.equal(links[3]!.tps, 10);
  t.match(err(() => smscLinksFromConfig({ links: [{ host: 'h', systemId: 'x', windw: 3 }] })), /smsc\.links\[0\]\.windw: is not a known setting/);
  t.match(err(() => smscLinksFromConfig({ links: [{ host: 'h' }] })), /smsc\.links\[0\]\.systemId: is required/);
  t.match(err(() => smscLinksFromConfig({ links: ['smpp://a@h?name=x', 'smpp://b@h?name=x'] })), /"x" is used twice/);
  t.match(err(() => smscLinksFromConfig({ link: [] })), /smsc\.link: is not a known setting/);
});

t.test('normaliseSmscId: every reading of hex and decimal ids', async (t) => {
  t.same(normaliseSmscId('1A2B'), ['1A2B', '1a2b', '6699']);
  t.same(normaliseSmscId(' 6699 '), ['6699', '1a2b', '26265'], 'decimal reading, then hex reading');
  t.same(normaliseSmscId('000123'), ['000123', '123', '7b', '291']);
  t.same(normaliseSmscId('abc-def-123'), ['abc-def-123']);
  t.same(normaliseSmscId(''), []);
  const submit = receiptKeys('l', ['1A2B']);
  const receipt = receiptKeys('l', ['6699']);
  t.ok(submit.some((k) => receipt.includes(k)), 'hex submit id meets decimal receipt id');
  t.notOk(receiptKeys('other', ['6699']).some((k) => submit.includes(k)), 'ids of another link never match');
});

t.test('receipt text and TLV parsing', async (t) => {
  const text = 'id:0123456789 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:UNDELIV err:034 text:hello world';
  t.same(parseReceiptText(text), { id: '0123456789', sub: '001', dlvrd: '000', submitDate: '2401011200', doneDate: '2401011201', stat: 'UNDELIV', err: '034', text: 'hello world' });
  t.same(parseReceiptText('ID:ab stat:delivrd'), { id: 'ab', stat: 'DELIVRD' }, 'case-insensitive, fields missing');
  t.ok(isDeliveryReceipt(0x04));
  t.ok(isDeliveryReceipt(0x44));
  t.notOk(isDeliveryReceipt(0x00));
  t.notOk(isDeliveryReceipt(0x08), 'SME delivery ack is not an SMSC receipt');

  const r = readReceipt('l', { esm_class: 4, text });
  t.match(r, { messageId: '0123456789', status: 'undeliverable', stat: 'UNDELIV', delivered: false, final: true, error: 'err:034' });
  const tlv = readReceipt('l', { esm_class: 4, receipted_message_id: 'FF', message_state: 2, text: 'id:255 stat:UNDELIV', network_error_code: Buffer.from('030000', 'hex') });
  t.match(tlv, { messageId: 'FF', status: 'delivered', stat: 'DELIVRD', delivered: true });
  t.equal(tlv!.error, undefined, 'zero network error code is no error');
  t.ok(tlv!.keys.includes('l:255'));
  t.match(readReceipt('l', { esm_class: 4, text: 'stat:ACKED id:7' }), { status: 'enroute', final: false });
  t.equal(readReceipt('l', { esm_class: 4, text: 'no id here' }), undefined);
});
