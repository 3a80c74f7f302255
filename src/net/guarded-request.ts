import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Outgoing HTTP to URLs that someone outside gave us (a handset's UAProf URL, a VASP's media URL or
 * webhook): every such request goes through here so that the SSRF rules live in one place.
 */

/** Addresses an outgoing request must not reach unless allowed: loopback, private, link-local, CGNAT, multicast, unspecified. */
function privateRanges(): BlockList {
  const b = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) b.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) b.addSubnet(net, bits, 'ipv6');
  return b;
}

const PRIVATE = privateRanges();

/** True for addresses the guard refuses, and for anything that is not an IP address at all. */
export function isPrivateAddress(ip: string): boolean {
  // IPv4-mapped (::ffff:10.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const v = isIP(ip);
  if (v === 0) return true;
  return PRIVATE.check(ip, v === 6 ? 'ipv6' : 'ipv4');
}

export type FetchFailure = 'url' | 'blocked' | 'timeout' | 'too-large' | 'status' | 'network';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly reason: FetchFailure,
    message: string,
    /** Worth retrying (timeouts, 5xx, connection failures) as opposed to refused outright. */
    readonly temporary: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GuardedRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  maxBytes: number;
  allowPrivate: boolean;
  /** user:password in the URL become HTTP Basic (configured VASP endpoints); refused otherwise. */
  allowCredentials?: boolean;
}

export interface GuardedResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * One HTTP(S) request. The address is checked after DNS resolution, in the socket's own lookup, so a
 * name that resolves to a private address (or re-resolves to one: DNS rebinding) is refused unless
 * `allowPrivate`. Redirects are not followed; the response body is cut off at `maxBytes` and the
 * whole exchange at `timeoutMs`.
 */
export function guardedRequest(url: string, o: GuardedRequest): Promise<GuardedResponse> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(new FetchError('url', `not a URL: ${url.slice(0, 100)}`, false));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new FetchError('url', `scheme ${u.protocol} not allowed`, false));
  if ((u.username || u.password) && !o.allowCredentials) return Promise.reject(new FetchError('url', 'credentials in URLs are not allowed', false));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !o.allowPrivate && isPrivateAddress(host)) return Promise.reject(new FetchError('blocked', `${host} is a private or loopback address`, false));
  const lookup: LookupFunction = (hostname, options, cb) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '', 4);
      const list = addresses as LookupAddress[];
      const ok = o.allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
      if (ok.length === 0) return cb(Object.assign(new Error(`${hostname} resolves only to private or loopback addresses`), { code: 'EPRIVATE' }), '', 4);
      if ((options as { all?: boolean }).all) return (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      cb(null, ok[0]!.address, ok[0]!.family);
    });
  };
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: o.method ?? 'GET', headers: o.headers, lookup, timeout: o.timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        req.destroy();
        return reject(new FetchError('too-large', `response of ${declared} octets exceeds ${o.maxBytes}`, false, res.statusCode));
      }
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          req.destroy();
          reject(new FetchError('too-large', `response exceeds ${o.maxBytes} octets`, false, res.statusCode));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(new FetchError('network', e.message, true)));
    });
    const timer = setTimeout(() => req.destroy(new FetchError('timeout', `no complete answer within ${o.timeoutMs} ms`, true)), o.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new FetchError('timeout', `idle for ${o.timeoutMs} ms`, true)));
    req.on('error', (e) => {
      if (e instanceof FetchError) return reject(e);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPRIVATE') return reject(new FetchError('blocked', `${u.host}: ${e.message}`, false));
      reject(new FetchError('network', `${u.host}: ${e.message}`, true));
    });
    req.end(o.body);
  });
}

/**
 * GET of a document, following up to `maxRedirects` redirects to http(s) URLs (each hop guarded
 * like the first) within one time limit over all hops. Anything but a final 200 is a FetchError.
 */
export async function guardedGet(url: string, o: Omit<GuardedRequest, 'method' | 'body'> & { maxRedirects?: number }): Promise<Buffer> {
  const deadline = Date.now() + o.timeoutMs;
  let current = url;
  for (let hop = 0; hop <= (o.maxRedirects ?? 3); hop++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new FetchError('timeout', `no answer within ${o.timeoutMs} ms`, true);
    const res = await guardedRequest(current, { ...o, method: 'GET', timeoutMs: remaining });
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      try {
        current = new URL(res.headers.location, current).toString();
      } catch {
        throw new FetchError('status', 'redirect to an invalid URL', false, res.status);
      }
      continue;
    }
    if (res.status !== 200) throw new FetchError('status', `HTTP ${res.status}`, res.status >= 500, res.status);
    return res.body;
  }
  throw new FetchError('status', 'too many redirects', false);
}
