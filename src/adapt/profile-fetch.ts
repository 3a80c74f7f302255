import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly reason: 'blocked' | 'timeout' | 'too-large' | 'status' | 'network' | 'url',
    message: string,
  ) {
    super(message);
  }
}

export interface GuardedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Lab setting: private, loopback and link-local targets allowed. */
  allowPrivate: boolean;
  maxRedirects?: number;
}

/** Addresses a profile URL must never make us connect to (SSRF): loopback, private, link-local, CGNAT, multicast, unspecified. */
function privateRanges(): BlockList {
  const b = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) b.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) b.addSubnet(net, bits, 'ipv6');
  return b;
}

export function isPrivateAddress(address: string, ranges: BlockList = privateRanges()): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    // IPv4-mapped (::ffff:10.0.0.1) is the IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return ranges.check(mapped[1]!, 'ipv4');
    return ranges.check(address, 'ipv6');
  }
  return ranges.check(address, 'ipv4');
}

/**
 * GET of a small document (a UAProf) from a URL handsets gave us: a time limit over the whole
 * exchange, a size limit, redirects followed only to http(s), and every address we connect to checked
 * after DNS resolution (the check is in the socket's lookup, so a rebinding DNS answer cannot pass it).
 */
export async function guardedFetch(url: string, o: GuardedFetchOptions): Promise<Buffer> {
  const ranges = privateRanges();
  const deadline = Date.now() + o.timeoutMs;
  let current = url;
  for (let hop = 0; hop <= (o.maxRedirects ?? 3); hop++) {
    const r = await getOnce(current, o, ranges, deadline);
    if (r.kind === 'body') return r.body;
    current = r.location;
  }
  throw new FetchError('status', 'too many redirects');
}

type Once = { kind: 'body'; body: Buffer } | { kind: 'redirect'; location: string };

function getOnce(url: string, o: GuardedFetchOptions, ranges: BlockList, deadline: number): Promise<Once> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(new FetchError('url', `not a URL: ${url.slice(0, 200)}`));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new FetchError('url', `scheme ${u.protocol} not fetched`));
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!o.allowPrivate && isIP(host) && isPrivateAddress(host, ranges)) {
    return Promise.reject(new FetchError('blocked', `${host} is a private or loopback address`));
  }
  const lookup: LookupFunction = (hostname, options, cb) => {
    dnsLookup(hostname, { ...options, all: false }, (err, address, family) => {
      if (err) return cb(err, '', 0);
      if (!o.allowPrivate && isPrivateAddress(address as string, ranges)) {
        return cb(new FetchError('blocked', `${hostname} resolves to the private address ${address}`), '', 0);
      }
      cb(null, address as string, family);
    });
  };
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new FetchError('timeout', `no answer within ${o.timeoutMs} ms`));
  return new Promise<Once>((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (err: Error | undefined, v?: Once): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(v!);
    };
    const req = mod.get(u, { lookup, headers: { accept: 'application/rdf+xml, application/xml, text/xml, */*;q=0.5', 'user-agent': 'mmsc-uaprof/1' }, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        let next: string;
        try {
          next = new URL(res.headers.location, u).toString();
        } catch {
          return finish(new FetchError('status', 'redirect to an invalid URL'));
        }
        return finish(undefined, { kind: 'redirect', location: next });
      }
      if (status !== 200) {
        res.resume();
        return finish(new FetchError('status', `HTTP ${status}`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) return finish(new FetchError('too-large', `${declared} octets exceed ${o.maxBytes}`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) return finish(new FetchError('too-large', `more than ${o.maxBytes} octets`));
        chunks.push(c);
      });
      res.on('end', () => finish(undefined, { kind: 'body', body: Buffer.concat(chunks) }));
      res.on('error', (e) => finish(new FetchError('network', e.message)));
    });
    req.on('error', (e) => finish(e instanceof FetchError ? e : (e as Error & { cause?: unknown }).cause instanceof FetchError ? ((e as Error & { cause: FetchError }).cause) : new FetchError('network', e.message)));
    const timer = setTimeout(() => finish(new FetchError('timeout', `no complete answer within ${o.timeoutMs} ms`)), remaining);
  });
}
