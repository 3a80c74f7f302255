import type { ContentType, Part } from '../wsp/index.js';
import type { MessageTypeName } from './message-types.js';
import type {
  ContentClass,
  MessageClass,
  Priority,
  ReadStatus,
  ResponseStatus,
  RetrieveStatus,
  Status,
  StoreStatus,
} from './tokens.js';
import type {
  ElementDescriptor,
  MboxCount,
  MmFlags,
  PreviouslySentBy,
  PreviouslySentDate,
  TimeValue,
  Token,
} from './values.js';

/** Every header field of OMA-MMS-ENC 1.3, by its decoded name (see headers.ts for the wire codes). */
export interface MmsHeaders {
  transactionId?: string;
  mmsVersion?: string;
  bcc?: string[];
  cc?: string[];
  contentLocation?: string;
  contentType?: ContentType;
  /** Seconds since the epoch. */
  date?: number;
  deliveryReport?: boolean;
  deliveryTime?: TimeValue;
  expiry?: TimeValue;
  /** An address, or INSERT_ADDRESS when the handset leaves it to the MMSC. */
  from?: string;
  messageClass?: Token<MessageClass> | string;
  messageId?: string;
  messageSize?: number;
  priority?: Token<Priority>;
  readReport?: boolean;
  reportAllowed?: boolean;
  responseStatus?: Token<ResponseStatus>;
  responseText?: string;
  senderVisibility?: Token<'hide' | 'show'>;
  status?: Token<Status>;
  subject?: string;
  to?: string[];
  retrieveStatus?: Token<RetrieveStatus>;
  retrieveText?: string;
  readStatus?: Token<ReadStatus>;
  replyCharging?: Token<'requested' | 'requested-text-only' | 'accepted' | 'accepted-text-only'>;
  replyChargingDeadline?: TimeValue;
  replyChargingId?: string;
  replyChargingSize?: number;
  previouslySentBy?: PreviouslySentBy[];
  previouslySentDate?: PreviouslySentDate[];
  store?: boolean;
  mmState?: Token<'draft' | 'sent' | 'new' | 'retrieved' | 'forwarded'>;
  mmFlags?: MmFlags[];
  storeStatus?: Token<StoreStatus>;
  storeStatusText?: string;
  stored?: boolean;
  attributes?: number[];
  totals?: boolean;
  mboxTotals?: MboxCount[];
  quotas?: boolean;
  mboxQuotas?: MboxCount[];
  messageCount?: number;
  content?: Uint8Array;
  start?: number;
  additionalHeaders?: Uint8Array;
  distributionIndicator?: boolean;
  elementDescriptor?: ElementDescriptor[];
  limit?: number;
  recommendedRetrievalMode?: Token<'manual'>;
  recommendedRetrievalModeText?: string;
  statusText?: string;
  applicId?: string;
  replyApplicId?: string;
  auxApplicInfo?: string;
  contentClass?: Token<ContentClass>;
  drmContent?: boolean;
  adaptationAllowed?: boolean;
  replaceId?: string;
  cancelId?: string;
  cancelStatus?: Token<'successfully-received' | 'corrupted'>;
}

/** A header we do not know: a well-known code outside the table, or a text application header. */
export type UnknownHeader = { code: number; raw: Uint8Array } | { name: string; value: string };

export interface DecodeWarning {
  offset: number;
  field: string;
  reason: string;
}

interface PduBase<T extends MessageTypeName> extends MmsHeaders {
  type: T;
  mmsVersion: string;
  /** Unknown and application headers, in wire order; written back before Content-Type. */
  unknownHeaders?: UnknownHeader[];
  /** Entries of a multipart body (views into the decoded buffer). */
  parts?: Part[];
  /** A body that is not multipart (views into the decoded buffer). */
  body?: Uint8Array;
  /** What lenient decoding tolerated. */
  warnings?: DecodeWarning[];
}

export interface SendReq extends PduBase<'m-send-req'> {
  transactionId: string;
  from: string;
  contentType: ContentType;
}
export interface SendConf extends PduBase<'m-send-conf'> {
  transactionId: string;
  responseStatus: Token<ResponseStatus>;
}
export interface NotificationInd extends PduBase<'m-notification-ind'> {
  transactionId: string;
  messageClass: Token<MessageClass> | string;
  messageSize: number;
  expiry: TimeValue;
  contentLocation: string;
}
export interface NotifyRespInd extends PduBase<'m-notifyresp-ind'> {
  transactionId: string;
  status: Token<Status>;
}
export interface RetrieveConf extends PduBase<'m-retrieve-conf'> {
  date: number;
  contentType: ContentType;
}
export interface AcknowledgeInd extends PduBase<'m-acknowledge-ind'> {
  transactionId: string;
}
export interface DeliveryInd extends PduBase<'m-delivery-ind'> {
  messageId: string;
  to: string[];
  date: number;
  status: Token<Status>;
}
export interface ReadRecInd extends PduBase<'m-read-rec-ind'> {
  messageId: string;
  to: string[];
  from: string;
  readStatus: Token<ReadStatus>;
}
export interface ReadOrigInd extends PduBase<'m-read-orig-ind'> {
  messageId: string;
  to: string[];
  from: string;
  date: number;
  readStatus: Token<ReadStatus>;
}
export interface ForwardReq extends PduBase<'m-forward-req'> {
  transactionId: string;
  from: string;
  contentLocation: string;
}
export interface ForwardConf extends PduBase<'m-forward-conf'> {
  transactionId: string;
  responseStatus: Token<ResponseStatus>;
}
export interface MboxStoreReq extends PduBase<'m-mbox-store-req'> {
  transactionId: string;
  contentLocation: string;
}
export interface MboxStoreConf extends PduBase<'m-mbox-store-conf'> {
  transactionId: string;
  storeStatus: Token<StoreStatus>;
}
export interface MboxViewReq extends PduBase<'m-mbox-view-req'> {
  transactionId: string;
}
export interface MboxViewConf extends PduBase<'m-mbox-view-conf'> {
  transactionId: string;
  responseStatus: Token<ResponseStatus>;
}
export interface MboxUploadReq extends PduBase<'m-mbox-upload-req'> {
  transactionId: string;
  contentType: ContentType;
}
export interface MboxUploadConf extends PduBase<'m-mbox-upload-conf'> {
  transactionId: string;
  responseStatus: Token<ResponseStatus>;
}
export interface MboxDeleteReq extends PduBase<'m-mbox-delete-req'> {
  transactionId: string;
}
export interface MboxDeleteConf extends PduBase<'m-mbox-delete-conf'> {
  transactionId: string;
  responseStatus: Token<ResponseStatus>;
}
export interface MboxDescr extends PduBase<'m-mbox-descr'> {
  contentLocation: string;
}
export interface DeleteReq extends PduBase<'m-delete-req'> {
  transactionId: string;
}
export interface DeleteConf extends PduBase<'m-delete-conf'> {
  transactionId: string;
}
export interface CancelReq extends PduBase<'m-cancel-req'> {
  transactionId: string;
  cancelId: string;
}
export interface CancelConf extends PduBase<'m-cancel-conf'> {
  transactionId: string;
}

export type MmsPdu =
  | SendReq
  | SendConf
  | NotificationInd
  | NotifyRespInd
  | RetrieveConf
  | AcknowledgeInd
  | DeliveryInd
  | ReadRecInd
  | ReadOrigInd
  | ForwardReq
  | ForwardConf
  | MboxStoreReq
  | MboxStoreConf
  | MboxViewReq
  | MboxViewConf
  | MboxUploadReq
  | MboxUploadConf
  | MboxDeleteReq
  | MboxDeleteConf
  | MboxDescr
  | DeleteReq
  | DeleteConf
  | CancelReq
  | CancelConf;

export type PduOf<T extends MessageTypeName> = Extract<MmsPdu, { type: T }>;

/**
 * Mandatory fields per message type beyond type and version (ENC 1.3 section 6 tables, notes 3; AOSP
 * checkMandatoryHeader for what clients enforce). m-retrieve-conf's TID is conditional; we always
 * emit it from the MMSC since Android acknowledges only when it is present.
 */
export const MANDATORY: Readonly<Record<MessageTypeName, readonly (keyof MmsHeaders)[]>> = {
  'm-send-req': ['transactionId', 'from', 'contentType'],
  'm-send-conf': ['transactionId', 'responseStatus'],
  'm-notification-ind': ['transactionId', 'messageClass', 'messageSize', 'expiry', 'contentLocation'],
  'm-notifyresp-ind': ['transactionId', 'status'],
  'm-retrieve-conf': ['date', 'contentType'],
  'm-acknowledge-ind': ['transactionId'],
  'm-delivery-ind': ['messageId', 'to', 'date', 'status'],
  'm-read-rec-ind': ['messageId', 'to', 'from', 'readStatus'],
  'm-read-orig-ind': ['messageId', 'to', 'from', 'date', 'readStatus'],
  'm-forward-req': ['transactionId', 'from', 'contentLocation'],
  'm-forward-conf': ['transactionId', 'responseStatus'],
  'm-mbox-store-req': ['transactionId', 'contentLocation'],
  'm-mbox-store-conf': ['transactionId', 'storeStatus'],
  'm-mbox-view-req': ['transactionId'],
  'm-mbox-view-conf': ['transactionId', 'responseStatus'],
  'm-mbox-upload-req': ['transactionId', 'contentType'],
  'm-mbox-upload-conf': ['transactionId', 'responseStatus'],
  'm-mbox-delete-req': ['transactionId'],
  'm-mbox-delete-conf': ['transactionId', 'responseStatus'],
  'm-mbox-descr': ['contentLocation'],
  'm-delete-req': ['transactionId'],
  'm-delete-conf': ['transactionId'],
  'm-cancel-req': ['transactionId', 'cancelId'],
  'm-cancel-conf': ['transactionId'],
};

/** Types that carry no X-Mms-Transaction-Id at all (ENC 1.3: reports and m-mbox-descr). */
export const WITHOUT_TID: ReadonlySet<MessageTypeName> = new Set([
  'm-delivery-ind',
  'm-read-rec-ind',
  'm-read-orig-ind',
  'm-mbox-descr',
]);

/** Names of the mandatory fields a PDU lacks. */
export function missingMandatory(pdu: { type: MessageTypeName } & MmsHeaders): string[] {
  const out: string[] = [];
  if (pdu.mmsVersion === undefined) out.push('mmsVersion');
  for (const f of MANDATORY[pdu.type]) {
    const v = pdu[f];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) out.push(f);
  }
  return out;
}
