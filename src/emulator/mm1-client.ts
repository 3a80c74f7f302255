import { isIP } from 'node:net';
import { Agent, errors as undiciErrors } from 'undici';
import { decode, encode, type MmsPdu } from '../../protocol/mms/index.js';

const MMS_TYPE = 'application/vnd.wap.mms-message';

/** What a handset tells the MMSC about itself on every request. */
export interface HandsetIdentity {
  /** '+15551234567'; sent in the MSISDN header as the enrichment proxy would (digits only). */
  msisdn: string;
  userAgent: string;
  /** UAProf URL (X-Wap-Profile), if any. */
  uaProf?: string;
}

export interface Mm1ClientOptions {
  /** Where handsets POST PDUs, e.g. 'http://127.0.0.1:8080/mms'. */
  mmscUrl: string;
  /** Header carrying the subscriber number (what a WAP gateway / GGSN adds). */
  msisdnHeader?: string;
  timeoutMs?: number;
  /** Largest response body read (m-retrieve-conf); beyond it the request fails. */
  maxResponseBytes?: number;
  /** Parallel connections to the MMSC (keep-alive pool). */
  maxSockets?: number;
  /** Without it, only loopback MMSC and retrieval URLs are used: the emulator is a test tool, not a crawler. */
  allowRemote?: boolean;
}

export interface Mm1Response {
  status: number;
  /** Decoded body, when there was one and it decoded. */
  pdu?: MmsPdu;
  bytes: number;
  /** Why the body did not decode. */
  decodeError?: string;
}

/** Failure kinds, reported by load runs as "errors by kind". */
export class Mm1Error extends Error {
  constructor(
    readonly kind: 'timeout' | 'connection' | 'http-status' | 'too-large' | 'undecodable' | 'refused-target',
    message: string,
  ) {
    super(message);
    this.name = 'Mm1Error';
  }
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** MM1 over HTTP as a handset speaks it: POST PDUs to the MMSC, GET messages from their Content-Location. */
export class Mm1Client {
  private readonly url: URL;
  /**
   * undici rather than node:http: a load run is four requests per message, and node:http's client
   * took about twice the CPU per request (ClientRequest, agent bookkeeping, URL and header checks).
   */
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly header: string;

  constructor(private readonly opts: Mm1ClientOptions) {
    this.url = new URL(opts.mmscUrl);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`MMSC URL must be http(s), got ${opts.mmscUrl}`);
    this.checkTarget(this.url);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    // Per origin; headers and body timeouts together stand for "no answer within timeoutMs".
    this.agent = new Agent({ connections: opts.maxSockets ?? 32, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, keepAliveTimeout: 60_000 });
    this.maxBytes = opts.maxResponseBytes ?? 4 * 1024 * 1024;
    this.header = (opts.msisdnHeader ?? 'x-msisdn').toLowerCase();
  }

  get mmscUrl(): string {
    return this.url.href;
  }

  private checkTarget(u: URL): void {
    if (!this.opts.allowRemote && !isLoopback(u.hostname)) {
      throw new Mm1Error('refused-target', `${u.host} is not a loopback address (allow remote targets explicitly)`);
    }
  }

  /** POSTs a PDU to the MMSC; resolves with the HTTP status and the decoded answer (m-send-conf, ...). */
  post(pdu: MmsPdu | Buffer, who: HandsetIdentity): Promise<Mm1Response> {
    const body = Buffer.isBuffer(pdu) ? pdu : encode(pdu);
    return this.request(this.url, 'POST', who, body);
  }

  /**
   * POSTs a PDU to a Content-Location instead of the MMSC URL: what Android does for m-notifyresp-ind
   * when the carrier sets MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED.
   */
  postTo(location: string, pdu: MmsPdu | Buffer, who: HandsetIdentity): Promise<Mm1Response> {
    let u: URL;
    try {
      u = this.locationUrl(location);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(u, 'POST', who, Buffer.isBuffer(pdu) ? pdu : encode(pdu));
  }

  /** GETs a Content-Location (m-retrieve-conf). `delayPerKbMs` simulates a slow radio link. */
  retrieve(location: string, who: HandsetIdentity, delayPerKbMs = 0): Promise<Mm1Response> {
    let u: URL;
    try {
      u = this.locationUrl(location);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(u, 'GET', who, undefined, delayPerKbMs);
  }

  /** A Content-Location as a URL this client may reach (http(s), loopback unless allowed). */
  private locationUrl(location: string): URL {
    let u: URL;
    try {
      u = new URL(location);
    } catch {
      throw new Mm1Error('refused-target', `Content-Location ${JSON.stringify(location.slice(0, 200))} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Mm1Error('refused-target', `Content-Location scheme ${u.protocol} not fetched`);
    this.checkTarget(u);
    return u;
  }

  close(): void {
    void this.agent.destroy().catch(() => undefined);
  }

  private request(u: URL, method: 'GET' | 'POST', who: HandsetIdentity, body?: Buffer, delayPerKbMs = 0): Promise<Mm1Response> {
    const headers: Record<string, string> = {
      'user-agent': who.userAgent,
      accept: `${MMS_TYPE}, */*`,
      [this.header]: who.msisdn.replace(/^\+/, ''),
    };
    if (who.uaProf) headers['x-wap-profile'] = `"${who.uaProf}"`;
    if (body) headers['content-type'] = MMS_TYPE;
    const what = `${method} ${u.host}${u.pathname}`;
    const failure = (e: Error): Mm1Error => {
      if (e instanceof Mm1Error) return e;
      if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
        return new Mm1Error('timeout', `${method} ${u.pathname} got no answer within ${this.timeoutMs} ms`);
      }
      return new Mm1Error('connection', `${what}: ${e.message}`);
    };
    return new Promise((resolve, reject) => {
      this.agent.request({ origin: u.origin, path: u.pathname + u.search, method, headers, body }).then((res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let failed = false;
        const fail = (e: Error) => {
          if (failed) return;
          failed = true;
          reject(failure(e));
        };
        res.body.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBytes) {
            const e = new Mm1Error('too-large', `response larger than ${this.maxBytes} bytes`);
            fail(e);
            res.body.destroy(e);
            return;
          }
          chunks.push(c);
          if (delayPerKbMs > 0) {
            res.body.pause();
            setTimeout(() => res.body.resume(), Math.ceil((c.length / 1024) * delayPerKbMs));
          }
        });
        res.body.on('error', fail);
        res.body.on('end', () => {
          if (failed) return;
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const out: Mm1Response = { status: res.statusCode, bytes: raw.length };
          if (raw.length > 0) {
            try {
              out.pdu = decode(raw);
            } catch (e) {
              out.decodeError = (e as Error).message;
            }
          }
          resolve(out);
        });
      }, (e: Error) => reject(failure(e)));
    });
  }
}
