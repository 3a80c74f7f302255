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
  /** When each account last took throughput for a send that goes first (not a bulk release). */
  private readonly lastFirst = new Map<string, number>();
  /** When each account's bulk releases last took throughput. */
  private readonly lastBulk = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    /** Share of `tps` a bulk release leaves free while the account's other sends are active. */
    private readonly bulkReserve = 0.2,
  ) {}

  /**
   * Throughput for a bulk release (a batch of priority low or normal): up to `wanted` recipients,
   * never more than the bucket holds. While the account's sends that go first (REST and MM7
   * messages, batches of priority high) have taken throughput within the last 5 seconds, a share
   * of the bucket (`bulkReserve`) is left to them, so a campaign never starves transactional
   * messages; alone, a release gets the whole `tps`. The daily quota counts what is granted.
   * `giveBack(n)` returns unused recipients.
   */
  async takeBulk(account: VaspAccount, wanted: number, first = false): Promise<{ granted: number; retryAfterMs: number; giveBack: (n: number) => Promise<void> }> {
    const now = this.clock();
    const tps = account.tps ?? 0;
    let granted = wanted;
    let bucket: { tokens: number; at: number } | undefined;
    let sharedWindow: string | undefined;
    if (tps > 0) {
      bucket = this.buckets.get(account.id) ?? { tokens: tps, at: now };
      bucket.tokens = Math.min(tps, bucket.tokens + ((now - bucket.at) / 1000) * tps);
      bucket.at = now;
      this.buckets.set(account.id, bucket);
      if (first) this.lastFirst.set(account.id, now);
      const othersActive = !first && now - (this.lastFirst.get(account.id) ?? -Infinity) < 5000;
      const reserve = othersActive ? Math.ceil(tps * this.bulkReserve) : 0;
      granted = Math.max(0, Math.min(wanted, Math.floor(bucket.tokens - reserve)));
      if (granted === 0) return { granted: 0, retryAfterMs: Math.max(10, Math.ceil(((reserve + 1 - bucket.tokens) / tps) * 1000)), giveBack: async () => undefined };
      bucket.tokens -= granted;
      if (!first) this.lastBulk.set(account.id, now);
      if (this.store.kind === 'redis') {
        const windowKey = `${account.id}:${Math.floor(now / 1000)}`;
        const total = await this.store.cacheAdd('vasp-tps', windowKey, granted, 5_000);
        const over = Math.max(0, total - tps);
        if (over > 0) {
          const back = Math.min(over, granted);
          await this.store.cacheAdd('vasp-tps', windowKey, -back, 5_000);
          bucket.tokens += back;
          granted -= back;
          if (granted === 0) return { granted: 0, retryAfterMs: 1000 - (now % 1000), giveBack: async () => undefined };
        }
        sharedWindow = windowKey;
      }
    }
    const quota = account.dailyQuota ?? 0;
    const day = new Date(now).toISOString().slice(0, 10);
    const key = `${account.id}:${day}`;
    if (quota > 0) {
      const total = await this.store.cacheAdd('vasp-quota', key, granted, 2 * 86_400_000);
      const over = Math.max(0, total - quota);
      if (over > 0) {
        const back = Math.min(over, granted);
        await this.store.cacheAdd('vasp-quota', key, -back, 2 * 86_400_000);
        if (bucket) bucket.tokens += back;
        if (sharedWindow) await this.store.cacheAdd('vasp-tps', sharedWindow, -back, 5_000);
        granted -= back;
        if (granted === 0) return { granted: 0, retryAfterMs: Date.parse(`${day}T00:00:00Z`) + 86_400_000 - now, giveBack: async () => undefined };
      }
    }
    const b = bucket;
    return {
      granted,
      retryAfterMs: 0,
      giveBack: async (n: number) => {
        if (n <= 0) return;
        if (b) b.tokens = Math.min(tps, b.tokens + n);
        if (sharedWindow) await this.store.cacheAdd('vasp-tps', sharedWindow, -n, 5_000);
        if (quota > 0) await this.store.cacheAdd('vasp-quota', key, -n, 2 * 86_400_000);
      },
    };
  }

  async take(account: VaspAccount, recipients: number): Promise<LimitVerdict> {
    const now = this.clock();
    this.lastFirst.set(account.id, now);
    const tps = account.tps ?? 0;
    let bucket: { tokens: number; at: number } | undefined;
    let sharedWindow: string | undefined;
    if (tps > 0) {
      bucket = this.buckets.get(account.id) ?? { tokens: tps, at: now };
      bucket.tokens = Math.min(tps, bucket.tokens + ((now - bucket.at) / 1000) * tps);
      bucket.at = now;
      this.buckets.set(account.id, bucket);
      // A bulk release may have emptied the bucket just before this send arrived: a send that goes
      // first may then borrow up to the reserve, which the release pays back by waiting.
      const debt = now - (this.lastBulk.get(account.id) ?? -Infinity) < 5000 ? Math.ceil(tps * this.bulkReserve) : 0;
      if (bucket.tokens + debt < Math.min(recipients, tps)) {
        const wait = (Math.min(recipients, tps) - bucket.tokens) / tps;
        return { ok: false, limit: 'tps', retryAfterSeconds: Math.max(1, Math.ceil(wait)), detail: `throughput limit of ${tps} recipients/s reached` };
      }
      bucket.tokens -= recipients;
      if (this.store.kind === 'redis') {
        const second = Math.floor(now / 1000);
        const windowKey = `${account.id}:${second}`;
        const total = await this.store.cacheAdd('vasp-tps', windowKey, recipients, 5_000);
        // As for the bucket: an oversized batch may pass alone in an empty window.
        if (total > tps + debt && total !== recipients) {
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
