import t from 'tap';
import sharp from 'sharp';
import { defaultConfig } from '../../src/config/index.js';
import { SmscSimulator, type SimulatedSubmit } from '../../src/smsc-sim/simulator.js';
import { startGateway } from '../../src/gateway.js';
import { decodeTextSms, encodeTextSms } from '../../src/smsc/text-sms.js';
import { encode, type MmsPdu } from '../../protocol/mms/index.js';
import { NonMmsListError, readNonMmsFile } from '../../src/adapt/non-mms.js';
import { silent } from './helpers.js';

const A = '+15550000001';
const B = '+15550000002'; // cannot receive MMS
const C = '+15550000003';

async function until<T>(f: () => T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

t.test('text SMS encoding: GSM 7-bit when possible, UCS-2 otherwise, concatenated when long', async (t) => {
  const [g] = encodeTextSms('Link: http://x.example/v/Ab_c-9', 7);
  t.match(g, { dataCoding: 0, udhi: false });
  t.equal(g!.userData[g!.userData.indexOf(0x11)], 0x11, "'_' is GSM 0x11");
  t.equal(decodeTextSms(g!), 'Link: http://x.example/v/Ab_c-9');
  const [u] = encodeTextSms('Привет', 7);
  t.match(u, { dataCoding: 8, udhi: false });
  t.equal(decodeTextSms(u!), 'Привет');
  const long = encodeTextSms('x'.repeat(400), 9);
  t.equal(long.length, 3);
  t.same([...long[0]!.userData.subarray(0, 6)], [5, 0, 3, 9, 3, 1]);
  t.equal(long.map(decodeTextSms).join(''), 'x'.repeat(400));
});

t.test('a non-MMS recipient gets an SMS with a web link over SMPP; the page shows the slides; others get the WAP Push', async (t) => {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: false });
  const smscPort = await sim.start();
  t.teardown(() => sim.stop());
  const submits: SimulatedSubmit[] = [];
  sim.onSubmit((s) => submits.push(s));

  const config = defaultConfig();
  const dir = t.testdir({ 'non-mms.txt': '# subscribers without MMS\n\n15550000002  # B\n' });
  config.dataDir = `${dir}/data`;
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${smscPort}` };
  config.adapt.nonMmsFile = `${dir}/non-mms.txt`;
  const gw = await startGateway({ config, logger: silent });
  t.teardown(() => gw.stop());

  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const smil = '<smil><body><par dur="5s"><text src="two.txt"/></par><par dur="5s"><img src="pic.png"/><text src="one.txt"/></par></body></smil>';
  const req = {
    type: 'm-send-req',
    transactionId: 'nonmms-1',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: [`${B}/TYPE=PLMN`, `${C}/TYPE=PLMN`],
    subject: 'Trip <photos>',
    contentType: { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      { contentType: { type: 'application/smil', params: {} }, contentId: '<smil>', data: Buffer.from(smil) },
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'one.txt', data: Buffer.from('caption <b>one</b>') },
      { contentType: { type: 'image/png', params: {} }, contentLocation: 'pic.png', data: png },
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'two.txt', data: Buffer.from('first slide') },
      { contentType: { type: 'image/tiff', params: {} }, contentLocation: 'scan.tif', data: await sharp({ create: { width: 20, height: 20, channels: 3, background: '#00ff00' } }).tiff().toBuffer() },
    ],
  } as MmsPdu;
  const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': A.slice(1) }, body: encode(req) });
  t.equal(res.status, 200);

  const sms = await until(() => submits.find((s) => s.to === B), 'SMS to B');
  t.equal(sms.esmClass & 0x40, 0, 'no UDH: a plain text SMS');
  t.equal(sms.dataCoding, 0, 'GSM 7-bit');
  // The smpp package decodes data_coding 0 into text and the simulator hands it back as Latin-1, so
  // the GSM codes themselves are checked in the encoding test above.
  const text = sms.userData.toString('latin1');
  const url = /(http:\/\/\S+)/.exec(text)?.[1];
  t.ok(url?.startsWith(`${gw.url}/v/`), `link in "${text}"`);
  t.match(text, /from \+15550000001:/);
  const push = await until(() => submits.find((s) => s.to === C), 'WAP Push to C');
  t.ok(push.esmClass & 0x40, 'C gets a WAP Push (UDH)');

  const messageId = (await gw.store.findRecipientByToken(url!.split('/').pop()!))!.messageId;
  /** The recipient's state once it is `want` (the SMSC saw the submit before the relay recorded its answer). */
  const stateOf = async (who: string, want: string): Promise<string> => {
    let state = '';
    for (let i = 0; i < 250 && state !== want; i++) {
      state = (await gw.store.listRecipients(messageId)).find((r) => r.address.startsWith(who))!.state;
      if (state !== want) await new Promise((r) => setTimeout(r, 20));
    }
    return state;
  };
  t.equal(await stateOf(B, 'fallback-sms'), 'fallback-sms');
  t.equal(await stateOf(C, 'notified'), 'notified');

  const page = await fetch(url!);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  t.equal(page.headers.get('cache-control'), 'private, no-store');
  const html = await page.text();
  t.match(html, /<title>Trip &lt;photos&gt;<\/title>/, 'subject escaped');
  t.match(html, /caption &lt;b&gt;one&lt;\/b&gt;/, 'text escaped');
  t.notMatch(html, /<script/i);
  // Slides in SMIL order: "first slide", then the picture with its caption.
  const i1 = html.indexOf('first slide');
  const iImg = html.indexOf('<img');
  const i2 = html.indexOf('caption');
  t.ok(i1 > 0 && i1 < iImg && iImg < i2, 'SMIL order');
  const imgSrc = /<img src="([^"]+)"/.exec(html)![1]!;
  const img = await fetch(`${gw.url}${imgSrc}`);
  t.equal(img.headers.get('content-type'), 'image/png');
  t.same(Buffer.from(await img.arrayBuffer()), png);
  // A TIFF (not shown by browsers) after the SMIL slides, converted for the browser.
  const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
  t.equal(srcs.length, 2);
  const tiff = await fetch(`${gw.url}${srcs[1]}`);
  t.equal(tiff.headers.get('content-type'), 'image/jpeg');
  t.equal((await sharp(Buffer.from(await tiff.arrayBuffer())).metadata()).format, 'jpeg');

  // The page view counts as retrieval.
  t.equal(await stateOf(B, 'retrieved'), 'retrieved');

  t.equal((await fetch(`${gw.url}/v/AAAAAAAAAAAAAAAAAAAAAA`)).status, 404, 'unknown token');
  t.equal((await fetch(`${gw.url}/v/${url!.split('/').pop()}/0`)).status, 404, 'the SMIL part is not served');
});

t.test('the subscriber list file: comments and blank lines ignored, a bad line named', async (t) => {
  const dir = t.testdir({ 'good.txt': '# x\n+15550000009\n\n15550000008 # note\n', 'bad.txt': '15550000009\nnot-a-number\n' });
  t.same(readNonMmsFile(`${dir}/good.txt`), ['+15550000009', '15550000008']);
  t.throws(() => readNonMmsFile(`${dir}/bad.txt`), NonMmsListError);
  t.throws(() => readNonMmsFile(`${dir}/bad.txt`), /bad\.txt:2/);
  t.throws(() => readNonMmsFile(`${dir}/missing.txt`), /cannot read/);
});
