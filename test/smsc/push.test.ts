import t from 'tap';
import { SmscPool } from '../../src/smsc/pool.js';
import { SmppPushTransport } from '../../src/smsc/push-transport.js';
import { boundLink, bytes, linkConfig, simulator } from './helpers.js';

t.test('single-segment push reassembles byte-identical, with port 2948 and DCS/esm_class as configured', async (t) => {
  const sim = await simulator(t);
  const link = await boundLink(t, linkConfig(sim.port));
  const transport = new SmppPushTransport(new SmscPool([link]));
  const submits: { esm: number; dcs: number; rd: number; from: string }[] = [];
  sim.onSubmit((s) => submits.push({ esm: s.esmClass, dcs: s.dataCoding, rd: s.registeredDelivery, from: s.from }));
  const payload = bytes(120);
  const got = sim.nextPush();
  const outcome = await transport.push('+15551234567', payload, 'tag1');
  t.ok(outcome.ok, JSON.stringify(outcome));
  const push = await got;
  t.same(push.payload, payload);
  t.equal(push.to, '+15551234567');
  t.equal(push.port, 2948);
  t.equal(push.segments, 1);
  t.same(submits, [{ esm: 0x40, dcs: 0x04, rd: 1, from: '+15550000' }]);
  if (outcome.ok) {
    t.equal(outcome.link, 'smsc');
    t.same(outcome.messageIds, push.messageIds);
    t.ok(outcome.receiptKeys!.includes(`smsc:${push.messageIds[0]!.toLowerCase()}`));
  }
});

t.test('multi-segment push (8-bit and 16-bit concat) reassembles byte-identical', async (t) => {
  const sim = await simulator(t);
  for (const concatBits of [8, 16] as const) {
    const link = await boundLink(t, linkConfig(sim.port, { name: `c${concatBits}`, concatBits, dataCoding: 0xf5 }));
    const transport = new SmppPushTransport(new SmscPool([link]));
    const seen: { dcs: number; len: number; iei: number }[] = [];
    const off = sim.onSubmit((s) => seen.push({ dcs: s.dataCoding, len: s.userData.length, iei: s.userData[7]! }));
    const payload = bytes(700, concatBits);
    const got = sim.nextPush();
    const outcome = await transport.push('+33612345678', payload, 'multi');
    off();
    t.ok(outcome.ok);
    const push = await got;
    t.same(push.payload, payload, `${concatBits}-bit concat round-trip`);
    const room = concatBits === 8 ? 128 : 127;
    t.equal(push.segments, Math.ceil(700 / room));
    t.equal(seen.length, push.segments);
    t.ok(seen.every((s) => s.dcs === 0xf5 && s.len <= 140 && s.iei === (concatBits === 8 ? 0x00 : 0x08)));
    if (outcome.ok) t.same(outcome.messageIds, push.messageIds, 'one SMSC id per segment, in order');
  }
});

t.test('no bound link: temporary failure at once; permanent SMSC errors are permanent', async (t) => {
  const sim = await simulator(t);
  const downPool = new SmscPool([linkConfig(1, { name: 'nowhere' })]);
  downPool.start();
  t.teardown(() => downPool.stop());
  const down = new SmppPushTransport(downPool);
  const o = await down.push('+15551234567', bytes(10), 'x');
  t.match(o, { ok: false, temporary: true, reason: /no SMSC link is bound/ });

  const link = await boundLink(t, linkConfig(sim.port));
  const transport = new SmppPushTransport(new SmscPool([link]));
  sim.fail(1, 0x0b);
  const bad = await transport.push('+15551234567', bytes(10), 'x');
  t.match(bad, { ok: false, temporary: false, code: 0x0b, reason: /ESME_RINVDSTADR/ });
  const tooBig = await transport.push('+15551234567', bytes(255 * 128 + 1), 'x');
  t.match(tooBig, { ok: false, temporary: false, reason: /cannot be sent by SMS/ });
});
