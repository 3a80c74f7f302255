/**
 * Issue 16, finding 1: a gateway that holds on a hostile network. Every test here is over real
 * sockets written by hand (partial headers, partial bodies, stalls), with small configured timeouts;
 * the tests wait on the connection's close or response, never on the clock.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { guardOf } from '../../src/http/guard.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { decode, encode, type MmsPdu, type SendConf } from '../../protocol/mms/index.js';
import { RawConnection, postHead } from '../support/raw-http.js';
import { until } from '../support/until.js';
import { account, basic } from '../vasp/helpers.js';

/** Deadline for a test that would otherwise wait for ever on the code before the fix; not a threshold. */
const FAIL_AFTER = { timeout: 60_000 };

async function gateway(t: Test, tweak?: (c: GatewayConfig) => void): Promise<Gateway> {
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.vasp.accounts = [account('TNN')];
  tweak?.(config);
  const gw = await startGateway({ config, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), transport: new RecordingTransport() });
  t.teardown(() => gw.stop());
  return gw;
}

function sendReq(size: number, tid = `tx-${Math.random().toString(36).slice(2)}`): Buffer {
  return encode({
    type: 'm-send-req',
    transactionId: tid,
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15550000002/TYPE=PLMN'],
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [{ contentType: { type: 'image/jpeg', params: {} }, data: Buffer.alloc(size, 7) }],
  } as MmsPdu);
}

async function dropped(gw: Gateway, reason: string): Promise<number> {
  const m = await gw.metrics.httpDropped.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

t.test('unauthenticated MM7 clients that send part of a large body and stall are answered on their headers and cut off', FAIL_AFTER, async (t) => {
  const gw = await gateway(t);
  const clients = await Promise.all(Array.from({ length: 20 }, () => RawConnection.open(gw.url)));
  await Promise.all(
    clients.map(async (c, i) => {
      const head = postHead('/mm7', { 'content-type': 'text/xml', 'content-length': 5 * 1024 * 1024, ...(i % 2 ? { authorization: basic('TNN', 'wrong') } : {}) });
      await c.write(head);
      await c.write(Buffer.alloc(64 * 1024, 0x41));
      // ... and nothing more.
    }),
  );
  for (const c of clients) {
    const r = await c.response;
    t.equal(r.status, 401, 'refused without its body');
    t.equal(r.headers.connection, 'close');
    await c.closed;
  }
  t.equal(guardOf(gw.app)!.buffered, 0, 'no body octet held');
});

t.test('a partial chunked POST to /mms that stalls is closed by the body idle timeout', FAIL_AFTER, async (t) => {
  const gw = await gateway(t, (c) => {
    c.http.bodyIdleTimeoutMs = 200;
    c.http.minBodyRate = 0;
  });
  const c = await RawConnection.open(gw.url);
  await c.write(postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001', 'transfer-encoding': 'chunked' }));
  const part = sendReq(10_000).subarray(0, 4000);
  await c.write(`${part.length.toString(16)}\r\n`);
  await c.write(part);
  await c.write('\r\n');
  const r = await c.response;
  t.equal(r.status, 408);
  await c.closed;
  t.equal(await dropped(gw, 'body-idle'), 1);
  t.equal(guardOf(gw.app)!.buffered, 0, 'its octets released');
});

t.test('a body that trickles in below the minimum rate is closed, though never idle', FAIL_AFTER, async (t) => {
  const gw = await gateway(t, (c) => {
    // Idle never (a drip every 10 ms), too slow after a second (about 5 KB/s against 100 KB/s).
    c.http.bodyIdleTimeoutMs = 1000;
    c.http.minBodyRate = 100_000;
  });
  const c = await RawConnection.open(gw.url);
  await c.write(postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001', 'content-length': 100_000 }));
  const drip = setInterval(() => void c.write(Buffer.alloc(50, 1)), 10);
  t.teardown(() => clearInterval(drip));
  await c.closed;
  clearInterval(drip);
  t.equal((await c.response).status, 408);
  t.equal(await dropped(gw, 'body-slow'), 1);
  t.equal(await dropped(gw, 'body-idle'), 0);
});

t.test('headers that never finish, and a connection that sends nothing, are closed by the headers timeout', FAIL_AFTER, async (t) => {
  const gw = await gateway(t, (c) => {
    c.http.headersTimeoutMs = 200;
  });
  const partial = await RawConnection.open(gw.url);
  await partial.write('POST /mms HTTP/1.1\r\nHost: mmsc.test\r\nContent-Type: application/vnd.wap.mms-message\r\n');
  const silent = await RawConnection.open(gw.url);
  t.equal((await partial.response).status, 408);
  await partial.closed;
  await silent.closed;
});

t.test('the buffered-bytes cap: past it a request is answered 503 and its connection closed; released octets make room again', FAIL_AFTER, async (t) => {
  const gw = await gateway(t, (c) => {
    c.http.maxBufferedBytes = 64 * 1024;
    c.http.bodyIdleTimeoutMs = 600_000;
  });
  const guard = guardOf(gw.app)!;
  const head = (length: number) => postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001', 'content-length': length });
  const holder = await RawConnection.open(gw.url);
  const big = sendReq(200_000);
  await holder.write(head(big.length));
  await holder.write(big.subarray(0, 60 * 1024));
  await until(() => guard.buffered >= 60 * 1024, 'the first body to be held');

  const over = await RawConnection.open(gw.url);
  const second = sendReq(20_000);
  await over.write(head(second.length));
  await over.write(second);
  const r = await over.response;
  t.equal(r.status, 503);
  t.equal(r.headers.connection, 'close');
  t.ok(r.headers['retry-after']);
  await over.closed;
  t.equal(await dropped(gw, 'buffer-cap'), 1);
  t.ok(guard.buffered >= 60 * 1024 && guard.buffered <= 64 * 1024, 'the refused request holds nothing');

  holder.destroy();
  await until(() => guard.buffered === 0, 'the stalled body to be released');
  const ok = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' }, body: second });
  t.equal(ok.status, 200);
  t.match(decode(Buffer.from(await ok.arrayBuffer())) as SendConf, { type: 'm-send-conf', responseStatus: 'ok' });
});

t.test('a body over its route limit is refused while it streams (413, connection closed)', FAIL_AFTER, async (t) => {
  const gw = await gateway(t, (c) => {
    c.mm1.maxMessageSize = 2048;
  });
  const c = await RawConnection.open(gw.url);
  await c.write(postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001', 'transfer-encoding': 'chunked' }));
  // More than maxMessageSize + 64 KB, without a length announced, and the body never ends.
  const chunk = Buffer.alloc(80 * 1024, 1);
  await c.write(`${chunk.length.toString(16)}\r\n`);
  await c.write(chunk);
  const r = await c.response;
  t.equal(r.status, 413);
  t.equal(r.headers.connection, 'close');
  await c.closed;
});

t.test('MM1 POST from a peer that is not a trusted proxy: 403 on the headers, body unread', FAIL_AFTER, async (t) => {
  const gw = await gateway(t);
  const c = await RawConnection.open(gw.url, { localAddress: '127.0.0.2' });
  await c.write(postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001', 'content-length': 1024 * 1024 }));
  await c.write(sendReq(200_000).subarray(0, 1000));
  const r = await c.response;
  t.equal(r.status, 403);
  t.equal(r.headers.connection, 'close');
  await c.closed;
  const refused = (await gw.metrics.refused.get()).values.find((v) => v.labels.reason === 'untrusted-peer');
  t.equal(refused?.value, 1);
});

t.test('a trusted proxy without an MSISDN: m-send-conf sending-address-unresolved from the first octets of the PDU', FAIL_AFTER, async (t) => {
  const gw = await gateway(t);
  const pdu = sendReq(300_000, 'tid-no-msisdn-1');
  const c = await RawConnection.open(gw.url);
  await c.write(postHead('/mms', { 'content-type': 'application/vnd.wap.mms-message', 'content-length': pdu.length }));
  await c.write(pdu.subarray(0, 300));
  const r = await c.response;
  t.equal(r.status, 200, 'HTTP 200, as Android needs');
  t.match(decode(r.body) as SendConf, { type: 'm-send-conf', transactionId: 'tid-no-msisdn-1', responseStatus: 'error-permanent-sending-address-unresolved' });
  await c.closed;
  t.equal(guardOf(gw.app)!.buffered, 0);

  // A notification response needs no sender: it is read and handled as before.
  const ack = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message' }, body: encode({ type: 'm-acknowledge-ind', transactionId: 'nobody', mmsVersion: '1.2' } as MmsPdu) });
  t.equal(ack.status, 200);
});
