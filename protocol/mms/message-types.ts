/** X-Mms-Message-Type values (OMA-MMS-ENC 1.3 7.3.30), code 0x80 + index. */
export const MESSAGE_TYPES = [
  'm-send-req', 'm-send-conf', 'm-notification-ind', 'm-notifyresp-ind', 'm-retrieve-conf',
  'm-acknowledge-ind', 'm-delivery-ind', 'm-read-rec-ind', 'm-read-orig-ind', 'm-forward-req',
  'm-forward-conf', 'm-mbox-store-req', 'm-mbox-store-conf', 'm-mbox-view-req', 'm-mbox-view-conf',
  'm-mbox-upload-req', 'm-mbox-upload-conf', 'm-mbox-delete-req', 'm-mbox-delete-conf', 'm-mbox-descr',
  'm-delete-req', 'm-delete-conf', 'm-cancel-req', 'm-cancel-conf',
] as const;

export type MessageTypeName = (typeof MESSAGE_TYPES)[number];

export function messageTypeCode(name: MessageTypeName): number {
  return 0x80 + MESSAGE_TYPES.indexOf(name);
}

export function messageTypeName(code: number): MessageTypeName | undefined {
  return MESSAGE_TYPES[code - 0x80];
}
