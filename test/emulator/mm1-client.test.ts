import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encode } from '../../protocol/mms/index.js';
import { Mm1Client } from '../../src/emulator/mm1-client.js';

const who = { msisdn: '+15550001111', userAgent: 'emu-test', uaProf: 'http://example.com/p.xml' };

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

t.test('a POST carries the PDU and the handset headers; the answer is decoded', async (t) => {
  const seen: { method?: string; url?: string; headers?: Record<string, unknown>; body?: Buffer } = {};
  const conf = encode({ type: 'm-send-conf', transactionId: 'T1', mmsVersion: '1.2', responseStatus: 'ok', messageId: 'M1' });
  const { url } = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message' });
      res.end(conf);
    });
  });
  const client = new Mm1Client({ mmscUrl: `${url}/mms?x=1` });
  t.teardown(() => client.close());
  const pdu = Buffer.from([0x8c, 0x80, 0x98, 0x41, 0x00]);
  const res = await client.post(pdu, who);
  t.equal(res.status, 200);
  t.equal(res.bytes, conf.length);
  t.match(res.pdu, { type: 'm-send-conf', transactionId: 'T1', messageId: 'M1' });
  t.equal(seen.method, 'POST');
  t.equal(seen.url, '/mms?x=1');
  t.same(seen.body, pdu);
  t.match(seen.headers, {
    'content-type': 'application/vnd.wap.mms-message',
    'content-length': String(pdu.length),
    'x-msisdn': '15550001111',
    'user-agent': 'emu-test',
    'x-wap-profile': '"http://example.com/p.xml"',
  });
});

t.test('an answer beyond maxResponseBytes fails as too-large; a silent server as timeout; an undecodable body is reported', async (t) => {
  const { url } = await serve((req, res) => {
    if (req.url === '/big') return void res.end(Buffer.alloc(64 * 1024, 1));
    if (req.url === '/junk') return void res.end(Buffer.from('not a PDU'));
    // '/silent': never answers
  });
  const client = new Mm1Client({ mmscUrl: `${url}/mms`, maxResponseBytes: 10_000, timeoutMs: 300 });
  t.teardown(() => client.close());
  await t.rejects(client.retrieve(`${url}/big`, who), { name: 'Mm1Error', kind: 'too-large' });
  await t.rejects(client.retrieve(`${url}/silent`, who), { name: 'Mm1Error', kind: 'timeout' });
  const junk = await client.retrieve(`${url}/junk`, who);
  t.equal(junk.status, 200);
  t.equal(junk.pdu, undefined);
  t.type(junk.decodeError, 'string');
});

t.test('a refused connection fails as connection', async (t) => {
  const { url, server } = await serve(() => undefined);
  server.close();
  await new Promise((r) => setTimeout(r, 50));
  const client = new Mm1Client({ mmscUrl: `${url}/mms`, timeoutMs: 2000 });
  t.teardown(() => client.close());
  await t.rejects(client.post(Buffer.from([0x8c, 0x80]), who), { name: 'Mm1Error', kind: 'connection' });
});
