import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis-store.js';
import { VaspLimits } from '../../src/vasp/limits.js';
import { redisForTests } from '../support/redis.js';

const { server, skip } = await redisForTests();
if (!server) {
  t.test('shared throughput limit', { skip }, () => undefined);
} else {
  t.test('two nodes on one Redis together admit the VASP tps, not twice it', async (t) => {
    const prefix = `mmsc-test:limits:${process.pid}-${randomBytes(4).toString('hex')}:`;
    const storeA = new RedisStore({ url: server.url, keyPrefix: prefix });
    const storeB = new RedisStore({ url: server.url, keyPrefix: prefix });
    t.teardown(async () => {
      await storeA.close();
      await storeB.close();
      const admin = new Redis(server.url);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length) await admin.del(...keys);
      await admin.quit();
      server.child?.kill();
    });
    let now = Date.parse('2026-11-23T10:00:00.100Z');
    const clock = () => now;
    const nodeA = new VaspLimits(storeA, clock);
    const nodeB = new VaspLimits(storeB, clock);
    const account = { id: 'acme', tps: 10 };
    t.match(await nodeA.take(account, 6), { ok: true }, 'node A: 6 of 10');
    t.match(await nodeB.take(account, 6), { ok: false, limit: 'tps', detail: /all nodes/ }, 'node B alone would allow 6, together they would be 12');
    t.match(await nodeB.take(account, 4), { ok: true }, 'node B: the remaining 4');
    t.match(await nodeA.take(account, 1), { ok: false, limit: 'tps' }, 'the second is full on both nodes');
    now += 1000;
    t.match(await nodeB.take(account, 6), { ok: true }, 'the next second has room again');
    const released = await nodeA.take(account, 4);
    t.match(released, { ok: true });
    if (released.ok) await released.release();
    t.match(await nodeA.take(account, 4), { ok: true }, 'a released allowance counts again');
  });
}
