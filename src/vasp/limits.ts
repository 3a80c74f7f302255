import type { Store } from '../store/types.js';
import type { VaspAccount } from '../config/vasp.js';

export type LimitVerdict = { ok: true; release: () => Promise<void> } | { ok: false; limit: 'tps' | 'quota'; retryAfterSeconds: number; detail: string };

/**
 * Per-VASP sending limits on recipients: throughput by token bucket (one second of burst; a batch
 * larger than the bucket passes when the bucket is full and leaves a debt), and a daily quota across
 * all nodes by an atomic counter in the store. When the store is shared by several nodes (Redis),
 * throughput is also counted per second in the store, so N nodes together admit `tps`, not N x tps;
 * the local bucket stays as the cheap first check.
 */
export class VaspLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  async take(account: VaspAccount, recipients: number): Promise<LimitVerdict> {
    const now = this.clock();
    const tps = account.tps ?? 0;
    let bucket: { tokens: number; at: number } | undefined;
    let sharedWindow: string | undefined;
    if (tps > 0) {
      bucket = this.buckets.get(account.id) ?? { tokens: tps, at: now };
      bucket.tokens = Math.min(tps, bucket.tokens + ((now - bucket.at) / 1000) * tps);
      bucket.at = now;
      this.buckets.set(account.id, bucket);
      if (bucket.tokens < Math.min(recipients, tps)) {
        const wait = (Math.min(recipients, tps) - bucket.tokens) / tps;
        return { ok: false, limit: 'tps', retryAfterSeconds: Math.max(1, Math.ceil(wait)), detail: `throughput limit of ${tps} recipients/s reached` };
      }
      bucket.tokens -= recipients;
      if (this.store.kind === 'redis') {
        const second = Math.floor(now / 1000);
        const windowKey = `${account.id}:${second}`;
        const total = await this.store.cacheAdd('vasp-tps', windowKey, recipients, 5_000);
        // As for the bucket: an oversized batch may pass alone in an empty window.
        if (total > tps && total !== recipients) {
          await this.store.cacheAdd('vasp-tps', windowKey, -recipients, 5_000);
          bucket.tokens += recipients;
          return { ok: false, limit: 'tps', retryAfterSeconds: 1, detail: `throughput limit of ${tps} recipients/s reached (all nodes)` };
        }
        sharedWindow = windowKey;
      }
    }
    const quota = account.dailyQuota ?? 0;
    const day = new Date(now).toISOString().slice(0, 10);
    const key = `${account.id}:${day}`;
    if (quota > 0) {
      const total = await this.store.cacheAdd('vasp-quota', key, recipients, 2 * 86_400_000);
      if (total > quota) {
        await this.store.cacheAdd('vasp-quota', key, -recipients, 2 * 86_400_000);
        if (bucket) bucket.tokens += recipients;
        if (sharedWindow) await this.store.cacheAdd('vasp-tps', sharedWindow, -recipients, 5_000);
        const midnight = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
        return { ok: false, limit: 'quota', retryAfterSeconds: Math.ceil((midnight - now) / 1000), detail: `daily quota of ${quota} recipients used up` };
      }
    }
    const b = bucket;
    return {
      ok: true,
      // Gives the allowance back when the submission failed after all.
      release: async () => {
        if (b) b.tokens = Math.min(tps, b.tokens + recipients);
        if (sharedWindow) await this.store.cacheAdd('vasp-tps', sharedWindow, -recipients, 5_000);
        if (quota > 0) await this.store.cacheAdd('vasp-quota', key, -recipients, 2 * 86_400_000);
      },
    };
  }
}
