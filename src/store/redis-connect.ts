import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './redis-scripts.js';

/**
 * Opens a Redis connection from one URL, so that the single `redis.url` setting covers the three
 * deployments ioredis supports:
 *   redis://[user:pass@]host:port[/db]           (also rediss:// for TLS)
 *   redis+sentinel://[user:pass@]h1:26379,h2:26379/masterName[/db]
 *   redis+cluster://[user:pass@]h1:7000,h2:7001
 * The password of a Sentinel URL is the Redis password; Sentinel's own (`sentinelPassword`) goes in
 * `extra`.
 */
export function connectRedis(url: string, extra: RedisOptions = {}): RedisClient {
  const base: RedisOptions = { enableAutoPipelining: true, ...extra };
  const m = /^redis\+(sentinel|cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)(?:\/([^/]*))?(?:\/(\d+))?\/?$/.exec(url);
  if (!m) return new Redis(url, base);
  const [, kind, user, pass, hostList, name, db] = m;
  const auth = { ...(user ? { username: decodeURIComponent(user) } : {}), ...(pass ? { password: decodeURIComponent(pass) } : {}) };
  const hosts = hostList!.split(',').map((h) => {
    const hm = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(h.trim());
    if (!hm) throw new Error(`bad host ${JSON.stringify(h)} in Redis URL`);
    return { host: hm[1]!, port: hm[2] ? Number(hm[2]) : kind === 'sentinel' ? 26379 : 6379 };
  });
  if (kind === 'sentinel') {
    if (!name) throw new Error('redis+sentinel:// URL needs the master name as its path, e.g. redis+sentinel://h1:26379,h2:26379/mymaster');
    return new Redis({ ...base, ...auth, sentinels: hosts, name: decodeURIComponent(name), ...(db ? { db: Number(db) } : {}) });
  }
  return new Cluster(hosts, { redisOptions: { ...base, ...auth }, enableAutoPipelining: true, lazyConnect: extra.lazyConnect ?? false });
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
