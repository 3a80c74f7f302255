import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Redis } from 'ioredis';
import { account, bearer, until, vaspGateway } from './helpers.js';
import { deleteKeys, redisForTests } from '../support/redis.js';

const { server, skip } = await redisForTests();
if (!server) {
  t.test('campaigns on Redis', { skip }, () => undefined);
} else {
  t.test('two nodes on one Redis share a scheduled batch: each recipient released and notified once', async (t) => {
    const prefix = `mmsc-test:batch:${process.pid}-${randomBytes(4).toString('hex')}:`;
    t.teardown(async () => {
      const admin = new Redis(server.url);
      await deleteKeys(admin, prefix);
      await admin.quit();
      server.child?.kill();
    });
    const tweak = (name: string) => (c: import('../../src/config/index.js').GatewayConfig) => {
      c.redis = { url: server.url, keyPrefix: prefix };
      c.node.id = name;
      c.vasp.accounts = [account('TNN')];
      c.vasp.batches.releaseSlice = 50;
    };
    const a = await vaspGateway(t, tweak('a'));
    const b = await vaspGateway(t, tweak('b'));
    const recipients = Array.from({ length: 300 }, (_, i) => ({ to: `+1555400${String(i).padStart(4, '0')}`, variables: { n: i } }));
    const res = await fetch(`${a.gw.url}/api/v1/batches`, {
      method: 'POST',
      headers: { authorization: bearer('TNN'), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'n={{ n }}', sendAt: new Date(Date.now() + 1500).toISOString(), recipients }),
    });
    t.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const pushes = () => [...a.transport.pushes, ...b.transport.pushes];
    await until(() => (pushes().length >= 300 ? true : undefined), 'every recipient notified', 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const to = pushes().map((p) => p.destination);
    t.equal(to.length, 300, 'no recipient twice');
    t.equal(new Set(to).size, 300);
    const report = await until(async () => {
      const r = (await (await fetch(`${b.gw.url}/api/v1/batches/${id}`, { headers: { authorization: bearer('TNN') } })).json()) as any;
      return r.status === 'completed' && r.counts.notified === 300 ? r : undefined;
    }, 'the report on the other node');
    t.match(report.counts, { accepted: 300, released: 300, notified: 300 });
  });
}
