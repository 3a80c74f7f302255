import t from 'tap';
import { SmscPool } from '../../src/smsc/pool.js';
import { SmppPushTransport } from '../../src/smsc/push-transport.js';
import { boundLink, bytes, linkConfig, simulator, until } from './helpers.js';

t.test('round robin over two links, failover when one goes down', async (t) => {
  const simA = await simulator(t);
  const simB = await simulator(t);
  const a = await boundLink(t, linkConfig(simA.port, { name: 'a' }));
  const b = await boundLink(t, linkConfig(simB.port, { name: 'b', reconnectInitialMs: 10_000, reconnectMaxMs: 10_000 }));
  const transport = new SmppPushTransport(new SmscPool([a, b]));
  const used: string[] = [];
  for (let i = 0; i < 4; i++) {
    const o = await transport.push('+15551234567', bytes(20, i), 'x');
    if (o.ok) used.push(o.link!);
  }
  t.same(used, ['a', 'b', 'a', 'b'], 'round robin');

  b.drop();
  await until(() => !b.up, 'link b down');
  used.length = 0;
  for (let i = 0; i < 4; i++) {
    const o = await transport.push('+15551234567', bytes(20, i), 'x');
    t.ok(o.ok, 'still delivered');
    if (o.ok) used.push(o.link!);
  }
  t.same(used, ['a', 'a', 'a', 'a'], 'everything fails over to a');
  t.equal(simA.stats.pushes, 6);
  t.equal(simB.stats.pushes, 2);
});

t.test('a push refused before sending on one link fails over to the next', async (t) => {
  const simA = await simulator(t);
  const simB = await simulator(t);
  const a = await boundLink(t, linkConfig(simA.port, { name: 'a', window: 1, maxQueued: 0 }));
  const b = await boundLink(t, linkConfig(simB.port, { name: 'b' }));
  const pool = new SmscPool([a, b]);
  const transport = new SmppPushTransport(pool);
  simA.delayResponses(100);
  // Window 1 and nothing may wait on a: while one push is in flight there, the next is refused unsent.
  const busy = a.submit({ destination: '+15551234567', userData: Buffer.from('06050400000000aa', 'hex') });
  const o = await transport.push('+15551234567', bytes(20), 'x');
  t.match(o, { ok: true, link: 'b' });
  t.match(await busy, { ok: true });
  t.equal(simA.stats.submits, 1, 'a only saw the submit that kept it busy');
  t.same(pool.route('+15551234567').map((l) => l.name), ['b', 'a'], 'this second routing starts at b, so the push started at a');
});

t.test('routing by destination prefix, longest prefix first, default for the rest', async (t) => {
  const sim = await simulator(t);
  const fr = await boundLink(t, linkConfig(sim.port, { name: 'fr', prefixes: ['33'] }));
  const frMobile = await boundLink(t, linkConfig(sim.port, { name: 'fr-mobile', prefixes: ['336', '337'] }));
  const rest = await boundLink(t, linkConfig(sim.port, { name: 'default' }));
  const pool = new SmscPool([fr, frMobile, rest]);
  const transport = new SmppPushTransport(pool);
  const linkFor = async (to: string) => {
    const o = await transport.push(to, bytes(20), 'x');
    return o.ok ? o.link : `failed: ${o.reason}`;
  };
  t.equal(await linkFor('+33612345678'), 'fr-mobile');
  t.equal(await linkFor('+33712345678'), 'fr-mobile');
  t.equal(await linkFor('+33112345678'), 'fr');
  t.equal(await linkFor('+15551234567'), 'default');
  t.equal(await linkFor('4930123456'), 'default');

  const only = new SmscPool([linkConfig(sim.port, { name: 'uk', prefixes: ['44'] })]);
  const o = await new SmppPushTransport(only).push('+15551234567', bytes(5), 'x');
  t.match(o, { ok: false, temporary: false, reason: /no SMSC link routes/ });
});
