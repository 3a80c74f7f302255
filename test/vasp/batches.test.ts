import t from 'tap';
import { WspReader, readMultipart } from '../../protocol/wsp/index.js';
import { decode, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import type { Gateway } from '../../src/gateway.js';
import { loadConfig } from '../../src/config/index.js';
import { account, bearer, until, vaspGateway } from './helpers.js';
import { receiver } from './receiver.js';
import { webhookSignature } from '../../src/vasp/reports.js';
import { heldUntil } from '../../src/vasp/batches/service.js';
import { recipientZone } from '../../src/vasp/batches/time-zones.js';

async function api(gw: Gateway, method: string, path: string, o: { json?: unknown; form?: FormData; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { authorization: bearer('TNN'), ...(o.headers ?? {}) };
  let body: string | FormData | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.form) body = o.form;
  const res = await fetch(`${gw.url}/api/v1${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Text of the message behind a push: the notification's retrieval URL, fetched as a handset would. */
async function textOf(gw: Gateway, pdu: Buffer): Promise<{ text: string; subject?: string; url: string }> {
  const n = decode(decodeWspPush(pdu).body) as NotificationInd;
  const m = await gw.store.findRecipientByToken(n.contentLocation.split('/').pop()!);
  const parts = readMultipart(new WspReader((await gw.store.getBody(m!.messageId))!), { warn: () => undefined } as never);
  const text = parts.filter((p) => p.contentType.type === 'text/plain').map((p) => Buffer.from(p.data).toString()).join('');
  return { text, ...(n.subject ? { subject: n.subject } : {}), url: n.contentLocation };
}

t.test('JSON batch: per-recipient text from variables and defaults, a missing variable fails that recipient only, report counts', async (t) => {
  const { gw, transport } = await vaspGateway(t);
  const res = await api(gw, 'POST', '/batches', {
    json: {
      subject: 'Hi {{ name }}',
      text: 'Hello {{ name }}, your code is {{ code }}{% if vip %} (VIP){% endif %}.',
      defaults: { code: 'WELCOME' },
      recipients: [
        { to: '+15550001001', variables: { name: 'Ann', code: 'A1', vip: true } },
        { to: '+15550001002', variables: { name: 'Bob' } },
        { to: '+15550001003', variables: {} },
        { to: 'not-a-number' },
        { to: '+15550001001', variables: { name: 'Ann again' } },
      ],
    },
  });
  t.equal(res.status, 202, JSON.stringify(res.body));
  t.match(res.body, { status: 'sending', accepted: 4, refused: 1, refusals: [{ row: 3, reason: /not a phone number/ }] });
  const id = res.body.id as string;
  await until(() => (transport.pushes.length >= 2 ? true : undefined), 'two notifications');
  const texts = await Promise.all(transport.pushes.map(async (p) => ({ to: p.destination, ...(await textOf(gw, p.pdu)) })));
  texts.sort((a, b) => a.to.localeCompare(b.to));
  t.same(
    texts.map((x) => [x.to, x.subject, x.text]),
    [
      ['+15550001001', 'Hi Ann', 'Hello Ann, your code is A1 (VIP).'],
      ['+15550001002', 'Hi Bob', 'Hello Bob, your code is WELCOME.'],
    ],
  );
  const report = await until(async () => {
    const r = await api(gw, 'GET', `/batches/${id}`);
    return r.body.status === 'completed' && r.body.counts.notified === 2 ? r : undefined;
  }, 'the batch complete and both notified');
  t.match(report.body.counts, { accepted: 4, scheduled: 0, released: 2, notified: 2, failed: 1, duplicate: 1, optedOut: 0, failedByReason: { 'missing-variable': 1 } });
  t.equal(transport.pushes.length, 2, 'the duplicate number is not sent to twice');

  const csv = await fetch(`${gw.url}/api/v1/batches/${id}/recipients.csv`, { headers: { authorization: bearer('TNN') } });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = (await csv.text()).trim().split('\n');
  t.equal(lines[0], 'row,to,variant,status,reason,messageId,state,notifiedAt,retrievedAt,acknowledgedAt,clickedAt');
  t.equal(lines.length, 5);
  t.match(lines[1], /^0,\+15550001001,default,released,,[^,]+,notified,\d{4}-/);
  t.match(lines[3], /^2,\+15550001003,default,failed,missing-variable,,/);
  t.match(lines[4], /^3,\+15550001001,default,duplicate,duplicate,,/);

  const other = await fetch(`${gw.url}/api/v1/batches/${id}`, { headers: { authorization: 'Bearer nope' } });
  t.equal(other.status, 401);
});

t.test('a template with an unknown filter is refused at upload; nothing is stored', async (t) => {
  const { gw } = await vaspGateway(t);
  const res = await api(gw, 'POST', '/batches', { json: { text: 'Hi {{ name | shout }}', recipients: [{ to: '+15550001001' }] } });
  t.equal(res.status, 400);
  t.equal(res.body.error, 'bad-template');
  t.match(res.body.message, /shout/);
  const bad = await api(gw, 'POST', '/batches', { json: { text: 'x', recipients: [{ to: '+15550001001' }], sendAt: new Date(Date.now() + 40 * 86_400_000).toISOString() } });
  t.equal(bad.status, 400);
  t.equal(bad.body.error, 'bad-send-at');
  const unknown = await api(gw, 'POST', '/batches', { json: { text: 'x', recipients: [{ to: '+15550001001' }], sendat: 'x' } });
  t.equal(unknown.status, 400);
});

t.test('multipart upload: a CSV recipients file with variables, streamed in chunks', async (t) => {
  const { gw, transport } = await vaspGateway(t);
  const rows = ['to,name,city'];
  for (let i = 0; i < 2500; i++) rows.push(`+1555${String(2_000_000 + i).padStart(7, '0')},N${i},"City, ${i}"`);
  const form = new FormData();
  form.set('text', 'Dear {{ name }} of {{ city }}');
  form.set('recipients', new Blob([rows.join('\r\n')], { type: 'text/csv' }), 'list.csv');
  const res = await api(gw, 'POST', '/batches', { form });
  t.equal(res.status, 202, JSON.stringify(res.body));
  t.equal(res.body.accepted, 2500);
  await until(() => (transport.pushes.length >= 2500 ? true : undefined), 'every recipient notified', 60_000);
  const sample = transport.pushes.filter((p) => p.destination === '+15552001234');
  t.equal(sample.length, 1);
  t.equal((await textOf(gw, sample[0]!.pdu)).text, 'Dear N1234 of City, 1234');
});

t.test('JSON Lines upload and A/B variants: the split holds and the report has a funnel per variant', async (t) => {
  const { gw, transport } = await vaspGateway(t);
  const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ to: `+1555${String(3_000_000 + i).padStart(7, '0')}`, variables: { n: i } }));
  const form = new FormData();
  form.set('variants', JSON.stringify([{ name: 'A', split: 50, text: 'A {{ n }}' }, { name: 'B', split: 50, text: 'B {{ n }}' }]));
  form.set('recipients', new Blob([lines.join('\n')], { type: 'application/x-ndjson' }), 'list.jsonl');
  const res = await api(gw, 'POST', '/batches', { form });
  t.equal(res.status, 202, JSON.stringify(res.body));
  await until(() => (transport.pushes.length >= 400 ? true : undefined), 'all notified', 30_000);
  const r = await until(async () => {
    const x = await api(gw, 'GET', `/batches/${res.body.id}`);
    return x.body.counts.notified === 400 ? x : undefined;
  }, 'funnel');
  t.equal(r.body.variants.length, 2);
  const [a, b] = r.body.variants;
  t.equal(a.counts.accepted + b.counts.accepted, 400);
  t.ok(a.counts.accepted > 150 && b.counts.accepted > 150, `a 50/50 split: ${a.counts.accepted}/${b.counts.accepted}`);
  t.equal(a.counts.notified, a.counts.accepted);
  const texts = await Promise.all(transport.pushes.slice(0, 20).map((p) => textOf(gw, p.pdu)));
  t.ok(texts.every((x) => /^[AB] \d+$/.test(x.text)));
});

t.test('a scheduled batch is not released before sendAt, and is after; pause, resume and cancel', async (t) => {
  let now = Date.parse('2026-12-07T10:00:00Z');
  const { gw, transport } = await vaspGateway(t, undefined, () => now);
  const sendAt = new Date(now + 3_600_000).toISOString();
  const res = await api(gw, 'POST', '/batches', { json: { text: 'later', sendAt, recipients: [{ to: '+15550004001' }, { to: '+15550004002' }] } });
  t.equal(res.status, 202);
  t.equal(res.body.status, 'scheduled');
  const id = res.body.id;
  gw.runner.nudge();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(transport.pushes.length, 0, 'nothing before sendAt');
  t.equal((await api(gw, 'GET', `/batches/${id}`)).body.counts.scheduled, 2);
  t.match((await api(gw, 'POST', `/batches/${id}/pause`)).body, { status: 'paused' });
  now += 3_600_000 + 1000;
  gw.runner.nudge();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(transport.pushes.length, 0, 'a paused batch is not released at its time');
  t.match((await api(gw, 'POST', `/batches/${id}/resume`)).body, { status: 'sending' });
  gw.runner.nudge();
  await until(() => (transport.pushes.length >= 2 ? true : undefined), 'released after resume');
  await until(async () => ((await api(gw, 'GET', `/batches/${id}`)).body.status === 'completed' ? true : undefined), 'completed');
  t.equal((await api(gw, 'POST', `/batches/${id}/cancel`)).status, 409, 'a batch released completely cannot be cancelled');

  const res2 = await api(gw, 'POST', '/batches', { json: { text: 'never', sendAt: new Date(now + 60_000).toISOString(), recipients: [{ to: '+15550004003' }] } });
  t.match((await api(gw, 'POST', `/batches/${res2.body.id}/reschedule`, { json: { sendAt: new Date(now + 120_000).toISOString() } })).body, { status: 'scheduled' });
  t.match((await api(gw, 'POST', `/batches/${res2.body.id}/cancel`)).body, { status: 'cancelled' });
  now += 200_000;
  gw.runner.nudge();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(transport.pushes.filter((p) => p.destination === '+15550004003').length, 0, 'a cancelled batch is never released');
  t.match((await api(gw, 'GET', `/batches/${res2.body.id}`)).body, { status: 'cancelled', counts: { cancelled: 1, scheduled: 0 } });
  t.equal((await api(gw, 'POST', `/batches/${res2.body.id}/resume`)).status, 409);
});

t.test('tracked links: 302 to the original, counted once per person, bots apart, a signed clicked webhook in sequence', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const secret = 'a-webhook-secret-of-some-length';
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { webhookUrl: hook.url, webhookSecret: secret })];
  });
  const res = await api(gw, 'POST', '/batches', {
    json: { text: 'Sale for {{ name }}: https://shop.example/sale?id={{ id }}. Also https://shop.example/faq', trackLinks: true, recipients: [{ to: '+15550005001', variables: { name: 'Ann', id: 7 } }] },
  });
  t.equal(res.status, 202);
  await until(() => (transport.pushes.length >= 1 ? true : undefined), 'notified');
  const { text } = await textOf(gw, transport.pushes[0]!.pdu);
  const m = /^Sale for Ann: (http:\/\/127\.0\.0\.1:\d+)\/l\/([A-Za-z0-9_-]{16})\. Also \1\/l\/([A-Za-z0-9_-]{16})$/.exec(text);
  t.ok(m, `links rewritten: ${text}`);
  const [, base, code1, code2] = m!;
  t.not(code1, code2, 'one code per link');
  const browser = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
  const preview = await fetch(`${base}/l/${code1}`, { redirect: 'manual', headers: { 'user-agent': 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' } });
  t.equal(preview.status, 302);
  t.equal(preview.headers.get('location'), 'https://shop.example/sale?id=7');
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`${base}/l/${code1}`, { redirect: 'manual', headers: { 'user-agent': browser } });
    t.equal(r.status, 302);
    t.equal(r.headers.get('location'), 'https://shop.example/sale?id=7');
  }
  t.equal((await fetch(`${base}/l/AAAAAAAAAAAAAAAA`, { redirect: 'manual' })).status, 404, 'an unknown code');
  const report = await until(async () => {
    const r = await api(gw, 'GET', `/batches/${res.body.id}`);
    return r.body.counts.clicked === 1 ? r : undefined;
  }, 'the click counted');
  t.match(report.body.counts, { clicked: 1, botClicks: 1, notified: 1 });
  t.equal(report.body.rates.clickThroughRate, 1);
  const click = await until(() => hook.received.find((x) => JSON.parse(x.body.toString()).event === 'clicked'), 'the clicked webhook');
  const event = JSON.parse(click.body.toString());
  t.match(event, { event: 'clicked', batchId: res.body.id, recipient: '+15550005001', link: 'https://shop.example/sale?id=7', userAgent: browser, vaspId: 'TNN' });
  t.type(event.sequence, 'number');
  const ts = String(click.headers['x-mmsc-timestamp']);
  t.equal(click.headers['x-mmsc-signature'], `sha256=${webhookSignature(secret, ts, click.body.toString())}`, 'signed like every webhook');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(hook.received.filter((x) => JSON.parse(x.body.toString()).event === 'clicked').length, 1, 'one event per distinct click');
  const csv = await (await fetch(`${gw.url}/api/v1/batches/${res.body.id}/recipients.csv`, { headers: { authorization: bearer('TNN') } })).text();
  t.match(csv.trim().split('\n')[1], /,\d{4}-\d\d-\d\dT[^,]+Z$/, 'the export has the click time');
});

t.test('config: bad campaign settings stop the start naming the key', async (t) => {
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { batches: { releaseSlice: 0 } } } }), /vasp\.batches\.releaseSlice/);
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { links: { publicUrl: 'ftp://x' } } } }), /vasp\.links\.publicUrl/);
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { batches: { bulkReserve: 2 } } } }), /vasp\.batches\.bulkReserve/);
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { accounts: [{ id: 'x', helpText: '' }] } } }), /helpText/);
});

t.test('quiet hours apply in each recipient\'s time zone (number country or timeZone variable)', async (t) => {
  // 22:30 UTC: 17:30 in New York, 23:30 in Berlin, 07:30 next day in Tokyo.
  let now = Date.parse('2026-12-07T22:30:00Z');
  const { gw, transport } = await vaspGateway(
    t,
    (c) => {
      c.vasp.accounts = [account('TNN', { quietHours: { start: '21:00', end: '08:00', timeZone: 'UTC' } })];
    },
    () => now,
  );
  const res = await api(gw, 'POST', '/batches', {
    json: { text: 'Good morning', recipients: [{ to: '+12125550101' }, { to: '+4915112345678' }, { to: '+15550006001', variables: { timeZone: 'Asia/Tokyo' } }] },
  });
  t.equal(res.status, 202);
  await until(() => (transport.pushes.length >= 1 ? true : undefined), 'the New York recipient');
  await new Promise((r) => setTimeout(r, 300));
  t.same(transport.pushes.map((p) => p.destination), ['+12125550101'], 'Berlin and Tokyo are held back');
  const held = await api(gw, 'GET', `/batches/${res.body.id}`);
  t.match(held.body, { status: 'sending', counts: { released: 1, scheduled: 2 } });
  now = Date.parse('2026-12-07T23:00:30Z'); // 08:00:30 in Tokyo
  gw.runner.nudge();
  await until(() => (transport.pushes.length >= 2 ? true : undefined), 'Tokyo at 08:00 local');
  t.equal(transport.pushes[1]!.destination, '+15550006001');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(transport.pushes.length, 2, 'Berlin still held');
  now = Date.parse('2026-12-08T07:00:30Z'); // 08:00:30 in Berlin
  gw.runner.nudge();
  // (New York's re-notification is due by now too.)
  await until(() => (transport.pushes.some((p) => p.destination === '+4915112345678') ? true : undefined), 'Berlin at 08:00 local');
  await until(async () => ((await api(gw, 'GET', `/batches/${res.body.id}`)).body.status === 'completed' ? true : undefined), 'completed');
});

t.test('heldUntil: quiet hours and a send window in a zone', async (t) => {
  const at = Date.parse('2026-07-01T05:00:00Z'); // 07:00 in Berlin (summer time)
  t.equal(heldUntil(at, 'Europe/Berlin', { start: '21:00', end: '08:00', timeZone: 'UTC' }, undefined), Date.parse('2026-07-01T06:00:00Z'));
  t.equal(heldUntil(at, 'Europe/Berlin', undefined, { start: '09:00', end: '17:00' }), Date.parse('2026-07-01T07:00:00Z'));
  t.equal(heldUntil(at, 'Europe/Berlin', undefined, { start: '06:00', end: '17:00' }), undefined, 'inside the window');
  t.equal(heldUntil(at, 'America/New_York', undefined, { start: '09:00', end: '17:00' }), Date.parse('2026-07-01T13:00:00Z'), '01:00 in New York waits for 09:00');
  t.equal(recipientZone('+12125550101'), 'America/New_York');
  t.equal(recipientZone('+4915112345678'), 'Europe/Berlin');
  t.equal(recipientZone('+15550001234'), 'America/New_York', 'a number outside any range: the main country of its calling code');
  t.equal(recipientZone('+4915112345678', 'Asia/Tokyo'), 'Asia/Tokyo', 'a timeZone variable wins');
  t.equal(recipientZone('+4915112345678', 'Not/AZone'), 'Europe/Berlin', 'an unknown zone is ignored');
});

t.test('the OpenAPI document describes the campaign routes', async (t) => {
  const { gw } = await vaspGateway(t);
  const doc = (await (await fetch(`${gw.url}/api/v1/openapi.json`)).json()) as any;
  for (const p of ['/api/v1/batches', '/api/v1/batches/{id}', '/api/v1/batches/{id}/recipients.csv', '/api/v1/batches/{id}/pause', '/api/v1/batches/{id}/resume', '/api/v1/batches/{id}/cancel', '/api/v1/batches/{id}/reschedule']) {
    t.ok(doc.paths[p], p);
  }
  const post = doc.paths['/api/v1/batches'].post;
  t.ok(post.requestBody.content['application/json'].schema.properties.recipients);
  t.ok(post.requestBody.content['multipart/form-data'].schema.properties.recipients);
  t.same(Object.keys(doc.paths['/api/v1/batches/{id}'].get.responses[200].content['application/json'].schema.properties.counts.properties).slice(0, 10), ['accepted', 'scheduled', 'released', 'notified', 'retrieved', 'acknowledged', 'read', 'clicked', 'failed', 'optedOut']);
});

t.test('per-recipient media by a variable: fetched once per distinct URL; an Idempotency-Key replays the upload', async (t) => {
  const hits: string[] = [];
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (!/^\/p\/(J1|S9)\.png$/.test(req.url ?? '')) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(`PNG ${req.url}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const { gw, transport } = await vaspGateway(t, (c) => {
    c.vasp.media.allowPrivateHosts = true;
  });
  const body = {
    text: 'Look: {{ sku }}',
    media: [{ url: `http://127.0.0.1:${port}/p/{{ sku }}.png` }],
    recipients: [
      { to: '+15550007001', variables: { sku: 'J1' } },
      { to: '+15550007002', variables: { sku: 'S9' } },
      { to: '+15550007003', variables: { sku: 'J1' } },
      { to: '+15550007004', variables: { sku: 'S9' } },
      { to: '+15550007005', variables: { sku: 'XX' } },
    ],
  };
  const res = await api(gw, 'POST', '/batches', { json: body, headers: { 'idempotency-key': 'media-1' } });
  t.equal(res.status, 202);
  const again = await api(gw, 'POST', '/batches', { json: body, headers: { 'idempotency-key': 'media-1' } });
  t.equal(again.status, 202);
  t.equal(again.body.id, res.body.id, 'the retried upload names the first batch');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  await until(() => (transport.pushes.length >= 4 ? true : undefined), 'four notified');
  const r = await until(async () => {
    const x = await api(gw, 'GET', `/batches/${res.body.id}`);
    return x.body.status === 'completed' ? x : undefined;
  }, 'completed');
  t.match(r.body.counts, { accepted: 5, released: 4, failed: 1, failedByReason: { 'media-fetch-failed': 1 } });
  t.same([...hits].sort(), ['/p/J1.png', '/p/S9.png', '/p/XX.png'], 'each distinct URL fetched once');
  for (const p of transport.pushes) {
    const n = decode(decodeWspPush(p.pdu).body) as NotificationInd;
    const rcp = await gw.store.findRecipientByToken(n.contentLocation.split('/').pop()!);
    const parts = readMultipart(new WspReader((await gw.store.getBody(rcp!.messageId))!), { warn: () => undefined } as never);
    const sku = Buffer.from(parts.find((x) => x.contentType.type === 'text/plain')!.data).toString().slice(6);
    t.equal(Buffer.from(parts.find((x) => x.contentType.type === 'image/png')!.data).toString(), `PNG /p/${sku}.png`, `${p.destination} has its own image`);
  }
  t.equal(transport.pushes.length, 4, 'the replayed upload sent nothing');
});

t.test('funnel: a retrieval that overtook its notification write still counts the recipient as notified', async (t) => {
  const { funnelDeltas } = await import('../../src/vasp/batches/funnel.js');
  const h = (states: string[]) => states.map((state) => ({ state })) as never;
  t.same(funnelDeltas(h(['accepted', 'notified', 'retrieved']), 'notified', 'retrieved'), { retrieved: 1 });
  t.same(funnelDeltas(h(['accepted', 'retrieved']), 'accepted', 'retrieved'), { retrieved: 1, notified: 1 });
  t.same(funnelDeltas(h(['accepted', 'fallback-sms', 'retrieved']), 'fallback-sms', 'retrieved'), { retrieved: 1 });
  t.same(funnelDeltas(h(['accepted', 'notified', 'acknowledged']), 'notified', 'acknowledged'), { acknowledged: 1, retrieved: 1 });
  t.same(funnelDeltas(h(['accepted', 'notified', 'retrieved', 'acknowledged']), 'retrieved', 'acknowledged'), { acknowledged: 1 });
  t.same(funnelDeltas(h(['accepted', 'retrieved', 'acknowledged']), 'retrieved', 'acknowledged'), { acknowledged: 1 }, 'the retrieval counted notified already');
  t.same(funnelDeltas(h(['accepted', 'acknowledged']), 'accepted', 'acknowledged'), { acknowledged: 1, retrieved: 1, notified: 1 });
  t.same(funnelDeltas(h(['accepted', 'notified', 'notified']), 'notified', 'notified'), undefined, 'a re-notification adds nothing');
  t.same(funnelDeltas(h(['accepted', 'notified', 'unreachable']), 'notified', 'unreachable'), { 'failed-unreachable': 1 });
});

t.test('a release at the account tps: a second of throughput at a time; pause and resume in the middle; messages still get through', async (t) => {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const { gw, transport } = await vaspGateway(t, (c) => (c.vasp.accounts = [account('TNN', { tps: 10 })]), () => now);
  const recipients = Array.from({ length: 35 }, (_, i) => ({ to: `+1555800${String(i).padStart(4, '0')}` }));
  const res = await api(gw, 'POST', '/batches', { json: { text: 'drip', recipients } });
  t.equal(res.status, 202);
  const id = res.body.id;
  const released = async () => (await api(gw, 'GET', `/batches/${id}`)).body.counts.released as number;
  await until(async () => ((await released()) === 10 ? true : undefined), 'the first second of throughput');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await released(), 10, 'no more while the clock stands');
  const msg = await api(gw, 'POST', '/messages', { json: { to: ['+15558889999'], text: 'your code is 1234' } });
  t.equal(msg.status, 202, 'a transactional message is admitted although the release used the second');
  t.match((await api(gw, 'POST', `/batches/${id}/pause`)).body, { status: 'paused' });
  now += 5000;
  gw.runner.nudge();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await released(), 10, 'paused: nothing more');
  t.match((await api(gw, 'POST', `/batches/${id}/resume`)).body, { status: 'sending' });
  gw.runner.nudge();
  await until(async () => ((await released()) === 20 ? true : undefined), 'a second of throughput after the resume');
  for (let k = 0; k < 3; k++) {
    now += 1000;
    gw.runner.nudge();
    await new Promise((r) => setTimeout(r, 100));
  }
  await until(async () => ((await api(gw, 'GET', `/batches/${id}`)).body.status === 'completed' ? true : undefined), 'completed', 20_000);
  await until(() => (transport.pushes.length >= 36 ? true : undefined), 'all notified');
  t.equal(new Set(transport.pushes.map((p) => p.destination)).size, 36);
});

t.test('a send window in the recipient\'s zone holds rows until it opens; a reschedule moves what is left', async (t) => {
  let now = Date.parse('2026-12-07T12:00:00Z'); // 07:00 in New York, 13:00 in Berlin
  const { gw, transport } = await vaspGateway(t, undefined, () => now);
  const res = await api(gw, 'POST', '/batches', { json: { text: 'in hours', window: { start: '09:00', end: '17:00' }, recipients: [{ to: '+12125550177' }, { to: '+4915112345679' }] } });
  t.equal(res.status, 202);
  await until(() => (transport.pushes.length >= 1 ? true : undefined), 'Berlin inside its window');
  await new Promise((r) => setTimeout(r, 300));
  t.same(transport.pushes.map((p) => p.destination), ['+4915112345679'], 'New York waits for 09:00 local');
  t.match((await api(gw, 'POST', `/batches/${res.body.id}/reschedule`, { json: { sendAt: '2026-12-07T15:00:00Z' } })).body, { status: 'sending' });
  now = Date.parse('2026-12-07T14:00:30Z'); // 09:00 in New York, but before the new sendAt
  gw.runner.nudge();
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(transport.pushes.some((p) => p.destination === '+12125550177'), 'nothing before the new sendAt (Berlin may be re-notified meanwhile)');
  now = Date.parse('2026-12-07T15:00:30Z');
  gw.runner.nudge();
  await until(() => (transport.pushes.some((p) => p.destination === '+12125550177') ? true : undefined), 'New York after the new sendAt, inside its window');
  await until(async () => ((await api(gw, 'GET', `/batches/${res.body.id}`)).body.status === 'completed' ? true : undefined), 'completed');
});
