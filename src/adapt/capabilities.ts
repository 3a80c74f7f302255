import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { mergeCapabilities, parseProfileDiffHeader, parseProfileHeader, parseUaProf, type DeviceCapabilities } from '../../protocol/uaprof/index.js';
import type { AdaptConfig } from '../config/index.js';
import type { Store } from '../store/types.js';
import { classFor, type DeviceClass, type DeviceClasses, type Handset } from './handset.js';
import { guardedGet, type FetchError } from '../net/guarded-request.js';

export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Cached outcome of one profile URL: the capabilities, or why it is unusable (negative cache). */
const PROFILE_REQUEST_HEADERS = { accept: 'application/rdf+xml, application/xml, text/xml, */*;q=0.5', 'user-agent': 'mmsc-uaprof/1' };

type CachedProfile = { ok: true; caps: DeviceCapabilities } | { ok: false; reason: string };

const CACHE_NS = 'uaprof';

export interface CapabilityDeps {
  config: AdaptConfig;
  store: Store;
  classes: DeviceClasses;
  logger: Logger;
}

function header(h: RequestHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Media types listed in an Accept header, without q=0 ones. `*\/*` alone says nothing about the handset. */
function acceptList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/;\s*q=0(\.0*)?\s*(;|$)/i.test(s))
    .map((s) => s.split(';')[0]!.trim().toLowerCase());
}

/**
 * Works out what the retrieving handset can take (issue 6, notes §7): its UAProf (x-wap-profile /
 * Profile, plus x-wap-profile-diff), fetched once per URL and cached through the store - also when it
 * fails, so a broken profile server is not asked on every retrieval; else its Accept /
 * Accept-Charset headers when they name media types; the device class matching its User-Agent
 * supplies what neither says, and the default class when nothing matches.
 */
export class CapabilityResolver {
  /** Fetches in progress per URL: concurrent retrievals by one handset model share one fetch. */
  private readonly inflight = new Map<string, Promise<CachedProfile>>();

  constructor(private readonly d: CapabilityDeps) {}

  async resolve(headers: RequestHeaders): Promise<Handset> {
    const ua = header(headers, 'user-agent');
    const cls = classFor(this.d.classes, ua);
    const base = fromClass(cls, cls === this.d.classes.fallback ? 'default' : 'class');
    const ref = parseProfileHeader(header(headers, 'x-wap-profile') ?? header(headers, 'profile') ?? header(headers, 'wap-profile'));
    let caps: DeviceCapabilities | undefined;
    for (const url of ref.urls) {
      const p = await this.profile(url);
      if (p.ok) {
        caps = p.caps;
        break;
      }
    }
    const diffHeader = header(headers, 'x-wap-profile-diff');
    if (caps && diffHeader) {
      const diff = parseProfileDiffHeader(diffHeader);
      try {
        if (diff && diff.document.length <= this.d.config.uaprof.maxBytes) caps = mergeCapabilities(caps, parseUaProf(diff.document));
      } catch (e) {
        this.d.logger.info({ reason: (e as Error).message }, 'x-wap-profile-diff ignored: not a usable profile fragment');
      }
    }
    if (caps) return fromProfile(caps, base);
    const accept = acceptList(header(headers, 'accept')).filter((t) => t !== '*/*' && !t.startsWith('application/vnd.wap.'));
    const charsets = acceptList(header(headers, 'accept-charset')).filter((c) => c !== '*');
    if (accept.length === 0 && charsets.length === 0) return base;
    return {
      ...base,
      source: 'headers',
      accept: accept.length > 0 ? accept : base.accept,
      charsets: charsets.length > 0 ? charsets : base.charsets,
      smil: accept.length > 0 ? accept.includes('application/smil') : base.smil,
    };
  }

  private async profile(url: string): Promise<CachedProfile> {
    const key = createHash('sha256').update(url).digest('base64url');
    const cached = await this.d.store.cacheGet(CACHE_NS, key);
    if (cached) return JSON.parse(cached.toString('utf8')) as CachedProfile;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchAndCache(url, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetchAndCache(url: string, key: string): Promise<CachedProfile> {
    const c = this.d.config.uaprof;
    let result: CachedProfile;
    try {
      const body = await guardedGet(url, { timeoutMs: c.timeoutMs, maxBytes: c.maxBytes, allowPrivate: c.allowPrivateAddresses, headers: PROFILE_REQUEST_HEADERS });
      result = { ok: true, caps: parseUaProf(body) };
      this.d.logger.info({ url, vendor: result.caps.vendor, model: result.caps.model }, 'UAProf fetched');
    } catch (e) {
      const reason = `${(e as FetchError).reason ?? (e as Error).name}: ${(e as Error).message}`;
      result = { ok: false, reason };
      this.d.logger.info({ url, reason }, 'UAProf unusable; falling back to headers and device classes');
    }
    const ttl = (result.ok ? c.cacheSeconds : c.negativeCacheSeconds) * 1000;
    if (ttl > 0) {
      await this.d.store.cacheSet(CACHE_NS, key, Buffer.from(JSON.stringify(result)), ttl).catch((err) => this.d.logger.warn({ err }, 'UAProf cache write failed'));
    }
    return result;
  }
}

function fromClass(c: DeviceClass, source: Handset['source']): Handset {
  return { source, className: c.name, maxMessageSize: c.maxMessageSize, maxImage: { ...c.maxImage }, accept: [...c.accept], charsets: [...c.charsets], smil: c.smil, generateSmil: c.generateSmil };
}

/** The profile's values where it has them (MMS component first), the class's otherwise. */
function fromProfile(caps: DeviceCapabilities, base: Handset): Handset {
  const accept = caps.mmsCcppAccept.length > 0 ? caps.mmsCcppAccept : caps.ccppAccept;
  const charsets = (caps.mmsCcppAcceptCharSet.length > 0 ? caps.mmsCcppAcceptCharSet : caps.ccppAcceptCharset).map((c) => c.toLowerCase());
  const image = caps.mmsMaxImageResolution ?? caps.screenSize;
  return {
    source: 'uaprof',
    className: base.className,
    maxMessageSize: caps.mmsMaxMessageSize && caps.mmsMaxMessageSize >= 1024 ? caps.mmsMaxMessageSize : base.maxMessageSize,
    maxImage: image && image.w > 0 && image.h > 0 ? image : base.maxImage,
    accept: accept.length > 0 ? accept.map((t) => t.toLowerCase()) : base.accept,
    charsets: charsets.length > 0 ? charsets : base.charsets,
    // A profile listing media types but not SMIL asks for multipart.mixed (notes §8).
    smil: accept.length > 0 ? accept.some((t) => t === 'application/smil' || t === '*/*') : base.smil,
    generateSmil: base.generateSmil,
  };
}
