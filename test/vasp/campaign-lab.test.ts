/**
 * Campaigns end to end over real sockets: REST over HTTP, notifications over SMPP through the SMSC
 * simulator, emulated handsets retrieving over HTTP, keyword replies as text SMS.
 */
import t from 'tap';
import { lab } from '../emulator/lab.js';
import { decodeTextSms } from '../../src/smsc/text-sms.js';
import { account, bearer, until } from './helpers.js';

async function post(url: string, path: string, json: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { authorization: bearer('TNN'), 'content-type': 'application/json' }, body: JSON.stringify(json) });
  return { status: res.status, body: await res.json() };
}

async function report(url: string, id: string): Promise<any> {
  return (await fetch(`${url}/api/v1/batches/${id}`, { headers: { authorization: bearer('TNN') } })).json();
}

const textOf = (conf: { parts?: { contentType: { type: string }; data: Uint8Array }[] } | undefined): string =>
  (conf?.parts ?? []).filter((p) => p.contentType.type === 'text/plain').map((p) => Buffer.from(p.data).toString()).join('');

t.test('a 1,000-recipient batch with variables reaches every handset with its own text', async (t) => {
  const l = await lab(t, { tweak: (c) => (c.vasp.accounts = [account('TNN')]) });
  const numbers = Array.from({ length: 1000 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
  const handsets = numbers.map((n) => l.handset(n));
  const res = await post(l.gw.url, '/batches', {
    subject: 'For {{ first }}',
    text: 'Hi {{ first }}, {{ item }} is back in stock. Order {{ order }}.',
    defaults: { item: 'your item' },
    recipients: numbers.map((to, i) => ({ to, variables: { first: `Name${i}`, order: `#${i * 7}`, ...(i % 2 ? { item: `Shoe ${i}` } : {}) } })),
  });
  t.equal(res.status, 202, JSON.stringify(res.body));
  t.equal(res.body.accepted, 1000);
  await until(() => (handsets.every((h) => h.inbox.some((m) => m.retrieved)) ? true : undefined), 'every handset retrieved', 120_000);
  const wrong = handsets.filter((h, i) => {
    const got = h.inbox.find((m) => m.retrieved)!;
    return textOf(got.retrieved) !== `Hi Name${i}, ${i % 2 ? `Shoe ${i}` : 'your item'} is back in stock. Order #${i * 7}.` || got.retrieved!.subject !== `For Name${i}`;
  });
  t.same(wrong.map((h) => h.msisdn), [], 'each handset retrieved its own text and subject');
  t.ok(handsets.every((h) => h.inbox.length === 1), 'one message per handset');
  const r = await until(async () => {
    const x = await report(l.gw.url, res.body.id);
    return x.counts.retrieved === 1000 && x.counts.acknowledged === 1000 ? x : undefined;
  }, 'the funnel counts every retrieval', 60_000);
  t.match(r, { status: 'completed', counts: { accepted: 1000, released: 1000, notified: 1000, retrieved: 1000, acknowledged: 1000, failed: 0 }, rates: { retrievalRate: 1 } });
});

t.test('STOP to the short code: confirmation SMS, the recipient is skipped and counted by a batch; HELP answers; START opts back in', async (t) => {
  const l = await lab(t, {
    tweak: (c) => (c.vasp.accounts = [account('TNN', { optOutReply: 'You will get no more messages. START to resume.', optInReply: 'Welcome back.', helpText: 'ACME shop: HELP for help, STOP to stop.' })]),
  });
  const texts: { to: string; from: string; text: string }[] = [];
  l.sim.onSubmit((s) => {
    if (s.dataCoding === 0 || s.dataCoding === 8) texts.push({ to: s.to, from: s.from, text: decodeTextSms({ userData: s.userData, dataCoding: s.dataCoding, udhi: (s.esmClass & 0x40) !== 0 }) });
  });
  const quitter = l.handset('+15552000001');
  const stayer = l.handset('+15552000002');
  t.equal((await quitter.send({ to: ['12345'], text: 'Stop' })).responseStatus, 'ok');
  const stopReply = await until(() => texts.find((x) => x.to.endsWith('15552000001')), 'the opt-out confirmation');
  t.equal(stopReply.text, 'You will get no more messages. START to resume.');
  t.equal(stopReply.from, '12345', 'sent from the short code');
  await quitter.send({ to: ['12345'], text: 'HELP' });
  await until(() => texts.find((x) => x.text.startsWith('ACME shop')), 'the help text');

  const res = await post(l.gw.url, '/batches', { text: 'Flash sale', recipients: [{ to: quitter.msisdn }, { to: stayer.msisdn }] });
  t.equal(res.status, 202);
  await until(() => (stayer.inbox.some((m) => m.retrieved) ? true : undefined), 'the other recipient retrieved');
  const r = await until(async () => {
    const x = await report(l.gw.url, res.body.id);
    return x.status === 'completed' ? x : undefined;
  }, 'completed');
  t.match(r.counts, { accepted: 2, optedOut: 1, released: 1 });
  t.equal(quitter.inbox.length, 0, 'the opted-out recipient got nothing');

  await quitter.send({ to: ['12345'], text: 'start' });
  await until(() => texts.find((x) => x.text === 'Welcome back.'), 'the opt-in confirmation');
  const again = await post(l.gw.url, '/batches', { text: 'Back again', recipients: [{ to: quitter.msisdn }] });
  t.equal(again.status, 202);
  await until(() => (quitter.inbox.some((m) => m.retrieved) ? true : undefined), 'the recipient who opted back in gets the next batch');
});
