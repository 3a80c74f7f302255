import t from 'tap';
import { lab, until } from './lab.js';
import { SmppReceiverPushSource } from '../../src/emulator/receiver.js';
import { addressRangePattern } from '../../src/smsc-sim/simulator.js';
import { Handset } from '../../src/emulator/handset.js';
import { Mm1Client, Mm1Error } from '../../src/emulator/mm1-client.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';

for (const via of ['simulator', 'smpp'] as const) {
  t.test(`A sends to B (android) and C (defer); delivery reports reach A (pushes via ${via})`, async (t) => {
    const l = await lab(t, { via });
    const a = l.handset(A);
    const b = l.handset(B, 'android');
    const c = l.handset(C, 'defer');
    const sent = await a.send({ to: [B, C], subject: 'hello', text: 'Grüße', files: [{ name: 'p.jpg', data: Buffer.alloc(3000, 7) }], deliveryReport: true });
    t.equal(sent.httpStatus, 200);
    t.equal(sent.responseStatus, 'ok');
    t.ok(sent.messageId, 'Message-ID in m-send-conf');

    const ib = await until(() => b.inbox.find((i) => i.state === 'acknowledged'), 'B to retrieve and acknowledge');
    t.equal(ib.messageId, sent.messageId, 'B retrieved the message A sent');
    t.equal(Buffer.from(ib.retrieved!.parts![0]!.data).toString('utf8'), 'Grüße');
    t.equal(ib.retrieved!.parts![1]!.data.length, 3000, 'media intact');
    t.equal(ib.notification.subject, 'hello');

    const ic = await until(() => c.inbox.find((i) => i.state === 'deferred'), 'C to defer');
    t.notOk(ic.retrieved, 'C did not retrieve on notification');
    t.equal(a.deliveryReportsFrom(C, sent.messageId).filter((r) => r.status === 'retrieved').length, 0, 'no retrieved report for C yet');
    t.ok(await c.retrieve(ic), 'C retrieves later');
    t.equal(ic.state, 'acknowledged');

    const fromB = await until(() => a.deliveryReportsFrom(B, sent.messageId).find((r) => r.status === 'retrieved'), 'retrieved report for B');
    t.equal(fromB.messageId, sent.messageId);
    await until(() => a.deliveryReportsFrom(C, sent.messageId).find((r) => r.status === 'retrieved'), 'retrieved report for C');
    if (via === 'smpp') {
      const src = l.source as SmppReceiverPushSource;
      t.ok(src.stats.deliverSm >= 4, 'pushes came as deliver_sm to the receiver bind');
      t.equal(l.sim.stats.mtDelivered, src.stats.deliverSm);
      t.equal(l.sim.stats.mtUnrouted, 0, 'every push had its receiver');
    }
  });
}

t.test('a handset that answers on the Content-Location URL (Android MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED)', async (t) => {
  const l = await lab(t);
  const a = l.handset(A);
  const b = l.handset(B, 'defer', { reportsTo: 'content-location' });
  const sent = await a.send({ to: [B], subject: 'cl', text: 'x', deliveryReport: true });
  const ib = await until(() => b.inbox.find((i) => i.state === 'deferred'), 'B to defer');
  const stateOfB = async (): Promise<string | undefined> => (await l.gw.store.listRecipients(sent.messageId!))[0]?.state;
  t.equal(await stateOfB(), 'deferred', 'the deferral posted to the retrieval URL reached the MMSC');
  t.ok(await b.retrieve(ib));
  t.equal(ib.state, 'acknowledged');
  t.equal(await stateOfB(), 'acknowledged', 'the acknowledgement posted to the retrieval URL reached the MMSC');
  await until(() => a.deliveryReportsFrom(B, sent.messageId).find((r) => r.status === 'retrieved'), 'retrieved report for B');
});

t.test('reject, never-ack and read report', async (t) => {
  const l = await lab(t);
  const a = l.handset(A);
  const b = l.handset(B, 'reject');
  const c = l.handset(C, 'never-ack');
  const sent = await a.send({ to: [B, C], subject: 'r', text: 'x', deliveryReport: true, readReport: true });
  t.equal(sent.responseStatus, 'ok');
  const rej = await until(() => a.deliveryReportsFrom(B, sent.messageId)[0], 'report for B');
  t.equal(rej.status, 'rejected');
  t.equal(b.inbox[0]!.state, 'rejected');
  const ic = await until(() => c.inbox.find((i) => i.state === 'retrieved'), 'C to retrieve');
  t.equal(await c.sendReadReport(ic.messageId!, 'read'), 200);
  const rr = await until(() => a.readReportsFrom(C, sent.messageId)[0], 'read report');
  t.equal(rr.readStatus, 'read');
});

t.test('the client refuses remote targets unless allowed', async (t) => {
  t.throws(() => new Mm1Client({ mmscUrl: 'http://192.0.2.1/mms' }), /not a loopback/);
  const client = new Mm1Client({ mmscUrl: 'http://127.0.0.1:9/mms' });
  t.teardown(() => client.close());
  await t.rejects(client.retrieve('http://10.0.0.1/m/x', { msisdn: A, userAgent: 'x' }), Mm1Error);
  t.doesNotThrow(() => new Mm1Client({ mmscUrl: 'http://192.0.2.1/mms', allowRemote: true }).close());
  t.throws(() => new Handset({ msisdn: '15550000001', client }), /MSISDN/);
  t.throws(() => new Handset({ msisdn: A, client, behaviour: 'sleepy' as never }), /behaviour/);
});

t.test('address_range patterns', async (t) => {
  t.ok(addressRangePattern('1555')!.test('15550000002'));
  t.notOk(addressRangePattern('1555')!.test('4915550000002'));
  t.ok(addressRangePattern('^1555000000[0-9]$')!.test('15550000002'));
  t.equal(addressRangePattern('(['), undefined, 'not a regex');
  t.equal(addressRangePattern('1'.repeat(42)), undefined, 'longer than SMPP allows');
});

t.test('a receiver bind with an unusable address_range is refused, with the reason', async (t) => {
  const l = await lab(t);
  const rx = new SmppReceiverPushSource({ host: '127.0.0.1', port: l.sim.port, systemId: 'phones', password: 'pw', addressRange: '((' });
  t.teardown(() => rx.stop());
  await t.rejects(rx.start(1000), /did not succeed within 1000 ms: .*ESME_RBINDFAIL/);
  t.ok(l.sim.stats.bindsRefused >= 1);
});
