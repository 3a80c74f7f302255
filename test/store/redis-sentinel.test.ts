/**
 * The Redis store behind Sentinel (`redis+sentinel://host:port/masterName`, docs/operations.md):
 * a real redis-sentinel process monitors a master and its replica that the test starts on free
 * ports; the store finds the master through the sentinel, and after a failover it writes to the
 * promoted replica and still reads what it wrote before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis-store.js';
import { freePort } from '../scale/nodes.js';
import { requires } from '../support/requires.js';
import { until } from '../support/until.js';
import { sampleMessage } from './contract.js';

const runs = (args: string[]): Promise<boolean> =>
  new Promise((ok) => {
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    c.on('error', () => ok(false));
    c.on('close', (code) => ok(code === 0));
  });
const skip = requires('redis', !(await runs(['--version'])) && 'no redis-server binary to start a master, a replica and a sentinel');

/** A redis-server (or, with `--sentinel`, a sentinel) of the test's own; killed at teardown. */
async function server(t: Test, args: string[]): Promise<{ port: number; child: ChildProcess; client: Redis }> {
  const port = await freePort();
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  t.teardown(() => client.disconnect());
  await until(async () => (await client.ping().catch(() => undefined)) === 'PONG' || undefined, `redis on ${port}`);
  return { port, child, client };
}

/** until() for async conditions. */
async function untilAsync<T>(f: () => Promise<T | undefined | false>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('RedisStore through Sentinel: finds the master, and follows a failover', { skip }, async (t) => {
  const dir = t.testdir({});
  const noPersist = ['--save', '', '--appendonly', 'no'];
  const master = await server(t, [...noPersist, '--dir', dir]);
  const replica = await server(t, [...noPersist, '--dir', dir, '--replicaof', '127.0.0.1', String(master.port)]);
  const conf = join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it gets its own.
  writeFileSync(
    conf,
    [`sentinel monitor mymaster 127.0.0.1 ${master.port} 1`, 'sentinel down-after-milliseconds mymaster 2000', 'sentinel failover-timeout mymaster 10000', `dir ${dir}`, ''].join('\n'),
  );
  const sentinel = await server(t, [conf, '--sentinel']);
  await untilAsync(async () => {
    const r = (await sentinel.client.call('SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
    return r.length === 1 && r[0]!.join(' ').includes(`port ${replica.port}`) && r[0]!.join(' ').includes('master-link-status ok');
  }, 'the sentinel to know the replica');

  const prefix = `mmsc-test:sentinel-${process.pid}:`;
  const store = new RedisStore({ url: `redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`, keyPrefix: prefix });
  t.teardown(() => store.close());
  const before = sampleMessage(1);
  await store.createMessage(before.message, Buffer.from('before the failover'), before.recipients, [{ type: 'notify', dueAt: 0, payload: { n: 1 } }]);
  t.ok((await master.client.keys(`${prefix}*`)).length > 0, 'the store wrote to the master the sentinel named');
  t.same(await store.getBody(before.message.id), Buffer.from('before the failover'));
  // Every write on the replica before the failover: nothing acknowledged is lost in it.
  t.equal(await master.client.call('WAIT', '1', '5000'), 1, 'the replica has the writes');

  t.equal(await sentinel.client.call('SENTINEL', 'FAILOVER', 'mymaster'), 'OK', 'failover started');
  await untilAsync(async () => {
    const [, port] = (await sentinel.client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as [string, string];
    return Number(port) === replica.port;
  }, 'the sentinel to name the replica as master');
  await untilAsync(async () => ((await replica.client.call('ROLE')) as string[])[0] === 'master', 'the replica to be promoted');
  // Until the sentinel has turned the old master into a replica, a client may still write to it
  // (and lose that write in the resync): the failover is complete only then.
  await untilAsync(async () => ((await master.client.call('ROLE')) as string[])[0] === 'slave', 'the old master to follow the new one');

  // The store's connection to the old master is closed by the failover; it asks the sentinel again.
  const after = sampleMessage(1);
  await untilAsync(async () => {
    await store.createMessage(after.message, Buffer.from('after the failover'), after.recipients, []);
    return true;
  }, 'a write after the failover');
  t.same(await store.getBody(after.message.id), Buffer.from('after the failover'), 'written and read back');
  t.ok((await replica.client.keys(`${prefix}*`)).some((k) => k.includes(after.message.id)), 'on the promoted replica');
  t.same(await store.getBody(before.message.id), Buffer.from('before the failover'), 'what was written before is still there');
  const jobs = await store.claimDueJobs(Date.now(), 10, 60_000);
  t.same(jobs.map((j) => j.payload), [{ n: 1 }], "the job queued before the failover is claimed after it");
  await store.completeJob(jobs[0]!);
  t.equal(await store.countJobs(), 0);
  // The old master resyncs from the new one (a full sync, slow on a busy machine): wait for it.
  await untilAsync(async () => (await master.client.keys(`${prefix}*`)).some((k) => k.includes(after.message.id)), 'the old master to replicate the new write', 60_000);
  t.pass('the old master, now a replica, has the write made after the failover');
});
