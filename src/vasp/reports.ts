import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import {
  buildDeliverReq,
  buildDeliveryReportReq,
  buildReadReplyReq,
  isMm7Success,
  Mm7Error,
  parseMm7Message,
  type Mm7Response,
} from '../../protocol/mm7/index.js';
import type { JobOutcome } from '../queue/runner.js';
import type { JobRecord, MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';
import type { DeliveryStatus, PushOutcome, ReadStatus, ReportPort } from '../relay/ports.js';
import type { Store } from '../store/types.js';
import type { VaspAccounts } from './accounts.js';
import type { VaspAccount, VaspConfig } from '../config/vasp.js';
import { FetchError, guardedRequest } from '../net/guarded-request.js';
import { mimeFromStored, textOfStored } from './content.js';
import { eventKey, placeInHistory, WEBHOOK_JOB, webhookJobsFor } from './events.js';

/** Relay delivery statuses -> MM7 MMStatus (TS 23.140 §8.9; 'unreachable' has no MM7 word). */
const MM7_DELIVERY: Record<DeliveryStatus, string> = {
  retrieved: 'Retrieved',
  expired: 'Expired',
  rejected: 'Rejected',
  forwarded: 'Forwarded',
  unrecognised: 'Unrecognised',
  deferred: 'Deferred',
  indeterminate: 'Indeterminate',
  unreachable: 'Indeterminate',
};

export const MM7_JOB = 'mm7-report';
export { WEBHOOK_JOB };

/** Webhook give-ups kept on a recipient (the latest ones). */
const MAX_RECORDED_FAILURES = 10;
/** Longest an event waits for an earlier event of its recipient to be sent. */
const MAX_ORDER_WAIT_MS = 5000;

export interface VaspReportDeps {
  config: VaspConfig;
  accounts: VaspAccounts;
  store: Store;
  logger: Logger;
  clock?: () => number;
  nudge?: () => void;
  /** Called when a report is given up (metrics). */
  onGiveUp?: (kind: string) => void;
  /** A DeliverReq the VASP accepted completes the recipient (set by the MO path). */
  onDelivered?: (recipient: RecipientRecord) => Promise<void>;
  /** A read report about a REST message (campaign funnels). */
  onReadReport?: (message: MessageRecord, status: ReadStatus) => Promise<void>;
}

const bare = (address: string): string => address.replace(/\/TYPE=PLMN$/i, '');

function mm7Address(address: string): { kind: 'Number' | 'ShortCode' | 'RFC2822Address'; value: string } {
  const v = bare(address);
  if (v.includes('@')) return { kind: 'RFC2822Address', value: v };
  return { kind: /^\+/.test(v) || v.length > 8 ? 'Number' : 'ShortCode', value: v };
}

/** HMAC-SHA256 over `<timestamp>.<body>`, hex: what a receiver recomputes to trust a webhook. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * Reports to VASPs. The relay's report job hands each report to a port here, which turns it into a
 * durable job of its own ('mm7-report' or 'webhook'): VASP endpoints fail in their own ways and get
 * their own back-off, and a report given up is recorded on the recipient (lastError) and logged.
 */
export class VaspReports {
  readonly mm7: ReportPort;
  readonly rest: ReportPort;
  private readonly now: () => number;

  constructor(private readonly d: VaspReportDeps) {
    this.now = d.clock ?? Date.now;
    const schedule = (job: NewJob): Promise<PushOutcome> =>
      this.d.store.scheduleJobs([job]).then(() => {
        this.d.nudge?.();
        return { ok: true } as const;
      });
    this.mm7 = {
      deliveryReport: (m, r, status, at) =>
        schedule({ type: MM7_JOB, dueAt: 0, key: `mm7dr:${r.id}:${status}`, payload: { kind: 'delivery', messageId: m.id, rid: r.id, status, at } }),
      readReport: (m, reader, status, at) =>
        schedule({ type: MM7_JOB, dueAt: 0, key: `mm7rr:${m.id}:${reader.toLowerCase()}`, payload: { kind: 'read', messageId: m.id, reader, status, at } }),
    };
    this.rest = {
      // State changes and their delivery reports: webhook jobs made by the stream consumer 'reports'.
      eventJobs: webhookJobsFor,
      // Only for 'report' jobs queued before webhook events existed (an upgrade with jobs in flight).
      deliveryReport: (m, r, status, at) =>
        schedule({ type: WEBHOOK_JOB, dueAt: 0, key: `whdr:${r.id}:${status}`, payload: { kind: 'delivery', messageId: m.id, rid: r.id, status, at } }),
      readReport: async (m, reader, status, at) => {
        await this.d.onReadReport?.(m, status);
        if (m.origin.kind === 'rest' && !m.origin.webhookUrl) return { ok: true };
        return schedule({ type: WEBHOOK_JOB, dueAt: 0, key: `whrr:${m.id}:${reader.toLowerCase()}`, payload: { kind: 'read', messageId: m.id, reader, status, at } });
      },
    };
  }

  jobHandlers(): Record<string, (job: JobRecord) => Promise<JobOutcome>> {
    return { [MM7_JOB]: (j) => this.runMm7(j), [WEBHOOK_JOB]: (j) => this.runWebhook(j) };
  }

  /**
   * Schedules the delivery of a handset's message to a VASP short code (MO): an MM7 DeliverReq to
   * the account's reportUrl, else an 'mo-message' webhook to its webhookUrl. False when it has neither.
   */
  async scheduleDeliver(account: VaspAccount, message: MessageRecord, recipient: RecipientRecord): Promise<boolean> {
    const payload = { vaspId: account.id, messageId: message.id, rid: recipient.id };
    if (account.reportUrl) await this.d.store.scheduleJobs([{ type: MM7_JOB, dueAt: 0, key: `mm7deliver:${recipient.id}`, payload: { kind: 'deliver', ...payload } }]);
    else if (account.webhookUrl) await this.d.store.scheduleJobs([{ type: WEBHOOK_JOB, dueAt: 0, key: `whmo:${recipient.id}`, payload: { kind: 'mo', ...payload } }]);
    else return false;
    this.d.nudge?.();
    return true;
  }

  private async runMm7(job: JobRecord): Promise<JobOutcome> {
    const p = job.payload as { kind: 'delivery' | 'read' | 'deliver'; messageId: string; rid?: string; status?: string; reader?: string; at?: number; vaspId?: string };
    const message = await this.d.store.getMessage(p.messageId);
    if (!message) return { done: true };
    const origin = message.origin;
    const account = this.d.accounts.get(p.kind === 'deliver' ? p.vaspId! : origin.kind === 'mm7' ? origin.vaspId : '');
    const url = account?.reportUrl;
    const ctx = { job: job.key, msgId: message.id, vasp: account?.id, kind: p.kind };
    if (!account || !url) {
      this.d.logger.warn(ctx, 'MM7 report dropped: the VASP has no reportUrl');
      return { done: true };
    }
    const recipient = p.rid ? await this.d.store.getRecipient(p.rid) : undefined;
    const ns = origin.kind === 'mm7' ? origin.namespace : undefined;
    const version = origin.kind === 'mm7' ? origin.version : '6.8.0';
    const envelope = { namespace: ns, transactionId: `${this.d.config.relayServerId}-${job.id}`, mm7Version: version, mmsRelayServerId: this.d.config.relayServerId };
    let contentType = 'text/xml; charset=utf-8';
    let body: Buffer;
    let expect: string;
    if (p.kind === 'delivery') {
      if (!recipient) return { done: true };
      body = Buffer.from(
        buildDeliveryReportReq({
          ...envelope,
          messageId: message.id,
          recipient: mm7Address(recipient.address),
          sender: mm7Address(message.from),
          date: new Date(Number(p.at)),
          mmStatus: MM7_DELIVERY[p.status as DeliveryStatus] ?? 'Indeterminate',
          statusText: p.status,
        }),
      );
      expect = 'DeliveryReportRsp';
    } else if (p.kind === 'read') {
      body = Buffer.from(
        buildReadReplyReq({
          ...envelope,
          messageId: message.id,
          recipient: mm7Address(String(p.reader)),
          sender: mm7Address(message.from),
          timeStamp: new Date(Number(p.at)),
          mmStatus: (p.status as ReadStatus) === 'read' ? 'Read' : 'Deleted',
        }),
      );
      expect = 'ReadReplyRsp';
    } else {
      if (!recipient) return { done: true };
      const content = await this.d.store.getBody(message.id);
      if (!content) return { done: true };
      const mm = mimeFromStored(message.contentType, content);
      const req = buildDeliverReq({
        ...envelope,
        namespace: undefined,
        mm7Version: '5.3.0',
        sender: mm7Address(message.from),
        recipients: { to: [mm7Address(recipient.address)], cc: [], bcc: [] },
        timeStamp: new Date(message.date * 1000),
        ...(message.subject?.text ? { subject: message.subject.text } : {}),
        ...(message.priority ? { priority: (message.priority[0]!.toUpperCase() + message.priority.slice(1)) as 'High' | 'Normal' | 'Low' } : {}),
        content: mm,
      });
      contentType = req.contentType;
      body = req.body;
      expect = 'DeliverRsp';
    }
    let failure: string;
    try {
      const res = await guardedRequest(url, {
        method: 'POST',
        headers: { 'content-type': contentType, soapaction: '""', 'content-length': String(body.length) },
        body,
        timeoutMs: this.d.config.reports.timeoutMs,
        maxBytes: 64 * 1024,
        allowPrivate: true,
        allowCredentials: true,
      });
      const rsp = this.readMm7Answer(res.status, res.headers['content-type'], res.body, expect);
      if (rsp.ok) {
        this.d.logger.info({ ...ctx, attempt: job.attempts + 1 }, `MM7 ${p.kind === 'deliver' ? 'DeliverReq' : p.kind === 'read' ? 'ReadReplyReq' : 'DeliveryReportReq'} accepted by the VASP`);
        if (p.kind === 'deliver' && recipient) await this.d.onDelivered?.(recipient);
        return { done: true };
      }
      if (!rsp.temporary) return this.giveUp(job, ctx, rsp.reason, recipient);
      failure = rsp.reason;
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      if (!e.temporary) return this.giveUp(job, ctx, e.message, recipient);
      failure = e.message;
    }
    return this.retryOrGiveUp(job, ctx, failure, recipient);
  }

  private readMm7Answer(status: number, contentType: string | undefined, body: Buffer, expect: string): { ok: true } | { ok: false; temporary: boolean; reason: string } {
    let rsp: Mm7Response | undefined;
    try {
      const op = parseMm7Message(contentType, body).operation;
      if (op.type === 'Fault') rsp = op.error;
      else if ('status' in op) rsp = op as Mm7Response;
    } catch (e) {
      if (!(e instanceof Mm7Error)) throw e;
    }
    if (status >= 200 && status < 300 && rsp && rsp.type === expect && isMm7Success(rsp.status.code)) return { ok: true };
    const reason = `HTTP ${status}${rsp ? `, ${rsp.type} ${rsp.status.code}` : ', no MM7 answer'}`;
    // A VASP that says its request was bad (2xxx) will say so again; everything else may pass later.
    const permanent = rsp !== undefined && rsp.status.code >= 2000 && rsp.status.code < 3000;
    return { ok: false, temporary: !permanent, reason };
  }

  private async runWebhook(job: JobRecord): Promise<JobOutcome> {
    const p = job.payload as {
      kind: 'delivery' | 'state' | 'read' | 'mo' | 'click';
      messageId: string;
      rid?: string;
      status?: string;
      state?: RecipientState;
      reader?: string;
      at: number;
      vaspId?: string;
      link?: string;
      userAgent?: string;
      batchId?: string;
      sequence?: number;
      previousState?: RecipientState;
    };
    const message = await this.d.store.getMessage(p.messageId);
    if (!message) return { done: true };
    let account: VaspAccount | undefined;
    let url: string | undefined;
    if (p.kind === 'mo') {
      account = this.d.accounts.get(String(p.vaspId));
      url = account?.webhookUrl;
    } else if (message.origin.kind === 'rest') {
      account = this.d.accounts.get(message.origin.vaspId);
      url = message.origin.webhookUrl;
    }
    const ctx = { job: job.key, msgId: message.id, vasp: account?.id, kind: p.kind };
    if (!account || !url) return { done: true };
    const recipient = p.rid ? await this.d.store.getRecipient(p.rid) : undefined;
    let event: Record<string, unknown>;
    if (p.kind === 'delivery' || p.kind === 'state') {
      if (p.kind === 'state' && !recipient) return { done: true };
      // Jobs made from the stream carry their place; older ones read it from the history; jobs of
      // the first generation (before state events) carry no state: their payload stays as it was.
      const place =
        p.sequence !== undefined
          ? { sequence: p.sequence, ...(p.previousState ? { previousState: p.previousState } : {}) }
          : p.state && recipient
            ? placeInHistory(recipient, p.state, Number(p.at))
            : undefined;
      if (place && recipient) await this.afterEarlierEvents(recipient, p.state!, place.sequence);
      event = {
        event: p.kind === 'delivery' ? 'delivery-report' : 'state-change',
        messageId: message.id,
        recipient: recipient ? bare(recipient.address) : undefined,
        ...(p.state ? { state: p.state } : {}),
        ...(place?.previousState ? { previousState: place.previousState } : {}),
        ...(place ? { sequence: place.sequence } : {}),
        ...(p.status ? { status: p.status } : {}),
        at: new Date(Number(p.at)).toISOString(),
      };
    } else if (p.kind === 'click') {
      // A person's first click of a tracked link; its place in the recipient's history orders it among the state events.
      const place = p.sequence !== undefined ? { sequence: p.sequence } : recipient && p.state ? placeInHistory(recipient, p.state, Number(p.at)) : undefined;
      event = {
        event: 'clicked',
        messageId: message.id,
        ...(p.batchId ? { batchId: p.batchId } : {}),
        recipient: recipient ? bare(recipient.address) : undefined,
        link: p.link,
        userAgent: p.userAgent,
        ...(place ? { sequence: place.sequence } : {}),
        at: new Date(Number(p.at)).toISOString(),
      };
    } else if (p.kind === 'read') {
      event = { event: 'read-report', messageId: message.id, recipient: bare(String(p.reader)), status: p.status, at: new Date(Number(p.at)).toISOString() };
    } else {
      if (!recipient) return { done: true };
      const body = await this.d.store.getBody(message.id);
      if (!body) return { done: true };
      event = { event: 'mo-message', messageId: message.id, from: bare(message.from), to: bare(recipient.address), at: new Date(message.createdAt).toISOString(), ...moSummary(message, body) };
    }
    event.id = job.key ?? job.id;
    event.vaspId = account.id;
    const body = JSON.stringify(event);
    const ts = String(Math.floor(this.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-mmsc-event-id': String(event.id), 'x-mmsc-timestamp': ts };
    if (account.webhookSecret) headers['x-mmsc-signature'] = `sha256=${webhookSignature(account.webhookSecret, ts, body)}`;
    let failure: string;
    try {
      const res = await guardedRequest(url, {
        method: 'POST',
        headers,
        body,
        timeoutMs: this.d.config.reports.timeoutMs,
        maxBytes: 64 * 1024,
        // Configured URLs are the operator's word; URLs from requests must not reach inside the network.
        allowPrivate: url === account.webhookUrl || this.d.config.reports.allowPrivateHosts,
      });
      if (res.status >= 200 && res.status < 300) {
        this.d.logger.info({ ...ctx, attempt: job.attempts + 1, status: res.status }, 'webhook delivered');
        if (p.kind === 'mo' && recipient) await this.d.onDelivered?.(recipient);
        return { done: true };
      }
      // 4xx other than 408/429 means the receiver will not take it; retrying only adds load.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) return this.giveUp(job, ctx, `HTTP ${res.status}`, recipient);
      failure = `HTTP ${res.status}`;
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      if (!e.temporary) return this.giveUp(job, ctx, e.message, recipient);
      failure = e.message;
    }
    return this.retryOrGiveUp(job, ctx, failure, recipient);
  }

  /**
   * Holds an event back, for a bounded time, while an earlier event of the same recipient is still
   * outstanding: jobs run concurrently, and a retrieval right after the notification would
   * otherwise often overtake the 'notified' event. An earlier event waiting for a retry is not
   * waited out: past the bound this one goes anyway, and its sequence number tells the receiver.
   */
  private async afterEarlierEvents(r: RecipientRecord, state: RecipientState, sequence: number): Promise<void> {
    const earlier = [...new Set(r.history.slice(1, sequence).filter((h) => h.state !== state).map((h) => eventKey(r.id, h.state)))];
    if (earlier.length === 0) return;
    const until = Date.now() + Math.min(this.d.config.reports.timeoutMs, MAX_ORDER_WAIT_MS);
    while ((await this.d.store.pendingJobKeys(earlier)).length > 0) {
      if (Date.now() >= until) {
        this.d.logger.debug({ rid: r.id, state }, 'webhook event sent while an earlier one is still outstanding');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async retryOrGiveUp(job: JobRecord, ctx: Record<string, unknown>, reason: string, recipient: RecipientRecord | undefined): Promise<JobOutcome> {
    const r = this.d.config.reports;
    if (job.attempts + 1 >= r.maxAttempts) return this.giveUp(job, ctx, reason, recipient);
    const delay = Math.min(r.initialSeconds * 1000 * 2 ** job.attempts, r.maxSeconds * 1000);
    this.d.logger.info({ ...ctx, attempt: job.attempts + 1, reason, retryInMs: delay }, `${job.type} failed; will retry`);
    return { retryAt: this.now() + delay, error: reason };
  }

  private async giveUp(job: JobRecord, ctx: Record<string, unknown>, reason: string, recipient: RecipientRecord | undefined): Promise<JobOutcome> {
    const about = job.payload.status ?? job.payload.state;
    const what = `${job.type} ${String(job.payload.kind)}${about ? ` (${String(about)})` : ''}`;
    this.d.logger.warn({ ...ctx, attempts: job.attempts + 1, reason }, `${job.type} given up`);
    if (recipient) {
      const lastError = `${what} given up after ${job.attempts + 1} attempts: ${reason}`;
      const state = job.payload.state as RecipientState | undefined;
      const failure = { event: job.key ?? job.id, ...(state ? { state } : {}), at: this.now(), attempts: job.attempts + 1, reason };
      // Appended to the record as it is when written, so give-ups of two events at once both stay.
      await this.d.store.updateRecipient(recipient.id, (cur) =>
        job.type === WEBHOOK_JOB ? { lastError, webhookFailures: [...(cur.webhookFailures ?? []), failure].slice(-MAX_RECORDED_FAILURES) } : { lastError },
      );
    }
    this.d.onGiveUp?.(job.type);
    return { done: true };
  }
}


/** What an 'mo-message' webhook says about the content: subject, text, and the parts by type and size. */
function moSummary(message: MessageRecord, body: Buffer): Record<string, unknown> {
  const { text, parts } = textOfStored(body);
  return {
    ...(message.subject?.text ? { subject: message.subject.text } : {}),
    ...(text ? { text } : {}),
    parts: parts.map((p) => ({ contentType: p.contentType, size: p.size, ...(p.name ? { name: p.name } : {}) })),
  };
}
