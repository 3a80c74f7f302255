/**
 * End to end for a VASP: REST send -> WAP Push over real SMPP to the SMSC simulator -> the handset
 * (plain HTTP + the MMS codec) retrieves and acknowledges -> the delivery report reaches the VASP's
 * webhook, signed.
 */
import t from 'tap';
import sharp from 'sharp';
import { decode, encode, type RetrieveConf } from '../../protocol/mms/index.js';
import { webhookSignature } from '../../src/vasp/reports.js';
import { bearer, smppVaspGateway, until } from './helpers.js';
import { receiver } from './receiver.js';

const SECRET = 'e2e-webhook-secret-123456';

t.test('REST send reaches a handset over SMPP; its retrieval and acknowledgement come back as a signed webhook', async (t) => {
  const hook = await receiver(t, () => ({ status: 200 }));
  const { gw, notificationFor } = await smppVaspGateway(t, { url: hook.url, secret: SECRET });

  const handset = '+15550101010';
  const pushed = notificationFor(handset);

  const image = await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: 0, g: 128, b: 0 } } }).jpeg().toBuffer();
  const form = new FormData();
  form.append('to', handset);
  form.append('subject', 'Weekend offer');
  form.append('text', 'Show this at the counter');
  form.append('media', new Blob([image], { type: 'image/jpeg' }), 'coupon.jpg');
  const sent = await fetch(`${gw.url}/api/v1/messages`, { method: 'POST', headers: { authorization: bearer('TNN') }, body: form });
  t.equal(sent.status, 202);
  const { messageId } = (await sent.json()) as { messageId: string };

  // The handset: WAP Push from the SMSC, then HTTP GET of the Content-Location.
  const n = await pushed;
  t.match(n, { type: 'm-notification-ind', from: '12345/TYPE=PLMN', subject: 'Weekend offer' });
  const got = await fetch(n.contentLocation, { headers: { 'x-msisdn': handset.slice(1) } });
  t.equal(got.status, 200);
  const conf = decode(Buffer.from(await got.arrayBuffer()), { strict: true }) as RetrieveConf;
  t.match(conf, { type: 'm-retrieve-conf', messageId, subject: 'Weekend offer' });
  t.same(conf.parts?.map((p) => p.contentType.type), ['application/smil', 'image/jpeg', 'text/plain']);
  t.same(Buffer.from(conf.parts![1]!.data), image, 'the uploaded image arrives intact');
  const ack = await fetch(`${gw.url}/mms`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': handset.slice(1) },
    body: encode({ type: 'm-acknowledge-ind', transactionId: conf.transactionId!, mmsVersion: '1.2', reportAllowed: true }),
  });
  t.equal(ack.status, 200);

  const report = await until(() => hook.received[0], 'delivery-report webhook');
  const event = JSON.parse(report.body.toString());
  t.match(event, { event: 'delivery-report', messageId, recipient: handset, status: 'retrieved', vaspId: 'TNN' });
  t.equal(report.headers['x-mmsc-signature'], `sha256=${webhookSignature(SECRET, String(report.headers['x-mmsc-timestamp']), report.body.toString())}`);

  const status = await fetch(`${gw.url}/api/v1/messages/${messageId}`, { headers: { authorization: bearer('TNN') } });
  const body = (await status.json()) as { recipients: { state: string; history: { state: string }[] }[] };
  t.equal(body.recipients[0]!.state, 'acknowledged');
  t.same(body.recipients[0]!.history.map((h) => h.state), ['accepted', 'notified', 'retrieved', 'acknowledged']);
  t.equal(hook.received.length, 1, 'one report: the acknowledgement after retrieval adds none');
});
