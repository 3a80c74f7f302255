import type { StreamEvent } from '../records/events.js';
import type { MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';

/**
 * Which recipient events a REST message's webhook receives (request field `events`, account
 * default `webhookEvents`):
 * - `delivery-report`: the delivery reports the relay makes (retrieved, rejected, forwarded,
 *   expired, unreachable, one per outcome) - the default, as before state events existed;
 * - a state name: every change into that state;
 * - `final`: every change into an outcome state (OUTCOME_STATES).
 */
export { STATE_EVENTS, WEBHOOK_EVENTS, type WebhookEvent } from '../config/vasp.js';
import type { WebhookEvent } from '../config/vasp.js';

/**
 * States that say how delivery ended. 'unreachable' is among them although a handset given up on
 * may still retrieve until expiry (then a 'retrieved' or 'expired' event follows).
 */
export const OUTCOME_STATES: ReadonlySet<RecipientState> = new Set(['retrieved', 'acknowledged', 'rejected', 'unreachable', 'expired', 'forwarded', 'cancelled']);


export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['delivery-report'];

/**
 * States the recipient's own action causes: with X-Mms-Report-Allowed: No the originator does not
 * learn of them (the relay's own verdicts - expired, unreachable - are still told).
 */
const BY_RECIPIENT: ReadonlySet<RecipientState> = new Set(['deferred', 'retrieved', 'acknowledged', 'rejected', 'forwarded']);

export const WEBHOOK_JOB = 'webhook';

/**
 * The webhook job a REST message's recipient change causes, if its subscription wants one: one
 * event per change, keyed by (recipient, state) so that a change is sent once. A change that
 * carries a wanted delivery report is sent as a 'delivery-report' event (the payload VASPs had
 * before), any other wanted change as a 'state-change' event. The stream event says exactly where
 * the change stands (sequence, previous state): the store wrote both with the change.
 */
export function webhookJobsFor(e: StreamEvent, message: MessageRecord): NewJob[] {
  const o = message.origin;
  if (o.kind === 'rest' && o.webhookUrl && e.kind === 'clicked' && e.recipientId !== undefined) return clickJobs(e, o.events ?? DEFAULT_WEBHOOK_EVENTS);
  if (o.kind !== 'rest' || !o.webhookUrl || e.kind !== 'state' || e.recipientId === undefined || e.to === undefined) return [];
  const events: readonly string[] = o.events ?? DEFAULT_WEBHOOK_EVENTS;
  const report = e.report !== undefined && events.includes('delivery-report') ? e.report : undefined;
  const stateWanted =
    e.from !== e.to &&
    (e.reportAllowed !== false || !BY_RECIPIENT.has(e.to)) &&
    (events.includes(e.to) || (OUTCOME_STATES.has(e.to) && events.includes('final')));
  if (report === undefined && !stateWanted) return [];
  return [
    {
      type: WEBHOOK_JOB,
      dueAt: 0,
      key: eventKey(e.recipientId, e.to),
      payload: {
        kind: report !== undefined ? 'delivery' : 'state',
        messageId: e.messageId,
        rid: e.recipientId,
        state: e.to,
        at: e.at,
        sequence: e.sequence,
        ...(e.from !== undefined ? { previousState: e.from } : {}),
        ...(report !== undefined ? { status: report } : {}),
      },
    },
  ];
}

/** The 'clicked' webhook of a person's first click of a tracked link, when subscribed; its sequence orders it among the state events. */
function clickJobs(e: StreamEvent, events: readonly string[]): NewJob[] {
  if (!events.includes('clicked')) return [];
  const d = e.data ?? {};
  return [
    {
      type: WEBHOOK_JOB,
      dueAt: 0,
      key: `whclick:${e.recipientId}:${e.sequence}`,
      payload: { kind: 'click', messageId: e.messageId, rid: e.recipientId, state: e.to, at: e.at, sequence: e.sequence, link: d.link, userAgent: d.userAgent, batchId: d.batchId },
    },
  ];
}

/** The job key of the webhook event of `recipientId`'s change into `state`. */
export function eventKey(recipientId: string, state: RecipientState): string {
  return `whev:${recipientId}:${state}`;
}

/**
 * Where a change stands in the recipient's history: its sequence number (the index of the entry,
 * 'accepted' being 0) and the state before it. Read when the event is sent, from the history that
 * was written with the change, so both are exact even when another handler moved the recipient
 * between the relay's read and its compare-and-set.
 */
export function placeInHistory(r: RecipientRecord, state: string, at: number): { sequence: number; previousState?: RecipientState } | undefined {
  let found = -1;
  for (let i = r.history.length - 1; i >= 0; i--) {
    const h = r.history[i]!;
    if (h.state !== state) continue;
    if (h.at === at) {
      found = i;
      break;
    }
    if (found < 0) found = i;
  }
  if (found < 0) return undefined;
  return { sequence: found, ...(found > 0 ? { previousState: r.history[found - 1]!.state } : {}) };
}
