import type { MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';

/** Outcome of handing a push (notification or report) to the bearer. */
export type PushOutcome =
  | { ok: true; link?: string; messageIds?: string[]; receiptKeys?: string[]; /** An SMS with a web link went instead of a WAP Push (non-MMS handset). */ fallbackSms?: boolean }
  | { ok: false; temporary: boolean; reason: string; code?: number };

/** Delivery report statuses of OMA-MMS-ENC X-Mms-Status (0x95). */
export type DeliveryStatus = 'expired' | 'retrieved' | 'rejected' | 'deferred' | 'unrecognised' | 'indeterminate' | 'forwarded' | 'unreachable';

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
   * Jobs to put in the same atomic write as a recipient's state change (webhooks per state change:
   * an event must exist exactly when its change does). A port that has this receives the change's
   * delivery report here (`report`) instead of through a separate 'report' job.
   */
  changeJobs?(change: RecipientChange): NewJob[];
  deliveryReport(message: MessageRecord, recipient: RecipientRecord, status: DeliveryStatus, at: number): Promise<PushOutcome>;
  readReport(message: MessageRecord, reader: string, status: ReadStatus, at: number): Promise<PushOutcome>;
}

/** A recipient state change the relay is about to write, offered to the origin's ReportPort. */
export interface RecipientChange {
  message: MessageRecord;
  /** The record as read before the change. */
  recipient: RecipientRecord;
  /**
   * The state the relay moves from as far as it knows; the compare-and-set decides, and the jobs
   * are written only if the change happens.
   */
  from: RecipientState;
  to: RecipientState;
  at: number;
  /** The delivery report the change owes the originator (asked for, Report-Allowed honoured), if any. */
  report?: DeliveryStatus;
  /** X-Mms-Report-Allowed of the recipient (default true). */
  reportAllowed: boolean;
}
