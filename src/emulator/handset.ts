import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import {
  decode,
  INSERT_ADDRESS,
  type DeliveryInd,
  type ForwardConf,
  type ForwardReq,
  type MmsPdu,
  type NotificationInd,
  type ReadOrigInd,
  type RetrieveConf,
  type SendConf,
  type SendReq,
} from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import type { Part } from '../../protocol/wsp/index.js';
import { Mm1Error, type HandsetIdentity, type Mm1Client, type Mm1Response } from './mm1-client.js';
import { RandomPool } from '../records/ids.js';

/**
 * How the handset answers a notification, modelled on real clients:
 * - android: retrieves at once, m-notifyresp-ind (Retrieved), then m-acknowledge-ind
 * - defer: m-notifyresp-ind (Deferred); retrieves only when asked (`retrieve()`), then acknowledges
 * - never-ack: retrieves and says nothing (many feature phones)
 * - slow: like android after a delay, reading the body at a slow-network pace
 * - reject: m-notifyresp-ind (Rejected)
 * - offline: receives nothing usable (switched off): for expiry and re-notification
 */
export type Behaviour = 'android' | 'defer' | 'never-ack' | 'slow' | 'reject' | 'offline';
export const BEHAVIOURS: readonly Behaviour[] = ['android', 'defer', 'never-ack', 'slow', 'reject', 'offline'];

/** User agents and UAProf URLs of a few device classes; a handset may give its own instead. */
export const DEVICE_CLASSES: Record<string, { userAgent: string; uaProf?: string }> = {
  android: { userAgent: 'Android-Mms/2.0', uaProf: 'http://www.google.com/oha/rdf/ua-profile-kila.xml' },
  iphone: { userAgent: 'iPhone OS/17.0 (21A329)' },
  'feature-phone': { userAgent: 'Nokia6300/2.0 (07.21) Profile/MIDP-2.0 Configuration/CLDC-1.1', uaProf: 'http://nds1.nds.nokia.com/uaprof/N6300r100.xml' },
};

export interface HandsetOptions {
  msisdn: string;
  behaviour?: Behaviour;
  /** One of DEVICE_CLASSES; sets userAgent/uaProf unless given. */
  deviceClass?: string;
  userAgent?: string;
  uaProf?: string;
  client: Mm1Client;
  /** 'slow': wait this long before retrieving, and read the body at `slowMsPerKb`. */
  slowDelayMs?: number;
  slowMsPerKb?: number;
  /** Received notifications kept (oldest dropped beyond it). */
  maxInbox?: number;
  /**
   * Where m-notifyresp-ind and m-acknowledge-ind go: the MMSC URL (default), or the notification's
   * Content-Location, as Android does when the carrier sets MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED.
   */
  reportsTo?: 'mmsc' | 'content-location';
}

export type IncomingState = 'notified' | 'deferred' | 'rejected' | 'retrieving' | 'retrieved' | 'acknowledged' | 'failed';

/** One message announced to this handset. */
export interface Incoming {
  notification: NotificationInd;
  segments: number;
  notifiedAt: number;
  state: IncomingState;
  retrieved?: RetrieveConf;
  retrievedAt?: number;
  /** Message-ID from m-retrieve-conf. */
  messageId?: string;
  error?: string;
}

export interface MediaFile {
  /** Read from disk when given. */
  path?: string;
  data?: Buffer;
  contentType?: string;
  name?: string;
}

export interface SendOptions {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  files?: MediaFile[];
  deliveryReport?: boolean;
  readReport?: boolean;
  /** Relative expiry requested from the MMSC. */
  expirySeconds?: number;
}

export interface Sent {
  transactionId: string;
  sentAt: number;
  confAt: number;
  httpStatus: number;
  /** X-Mms-Response-Status of m-send-conf ('ok', 'error-...'); undefined when there was no conf. */
  responseStatus?: string;
  messageId?: string;
}

export type HandsetEvent =
  | { type: 'notified'; handset: Handset; incoming: Incoming }
  | { type: 'retrieved'; handset: Handset; incoming: Incoming }
  | { type: 'acknowledged'; handset: Handset; incoming: Incoming }
  | { type: 'delivery-report'; handset: Handset; pdu: DeliveryInd; at: number }
  | { type: 'read-report'; handset: Handset; pdu: ReadOrigInd; at: number }
  | { type: 'error'; handset: Handset; kind: string; detail: string };

const MAX_MEDIA_BYTES = 10 * 1024 * 1024;

const MEDIA_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.txt': 'text/plain',
  '.amr': 'audio/amr',
  '.mp3': 'audio/mpeg',
  '.3gp': 'video/3gpp',
  '.mp4': 'video/mp4',
  '.vcf': 'text/x-vcard',
  '.smil': 'application/smil',
};

/** '+15551234567' -> '+15551234567/TYPE=PLMN'; e-mail addresses and full forms stay. */
export function mmsAddress(a: string): string {
  if (a.includes('/TYPE=') || a.includes('@')) return a;
  return `${a}/TYPE=PLMN`;
}

function sameNumber(a: string, b: string): boolean {
  const digits = (s: string) => s.replace(/\/TYPE=.*$/i, '').replace(/\D/g, '');
  return digits(a) !== '' && digits(a) === digits(b);
}

/** An emulated handset: sends MMs, answers its notifications per its behaviour, keeps what it received. */
export class Handset {
  readonly msisdn: string;
  readonly behaviour: Behaviour;
  readonly identity: HandsetIdentity;
  readonly inbox: Incoming[] = [];
  readonly deliveryReports: { pdu: DeliveryInd; at: number }[] = [];
  readonly readReports: { pdu: ReadOrigInd; at: number }[] = [];
  readonly sent: Sent[] = [];
  private readonly client: Mm1Client;
  private readonly listeners: ((e: HandsetEvent) => void)[] = [];
  private readonly maxInbox: number;
  /** Transaction ids from a pool: a randomBytes call per message showed in load-run profiles. */
  private readonly random = new RandomPool(256);

  constructor(private readonly o: HandsetOptions) {
    if (!/^\+\d{4,15}$/.test(o.msisdn)) throw new Error(`handset MSISDN must be '+' and 4-15 digits, got ${JSON.stringify(o.msisdn)}`);
    this.msisdn = o.msisdn;
    this.behaviour = o.behaviour ?? 'android';
    if (!BEHAVIOURS.includes(this.behaviour)) throw new Error(`unknown behaviour ${JSON.stringify(this.behaviour)} (${BEHAVIOURS.join(', ')})`);
    const device = o.deviceClass !== undefined ? DEVICE_CLASSES[o.deviceClass] : DEVICE_CLASSES.android;
    if (!device) throw new Error(`unknown device class ${JSON.stringify(o.deviceClass)} (${Object.keys(DEVICE_CLASSES).join(', ')})`);
    this.identity = { msisdn: o.msisdn, userAgent: o.userAgent ?? device.userAgent, uaProf: o.uaProf ?? device.uaProf };
    this.client = o.client;
    this.maxInbox = o.maxInbox ?? 1000;
  }

  onEvent(listener: (e: HandsetEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: HandsetEvent): void {
    for (const l of this.listeners) l(e);
  }

  private fail(kind: string, detail: string): void {
    this.emit({ type: 'error', handset: this, kind, detail });
  }

  // ------------------------------------------------------------------ sending

  /** Builds and POSTs an m-send-req; resolves with what the MMSC answered (never rejects for MMSC errors). */
  async send(s: SendOptions): Promise<Sent> {
    const parts: Part[] = [];
    if (s.text !== undefined) parts.push({ contentType: { type: 'text/plain', params: { charset: 'utf-8', name: 'text.txt' } }, contentLocation: 'text.txt', data: Buffer.from(s.text, 'utf8') });
    let total = 0;
    for (const f of s.files ?? []) {
      let data = f.data;
      if (!data && f.path) {
        const st = await stat(f.path);
        if (st.size > MAX_MEDIA_BYTES) throw new Error(`${f.path} is larger than ${MAX_MEDIA_BYTES} bytes`);
        data = await readFile(f.path);
      }
      if (!data) throw new Error('a media file needs a path or data');
      total += data.length;
      if (total > MAX_MEDIA_BYTES) throw new Error(`media larger than ${MAX_MEDIA_BYTES} bytes in total`);
      const name = f.name ?? (f.path ? basename(f.path) : `part${parts.length}`);
      const type = f.contentType ?? MEDIA_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
      parts.push({ contentType: { type, params: { name } }, contentLocation: name, data });
    }
    if (parts.length === 0) parts.push({ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.alloc(0) });
    const transactionId = `emu-${this.random.hex(8)}`;
    const pdu: SendReq = {
      type: 'm-send-req',
      transactionId,
      mmsVersion: '1.2',
      from: INSERT_ADDRESS,
      contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
      parts,
    };
    if (s.to.length) pdu.to = s.to.map(mmsAddress);
    if (s.cc?.length) pdu.cc = s.cc.map(mmsAddress);
    if (s.bcc?.length) pdu.bcc = s.bcc.map(mmsAddress);
    if (s.subject !== undefined) pdu.subject = s.subject;
    if (s.deliveryReport !== undefined) pdu.deliveryReport = s.deliveryReport;
    if (s.readReport !== undefined) pdu.readReport = s.readReport;
    if (s.expirySeconds !== undefined) pdu.expiry = { kind: 'relative', value: s.expirySeconds };
    return this.submit(pdu, 'm-send-conf');
  }

  /** m-read-rec-ind for a message this handset retrieved (the MMSC turns it into m-read-orig-ind). */
  async sendReadReport(messageId: string, status: 'read' | 'deleted-without-being-read' = 'read'): Promise<number> {
    const incoming = this.inbox.find((i) => i.messageId === messageId);
    const originator = incoming?.retrieved?.from;
    const res = await this.client.post(
      {
        type: 'm-read-rec-ind',
        mmsVersion: '1.2',
        messageId,
        to: originator ? [originator] : [],
        from: INSERT_ADDRESS,
        date: Math.floor(Date.now() / 1000),
        readStatus: status,
      } as MmsPdu,
      this.identity,
    );
    return res.status;
  }

  /** m-forward-req of a message this handset was notified of, without retrieving it (ENC 6.8). */
  async forward(incoming: Incoming, to: string[], opts: { deliveryReport?: boolean; readReport?: boolean } = {}): Promise<Sent> {
    const transactionId = `emu-${this.random.hex(8)}`;
    const pdu: ForwardReq = {
      type: 'm-forward-req',
      transactionId,
      mmsVersion: '1.2',
      from: INSERT_ADDRESS,
      to: to.map(mmsAddress),
      contentLocation: incoming.notification.contentLocation,
    };
    if (opts.deliveryReport !== undefined) pdu.deliveryReport = opts.deliveryReport;
    if (opts.readReport !== undefined) pdu.readReport = opts.readReport;
    return this.submit(pdu, 'm-forward-conf');
  }

  /** Posts an m-send-req or m-forward-req and records what its conf said. */
  private async submit(pdu: SendReq | ForwardReq, confType: 'm-send-conf' | 'm-forward-conf'): Promise<Sent> {
    const sentAt = Date.now();
    const res = await this.client.post(pdu, this.identity);
    const conf = res.pdu?.type === confType ? (res.pdu as SendConf | ForwardConf) : undefined;
    const sent: Sent = { transactionId: pdu.transactionId, sentAt, confAt: Date.now(), httpStatus: res.status };
    if (conf) {
      sent.responseStatus = String(conf.responseStatus);
      if (conf.messageId) sent.messageId = conf.messageId;
    }
    if (this.sent.length >= this.maxInbox) this.sent.shift();
    this.sent.push(sent);
    return sent;
  }

  // ---------------------------------------------------------------- receiving

  /** A WAP Push for this handset (WSP push PDU); `segments` = SMS it came in. */
  receivePush(payload: Buffer, segments = 1): void {
    if (this.behaviour === 'offline') return;
    let pdu: MmsPdu;
    try {
      const push = decodeWspPush(payload);
      pdu = decode(push.body);
    } catch (e) {
      this.fail('undecodable-push', (e as Error).message);
      return;
    }
    const at = Date.now();
    switch (pdu.type) {
      case 'm-notification-ind':
        return this.notified(pdu, segments, at);
      case 'm-delivery-ind':
        if (this.deliveryReports.length >= this.maxInbox) this.deliveryReports.shift();
        this.deliveryReports.push({ pdu, at });
        this.emit({ type: 'delivery-report', handset: this, pdu, at });
        return;
      case 'm-read-orig-ind':
        if (this.readReports.length >= this.maxInbox) this.readReports.shift();
        this.readReports.push({ pdu, at });
        this.emit({ type: 'read-report', handset: this, pdu, at });
        return;
      default:
        this.fail('unexpected-push', `push of ${pdu.type}`);
    }
  }

  private notified(n: NotificationInd, segments: number, at: number): void {
    // A re-notification of a message already here (same TID) is the same message.
    const known = this.inbox.find((i) => i.notification.transactionId === n.transactionId);
    if (known) {
      if (known.state === 'notified' || known.state === 'failed') void this.act(known);
      return;
    }
    const incoming: Incoming = { notification: n, segments, notifiedAt: at, state: 'notified' };
    if (this.inbox.length >= this.maxInbox) this.inbox.shift();
    this.inbox.push(incoming);
    this.emit({ type: 'notified', handset: this, incoming });
    void this.act(incoming);
  }

  private async act(i: Incoming): Promise<void> {
    try {
      switch (this.behaviour) {
        case 'android':
          if (await this.fetch(i)) {
            await this.notifyResp(i, 'retrieved');
            await this.acknowledge(i);
          }
          return;
        case 'slow':
          await new Promise((r) => setTimeout(r, this.o.slowDelayMs ?? 300));
          if (await this.fetch(i, this.o.slowMsPerKb ?? 50)) {
            await this.notifyResp(i, 'retrieved');
            await this.acknowledge(i);
          }
          return;
        case 'never-ack':
          await this.fetch(i);
          return;
        case 'defer':
          await this.notifyResp(i, 'deferred');
          i.state = 'deferred';
          return;
        case 'reject':
          await this.notifyResp(i, 'rejected');
          i.state = 'rejected';
          return;
        case 'offline':
          return;
      }
    } catch (e) {
      i.state = 'failed';
      i.error = (e as Error).message;
      this.fail(e instanceof Mm1Error ? e.kind : 'internal', (e as Error).message);
    }
  }

  /** Deferred retrieval, as when the user opens the message: GET then m-acknowledge-ind. */
  async retrieve(i: Incoming): Promise<boolean> {
    try {
      if (!(await this.fetch(i))) return false;
      await this.acknowledge(i);
      return true;
    } catch (e) {
      i.state = 'failed';
      i.error = (e as Error).message;
      this.fail(e instanceof Mm1Error ? e.kind : 'internal', (e as Error).message);
      return false;
    }
  }

  private async fetch(i: Incoming, msPerKb = 0): Promise<boolean> {
    i.state = 'retrieving';
    const res = await this.client.retrieve(i.notification.contentLocation, this.identity, msPerKb);
    if (res.status !== 200 || res.pdu?.type !== 'm-retrieve-conf') {
      i.state = 'failed';
      i.error = res.status !== 200 ? `retrieval answered HTTP ${res.status}` : `retrieval answered ${res.pdu?.type ?? res.decodeError ?? 'nothing'}`;
      this.fail(res.status !== 200 ? `retrieve-http-${res.status}` : 'retrieve-undecodable', i.error);
      return false;
    }
    i.retrieved = res.pdu as RetrieveConf;
    i.retrievedAt = Date.now();
    if (i.retrieved.messageId) i.messageId = i.retrieved.messageId;
    i.state = 'retrieved';
    this.emit({ type: 'retrieved', handset: this, incoming: i });
    return true;
  }

  /** m-notifyresp-ind / m-acknowledge-ind to where this handset sends them. */
  private postReply(i: Incoming, pdu: MmsPdu): Promise<Mm1Response> {
    return this.o.reportsTo === 'content-location' ? this.client.postTo(i.notification.contentLocation, pdu, this.identity) : this.client.post(pdu, this.identity);
  }

  private async notifyResp(i: Incoming, status: 'retrieved' | 'deferred' | 'rejected'): Promise<void> {
    const res = await this.postReply(i, { type: 'm-notifyresp-ind', transactionId: i.notification.transactionId, mmsVersion: '1.2', status, reportAllowed: true });
    if (res.status !== 200) this.fail(`notifyresp-http-${res.status}`, `m-notifyresp-ind answered HTTP ${res.status}`);
  }

  private async acknowledge(i: Incoming): Promise<void> {
    const res = await this.postReply(i, { type: 'm-acknowledge-ind', transactionId: i.notification.transactionId, mmsVersion: '1.2', reportAllowed: true });
    if (res.status !== 200) {
      this.fail(`acknowledge-http-${res.status}`, `m-acknowledge-ind answered HTTP ${res.status}`);
      return;
    }
    i.state = 'acknowledged';
    this.emit({ type: 'acknowledged', handset: this, incoming: i });
  }

  /** Delivery reports about recipient `recipient` (any address form). */
  deliveryReportsFrom(recipient: string, messageId?: string): DeliveryInd[] {
    return this.deliveryReports.map((r) => r.pdu).filter((p) => (p.to ?? []).some((t) => sameNumber(t, recipient)) && (messageId === undefined || p.messageId === messageId));
  }

  readReportsFrom(reader: string, messageId?: string): ReadOrigInd[] {
    return this.readReports.map((r) => r.pdu).filter((p) => sameNumber(p.from ?? '', reader) && (messageId === undefined || p.messageId === messageId));
  }
}

/** Routes received pushes to the handset with that number. */
export class HandsetDirectory {
  private readonly byDigits = new Map<string, Handset>();
  unrouted = 0;

  add(h: Handset): void {
    this.byDigits.set(h.msisdn.replace(/\D/g, ''), h);
  }

  get(msisdn: string): Handset | undefined {
    return this.byDigits.get(msisdn.replace(/\D/g, ''));
  }

  get all(): Handset[] {
    return [...this.byDigits.values()];
  }

  deliver(to: string, payload: Buffer, segments: number): void {
    const h = this.get(to);
    if (!h) {
      this.unrouted++;
      return;
    }
    h.receivePush(payload, segments);
  }
}
