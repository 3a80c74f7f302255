import type { ContentTypeRecord } from '../records/model.js';
import type { Store } from '../store/types.js';

export interface Variant {
  contentType: ContentTypeRecord;
  body: Uint8Array;
  fits: boolean;
  changes: string[];
  /** The stored body as it is: not cached (re-checking it is cheaper than a durable cache write). */
  unchanged?: boolean;
}

const NS = 'variant';

/** `[u32 header length][JSON header][body]`: the body stays binary. */
function pack(v: Variant): Buffer {
  const head = Buffer.from(JSON.stringify({ contentType: v.contentType, fits: v.fits, changes: v.changes }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, v.body]);
}

function unpack(b: Buffer): Variant | undefined {
  if (b.length < 4) return undefined;
  const n = b.readUInt32BE(0);
  if (4 + n > b.length) return undefined;
  try {
    const head = JSON.parse(b.toString('utf8', 4, 4 + n)) as Omit<Variant, 'body'>;
    return { ...head, body: b.subarray(4 + n) };
  } catch {
    return undefined;
  }
}

/**
 * Adapted variants per (message, capability key), kept in the store's TTL cache so that every node
 * serves a variant made once, and never kept beyond the message's expiry. Concurrent retrievals of
 * one variant on this node wait for one adaptation (single flight).
 */
export class VariantCache {
  private readonly inflight = new Map<string, Promise<Variant>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(messageId: string, capabilityKey: string, expiresAt: number, produce: () => Promise<Variant>): Promise<{ variant: Variant; hit: boolean }> {
    const key = `${messageId}:${capabilityKey}`;
    const stored = await this.store.cacheGet(NS, key);
    const v = stored && unpack(stored);
    if (v) return { variant: v, hit: true };
    let p = this.inflight.get(key);
    if (p) return { variant: await p, hit: true };
    p = (async () => {
      const made = await produce();
      const ttl = Math.min(this.ttlMs, expiresAt - this.clock());
      if (ttl > 0 && !made.unchanged) await this.store.cacheSet(NS, key, pack(made), ttl);
      return made;
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return { variant: await p, hit: false };
  }
}
