import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './redis-scripts.js';

/**
 * How a node behaves while Redis is away. ioredis' defaults queue a command for up to 20
 * reconnection attempts (about a minute) and have no command timeout, so an HTTP request would hang
 * instead of getting its error answer. With these a command queued or unanswered when the
 * connection drops fails after the second failed reconnect (a few seconds at most), and one sent
 * into a connection that went silent fails after `commandTimeout`. Reconnecting itself never stops.
 * A command that failed this way may still have run on the server (it was sent, the answer was
 * lost): callers must treat the failure as "unknown", which the relay does (the client retries,
 * message ids are fresh, state changes are compare-and-set).
 */
export const OUTAGE_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  commandTimeout: 5000,
  connectTimeout: 5000,
};

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
  const base: RedisOptions = { ...OUTAGE_OPTIONS, enableAutoPipelining: true, ...extra };
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
