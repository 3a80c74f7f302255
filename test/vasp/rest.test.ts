import { createServer, type Server } from 'node:http';
import t, { type Test } from 'tap';
import sharp from 'sharp';
import { WspReader, readMultipart, type Part } from '../../protocol/wsp/index.js';
import type { Gateway } from '../../src/gateway.js';
import { account, bearer, until, vaspGateway } from './helpers.js';

async function png(w: number, h: number): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 30, b: 60 } } }).png().toBuffer();
}
async function jpeg(w: number, h: number): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 120, b: 250 } } }).jpeg({ quality: 80 }).toBuffer();
}

/** A media host on loopback serving `files` by path. */
async function mediaServer(t: Test, files: Record<string, { type: string; body: Buffer }>): Promise<string> {
  const server: Server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f.type }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

async function api(gw: Gateway, method: string, path: string, o: { json?: unknown; form?: FormData; auth?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.auth !== null) headers.authorization = o.auth ?? bearer('TNN');
  let body: string | FormData | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.form) body = o.form;
  const res = await fetch(`${gw.url}/api/v1${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

async function storedParts(gw: Gateway, id: string): Promise<Part[]> {
  return readMultipart(new WspReader((await gw.store.getBody(id))!), { warn: () => undefined } as never);
}

t.test('JSON send with media by URL: per-recipient answer, SMIL generated, status by message and recipient', async (t) => {
  const image = await png(64, 48);
  const base = await mediaServer(t, { '/img/promo.png': { type: 'image/png', body: image } });
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.media.allowPrivateHosts = true;
    c.vasp.optOut = ['+15550009999'];
  });
  const res = await api(gw, 'POST', '/messages', {
    json: { to: ['+1 555 000 1001', '+15550009999', 'not-a-number', '+15550001001'], subject: 'Promo', text: 'Half price today', media: [{ url: `${base}/img/promo.png` }] },
  });
  t.equal(res.status, 202);
  t.same(
    res.body!.recipients.map((r: any) => [r.to, r.status]),
    [['+1 555 000 1001', 'accepted'], ['+15550009999', 'opted-out'], ['not-a-number', 'invalid'], ['+15550001001', 'duplicate']],
  );
  t.equal(res.body!.recipients[0].address, '+15550001001');
  const id = res.body!.messageId as string;
  const parts = await storedParts(gw, id);
  t.same(parts.map((p) => p.contentType.type), ['application/smil', 'image/png', 'text/plain']);
  t.same(Buffer.from(parts[1]!.data), image, 'media bytes as fetched');
  t.match(Buffer.from(parts[0]!.data).toString(), /<img src="promo\.png" region="Image"\/>.*<text src="text\.txt" region="Text"\/>/s);

  await until(() => (transport.pushes.some((p) => p.destination === '+15550001001') ? true : undefined), 'notification');
  const status = await until(async () => {
    const s = await api(gw, 'GET', `/messages/${id}`);
    return s.body!.recipients[0].state === 'notified' ? s : undefined;
  }, 'notified state');
  t.match(status.body, { messageId: id, from: '12345', subject: 'Promo', recipients: [{ to: '+15550001001', state: 'notified' }] });
  t.same(status.body!.recipients[0].history.map((h: any) => h.state), ['accepted', 'notified']);
  const one = await api(gw, 'GET', `/messages/${id}/recipients/${encodeURIComponent('+15550001001')}`);
  t.match(one, { status: 200, body: { to: '+15550001001', state: 'notified' } });
  t.equal((await api(gw, 'GET', `/messages/${id}/recipients/15550001002`)).status, 404);
});

t.test('multipart/form-data upload of sharp-generated images', async (t) => {
  const { gw } = await vaspGateway(t);
  const a = await jpeg(320, 240);
  const b = await png(16, 16);
  const form = new FormData();
  form.append('to', '+15550002001, +15550002002');
  form.append('to', '+15550002003');
  form.append('text', 'Two pictures');
  form.append('deliveryReport', 'true');
  form.append('media', new Blob([a], { type: 'image/jpeg' }), 'beach.jpg');
  form.append('media', new Blob([b], { type: 'image/png' }), 'icon.png');
  const res = await api(gw, 'POST', '/messages', { form });
  t.equal(res.status, 202, JSON.stringify(res.body));
  t.same(res.body!.recipients.map((r: any) => r.status), ['accepted', 'accepted', 'accepted']);
  const m = (await gw.store.getMessage(res.body!.messageId))!;
  t.equal(m.deliveryReport, true, 'form booleans coerced');
  t.same(m.to.length, 3);
  const parts = await storedParts(gw, m.id);
  t.same(parts.map((p) => [p.contentType.type, p.contentLocation]), [
    ['application/smil', 'smil.smil'],
    ['image/jpeg', 'beach.jpg'],
    ['image/png', 'icon.png'],
    ['text/plain', 'text.txt'],
  ]);
  t.same(Buffer.from(parts[1]!.data), a, 'JPEG intact');
  t.same(Buffer.from(parts[2]!.data), b, 'PNG intact');

  const big = new FormData();
  big.append('to', '+15550002001');
  big.append('media', new Blob([Buffer.alloc(gw.config.vasp.media.maxBytes + 10, 1)], { type: 'image/jpeg' }), 'big.jpg');
  const tooBig = await api(gw, 'POST', '/messages', { form: big });
  t.equal(tooBig.status, 413, 'file over the media limit');
});

t.test('media URL guard: private addresses refused unless allowed; size limit', async (t) => {
  const base = await mediaServer(t, { '/a.png': { type: 'image/png', body: await png(8, 8) }, '/big': { type: 'image/jpeg', body: Buffer.alloc(5000, 7) } });
  const { gw } = await vaspGateway(t);
  const ssrf = await api(gw, 'POST', '/messages', { json: { to: ['+15550003001'], media: [{ url: `${base}/a.png` }] } });
  t.equal(ssrf.status, 422);
  t.match(ssrf.body, { error: 'media-fetch-failed', message: /private or loopback/ });
  const named = await api(gw, 'POST', '/messages', { json: { to: ['+15550003001'], media: [{ url: base.replace('127.0.0.1', 'localhost') + '/a.png' }] } });
  t.equal(named.status, 422, 'a name resolving to loopback is refused too');
  const scheme = await api(gw, 'POST', '/messages', { json: { to: ['+15550003001'], media: [{ url: 'file:///etc/passwd' }] } });
  t.equal(scheme.status, 400, 'schema allows http(s) only');

  const { gw: open } = await vaspGateway(t, (c) => {
    c.vasp.media.allowPrivateHosts = true;
    c.vasp.media.maxBytes = 1000;
  });
  const big = await api(open, 'POST', '/messages', { json: { to: ['+15550003001'], media: [{ url: `${base}/big` }] } });
  t.equal(big.status, 422);
  t.match(big.body!.message, /exceeds 1000/);
  const missing = await api(open, 'POST', '/messages', { json: { to: ['+15550003001'], media: [{ url: `${base}/nothing` }] } });
  t.match(missing, { status: 422, body: { message: /answered 404/ } });
});

t.test('idempotency key: a retry returns the first answer, a different request with the key is refused', async (t) => {
  const { gw } = await vaspGateway(t);
  const json = { to: ['+15550004001'], text: 'once' };
  const first = await api(gw, 'POST', '/messages', { json, headers: { 'idempotency-key': 'order-77' } });
  t.equal(first.status, 202);
  const again = await api(gw, 'POST', '/messages', { json, headers: { 'idempotency-key': 'order-77' } });
  t.equal(again.status, 202);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(again.body!.messageId, first.body!.messageId, 'same message, not a second one');
  const total = Object.values(await gw.store.stateCounts()).reduce((n, c) => n + (c ?? 0), 0);
  t.equal(total, 1, 'one delivery record in all');
  const other = await api(gw, 'POST', '/messages', { json: { ...json, text: 'twice' }, headers: { 'idempotency-key': 'order-77' } });
  t.equal(other.status, 422);
  t.equal(other.body!.error, 'idempotency-key-reused');
  const inBody = await api(gw, 'POST', '/messages', { json: { ...json, idempotencyKey: 'k2' } });
  const inBody2 = await api(gw, 'POST', '/messages', { json: { ...json, idempotencyKey: 'k2' } });
  t.equal(inBody2.body!.messageId, inBody.body!.messageId);
  const counted = await Promise.all([first.body!.messageId, inBody.body!.messageId].map((id) => gw.store.getMessage(id)));
  t.equal(counted.filter(Boolean).length, 2);
});

t.test('auth, ownership, validation, limits, OpenAPI', async (t) => {
  // A clock that stands still: the throughput bucket refills only when the test moves it.
  let now = Date.parse('2026-11-23T10:00:00.100Z');
  const { gw } = await vaspGateway(
    t,
    (c) => {
      c.vasp.accounts = [account('TNN', { tps: 2 }), account('OTHER', { shortCodes: ['777'] })];
    },
    () => now,
  );
  t.equal((await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'], text: 'x' }, auth: null })).status, 401);
  t.equal((await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'], text: 'x' }, auth: 'Bearer nope' })).status, 401);
  const sent = await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'], text: 'x' } });
  t.equal(sent.status, 202);
  t.equal((await api(gw, 'GET', `/messages/${sent.body!.messageId}`, { auth: bearer('OTHER') })).status, 404, "another VASP's message is invisible");
  t.equal((await api(gw, 'GET', `/messages/${sent.body!.messageId}`)).status, 200);

  const noTo = await api(gw, 'POST', '/messages', { json: { text: 'x' } });
  t.match(noTo, { status: 400, body: { error: 'invalid-request', message: /to/ } });
  const extra = await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'], text: 'x', colour: 'red' } });
  t.match(extra, { status: 400, body: { error: 'invalid-request', message: /colour/ } }, 'unknown fields refused');
  const empty = await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'] } });
  t.match(empty, { status: 400, body: { error: 'no-content' } });
  const sender = await api(gw, 'POST', '/messages', { json: { to: ['+15550005001'], text: 'x', from: '777' } });
  t.match(sender, { status: 403, body: { error: 'sender-not-allowed' } }, "another VASP's short code");

  const burst = await api(gw, 'POST', '/messages', { json: { to: ['+15550005002', '+15550005003'], text: 'x' } });
  t.equal(burst.status, 429, 'throughput limit');
  t.equal(burst.body!.error, 'throughput-limit');
  t.equal(burst.headers.get('retry-after'), '1');
  now += 400; // 1 token + 0.8: still short of two
  t.equal((await api(gw, 'POST', '/messages', { json: { to: ['+15550005002', '+15550005003'], text: 'x' } })).status, 429, 'not refilled 400 ms later');
  now += 100;
  t.equal((await api(gw, 'POST', '/messages', { json: { to: ['+15550005002', '+15550005003'], text: 'x' } })).status, 202, 'refilled 500 ms later');

  const doc = await api(gw, 'GET', '/openapi.json', { auth: null });
  t.equal(doc.status, 200);
  t.equal(doc.body!.openapi, '3.0.3');
  const post = doc.body!.paths['/api/v1/messages'].post;
  t.same(post.requestBody.content['application/json'].schema.required, ['to']);
  t.ok(post.requestBody.content['multipart/form-data'], 'multipart form documented');
  t.ok(post.responses['202'] && post.responses['429']);
  t.ok(doc.body!.paths['/api/v1/messages/{id}'].get.parameters.some((p: any) => p.name === 'id' && p.in === 'path'));
  t.ok(doc.body!.paths['/api/v1/messages/{id}/recipients/{to}'].get);
});
