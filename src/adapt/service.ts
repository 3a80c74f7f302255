import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AdaptConfig } from '../config/index.js';
import type { MessageRecord } from '../records/model.js';
import type { Store } from '../store/types.js';
import { MessageAdapter, type MediaTranscoder } from './adapter.js';
import { CapabilityResolver, type RequestHeaders } from './capabilities.js';
import { capabilityKey, type DeviceClasses, type Handset } from './handset.js';
import { VariantCache, type Variant } from './variants.js';

export interface AdaptationDeps {
  config: AdaptConfig;
  store: Store;
  logger: Logger;
  classes: DeviceClasses;
  media?: MediaTranscoder;
  clock?: () => number;
}

export interface RetrievalVariant extends Variant {
  handset: Handset;
  /** Served from the variant cache. */
  cached: boolean;
}

/** Content adaptation as the retrieval route sees it: handset in, variant of the message out. */
export class Adaptation {
  readonly resolver: CapabilityResolver;
  readonly adapter: MessageAdapter;
  private readonly variants: VariantCache;

  constructor(d: AdaptationDeps) {
    this.resolver = new CapabilityResolver({ config: d.config, store: d.store, classes: d.classes, logger: d.logger });
    this.adapter = new MessageAdapter({ maxInputPixels: d.config.images.maxInputPixels, replacementText: d.config.replacementText, media: d.media });
    this.variants = new VariantCache(d.store, d.config.variantCacheSeconds * 1000, d.clock);
  }

  /** `reserve`: octets the m-retrieve-conf takes besides the body. */
  async forRetrieval(message: MessageRecord, body: Uint8Array, headers: RequestHeaders, reserve: number): Promise<RetrievalVariant> {
    const handset = await this.resolver.resolve(headers);
    const key = `${capabilityKey(handset)}:${contentFingerprint(message, body)}`;
    const { variant, hit } = await this.variants.get(message.id, key, message.expiresAt, async () => {
      const a = await this.adapter.adapt(message.contentType, body, handset, reserve);
      return { contentType: a.contentType, body: a.body, fits: a.fits, changes: a.changes, unchanged: a.body === body };
    });
    return { ...variant, handset, cached: hit };
  }
}

/**
 * Tells stored contents of one message apart (a VASP may replace the content before retrieval), so a
 * variant of the old content is never served for the new; head, tail and length, not the whole body,
 * to keep warm retrievals cheap.
 */
function contentFingerprint(message: MessageRecord, body: Uint8Array): string {
  const h = createHash('sha256').update(JSON.stringify(message.contentType)).update(String(body.length));
  h.update(body.subarray(0, 4096)).update(body.subarray(Math.max(0, body.length - 4096)));
  return h.digest('base64url').slice(0, 16);
}
