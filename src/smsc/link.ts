import pino from 'pino';
import type smpp from 'smpp';
import type { Logger } from '../log.js';
import type { SmscLinkConfig } from '../config/smsc.js';
import { LinkError, SmppConnection, type BindKind, type ConnectionState } from './connection.js';
import { isDeliveryReceipt, readReceipt, type DeliveryReceipt } from './receipt.js';
import { isTemporary, isThrottle, SmppStatus, statusName } from './status.js';

export type LinkState = 'down' | 'connecting' | 'bound' | 'failed' | 'stopped';

export type SubmitResult =
  | { ok: true; messageId: string }
  /** `sent: false` = the SMSC never got it, so another link may take it without risking a duplicate. */
  | { ok: false; temporary: boolean; reason: string; code?: number; sent: boolean };

export interface SubmitRequest {
  /** '+15551234567' (international) or digits in the link's destination TON/NPI. */
  destination: string;
  /** SMS user data, UDH included. */
  userData: Buffer;
  moreToSend?: boolean;
  /** Text SMS (web links to non-MMS handsets): data_coding for this submit instead of the link's binary one. */
  dataCoding?: number;
  /** UDH present (default true: WAP Push always carries one). */
  udhi?: boolean;
  /** Source address instead of the link's (a VASP's short code answering a keyword). */
  source?: string;
}

export interface LinkStatus {
  name: string;
  state: LinkState;
  outstanding: number;
  queued: number;
  throttledUntil: number;
  lastError?: string;
}

interface Job {
  req: SubmitRequest;
  resolve(r: SubmitResult): void;
  throttled: number;
}

/** Address fields for an SMPP address: '+digits' -> TON 1 / NPI 1; letters -> TON 5 / NPI 0. */
export function addressFields(addr: string, ton: number | undefined, npi: number | undefined, defaults: { ton: number; npi: number }): { addr: string; ton: number; npi: number } {
  const a = addr.replace(/\/TYPE=.*$/i, '').trim();
  if (a.startsWith('+')) return { addr: a.slice(1), ton: ton ?? 1, npi: npi ?? 1 };
  if (a !== '' && !/^\d+$/.test(a)) return { addr: a, ton: ton ?? 5, npi: npi ?? 0 };
  return { addr: a, ton: ton ?? defaults.ton, npi: npi ?? defaults.npi };
}

/** SMPP relative time YYMMDDhhmmss000R (§7.1.1.2); days beyond 99 are capped. */
function relativeTime(seconds: number): string {
  const d = Math.min(99, Math.floor(seconds / 86_400));
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  return `0000${p(d)}${p(h)}${p(m)}${p(s)}000R`;
}

/**
 * One SMSC: a transceiver bind (or transmitter + receiver), a send window, a throughput cap, back-off
 * on ESME_RTHROTTLED / ESME_RMSGQFUL, and receipts. Nothing waits here while the link is down: a submit
 * fails at once as temporary so the caller's durable queue keeps it.
 */
export class SmscLink {
  readonly name: string;
  private readonly tx: SmppConnection;
  private readonly rx: SmppConnection | undefined;
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private throttledUntil = 0;
  private throttleStreak = 0;
  private tokens: number;
  private lastRefill: number;
  private pumpTimer: NodeJS.Timeout | undefined;
  private reference = Math.floor(Math.random() * 0x10000);
  private readonly receiptListeners: ((r: DeliveryReceipt) => void)[] = [];
  private readonly stateListeners: ((name: string, state: LinkState, reason?: string) => void)[] = [];
  private readonly log: Logger;
  private stopped = false;
  /** Counters since start (for status and metrics). */
  readonly counters = { submitted: 0, accepted: 0, throttled: 0, failed: 0, receipts: 0 };

  constructor(
    readonly cfg: SmscLinkConfig,
    logger?: Logger,
    /** The clock of the throughput cap and throttling pauses (a test seam). */
    private readonly now: () => number = Date.now,
  ) {
    this.name = cfg.name;
    this.lastRefill = now();
    this.log = logger ?? pino({ level: 'silent' });
    this.tokens = this.bucketSize();
    const hooks = (kind: BindKind) => ({
      onState: (s: ConnectionState, reason?: string) => this.connectionState(kind, s, reason),
      onRequest: (pdu: smpp.PDU, session: smpp.Session) => this.request(pdu, session),
    });
    if (cfg.bind === 'trx') {
      this.tx = new SmppConnection(cfg, 'transceiver', hooks('transceiver'), this.log);
    } else {
      this.tx = new SmppConnection(cfg, 'transmitter', hooks('transmitter'), this.log);
      this.rx = new SmppConnection(cfg, 'receiver', hooks('receiver'), this.log);
    }
  }

  /** The submitting bind decides: receipts are a bonus, pushes are the job. */
  get state(): LinkState {
    return this.tx.state;
  }

  get up(): boolean {
    return this.tx.state === 'bound' && !this.stopped;
  }

  /** Scope of this link's receipt keys (ids are only unique per SMSC). */
  get receiptScope(): string {
    return this.name;
  }

  start(): void {
    this.stopped = false;
    this.tx.start();
    this.rx?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pumpTimer);
    this.failQueued('link stopping');
    await Promise.all([this.tx.stop(), this.rx?.stop()]);
  }

  /** Next concatenation reference (rolling; the caller truncates to 8 or 16 bits). */
  nextReference(): number {
    this.reference = (this.reference + 1) & 0xffff;
    return this.reference;
  }

  status(): LinkStatus {
    const s: LinkStatus = { name: this.name, state: this.state, outstanding: this.inFlight, queued: this.queue.length, throttledUntil: this.throttledUntil };
    const err = this.tx.lastError ?? this.rx?.lastError;
    if (err) s.lastError = err;
    return s;
  }

  onReceipt(listener: (r: DeliveryReceipt) => void): () => void {
    this.receiptListeners.push(listener);
    return () => this.receiptListeners.splice(this.receiptListeners.indexOf(listener) >>> 0, 1);
  }

  onState(listener: (name: string, state: LinkState, reason?: string) => void): () => void {
    this.stateListeners.push(listener);
    return () => this.stateListeners.splice(this.stateListeners.indexOf(listener) >>> 0, 1);
  }

  /** Closes the connection(s) abruptly; they reconnect with back-off. */
  drop(): void {
    this.tx.drop();
    this.rx?.drop();
  }

  submit(req: SubmitRequest): Promise<SubmitResult> {
    if (!this.up) return Promise.resolve({ ok: false, temporary: true, reason: `link ${this.name} is ${this.state}${this.tx.lastError ? ` (${this.tx.lastError})` : ''}`, sent: false });
    return new Promise((resolve) => {
      const job: Job = { req, resolve, throttled: 0 };
      this.queue.push(job);
      this.pump();
      if (this.queue.length > this.cfg.maxQueued && this.queue[this.queue.length - 1] === job) {
        this.queue.pop();
        resolve({ ok: false, temporary: true, reason: `link ${this.name} has ${this.queue.length} submits waiting for the window`, sent: false });
      }
    });
  }

  // ---------------------------------------------------------------- sending

  private bucketSize(): number {
    // 50 ms worth of sends: smooth enough for an SMSC, coarse enough for Node's timer resolution.
    return this.cfg.tps > 0 ? Math.max(1, Math.ceil(this.cfg.tps / 20)) : Infinity;
  }

  private takeToken(now: number): number {
    if (this.cfg.tps <= 0) return 0;
    this.tokens = Math.min(this.bucketSize(), this.tokens + ((now - this.lastRefill) * this.cfg.tps) / 1000);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.cfg.tps);
  }

  private schedulePump(delay: number): void {
    if (this.pumpTimer) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, delay);
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.cfg.window && this.up) {
      const now = this.now();
      if (now < this.throttledUntil) return this.schedulePump(this.throttledUntil - now);
      const wait = this.takeToken(now);
      if (wait > 0) return this.schedulePump(wait);
      this.send(this.queue.shift()!);
    }
  }

  private send(job: Job): void {
    const { cfg } = this;
    const src = job.req.source !== undefined ? addressFields(job.req.source, undefined, undefined, { ton: 3, npi: 0 }) : addressFields(cfg.sourceAddr, cfg.sourceTon, cfg.sourceNpi, { ton: 0, npi: 1 });
    const dst = addressFields(job.req.destination, undefined, undefined, { ton: cfg.destTon, npi: cfg.destNpi });
    const params: smpp.PDUFields = {
      service_type: cfg.serviceType,
      source_addr_ton: src.ton,
      source_addr_npi: src.npi,
      source_addr: src.addr,
      dest_addr_ton: dst.ton,
      dest_addr_npi: dst.npi,
      destination_addr: dst.addr,
      esm_class: (cfg.esmMode & 0x03) | (job.req.udhi === false ? 0 : 0x40),
      protocol_id: 0,
      priority_flag: 0,
      registered_delivery: cfg.registeredDelivery,
      data_coding: job.req.dataCoding ?? cfg.dataCoding,
      short_message: job.req.userData,
    };
    if (cfg.validitySeconds > 0) params.validity_period = relativeTime(cfg.validitySeconds);
    if (job.req.moreToSend && cfg.moreMessagesToSend) params.more_messages_to_send = 1;
    this.inFlight++;
    this.counters.submitted++;
    this.tx.send('submit_sm', params).then(
      (resp) => this.answered(job, resp.command_status, resp.message_id),
      (err: LinkError) => this.finish(job, { ok: false, temporary: true, reason: err.message, sent: err.sent }),
    );
  }

  private answered(job: Job, status: number, messageId: string | undefined): void {
    if (status === SmppStatus.ROK) {
      this.throttleStreak = 0;
      this.counters.accepted++;
      return this.finish(job, { ok: true, messageId: messageId ?? '' });
    }
    if (isThrottle(status)) {
      this.counters.throttled++;
      const pause = Math.min(this.cfg.throttleBackoffMaxMs, this.cfg.throttleBackoffMs * 2 ** this.throttleStreak);
      this.throttleStreak++;
      this.throttledUntil = Math.max(this.throttledUntil, this.now() + pause);
      this.log.info({ link: this.name, status: statusName(status), pauseMs: pause }, 'SMSC throttling; pausing the link');
      if (job.throttled < this.cfg.throttleRetries && !this.stopped) {
        job.throttled++;
        this.inFlight--;
        this.queue.unshift(job);
        this.pump();
        return;
      }
      // The SMSC refused it every time: the durable queue retries it later.
      return this.finish(job, { ok: false, temporary: true, reason: `${statusName(status)} after ${job.throttled + 1} attempts`, code: status, sent: true });
    }
    this.counters.failed++;
    const temporary = isTemporary(status);
    if (status === SmppStatus.RINVBNDSTS) this.tx.drop();
    this.finish(job, { ok: false, temporary, reason: `submit_sm refused: ${statusName(status)}`, code: status, sent: true });
  }

  private finish(job: Job, result: SubmitResult): void {
    this.inFlight--;
    job.resolve(result);
    this.pump();
  }

  private failQueued(reason: string): void {
    const jobs = this.queue.splice(0);
    for (const j of jobs) j.resolve({ ok: false, temporary: true, reason, sent: false });
  }

  // ---------------------------------------------------------------- receiving

  private connectionState(kind: BindKind, state: ConnectionState, reason?: string): void {
    if (kind !== 'receiver') {
      // Queued submits would wait for an unknown time: hand them back to the durable queue.
      if (state !== 'bound') this.failQueued(`link ${this.name} went ${state}${reason ? ` (${reason})` : ''}`);
      for (const l of this.stateListeners) l(this.name, state, reason);
    }
  }

  private request(pdu: smpp.PDU, session: smpp.Session): void {
    if (pdu.command !== 'deliver_sm') {
      session.send(pdu.response({ command_status: 0x03 }));
      return;
    }
    // Always answer, whatever the content (RestComm smscgateway #232: message_id empty).
    session.send(pdu.response({ message_id: '' }));
    const esm = pdu.esm_class ?? 0;
    if (!isDeliveryReceipt(esm)) {
      this.log.debug({ link: this.name, from: pdu.source_addr }, 'deliver_sm that is not a receipt ignored');
      return;
    }
    const sm = pdu.short_message;
    let text: string | undefined;
    if (typeof sm === 'string') text = sm;
    else if (Buffer.isBuffer(sm)) text = sm.toString('latin1');
    else if (sm && typeof sm === 'object') text = typeof sm.message === 'string' ? sm.message : sm.message.toString('latin1');
    const receipt = readReceipt(this.receiptScope, {
      esm_class: esm,
      source_addr: pdu.source_addr,
      receipted_message_id: pdu.receipted_message_id,
      message_state: pdu.message_state,
      network_error_code: pdu.network_error_code,
      text,
    });
    if (!receipt) {
      this.log.warn({ link: this.name, text }, 'delivery receipt without a message id');
      return;
    }
    this.counters.receipts++;
    for (const l of this.receiptListeners) {
      try {
        l(receipt);
      } catch (err) {
        this.log.error({ link: this.name, err: (err as Error).message }, 'receipt listener failed');
      }
    }
  }
}
