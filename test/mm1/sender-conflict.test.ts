/**
 * Issue 16, finding 4, over a real socket: a client's own X-MSISDN next to the WAP gateway's
 * X-WAP-Network-Client-MSISDN no longer chooses the sender silently.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { decode, encode, type MmsPdu, type SendConf } from '../../protocol/mms/index.js';

async function gateway(t: Test, tweak?: (c: GatewayConfig) => void): Promise<{ gw: Gateway; lines: Record<string, unknown>[] }> {
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  tweak?.(config);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const gw = await startGateway({ config, logger: pino({ level: 'info' }, sink), transport: new RecordingTransport() });
  t.teardown(() => gw.stop());
  return { gw, lines };
}

const spoofed = { 'x-msisdn': '15550000666', 'x-wap-network-client-msisdn': '15551234567' };

async function send(gw: Gateway, headers: Record<string, string>, tid: string): Promise<SendConf> {
  const pdu = {
    type: 'm-send-req',
    transactionId: tid,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15550000002/TYPE=PLMN'],
    contentType: { type: 'text/plain', params: {} },
    body: Buffer.from('hi'),
  } as MmsPdu;
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', ...headers }, body: encode(pdu) });
  t.equal(res.status, 200);
  return decode(Buffer.from(await res.arrayBuffer())) as SendConf;
}

t.test('conflicting MSISDN headers: refused with sending-address-unresolved and logged (mm1.msisdnConflict "refuse", the default)', async (t) => {
  const { gw, lines } = await gateway(t);
  const conf = await send(gw, spoofed, 'tid-conflict-1');
  t.match(conf, { type: 'm-send-conf', transactionId: 'tid-conflict-1', responseStatus: 'error-permanent-sending-address-unresolved' });
  t.ok(lines.some((l) => l.level === 40 && /MSISDN headers name different numbers/.test(String(l.msg)) && /x-msisdn=15550000666/.test(String(l.headers))), 'a warning names both headers');
  t.equal((await gw.store.stateCounts()).accepted ?? 0, 0, 'nothing accepted');
  // One header, or headers that agree, are fine.
  t.match(await send(gw, { 'x-wap-network-client-msisdn': '15551234567', 'x-msisdn': '+15551234567' }, 'tid-agree'), { responseStatus: 'ok' });
});

t.test('mm1.msisdnConflict "prefer-first": the header first in mm1.msisdnHeaders is the sender, with a warning', async (t) => {
  const { gw, lines } = await gateway(t, (c) => {
    c.mm1.msisdnConflict = 'prefer-first';
  });
  const conf = await send(gw, spoofed, 'tid-conflict-2');
  t.equal(conf.responseStatus, 'ok');
  const m = await gw.store.getMessage(conf.messageId!);
  t.equal(m?.from, '+15551234567/TYPE=PLMN', "the WAP gateway's header, not the client's");
  t.ok(lines.some((l) => l.level === 40 && l.header === 'x-wap-network-client-msisdn' && /x-msisdn=15550000666/.test(String(l.overrode))));
});
