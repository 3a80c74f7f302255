import type { Logger } from 'pino';
import type { RelayConfig } from '../config/index.js';
import type { JobOutcome } from '../queue/runner.js';
import type { Store, Transition } from '../store/types.js';
import { isRoutable, sameSubscriber } from '../address/index.js';
import { randomIds, type IdSource } from '../records/ids.js';
import { submissionKey, type SubmissionId } from './submission-key.js';
import { messageEvent, reportDue, type StreamEvent } from '../records/events.js';
import type { ContentTypeRecord, JobRecord, MessageRecord, NewJob, Origin, RecipientRecord, RecipientState } from '../records/model.js';
import type { EventConsumer } from '../stream/runner.js';
import type { DeliveryStatus, NotificationPort, PushOutcome, ReadStatus, ReportPort } from './ports.js';

export type SubmitRefusal = 'no-recipients' | 'too-many-recipients' | 'unroutable-recipients' | 'bad-expiry';

export class SubmitError extends Error {
  constructor(
    readonly reason: SubmitRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'SubmitError';
  }
}

export interface TimeValue {
  kind: 'relative' | 'absolute';
  seconds: number;
}

export interface SubmitInput {
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject?: { text: string; charset: string };
  messageClass?: string;
  priority?: 'low' | 'normal' | 'high';
  deliveryReport?: boolean;
  readReport?: boolean;
  senderVisibility?: 'hide' | 'show';
  expiry?: TimeValue;
  /** Earliest delivery (X-Mms-Delivery-Time / MM7 EarliestDeliveryTime). */
  deliveryTime?: TimeValue;
  /** Date header (seconds); the relay inserts the arrival time when absent. */
  date?: number;
  contentType: ContentTypeRecord;
  body: Uint8Array;
  mmsVersion: string;
  origin: Origin;
  extraHeaders?: { name: string; value: string }[];
  previouslySent?: { by: string; date: number }[];
}

export interface SubmitResult {
  retransmission?: false;
  message: MessageRecord;
  recipients: RecipientRecord[];
  /**
   * The message an earlier, different request under the same submission id created (a client that
   * reuses its transaction ids): this one was accepted as a new message all the same.
   */
  supersedes?: string;
}

/** A repeat of a submission already accepted: nothing was created. */
export interface Retransmission {
  retransmission: true;
  /** The Message-ID the first acceptance answered with. */
  messageId: string;
}

export type NotifyRespStatus = 'retrieved' | 'rejected' | 'deferred' | 'unrecognised';

export interface RelayOptions {
  store: Store;
  config: RelayConfig;
  logger: Logger;
  notifier: NotificationPort;
  reports: Partial<Record<Origin['kind'], ReportPort>>;
  clock?: () => number;
  ids?: IdSource;
  /** Wakes the job runner after jobs due now were scheduled. */
  nudge?: () => void;
  /** Wakes the stream's consumers after a write that appended events (every change does). */
  nudgeEvents?: () => void;
  /** Called after every recipient state change (metrics, webhooks). */
  onTransition?: (record: RecipientRecord, from: RecipientState) => void;
  /** How long SMSC receipt keys stay valid. */
  receiptKeyTtlMs?: number;
}

/** States from which a recipient may still retrieve and move forward. */
const PENDING: readonly RecipientState[] = ['accepted', 'notifying', 'notified', 'deferred', 'unreachable', 'fallback-sms'];
/** States the expiry sweep moves to 'expired'. */
const EXPIRABLE: readonly RecipientState[] = ['accepted', 'notifying', 'notified', 'deferred', 'fallback-sms'];

/**
 * The MMS Relay/Server domain: accepts messages, fans them out per recipient, drives each
 * recipient's state machine and turns transitions into reports. It knows nothing of HTTP, PDUs or
 * SMPP: interfaces call in, ports carry pushes out, and every change is persisted before anyone
 * is told about it.
 */
export class Relay {
  private readonly store: Store;
  private readonly cfg: RelayConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly ids: IdSource;
  private readonly receiptTtl: number;

  constructor(private readonly o: RelayOptions) {
    this.store = o.store;
    this.cfg = o.config;
    this.log = o.logger;
    this.now = o.clock ?? Date.now;
    this.ids = o.ids ?? randomIds();
    this.receiptTtl = o.receiptKeyTtlMs ?? 3 * 86_400_000;
  }

  // ---------------------------------------------------------------- submission

  /**
   * Validates and stores a message with one delivery record per recipient and their notification
   * jobs, in one durable write. Resolves once the message is safe: only then may the caller answer.
   */
  async submit(input: SubmitInput, limits: { maxRecipients: number }): Promise<SubmitResult> {
    return (await this.accept(input, limits)) as SubmitResult;
  }

  /**
   * As submit, for an interface whose originators retransmit a request whose answer they lost (a
   * handset re-POSTs the same m-send-req): within `id.windowMs` of the first acceptance a repeat
   * with the same content creates nothing and gets the first Message-ID back. The check is part of
   * the store's atomic write, so a retry racing the original still yields one message. With a
   * window of 0 or no request id (a request that cannot be told from another) it is plain submit.
   */
  async submitOnce(input: SubmitInput, limits: { maxRecipients: number }, id: SubmissionId): Promise<SubmitResult | Retransmission> {
    return this.accept(input, limits, id);
  }

  private async accept(input: SubmitInput, limits: { maxRecipients: number }, once?: SubmissionId): Promise<SubmitResult | Retransmission> {
    const now = this.now();
    const seen = new Set<string>();
    const entries: { address: string; field: 'to' | 'cc' | 'bcc' }[] = [];
    for (const field of ['to', 'cc', 'bcc'] as const) {
      for (const address of input[field] ?? []) {
        const key = address.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        entries.push({ address, field });
      }
    }
    if (entries.length === 0) throw new SubmitError('no-recipients', 'the message has no recipient');
    if (entries.length > limits.maxRecipients) {
      throw new SubmitError('too-many-recipients', `${entries.length} recipients, at most ${limits.maxRecipients} allowed`);
    }
    const routable = entries.filter((e) => isRoutable(e.address));
    if (routable.length === 0) {
      throw new SubmitError('unroutable-recipients', `no recipient can be reached: ${entries.map((e) => e.address).join(', ')}`);
    }

    const expiresAt = this.expiryOf(input.expiry, now);
    const notBefore = input.deliveryTime ? Math.min(this.timeOf(input.deliveryTime, now), expiresAt - 1000) : now;
    const id = this.ids.messageId();
    const message: MessageRecord = {
      id,
      createdAt: now,
      date: input.date ?? Math.floor(now / 1000),
      expiresAt,
      from: input.from,
      to: input.to,
      cc: input.cc ?? [],
      bcc: input.bcc ?? [],
      messageClass: input.messageClass ?? 'personal',
      deliveryReport: input.deliveryReport ?? false,
      readReport: input.readReport ?? false,
      contentType: input.contentType,
      contentSize: input.body.byteLength,
      mmsVersion: input.mmsVersion,
      origin: input.origin,
      recipientCount: entries.length,
    };
    if (input.subject) message.subject = input.subject;
    if (input.priority) message.priority = input.priority;
    if (input.senderVisibility) message.senderVisibility = input.senderVisibility;
    if (input.extraHeaders?.length) message.extraHeaders = input.extraHeaders;
    if (input.previouslySent?.length) message.previouslySent = input.previouslySent;

    const jobs: NewJob[] = [{ type: 'expire', dueAt: expiresAt, key: `expire:${id}`, payload: { messageId: id } }];
    const vaspId = input.origin.kind === 'mm1' ? undefined : input.origin.vaspId;
    const recipients = entries.map((e, i): RecipientRecord => {
      const rid = `${id}/${i}`;
      const ok = isRoutable(e.address);
      const state: RecipientState = ok ? 'accepted' : 'unreachable';
      const rec: RecipientRecord = {
        id: rid,
        messageId: id,
        address: e.address,
        field: e.field,
        state,
        token: this.ids.token(),
        transactionId: this.ids.transactionId(),
        notifyAttempts: 0,
        pushFailures: 0,
        origin: input.origin.kind,
        deliveryReport: message.deliveryReport,
        createdAt: now,
        updatedAt: now,
        history: [ok ? { state, at: now } : { state, at: now, note: 'no route to this kind of address' }],
      };
      if (vaspId !== undefined) rec.vaspId = vaspId;
      // An unroutable one is unreachable from the start: its event (with the report it owes) is the store's 'accepted' set.
      if (ok) jobs.push({ type: 'notify', dueAt: notBefore, key: `notify:${rid}`, payload: { rid } });
      return rec;
    });

    const checked = once !== undefined && once.windowMs > 0 && once.requestId !== '';
    const outcome = await this.store.createMessage(message, input.body, recipients, jobs, checked ? submissionKey(once, input) : undefined);
    if (!outcome.created) {
      // Each interface logs the retransmission with its own transaction details.
      this.log.debug({ msgId: outcome.existing, from: input.from, origin: input.origin.kind }, 'retransmission: nothing created');
      return { retransmission: true, messageId: outcome.existing };
    }
    // Each interface logs its own acceptance line (with its transaction details); this one is for tracing.
    this.log.debug(
      { msgId: id, from: input.from, recipients: entries.length, size: input.body.byteLength, origin: input.origin.kind },
      'message accepted',
    );
    this.o.nudge?.();
    this.o.nudgeEvents?.();
    return outcome.supersedes ? { message, recipients, supersedes: outcome.supersedes } : { message, recipients };
  }

  private expiryOf(expiry: TimeValue | undefined, now: number): number {
    const max = now + this.cfg.maxExpirySeconds * 1000;
    if (!expiry) return now + this.cfg.defaultExpirySeconds * 1000;
    const at = this.timeOf(expiry, now);
    if (at <= now) throw new SubmitError('bad-expiry', 'the requested expiry is in the past');
    return Math.min(at, max);
  }

  private timeOf(t: TimeValue, now: number): number {
    return t.kind === 'relative' ? now + t.seconds * 1000 : t.seconds * 1000;
  }

  // ---------------------------------------------------------------- handset dialogue

  /**
   * m-notifyresp-ind. Returns the recipient, or undefined for an unknown transaction id (or one that
   * is not the recipient of `token`, when the PDU came to a retrieval URL).
   */
  async notifyResp(transactionId: string, status: NotifyRespStatus, reportAllowed?: boolean, token?: string): Promise<RecipientRecord | undefined> {
    const r = await this.recipientOf(transactionId, token);
    if (!r) return undefined;
    const patch = reportAllowed === undefined ? undefined : { reportAllowed };
    const to: RecipientState = status === 'retrieved' ? 'retrieved' : status === 'deferred' ? 'deferred' : 'rejected';
    const from: readonly RecipientState[] = status === 'deferred' ? ['accepted', 'notifying', 'notified', 'unreachable'] : PENDING;
    const report: DeliveryStatus | undefined = status === 'deferred' ? undefined : status;
    return this.move(r, { from, to, note: `notifyresp ${status}`, patch }, report);
  }

  /** m-acknowledge-ind: the handset has the message. */
  async acknowledge(transactionId: string, reportAllowed?: boolean, token?: string): Promise<RecipientRecord | undefined> {
    const r = await this.recipientOf(transactionId, token);
    if (!r) return undefined;
    const patch = reportAllowed === undefined ? undefined : { reportAllowed };
    // An acknowledge without an earlier recorded retrieval still proves one: report it then. Whether
    // the retrieval was recorded is decided by the compare-and-set, not by the read above: the GET
    // that preceded this acknowledge may be recording it right now, and it reports it itself.
    let current: RecipientRecord | undefined = r;
    if (current.state !== 'retrieved') {
      current = await this.move(current, { from: PENDING, to: 'acknowledged', note: 'acknowledge', patch }, 'retrieved');
      if (!current || current.state !== 'retrieved') return current;
    }
    return this.move(current, { from: ['retrieved'], to: 'acknowledged', note: 'acknowledge', patch });
  }

  private async recipientOf(transactionId: string, token?: string): Promise<RecipientRecord | undefined> {
    const r = await this.store.findRecipientByTransactionId(transactionId);
    // Transaction ids are not secrets; on a retrieval URL the token must name the same recipient.
    return r && (token === undefined || r.token === token) ? r : undefined;
  }

  /** Looks up a retrieval token; undefined (-> 404) when unknown, expired or without content. */
  async openRetrieval(token: string): Promise<{ recipient: RecipientRecord; message: MessageRecord; body: Buffer } | undefined> {
    const recipient = await this.store.findRecipientByToken(token);
    if (!recipient || recipient.state === 'expired' || recipient.state === 'cancelled') return undefined;
    const message = await this.store.getMessage(recipient.messageId);
    if (!message || message.expiresAt <= this.now()) return undefined;
    const body = await this.store.getBody(message.id);
    if (!body) return undefined;
    return { recipient, message, body };
  }

  /**
   * A retrieval response went out completely: many clients never send m-notifyresp-ind, so a served
   * GET counts as retrieved (and stops re-notification).
   */
  async retrievalCompleted(recipient: RecipientRecord): Promise<void> {
    await this.move(recipient, { from: PENDING, to: 'retrieved', note: 'GET', patch: { retrievals: (recipient.retrievals ?? 0) + 1 } }, 'retrieved');
  }

  /** m-read-rec-ind from `reader` about `messageId`: forwarded to the originator as a read report. */
  async readReport(reader: string, messageId: string, status: ReadStatus, at?: number): Promise<'queued' | 'not-found' | 'not-a-recipient' | 'not-requested'> {
    const message = await this.store.getMessage(messageId);
    if (!message) return 'not-found';
    const recipients = await this.store.listRecipients(messageId);
    if (!recipients.some((r) => sameSubscriber(r.address, reader))) return 'not-a-recipient';
    if (!message.readReport) {
      this.log.info({ msgId: messageId, reader }, 'read report dropped: the originator did not ask for one');
      return 'not-requested';
    }
    await this.store.scheduleJobs([
      { type: 'read-report', dueAt: 0, key: `read:${messageId}:${reader.toLowerCase()}`, payload: { messageId, reader, status, at: at ?? this.now() } },
    ]);
    this.o.nudge?.();
    this.log.info({ msgId: messageId, reader, status }, 'read report queued');
    return 'queued';
  }

  /**
   * m-forward-req: the recipient owning `token` forwards the stored message without retrieving it.
   * Returns the new message or a refusal.
   */
  async forward(
    forwarder: string,
    token: string,
    input: Pick<SubmitInput, 'to' | 'cc' | 'bcc' | 'expiry' | 'deliveryTime' | 'deliveryReport' | 'readReport' | 'mmsVersion' | 'date'> & { reportAllowed?: boolean },
    limits: { maxRecipients: number },
    once?: Omit<SubmissionId, 'kind' | 'sender'>,
  ): Promise<SubmitResult | Retransmission | 'not-found' | 'not-the-recipient'> {
    const original = await this.openRetrieval(token);
    if (!original) return 'not-found';
    if (!sameSubscriber(original.recipient.address, forwarder)) return 'not-the-recipient';
    const m = original.message;
    const result = await this.accept(
      {
        ...input,
        from: forwarder,
        subject: m.subject,
        messageClass: m.messageClass,
        priority: m.priority,
        contentType: m.contentType,
        body: original.body,
        origin: { kind: 'mm1', address: forwarder },
        extraHeaders: m.extraHeaders,
        previouslySent: [...(m.previouslySent ?? []), { by: m.from, date: m.date }],
      },
      limits,
      once && { ...once, kind: 'mm1-forward', sender: forwarder },
    );
    // Also on a retransmission: the first attempt may have stopped before this step (a no-op if not).
    const patch = input.reportAllowed === undefined ? undefined : { reportAllowed: input.reportAllowed };
    const newId = result.retransmission ? result.messageId : result.message.id;
    await this.move(original.recipient, { from: PENDING, to: 'forwarded', note: `forwarded as ${newId}`, patch }, 'forwarded');
    return result;
  }

  /** An SMSC delivery receipt for a notification push. */
  async smscReceipt(lookupKey: string, state: string, delivered: boolean, error?: string): Promise<RecipientRecord | undefined> {
    const r = await this.store.findRecipientBySmscKey(lookupKey);
    if (!r) return undefined;
    const at = this.now();
    const updated = await this.store.updateRecipient(r.id, {
      smsc: { ...(r.smsc ?? { messageIds: [] }), receipt: error ? { state, at, error } : { state, at } },
    });
    this.log.info({ msgId: r.messageId, rcpt: r.address, state, delivered }, 'SMSC receipt for notification');
    const final = /^(UNDELIV|EXPIRED|REJECTD|DELETED)/i.test(state);
    if (!delivered && final && r.state === 'notified') {
      // The push never reached the handset: notify again soon instead of waiting for the re-notify interval.
      const delay = this.cfg.pushRetry.initialSeconds * 1000;
      await this.store.scheduleJobs([{ type: 'notify', dueAt: at + delay, key: `renotify:${r.id}:receipt${r.notifyAttempts}`, payload: { rid: r.id, renotify: true } }]);
    }
    return updated;
  }

  /**
   * Withdraws a message from every recipient that has not retrieved it (MM7 CancelReq): pending
   * recipients move to 'cancelled' (their notification and re-notification jobs then find nothing
   * to do), and the content goes once nobody can retrieve it any more.
   */
  async cancel(messageId: string): Promise<{ found: boolean; cancelled: number; remaining: number }> {
    const message = await this.store.getMessage(messageId);
    if (!message) return { found: false, cancelled: 0, remaining: 0 };
    let cancelled = 0;
    let remaining = 0;
    // The message's own 'cancelled' event rides on the first recipient change the cancel makes (a
    // cancel that changes nothing writes none; a repeat after a partial one writes it under the same id).
    let event: StreamEvent[] | undefined = [messageEvent(message, 'cancelled', this.now())];
    for (const r of await this.store.listRecipients(messageId)) {
      const moved = PENDING.includes(r.state) ? await this.move(r, { from: PENDING, to: 'cancelled', note: 'cancelled by the originator', events: event }) : r;
      if (moved?.state === 'cancelled' && r.state !== 'cancelled') {
        cancelled++;
        event = undefined;
      }
      else if (moved && (moved.state === 'retrieved' || PENDING.includes(moved.state))) remaining++;
    }
    if (remaining === 0) await this.store.deleteBody(messageId);
    this.log.info({ msgId: messageId, cancelled, remaining }, 'message cancelled');
    return { found: true, cancelled, remaining };
  }

  /**
   * Replaces the content of a message nobody has retrieved yet (MM7 ReplaceReq). Recipients already
   * notified fetch the new content from the same URL. A retrieval racing the replacement may get
   * either version.
   */
  async replace(messageId: string, content: { contentType: ContentTypeRecord; body: Uint8Array }): Promise<'replaced' | 'not-found' | 'too-late'> {
    const message = await this.store.getMessage(messageId);
    if (!message) return 'not-found';
    const recipients = await this.store.listRecipients(messageId);
    const retrieved = recipients.some((r) => r.state === 'retrieved' || r.state === 'acknowledged' || r.state === 'forwarded' || (r.retrievals ?? 0) > 0);
    if (retrieved || !recipients.some((r) => PENDING.includes(r.state)) || message.expiresAt <= this.now()) return 'too-late';
    if (!(await this.store.replaceContent(messageId, content.contentType, content.body))) return 'not-found';
    this.log.info({ msgId: messageId, size: content.body.byteLength }, 'message content replaced');
    return 'replaced';
  }

  // ---------------------------------------------------------------- jobs

  /** Job 'notify': first notification, re-notification, or the final give-up check. */
  async handleNotify(job: JobRecord): Promise<JobOutcome> {
    const rid = String(job.payload.rid);
    const r = await this.store.getRecipient(rid);
    if (!r) return { done: true };
    const now = this.now();
    const renotify = job.payload.renotify === true;
    if (job.payload.giveUp === true) {
      if (r.state === 'notified') await this.move(r, { from: ['notified'], to: 'unreachable', note: `no retrieval after ${r.notifyAttempts} notifications` }, 'unreachable');
      return { done: true };
    }
    if (renotify ? r.state !== 'notified' : r.state !== 'accepted' && r.state !== 'notifying') return { done: true };
    const message = await this.store.getMessage(r.messageId);
    if (!message || message.expiresAt <= now) return { done: true };

    // No 'notifying' write before the push: it would not prevent a second push after a crash (the
    // job's lease does that), and it cost one durable write per recipient. 'notifying' now means
    // "a push was tried and is being retried".
    const current = r;

    let outcome: PushOutcome;
    try {
      outcome = await this.o.notifier.notify(message, current);
    } catch (err) {
      outcome = { ok: false, temporary: true, reason: (err as Error).message };
    }
    // A context object, not a child logger: creating a child per push was a measurable cost.
    const ctx = { msgId: message.id, rcpt: r.address };
    const log = this.log;

    if (outcome.ok && outcome.fallbackSms) {
      // A web link went by SMS: no re-notification (the link stays valid until expiry); the page view counts as retrieval.
      const moved = await this.store.transition(rid, {
        from: ['accepted', 'notifying', 'notified'],
        to: 'fallback-sms',
        at: now,
        note: 'SMS with web link',
        patch: { notifyAttempts: current.notifyAttempts + 1, pushFailures: 0, smsc: { link: outcome.link, messageIds: outcome.messageIds ?? [] } },
        smscKeys: outcome.receiptKeys?.length ? { keys: outcome.receiptKeys, ttlMs: this.receiptTtl } : undefined,
        completeJob: job,
      });
      if (moved?.changed) this.changed(moved.record, current.state, false);
      log.info({ ...ctx, link: outcome.link }, 'non-MMS recipient: SMS with web link sent');
      return { done: true, completed: true };
    }
    if (outcome.ok) {
      const attempts = current.notifyAttempts + 1;
      const wait = this.cfg.renotify.intervalSeconds * 1000 * this.cfg.renotify.backoffFactor ** (attempts - 1);
      const next: NewJob =
        attempts < this.cfg.renotify.maxAttempts
          ? { type: 'notify', dueAt: now + wait, key: `renotify:${rid}:${attempts}`, payload: { rid, renotify: true } }
          : { type: 'notify', dueAt: now + wait, key: `giveup:${rid}`, payload: { rid, giveUp: true } };
      const patch: Transition['patch'] = { notifyAttempts: attempts, pushFailures: 0, smsc: { link: outcome.link, messageIds: outcome.messageIds ?? [] } };
      // A re-notification is no new state: its event is a 'renotified' one (a push), not a state change.
      const moved = await this.store.transition(rid, {
        from: ['accepted', 'notifying', 'notified'],
        to: 'notified',
        at: now,
        note: `push ${attempts}`,
        patch,
        jobs: [next],
        smscKeys: outcome.receiptKeys?.length ? { keys: outcome.receiptKeys, ttlMs: this.receiptTtl } : undefined,
        completeJob: job,
      });
      if (moved?.changed) this.changed(moved.record, current.state, false);
      log.info({ ...ctx, attempt: attempts, link: outcome.link, smscIds: outcome.messageIds }, 'notification pushed');
      return { done: true, completed: true };
    }

    if (!outcome.temporary) {
      log.warn({ ...ctx, reason: outcome.reason, code: outcome.code }, 'notification refused permanently');
      await this.move(current, { from: ['accepted', 'notifying', 'notified'], to: 'unreachable', note: outcome.reason, patch: { lastError: outcome.reason } }, 'unreachable');
      return { done: true };
    }
    const failures = current.pushFailures + 1;
    if (failures >= this.cfg.pushRetry.maxAttempts) {
      log.warn({ ...ctx, reason: outcome.reason, failures }, 'notification failed too often; recipient unreachable');
      await this.move(current, { from: ['accepted', 'notifying', 'notified'], to: 'unreachable', note: outcome.reason, patch: { lastError: outcome.reason } }, 'unreachable');
      return { done: true };
    }
    if (current.state === 'accepted') {
      const moved = await this.move(current, { from: ['accepted'], to: 'notifying', note: outcome.reason, patch: { pushFailures: failures, lastError: outcome.reason } });
      if (!moved || moved.state !== 'notifying') return { done: true };
    } else {
      await this.store.updateRecipient(rid, { pushFailures: failures, lastError: outcome.reason });
    }
    const delay = Math.min(this.cfg.pushRetry.initialSeconds * 1000 * 2 ** (failures - 1), this.cfg.pushRetry.maxSeconds * 1000);
    log.info({ ...ctx, reason: outcome.reason, failures, retryInMs: delay }, 'notification push failed; will retry');
    return { retryAt: now + delay, error: outcome.reason };
  }

  /** Job 'report': a delivery report to the originator. */
  async handleReport(job: JobRecord): Promise<JobOutcome> {
    const r = await this.store.getRecipient(String(job.payload.rid));
    if (!r) return { done: true };
    const message = await this.store.getMessage(r.messageId);
    if (!message) return { done: true };
    const port = this.o.reports[message.origin.kind];
    const status = job.payload.status as DeliveryStatus;
    if (!port) {
      this.log.warn({ msgId: message.id, origin: message.origin.kind }, 'no report channel for this origin');
      return { done: true };
    }
    const outcome = await port.deliveryReport(message, r, status, Number(job.payload.at));
    return this.reportOutcome(job, outcome, { msgId: message.id, rcpt: r.address, status }, 'delivery report');
  }

  /** Job 'read-report'. */
  async handleReadReport(job: JobRecord): Promise<JobOutcome> {
    const message = await this.store.getMessage(String(job.payload.messageId));
    if (!message) return { done: true };
    const port = this.o.reports[message.origin.kind];
    if (!port) return { done: true };
    const outcome = await port.readReport(message, String(job.payload.reader), job.payload.status as ReadStatus, Number(job.payload.at));
    return this.reportOutcome(job, outcome, { msgId: message.id, reader: job.payload.reader }, 'read report');
  }

  private reportOutcome(job: JobRecord, outcome: PushOutcome, ctx: Record<string, unknown>, what: string): JobOutcome {
    if (outcome.ok) {
      this.log.info(ctx, `${what} sent`);
      return { done: true };
    }
    if (outcome.temporary && job.attempts + 1 < this.cfg.pushRetry.maxAttempts) {
      const delay = Math.min(this.cfg.pushRetry.initialSeconds * 1000 * 2 ** job.attempts, this.cfg.pushRetry.maxSeconds * 1000);
      this.log.info({ ...ctx, reason: outcome.reason, retryInMs: delay }, `${what} failed; will retry`);
      return { retryAt: this.now() + delay, error: outcome.reason };
    }
    this.log.warn({ ...ctx, reason: outcome.reason }, `${what} given up`);
    return { done: true };
  }

  /** Job 'expire': the message's expiry was reached. */
  async handleExpire(job: JobRecord): Promise<JobOutcome> {
    const messageId = String(job.payload.messageId);
    const message = await this.store.getMessage(messageId);
    if (!message) return { done: true };
    let expired = 0;
    for (const r of await this.store.listRecipients(messageId)) {
      if (EXPIRABLE.includes(r.state)) {
        await this.move(r, { from: EXPIRABLE, to: 'expired', note: 'expiry reached' }, 'expired');
        expired++;
      } else if (r.state === 'unreachable') {
        await this.move(r, { from: ['unreachable'], to: 'expired', note: 'expiry reached' });
      }
    }
    await this.store.deleteBody(messageId);
    this.log.info({ msgId: messageId, expired }, 'message expired; content removed');
    const purgeAt = message.expiresAt + this.cfg.retentionSeconds * 1000;
    return { done: true, followUps: [{ type: 'purge', dueAt: purgeAt, key: `purge:${messageId}`, payload: { messageId } }] };
  }

  /** Job 'purge': retention of the delivery records ended. */
  async handlePurge(job: JobRecord): Promise<JobOutcome> {
    await this.store.purgeMessage(String(job.payload.messageId));
    return { done: true };
  }

  /** Job handlers keyed by job type, for the JobRunner. */
  jobHandlers(): Record<string, (job: JobRecord) => Promise<JobOutcome>> {
    return {
      notify: (j) => this.handleNotify(j),
      report: (j) => this.handleReport(j),
      'read-report': (j) => this.handleReadReport(j),
      expire: (j) => this.handleExpire(j),
      purge: (j) => this.handlePurge(j),
    };
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Applies a transition with the delivery report it owes (when asked for and allowed), which the
   * store puts in the change's stream event; the 'reports' consumer turns it into a report. Returns
   * the record as it is afterwards (changed or not).
   */
  private async move(
    r: RecipientRecord,
    t: { from: readonly RecipientState[]; to: RecipientState; note?: string; patch?: Transition['patch']; events?: StreamEvent[] },
    report?: DeliveryStatus,
  ): Promise<RecipientRecord | undefined> {
    const at = this.now();
    const allowed = (t.patch?.reportAllowed ?? r.reportAllowed) !== false;
    // The record carries the Delivery-Report flag; records written before it did need the message.
    const asked = r.deliveryReport ?? (report !== undefined && (await this.store.getMessage(r.messageId))?.deliveryReport === true);
    const due = reportDue(asked, report, allowed);
    const res = await this.store.transition(r.id, due !== undefined ? { ...t, at, report: due } : { ...t, at });
    if (!res) return undefined;
    if (res.changed) {
      this.log.info({ msgId: r.messageId, rcpt: r.address, from: r.state, to: t.to, note: t.note }, 'recipient state');
      this.changed(res.record, r.state, false);
    }
    return res.record;
  }

  private changed(record: RecipientRecord, from: RecipientState, scheduled: boolean): void {
    this.o.onTransition?.(record, from);
    this.o.nudgeEvents?.();
    if (scheduled) this.o.nudge?.();
  }

  /**
   * The stream consumer 'reports': turns each recipient change that owes the originator something
   * into today's durable jobs, keyed so that they exist once - a 'report' job for a delivery report
   * (MM1 m-delivery-ind, MM7 DeliveryReportReq via its port), or what the origin's port makes of
   * the change (REST: webhook events per state change, with their sequence and previous state).
   */
  reportConsumer(): EventConsumer {
    return {
      name: 'reports',
      handle: (e) => {
        // State changes, and clicks of a campaign's tracked links (a port may send them as webhooks).
        if ((e.kind !== 'state' && e.kind !== 'clicked') || e.recipientId === undefined || e.to === undefined) return undefined;
        if (e.kind === 'clicked' && e.origin !== 'rest') return undefined;
        const origin = e.origin;
        const port = origin !== undefined ? this.o.reports[origin] : undefined;
        if (origin !== undefined && !port?.eventJobs) return e.report ? { jobs: [this.reportJob(e.recipientId, e.report, e.at)] } : undefined;
        return this.portJobs(e);
      },
    };
  }

  private async portJobs(e: StreamEvent): Promise<{ jobs: NewJob[] } | undefined> {
    const message = await this.store.getMessage(e.messageId);
    if (!message) return undefined;
    const port = this.o.reports[message.origin.kind];
    if (port?.eventJobs) return { jobs: port.eventJobs(e, message) };
    return e.report ? { jobs: [this.reportJob(e.recipientId!, e.report, e.at)] } : undefined;
  }

  private reportJob(rid: string, status: DeliveryStatus, at: number): NewJob {
    return { type: 'report', dueAt: 0, key: `report:${rid}:${status}`, payload: { rid, status, at } };
  }
}
