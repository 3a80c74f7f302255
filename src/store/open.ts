import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import { LmdbStore } from './lmdb-store.js';
import { RedisStore, type ContentMode } from './redis-store.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  clock?: () => number;
  /**
   * Redis mode only: keep bodies as files in this folder (shared by every node) instead of in Redis.
   * Not yet a config key; the caller decides.
   */
  contentDir?: string;
  logger?: Logger;
}

/**
 * The store a node runs on: Redis when `redis.url` is set (several nodes share it), otherwise the
 * embedded LMDB store under `<dataDir>/store` (one node, no external service).
 */
export function openStore(config: Pick<GatewayConfig, 'dataDir' | 'redis' | 'relay'> & Partial<Pick<GatewayConfig, 'node' | 'store'>>, opts: OpenStoreOptions = {}): Store {
  if (!config.redis.url) return new LmdbStore(resolve(config.dataDir, 'store'), { clock: opts.clock, commitWindowMs: config.store?.commitWindowMs });
  const contentMode: ContentMode = opts.contentDir ? { dir: resolve(opts.contentDir) } : 'redis';
  return new RedisStore({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    contentMode,
    retentionMs: config.relay.retentionSeconds * 1000,
    clock: opts.clock,
    ...(config.node?.id ? { consumer: config.node.id } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}
