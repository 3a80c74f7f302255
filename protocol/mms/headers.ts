import * as v from './values.js';
import * as t from './tokens.js';
import type { ValueCodec } from './values.js';

export interface HeaderDef {
  /** Octet on the wire (field number | 0x80). */
  code: number;
  /** Name in a decoded PDU. */
  field: string;
  /** Name as the spec writes it, for errors and tools. */
  wireName: string;
  codec: ValueCodec<any>;
  /** Occurs once per value (To, Cc, Bcc, ...): decoded into an array. */
  multi?: boolean;
}

/** Every MMS header field 0x81-0xBF (OMA-MMS-ENC 1.3 Table 25; notes 2.2), one row each. */
export const HEADERS: readonly HeaderDef[] = [
  { code: 0x81, field: 'bcc', wireName: 'Bcc', codec: v.encodedString, multi: true },
  { code: 0x82, field: 'cc', wireName: 'Cc', codec: v.encodedString, multi: true },
  { code: 0x83, field: 'contentLocation', wireName: 'X-Mms-Content-Location', codec: v.contentLocation },
  { code: 0x84, field: 'contentType', wireName: 'Content-Type', codec: v.contentType },
  { code: 0x85, field: 'date', wireName: 'Date', codec: v.date },
  { code: 0x86, field: 'deliveryReport', wireName: 'X-Mms-Delivery-Report', codec: v.yesNo },
  { code: 0x87, field: 'deliveryTime', wireName: 'X-Mms-Delivery-Time', codec: v.time },
  { code: 0x88, field: 'expiry', wireName: 'X-Mms-Expiry', codec: v.time },
  { code: 0x89, field: 'from', wireName: 'From', codec: v.from },
  { code: 0x8a, field: 'messageClass', wireName: 'X-Mms-Message-Class', codec: v.enumCodec(t.MESSAGE_CLASSES, true) },
  { code: 0x8b, field: 'messageId', wireName: 'Message-ID', codec: v.text },
  { code: 0x8c, field: 'type', wireName: 'X-Mms-Message-Type', codec: v.raw },
  { code: 0x8d, field: 'mmsVersion', wireName: 'X-Mms-MMS-Version', codec: v.version },
  { code: 0x8e, field: 'messageSize', wireName: 'X-Mms-Message-Size', codec: v.longInteger },
  { code: 0x8f, field: 'priority', wireName: 'X-Mms-Priority', codec: v.enumCodec(t.PRIORITIES) },
  { code: 0x90, field: 'readReport', wireName: 'X-Mms-Read-Report', codec: v.yesNo },
  { code: 0x91, field: 'reportAllowed', wireName: 'X-Mms-Report-Allowed', codec: v.yesNo },
  { code: 0x92, field: 'responseStatus', wireName: 'X-Mms-Response-Status', codec: v.codedEnum(t.RESPONSE_STATUS) },
  { code: 0x93, field: 'responseText', wireName: 'X-Mms-Response-Text', codec: v.encodedString },
  { code: 0x94, field: 'senderVisibility', wireName: 'X-Mms-Sender-Visibility', codec: v.enumCodec(t.SENDER_VISIBILITY) },
  { code: 0x95, field: 'status', wireName: 'X-Mms-Status', codec: v.enumCodec(t.STATUSES) },
  { code: 0x96, field: 'subject', wireName: 'Subject', codec: v.encodedString },
  { code: 0x97, field: 'to', wireName: 'To', codec: v.encodedString, multi: true },
  { code: 0x98, field: 'transactionId', wireName: 'X-Mms-Transaction-Id', codec: v.text },
  { code: 0x99, field: 'retrieveStatus', wireName: 'X-Mms-Retrieve-Status', codec: v.codedEnum(t.RETRIEVE_STATUS) },
  { code: 0x9a, field: 'retrieveText', wireName: 'X-Mms-Retrieve-Text', codec: v.encodedString },
  { code: 0x9b, field: 'readStatus', wireName: 'X-Mms-Read-Status', codec: v.enumCodec(t.READ_STATUS) },
  { code: 0x9c, field: 'replyCharging', wireName: 'X-Mms-Reply-Charging', codec: v.enumCodec(t.REPLY_CHARGING) },
  { code: 0x9d, field: 'replyChargingDeadline', wireName: 'X-Mms-Reply-Charging-Deadline', codec: v.time },
  { code: 0x9e, field: 'replyChargingId', wireName: 'X-Mms-Reply-Charging-ID', codec: v.text },
  { code: 0x9f, field: 'replyChargingSize', wireName: 'X-Mms-Reply-Charging-Size', codec: v.longInteger },
  { code: 0xa0, field: 'previouslySentBy', wireName: 'X-Mms-Previously-Sent-By', codec: v.previouslySentBy, multi: true },
  { code: 0xa1, field: 'previouslySentDate', wireName: 'X-Mms-Previously-Sent-Date', codec: v.previouslySentDate, multi: true },
  { code: 0xa2, field: 'store', wireName: 'X-Mms-Store', codec: v.yesNo },
  { code: 0xa3, field: 'mmState', wireName: 'X-Mms-MM-State', codec: v.enumCodec(t.MM_STATES) },
  { code: 0xa4, field: 'mmFlags', wireName: 'X-Mms-MM-Flags', codec: v.mmFlags, multi: true },
  { code: 0xa5, field: 'storeStatus', wireName: 'X-Mms-Store-Status', codec: v.codedEnum(t.STORE_STATUS) },
  { code: 0xa6, field: 'storeStatusText', wireName: 'X-Mms-Store-Status-Text', codec: v.encodedString },
  { code: 0xa7, field: 'stored', wireName: 'X-Mms-Stored', codec: v.yesNo },
  { code: 0xa8, field: 'attributes', wireName: 'X-Mms-Attributes', codec: v.headerCode, multi: true },
  { code: 0xa9, field: 'totals', wireName: 'X-Mms-Totals', codec: v.yesNo },
  { code: 0xaa, field: 'mboxTotals', wireName: 'X-Mms-Mbox-Totals', codec: v.mboxCount, multi: true },
  { code: 0xab, field: 'quotas', wireName: 'X-Mms-Quotas', codec: v.yesNo },
  { code: 0xac, field: 'mboxQuotas', wireName: 'X-Mms-Mbox-Quotas', codec: v.mboxCount, multi: true },
  { code: 0xad, field: 'messageCount', wireName: 'X-Mms-Message-Count', codec: v.integer },
  { code: 0xae, field: 'content', wireName: 'Content', codec: v.raw },
  { code: 0xaf, field: 'start', wireName: 'X-Mms-Start', codec: v.integer },
  { code: 0xb0, field: 'additionalHeaders', wireName: 'Additional-headers', codec: v.raw },
  { code: 0xb1, field: 'distributionIndicator', wireName: 'X-Mms-Distribution-Indicator', codec: v.yesNo },
  { code: 0xb2, field: 'elementDescriptor', wireName: 'X-Mms-Element-Descriptor', codec: v.elementDescriptor, multi: true },
  { code: 0xb3, field: 'limit', wireName: 'X-Mms-Limit', codec: v.integer },
  { code: 0xb4, field: 'recommendedRetrievalMode', wireName: 'X-Mms-Recommended-Retrieval-Mode', codec: v.enumCodec(t.RETRIEVAL_MODES) },
  { code: 0xb5, field: 'recommendedRetrievalModeText', wireName: 'X-Mms-Recommended-Retrieval-Mode-Text', codec: v.encodedString },
  { code: 0xb6, field: 'statusText', wireName: 'X-Mms-Status-Text', codec: v.encodedString },
  { code: 0xb7, field: 'applicId', wireName: 'X-Mms-Applic-ID', codec: v.text },
  { code: 0xb8, field: 'replyApplicId', wireName: 'X-Mms-Reply-Applic-ID', codec: v.text },
  { code: 0xb9, field: 'auxApplicInfo', wireName: 'X-Mms-Aux-Applic-Info', codec: v.text },
  { code: 0xba, field: 'contentClass', wireName: 'X-Mms-Content-Class', codec: v.enumCodec(t.CONTENT_CLASSES) },
  { code: 0xbb, field: 'drmContent', wireName: 'X-Mms-DRM-Content', codec: v.yesNo },
  { code: 0xbc, field: 'adaptationAllowed', wireName: 'X-Mms-Adaptation-Allowed', codec: v.yesNo },
  { code: 0xbd, field: 'replaceId', wireName: 'X-Mms-Replace-ID', codec: v.text },
  { code: 0xbe, field: 'cancelId', wireName: 'X-Mms-Cancel-ID', codec: v.text },
  { code: 0xbf, field: 'cancelStatus', wireName: 'X-Mms-Cancel-Status', codec: v.enumCodec(t.CANCEL_STATUS) },
];

export const HEADER_BY_CODE: ReadonlyArray<HeaderDef | undefined> = (() => {
  const a: Array<HeaderDef | undefined> = new Array(256);
  for (const h of HEADERS) a[h.code] = h;
  return a;
})();

export const HEADER_BY_FIELD: ReadonlyMap<string, HeaderDef> = new Map(HEADERS.map((h) => [h.field, h]));

/**
 * Codes the codec treats specially. A const enum: tsc writes the numbers in place, where an object's
 * fields are a module-binding load, a TDZ check and a map check at every use in decode's header loop.
 */
export const enum H {
  contentType = 0x84,
  messageType = 0x8c,
  mmsVersion = 0x8d,
  transactionId = 0x98,
}
