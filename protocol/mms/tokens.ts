/** Value tables of OMA-MMS-ENC 1.3 section 7.3, in wire order (0x80 + index) or with explicit codes. */

export const MESSAGE_CLASSES = ['personal', 'advertisement', 'informational', 'auto'] as const;
export const PRIORITIES = ['low', 'normal', 'high'] as const;
export const SENDER_VISIBILITY = ['hide', 'show'] as const;
export const READ_STATUS = ['read', 'deleted-without-being-read'] as const;
export const REPLY_CHARGING = ['requested', 'requested-text-only', 'accepted', 'accepted-text-only'] as const;
export const MM_STATES = ['draft', 'sent', 'new', 'retrieved', 'forwarded'] as const;
export const RETRIEVAL_MODES = ['manual'] as const;
export const CONTENT_CLASSES = [
  'text', 'image-basic', 'image-rich', 'video-basic', 'video-rich', 'megapixel', 'content-basic', 'content-rich',
] as const;
export const CANCEL_STATUS = ['successfully-received', 'corrupted'] as const;

/** X-Mms-Status (7.3.54) */
export const STATUSES = [
  'expired', 'retrieved', 'rejected', 'deferred', 'unrecognised', 'indeterminate', 'forwarded', 'unreachable',
] as const;

/** X-Mms-Response-Status (7.3.48). E7 per Wireshark and Mbuni: AOSP's second E6 is a bug (notes 2.3). */
export const RESPONSE_STATUS = [
  [0x80, 'ok'],
  [0x81, 'error-unspecified'],
  [0x82, 'error-service-denied'],
  [0x83, 'error-message-format-corrupt'],
  [0x84, 'error-sending-address-unresolved'],
  [0x85, 'error-message-not-found'],
  [0x86, 'error-network-problem'],
  [0x87, 'error-content-not-accepted'],
  [0x88, 'error-unsupported-message'],
  [0xc0, 'error-transient-failure'],
  [0xc1, 'error-transient-sending-address-unresolved'],
  [0xc2, 'error-transient-message-not-found'],
  [0xc3, 'error-transient-network-problem'],
  [0xc4, 'error-transient-partial-success'],
  [0xe0, 'error-permanent-failure'],
  [0xe1, 'error-permanent-service-denied'],
  [0xe2, 'error-permanent-message-format-corrupt'],
  [0xe3, 'error-permanent-sending-address-unresolved'],
  [0xe4, 'error-permanent-message-not-found'],
  [0xe5, 'error-permanent-content-not-accepted'],
  [0xe6, 'error-permanent-reply-charging-limitations-not-met'],
  [0xe7, 'error-permanent-reply-charging-request-not-accepted'],
  [0xe8, 'error-permanent-reply-charging-forwarding-denied'],
  [0xe9, 'error-permanent-reply-charging-not-supported'],
  [0xea, 'error-permanent-address-hiding-not-supported'],
  [0xeb, 'error-permanent-lack-of-prepaid'],
] as const;

/** X-Mms-Retrieve-Status (7.3.50) */
export const RETRIEVE_STATUS = [
  [0x80, 'ok'],
  [0xc0, 'error-transient-failure'],
  [0xc1, 'error-transient-message-not-found'],
  [0xc2, 'error-transient-network-problem'],
  [0xe0, 'error-permanent-failure'],
  [0xe1, 'error-permanent-service-denied'],
  [0xe2, 'error-permanent-message-not-found'],
  [0xe3, 'error-permanent-content-unsupported'],
] as const;

/** X-Mms-Store-Status (7.3.58) */
export const STORE_STATUS = [
  [0x80, 'success'],
  [0xc0, 'error-transient-failure'],
  [0xc1, 'error-transient-network-problem'],
  [0xe0, 'error-permanent-failure'],
  [0xe1, 'error-permanent-service-denied'],
  [0xe2, 'error-permanent-message-format-corrupt'],
  [0xe3, 'error-permanent-message-not-found'],
  [0xe4, 'error-permanent-mmbox-full'],
] as const;

export type MessageClass = (typeof MESSAGE_CLASSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type Status = (typeof STATUSES)[number];
export type ReadStatus = (typeof READ_STATUS)[number];
export type ResponseStatus = (typeof RESPONSE_STATUS)[number][1];
export type RetrieveStatus = (typeof RETRIEVE_STATUS)[number][1];
export type StoreStatus = (typeof STORE_STATUS)[number][1];
export type ContentClass = (typeof CONTENT_CLASSES)[number];

/**
 * Receiver rule of ENC 1.3 7.3.48: an unknown transient code (C5-DF) means transient-failure, any
 * other unknown code permanent-failure.
 */
export function interpretResponseStatus(v: ResponseStatus | number): ResponseStatus {
  if (typeof v === 'string') return v;
  return v >= 0xc0 && v < 0xe0 ? 'error-transient-failure' : 'error-permanent-failure';
}
