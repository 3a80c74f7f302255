import t from 'tap';
import { startSmscBearer } from '../../src/smsc/index.js';
import { startLabSmsc } from '../../src/smsc-sim/simulator.js';
import { bytes, simulator, until } from './helpers.js';

t.test('no SMSC configured: the built-in simulator carries pushes and receipts reach the sink', async (t) => {
  const found: { key: string; state: string; delivered: boolean }[] = [];
  const known = new Set<string>();
  const sink = {
    async smscReceipt(key: string, state: string, delivered: boolean) {
      if (!known.has(key)) return undefined;
      found.push({ key, state, delivered });
      return { ok: true };
    },
  };
  const bearer = await startSmscBearer({}, { sink, startLab: startLabSmsc });
  t.teardown(() => bearer.stop());
  t.ok(bearer.lab, 'lab SMSC started');
  await until(() => bearer.pool.up, 'bind to the simulator');
  const o = await bearer.transport.push('+15551234567', bytes(40), 'x');
  t.ok(o.ok);
  if (o.ok) for (const k of o.receiptKeys!) known.add(k);
  await until(() => found.length === 1, 'receipt applied', 5000);
  t.match(found[0], { state: 'DELIVRD', delivered: true });
  t.ok(o.ok && o.receiptKeys!.includes(found[0]!.key));
});

t.test('configured URL: pushes go to that SMSC, no simulator', async (t) => {
  const sim = await simulator(t);
  const bearer = await startSmscBearer({ url: `smpp://mmsc:secret@127.0.0.1:${sim.port}` }, { startLab: startLabSmsc });
  t.teardown(() => bearer.stop());
  t.equal(bearer.lab, undefined);
  await until(() => bearer.pool.up, 'bind');
  const got = sim.nextPush();
  t.ok((await bearer.transport.push('+15551234567', bytes(40), 'x')).ok);
  t.same((await got).payload, bytes(40));
});

t.test('no SMSC configured and no lab SMSC to start: the bearer refuses to start', async (t) => {
  await t.rejects(startSmscBearer({}), /no SMSC configured/);
});
