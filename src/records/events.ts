/**
 * The state-change stream's record (docs/architecture.md, "The state-change stream"): every
 * recipient state change and every message-level event is written as one of these in the same
 * store write as the change itself, and consumers (delivery reports, webhooks, counters, CDRs,
 * live figures) read them from the store's outbox, each from its own position.
 *
 * Written on the hottest path: fields that do not apply are left out, never set to undefined.
 */
import type { DeliveryStatus, MessageRecord, Origin, RecipientRecord, RecipientState } from './model.js';

/**
 * - `state`: a recipient moved from one state to another (`from` -> `to`);
 * - `renotified`: a notification pushed again to a recipient already notified (no new state, but a
 *   push: `smsc` says where it went);
 * - `accepted`: a message was stored (`count` recipients; a recipient whose first state is not
 *   'accepted' also has a `state` event of its own, with sequence 0);
 * - `cancelled`, `replaced`: the originator withdrew the message or replaced its content;
 * - `clicked`: a person's first click of a campaign's tracked link (src/vasp/batches): an entry in
 *   the recipient's history without a change of state, so it has a sequence like the changes;
 *   `data` holds the link, the user agent and the batch;
 * - further kinds (`mm4-hop`, `email`, ...) are added by the interfaces that make them; a consumer
 *   ignores kinds it does not know.
 */
export type StreamEventKind = 'state' | 'renotified' | 'accepted' | 'cancelled' | 'replaced' | 'clicked' | 'mm4-hop' | 'email' | (string & {});

export interface StreamEvent {
  /**
   * Unique and stable, so that a consumer can tell a replay from a new event:
   * `<recipientId>#<sequence>` for recipient events, `<messageId>#accepted`, `<messageId>#cancelled`,
   * `<messageId>#replaced@<ms>` for message events.
   */
  id: string;
  kind: StreamEventKind;
  messageId: string;
  recipientId?: string;
  /**
   * Per recipient: the index of this change in the recipient's history (0 = its first state), the
   * `sequence` webhooks expose. Consecutive per recipient; a recipient's events enter the stream in
   * this order.
   */
  sequence?: number;
  /** The state the change left (absent for a recipient's first state). */
  from?: RecipientState;
  to?: RecipientState;
  /** ms since epoch (the store clock of the write). */
  at: number;
  note?: string;
  /**
   * Where the message came from (how reports travel back). Absent only on events of recipient
   * records written before records carried it: the message says.
   */
  origin?: Origin['kind'];
  /** The VASP account of an MM7 or REST message. */
  vaspId?: string;
  /** The recipient's address (recipient events), wire form. */
  address?: string;
  /**
   * The delivery report this change owes the originator: set only when the originator asked for
   * reports and, for a change the recipient caused, X-Mms-Report-Allowed did not forbid it.
   */
  report?: DeliveryStatus;
  /** Present (false) only when the recipient said X-Mms-Report-Allowed: No. */
  reportAllowed?: false;
  /** A notification push (first, re-notification, or the SMS with a web link): where it went. */
  smsc?: { link?: string; messageIds: string[] };
  /** `accepted`: how many recipients the message has. */
  count?: number;
  /** Kind-specific details of kinds added later (route of an MM4 hop, e-mail envelope, ...). */
  data?: Record<string, unknown>;
}

/** An event as one consumer receives it: `pos` is its place in the outbox (opaque, per store). */
export interface StreamEntry {
  pos: string;
  event: StreamEvent;
}

/**
 * One counter increment. Keys are hierarchical, `<group>:<name>`, split at the last ':': a group's
 * counters are read together (`Store.readCounters`). E.g. `vasp:TNN:2026-12-06:retrieved`
 * (group `vasp:TNN:2026-12-06`, name `retrieved`), `batch:<id>:notified`, `live:<second>:accepted`.
 * `ttlMs` makes the whole group expire that long after its latest increment (live figures).
 */
export interface CounterDelta {
  key: string;
  delta: number;
  ttlMs?: number;
}

/** `[group, name]` of a counter key. */
export function splitCounterKey(key: string): [string, string] {
  const i = key.lastIndexOf(':');
  if (i <= 0 || i === key.length - 1) throw new Error(`counter key ${JSON.stringify(key)} is not <group>:<name>`);
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Report-Allowed: No suppresses reports caused by the recipient, not the relay's own verdicts. */
export function reportDue(asked: boolean, status: DeliveryStatus | undefined, reportAllowed: boolean): DeliveryStatus | undefined {
  const byRecipient = status === 'retrieved' || status === 'rejected' || status === 'unrecognised' || status === 'forwarded';
  return status && asked && (reportAllowed || !byRecipient) ? status : undefined;
}

/**
 * The event of a change the store is writing: `cur` is the record as it was, `next` as it will be
 * (its last history entry is the change). `extra` carries what only the caller knows.
 */
export function changeEvent(cur: RecipientRecord, next: RecipientRecord, extra: { report?: DeliveryStatus; kind?: StreamEventKind; data?: Record<string, unknown> } = {}): StreamEvent {
  const sequence = next.history.length - 1;
  const h = next.history[sequence]!;
  const e: StreamEvent = {
    id: `${next.id}#${sequence}`,
    kind: extra.kind ?? (cur.state === next.state ? 'renotified' : 'state'),
    messageId: next.messageId,
    recipientId: next.id,
    sequence,
    from: cur.state,
    to: next.state,
    at: h.at,
    address: next.address,
  };
  if (next.origin !== undefined) e.origin = next.origin;
  if (h.note !== undefined) e.note = h.note;
  if (next.vaspId !== undefined) e.vaspId = next.vaspId;
  if (extra.report !== undefined) e.report = extra.report;
  if (extra.data !== undefined) e.data = extra.data;
  if (next.reportAllowed === false) e.reportAllowed = false;
  // A push in this change: the notify transition patches the SMSC correlation in the same write.
  if (next.smsc !== cur.smsc && next.smsc && (next.state === 'notified' || next.state === 'fallback-sms')) {
    e.smsc = next.smsc.link !== undefined ? { link: next.smsc.link, messageIds: next.smsc.messageIds } : { messageIds: next.smsc.messageIds };
  }
  return e;
}

/** What a transition adds to its own event (the stores pass it to changeEvent). */
export function eventExtra(t: { report?: DeliveryStatus; eventKind?: StreamEventKind; eventData?: Record<string, unknown> }): { report?: DeliveryStatus; kind?: StreamEventKind; data?: Record<string, unknown> } | undefined {
  if (t.report === undefined && t.eventKind === undefined) return undefined;
  const x: { report?: DeliveryStatus; kind?: StreamEventKind; data?: Record<string, unknown> } = {};
  if (t.report !== undefined) x.report = t.report;
  if (t.eventKind !== undefined) x.kind = t.eventKind;
  if (t.eventData !== undefined) x.data = t.eventData;
  return x;
}

/**
 * The events of a new message: `accepted` for the message, and a `state` event (sequence 0) for each
 * recipient whose first state is not 'accepted' (an address without a route is unreachable at once
 * and owes the relay's 'unreachable' report).
 */
export function acceptedEvents(message: MessageRecord, recipients: readonly RecipientRecord[]): StreamEvent[] {
  const origin = message.origin;
  const vaspId = origin.kind === 'mm1' ? undefined : origin.vaspId;
  const accepted: StreamEvent = { id: `${message.id}#accepted`, kind: 'accepted', messageId: message.id, at: message.createdAt, origin: origin.kind, count: recipients.length };
  if (vaspId !== undefined) accepted.vaspId = vaspId;
  const out = [accepted];
  for (const r of recipients) {
    if (r.state === 'accepted') continue;
    const h = r.history[0]!;
    const e: StreamEvent = { id: `${r.id}#0`, kind: 'state', messageId: message.id, recipientId: r.id, sequence: 0, to: r.state, at: h.at, origin: origin.kind, address: r.address };
    if (h.note !== undefined) e.note = h.note;
    if (vaspId !== undefined) e.vaspId = vaspId;
    const report = reportDue(message.deliveryReport, r.state === 'unreachable' ? 'unreachable' : undefined, true);
    if (report) e.report = report;
    out.push(e);
  }
  return out;
}

/** A message-level event (cancelled, replaced, ...). */
export function messageEvent(message: MessageRecord, kind: StreamEventKind, at: number, id = `${message.id}#${kind}`, note?: string): StreamEvent {
  const e: StreamEvent = { id, kind, messageId: message.id, at, origin: message.origin.kind };
  if (message.origin.kind !== 'mm1') e.vaspId = message.origin.vaspId;
  if (note !== undefined) e.note = note;
  return e;
}
