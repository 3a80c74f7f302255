import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import tap from 'tap';
import { requires } from './requires.js';

/** The Redis on 127.0.0.1:6379, else a throw-away redis-server on a free port, else undefined. */
export async function findRedis(): Promise<{ url: string; child?: ChildProcess } | undefined> {
  const probe = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return { url: 'redis://127.0.0.1:6379' };
  } catch {
    // fall through to a private server
  } finally {
    probe.disconnect();
  }
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) return undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return { url, child };
    } catch {
      c.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  return undefined;
}

/** Deletes every key under `prefix`: a test's own key space, cleaned up at its end. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}

/**
 * findRedis() for a test file, with tap's `skip` option: the recognised "requires: redis" reason
 * when there is none (a failure in CI, see requires.ts). A server this started is stopped when the
 * file's tests end.
 */
export async function redisForTests(): Promise<{ server: { url: string; child?: ChildProcess } | undefined; skip: string | false }> {
  const server = await findRedis();
  if (server?.child) {
    const child = server.child;
    tap.teardown(() => void child.kill());
  }
  return { server, skip: requires('redis', !server && 'no Redis on 127.0.0.1:6379 and no redis-server binary to start one') };
}
