/**
 * The relay's records. They are plain JSON-compatible data so that every store (embedded LMDB,
 * Redis) can keep them as they are; binary content lives apart from them.
 */

/**
 * Per-recipient delivery state (design.md, "The relay state machine"):
 * accepted -> notified -> retrieved -> acknowledged, through 'notifying' only while a failed push is
 * retried (docs/architecture.md), with side exits.
 */
export type RecipientState =
  | 'accepted'
  | 'notifying'
  | 'notified'
  | 'deferred'
  | 'retrieved'
  | 'acknowledged'
  | 'rejected'
  | 'unreachable'
  | 'expired'
  | 'forwarded'
  | 'fallback-sms'
  /** Withdrawn by the originator (MM7 CancelReq, REST DELETE) before retrieval. */
  | 'cancelled';

export const FINAL_STATES: ReadonlySet<RecipientState> = new Set(['acknowledged', 'rejected', 'unreachable', 'expired', 'forwarded', 'cancelled']);

/** Where a message came from decides how reports travel back. */
export type Origin =
  | { kind: 'mm1'; address: string; userAgent?: string }
  | { kind: 'mm7'; vaspId: string; namespace: string; version: string; reportUrl?: string; linkedId?: string }
  | {
      kind: 'rest';
      vaspId: string;
      webhookUrl?: string;
      idempotencyKey?: string;
      /** Which recipient events go to the webhook (see src/vasp/events.ts); absent = delivery reports only. */
      events?: string[];
      /** A message released from a campaign (src/vasp/batches): the batch, the row and its variant. */
      batch?: { id: string; row: number; variant: number };
    };

/** A JSON-safe copy of a WSP Content-Type value. */
export interface ContentTypeRecord {
  mediaType: string;
  params: Record<string, string | number>;
}

export interface MessageRecord {
  /** Message-ID as given in m-send-conf and reports. */
  id: string;
  createdAt: number; // ms since epoch
  /** Date header, seconds since epoch. */
  date: number;
  expiresAt: number; // ms since epoch
  /** Originator, wire form (e.g. '+15551234567/TYPE=PLMN'). */
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject?: { text: string; charset: string };
  messageClass: string;
  priority?: 'low' | 'normal' | 'high';
  deliveryReport: boolean;
  readReport: boolean;
  senderVisibility?: 'hide' | 'show';
  contentType: ContentTypeRecord;
  /** Size of the stored body in octets. */
  contentSize: number;
  /** MMS version the originator spoke, e.g. '1.2'. */
  mmsVersion: string;
  origin: Origin;
  /** Set on forwarded messages (MMS 1.1 X-Mms-Previously-Sent-By/Date). */
  previouslySent?: { by: string; date: number }[];
  /** Application headers and other fields carried through to m-retrieve-conf. */
  extraHeaders?: { name: string; value: string }[];
  /** Count of recipient records: ids are `${id}/0` ... `${id}/${n-1}`. */
  recipientCount: number;
}

export interface StateChange {
  state: RecipientState;
  at: number; // ms
  note?: string;
}

export interface RecipientRecord {
  /** `${messageId}/${index}` */
  id: string;
  messageId: string;
  /** Wire form of the address. */
  address: string;
  field: 'to' | 'cc' | 'bcc';
  state: RecipientState;
  /** Unguessable retrieval token (the last path segment of Content-Location). */
  token: string;
  /** X-Mms-Transaction-Id of the notification and of the retrieve-conf for this recipient. */
  transactionId: string;
  notifyAttempts: number;
  /** Pushes that failed for a temporary reason since the last successful one. */
  pushFailures: number;
  createdAt: number;
  updatedAt: number;
  history: StateChange[];
  /** SMSC correlation of the latest notification push. */
  smsc?: { link?: string; messageIds: string[]; receipt?: { state: string; at: number; error?: string } };
  /** Normalised SMSC ids under which receipts find this record (kept for clean-up). */
  smscKeys?: string[];
  /** X-Mms-Report-Allowed from the recipient's notifyresp/acknowledge (default true). */
  reportAllowed?: boolean;
  retrievals?: number;
  lastError?: string;
  /** Webhook events about this recipient that were given up (the latest few). */
  webhookFailures?: WebhookFailure[];
  /**
   * Copies of the message's origin kind and Delivery-Report flag (neither ever changes), so that a
   * state change can decide its report without reading the message. Absent on records written
   * before they existed: the relay reads the message then.
   */
  origin?: Origin['kind'];
  deliveryReport?: boolean;
  /** The VASP account of an MM7 or REST message (a copy, for the state-change stream's events). */
  vaspId?: string;
}

/** Delivery report statuses of OMA-MMS-ENC X-Mms-Status (0x95). */
export type DeliveryStatus = 'expired' | 'retrieved' | 'rejected' | 'deferred' | 'unrecognised' | 'indeterminate' | 'forwarded' | 'unreachable';

export interface WebhookFailure {
  /** The event's id (as sent in X-Mmsc-Event-Id). */
  event: string;
  /** The recipient state the event was about, when it was about one. */
  state?: RecipientState;
  /** When it was given up (ms). */
  at: number;
  attempts: number;
  reason: string;
}

export type JobType = 'notify' | 'report' | 'expire' | 'purge' | 'webhook' | 'mm7-report' | (string & {});

export interface NewJob {
  type: JobType;
  /** ms since epoch; 0 or past = now. */
  dueAt: number;
  /** Deduplication key: a job whose key already exists is not scheduled again. */
  key?: string;
  payload: Record<string, unknown>;
}

export interface JobRecord extends NewJob {
  id: string;
  attempts: number;
  createdAt: number;
  lastError?: string;
}
