import type { DeliveryStatus, MessageRecord, NewJob, RecipientRecord } from '../records/model.js';
import type { StreamEvent } from '../records/events.js';

/** Outcome of handing a push (notification or report) to the bearer. */
export type PushOutcome =
  | { ok: true; link?: string; messageIds?: string[]; receiptKeys?: string[]; /** An SMS with a web link went instead of a WAP Push (non-MMS handset). */ fallbackSms?: boolean }
  | { ok: false; temporary: boolean; reason: string; code?: number };

export type { DeliveryStatus } from '../records/model.js';

export type ReadStatus = 'read' | 'deleted';

/** Sends the m-notification-ind for one recipient (WAP Push over SMS, or an SMS link for non-MMS handsets). */
export interface NotificationPort {
  notify(message: MessageRecord, recipient: RecipientRecord): Promise<PushOutcome>;
}

/**
 * Carries reports back to whoever submitted the message. One implementation per origin kind:
 * MM1 (m-delivery-ind / m-read-orig-ind by WAP Push), MM7 (DeliveryReportReq / ReadReplyReq), REST
 * (webhooks).
 */
export interface ReportPort {
  /**
   * The jobs a recipient's change causes, for a port that decides them itself (REST: webhook events
   * per state change). Called by the stream consumer 'reports' once per change that happened, with
   * the change's delivery report in `event.report`; a port without it gets a 'report' job per
   * delivery report instead. Jobs need keys: the consumer applies them once, but a port's own
   * re-runs must not make a second one.
   */
  eventJobs?(event: StreamEvent, message: MessageRecord): NewJob[];
  deliveryReport(message: MessageRecord, recipient: RecipientRecord, status: DeliveryStatus, at: number): Promise<PushOutcome>;
  readReport(message: MessageRecord, reader: string, status: ReadStatus, at: number): Promise<PushOutcome>;
}
