/** A PDU being decoded: any header field, any value (the codecs give each its type). */
export type HeaderFields = {
  [F in
    | 'bcc' | 'cc' | 'contentLocation' | 'contentType' | 'date' | 'deliveryReport' | 'deliveryTime' | 'expiry'
    | 'from' | 'messageClass' | 'messageId' | 'type' | 'mmsVersion' | 'messageSize' | 'priority' | 'readReport'
    | 'reportAllowed' | 'responseStatus' | 'responseText' | 'senderVisibility' | 'status' | 'subject' | 'to'
    | 'transactionId' | 'retrieveStatus' | 'retrieveText' | 'readStatus' | 'replyCharging'
    | 'replyChargingDeadline' | 'replyChargingId' | 'replyChargingSize' | 'previouslySentBy'
    | 'previouslySentDate' | 'store' | 'mmState' | 'mmFlags' | 'storeStatus' | 'storeStatusText' | 'stored'
    | 'attributes' | 'totals' | 'mboxTotals' | 'quotas' | 'mboxQuotas' | 'messageCount' | 'content' | 'start'
    | 'additionalHeaders' | 'distributionIndicator' | 'elementDescriptor' | 'limit'
    | 'recommendedRetrievalMode' | 'recommendedRetrievalModeText' | 'statusText' | 'applicId' | 'replyApplicId'
    | 'auxApplicInfo' | 'contentClass' | 'drmContent' | 'adaptationAllowed' | 'replaceId' | 'cancelId'
    | 'cancelStatus']?: any;
};

/**
 * Stores a decoded header value under its PDU field: a `switch` of named stores rather than
 * `pdu[def.field] = value`. A keyed store whose key varies is megamorphic in V8 and costs several
 * times a named store on decode's hot path; each named store below sees only a few PDU shapes.
 * Returns false, storing nothing, when a single-valued field is already set (the caller reports
 * the repetition). Mirrors HEADERS row for row; test/protocol/mms.test.ts checks every row.
 */
export function assignHeader(pdu: HeaderFields, code: number, value: unknown): boolean {
  switch (code) {
    case 0x81:
      if (pdu.bcc === undefined) pdu.bcc = [value];
      else pdu.bcc.push(value);
      return true;
    case 0x82:
      if (pdu.cc === undefined) pdu.cc = [value];
      else pdu.cc.push(value);
      return true;
    case 0x83:
      if (pdu.contentLocation !== undefined) return false;
      pdu.contentLocation = value;
      return true;
    case 0x84:
      if (pdu.contentType !== undefined) return false;
      pdu.contentType = value;
      return true;
    case 0x85:
      if (pdu.date !== undefined) return false;
      pdu.date = value;
      return true;
    case 0x86:
      if (pdu.deliveryReport !== undefined) return false;
      pdu.deliveryReport = value;
      return true;
    case 0x87:
      if (pdu.deliveryTime !== undefined) return false;
      pdu.deliveryTime = value;
      return true;
    case 0x88:
      if (pdu.expiry !== undefined) return false;
      pdu.expiry = value;
      return true;
    case 0x89:
      if (pdu.from !== undefined) return false;
      pdu.from = value;
      return true;
    case 0x8a:
      if (pdu.messageClass !== undefined) return false;
      pdu.messageClass = value;
      return true;
    case 0x8b:
      if (pdu.messageId !== undefined) return false;
      pdu.messageId = value;
      return true;
    case 0x8c:
      if (pdu.type !== undefined) return false;
      pdu.type = value;
      return true;
    case 0x8d:
      if (pdu.mmsVersion !== undefined) return false;
      pdu.mmsVersion = value;
      return true;
    case 0x8e:
      if (pdu.messageSize !== undefined) return false;
      pdu.messageSize = value;
      return true;
    case 0x8f:
      if (pdu.priority !== undefined) return false;
      pdu.priority = value;
      return true;
    case 0x90:
      if (pdu.readReport !== undefined) return false;
      pdu.readReport = value;
      return true;
    case 0x91:
      if (pdu.reportAllowed !== undefined) return false;
      pdu.reportAllowed = value;
      return true;
    case 0x92:
      if (pdu.responseStatus !== undefined) return false;
      pdu.responseStatus = value;
      return true;
    case 0x93:
      if (pdu.responseText !== undefined) return false;
      pdu.responseText = value;
      return true;
    case 0x94:
      if (pdu.senderVisibility !== undefined) return false;
      pdu.senderVisibility = value;
      return true;
    case 0x95:
      if (pdu.status !== undefined) return false;
      pdu.status = value;
      return true;
    case 0x96:
      if (pdu.subject !== undefined) return false;
      pdu.subject = value;
      return true;
    case 0x97:
      if (pdu.to === undefined) pdu.to = [value];
      else pdu.to.push(value);
      return true;
    case 0x98:
      if (pdu.transactionId !== undefined) return false;
      pdu.transactionId = value;
      return true;
    case 0x99:
      if (pdu.retrieveStatus !== undefined) return false;
      pdu.retrieveStatus = value;
      return true;
    case 0x9a:
      if (pdu.retrieveText !== undefined) return false;
      pdu.retrieveText = value;
      return true;
    case 0x9b:
      if (pdu.readStatus !== undefined) return false;
      pdu.readStatus = value;
      return true;
    case 0x9c:
      if (pdu.replyCharging !== undefined) return false;
      pdu.replyCharging = value;
      return true;
    case 0x9d:
      if (pdu.replyChargingDeadline !== undefined) return false;
      pdu.replyChargingDeadline = value;
      return true;
    case 0x9e:
      if (pdu.replyChargingId !== undefined) return false;
      pdu.replyChargingId = value;
      return true;
    case 0x9f:
      if (pdu.replyChargingSize !== undefined) return false;
      pdu.replyChargingSize = value;
      return true;
    case 0xa0:
      if (pdu.previouslySentBy === undefined) pdu.previouslySentBy = [value];
      else pdu.previouslySentBy.push(value);
      return true;
    case 0xa1:
      if (pdu.previouslySentDate === undefined) pdu.previouslySentDate = [value];
      else pdu.previouslySentDate.push(value);
      return true;
    case 0xa2:
      if (pdu.store !== undefined) return false;
      pdu.store = value;
      return true;
    case 0xa3:
      if (pdu.mmState !== undefined) return false;
      pdu.mmState = value;
      return true;
    case 0xa4:
      if (pdu.mmFlags === undefined) pdu.mmFlags = [value];
      else pdu.mmFlags.push(value);
      return true;
    case 0xa5:
      if (pdu.storeStatus !== undefined) return false;
      pdu.storeStatus = value;
      return true;
    case 0xa6:
      if (pdu.storeStatusText !== undefined) return false;
      pdu.storeStatusText = value;
      return true;
    case 0xa7:
      if (pdu.stored !== undefined) return false;
      pdu.stored = value;
      return true;
    case 0xa8:
      if (pdu.attributes === undefined) pdu.attributes = [value];
      else pdu.attributes.push(value);
      return true;
    case 0xa9:
      if (pdu.totals !== undefined) return false;
      pdu.totals = value;
      return true;
    case 0xaa:
      if (pdu.mboxTotals === undefined) pdu.mboxTotals = [value];
      else pdu.mboxTotals.push(value);
      return true;
    case 0xab:
      if (pdu.quotas !== undefined) return false;
      pdu.quotas = value;
      return true;
    case 0xac:
      if (pdu.mboxQuotas === undefined) pdu.mboxQuotas = [value];
      else pdu.mboxQuotas.push(value);
      return true;
    case 0xad:
      if (pdu.messageCount !== undefined) return false;
      pdu.messageCount = value;
      return true;
    case 0xae:
      if (pdu.content !== undefined) return false;
      pdu.content = value;
      return true;
    case 0xaf:
      if (pdu.start !== undefined) return false;
      pdu.start = value;
      return true;
    case 0xb0:
      if (pdu.additionalHeaders !== undefined) return false;
      pdu.additionalHeaders = value;
      return true;
    case 0xb1:
      if (pdu.distributionIndicator !== undefined) return false;
      pdu.distributionIndicator = value;
      return true;
    case 0xb2:
      if (pdu.elementDescriptor === undefined) pdu.elementDescriptor = [value];
      else pdu.elementDescriptor.push(value);
      return true;
    case 0xb3:
      if (pdu.limit !== undefined) return false;
      pdu.limit = value;
      return true;
    case 0xb4:
      if (pdu.recommendedRetrievalMode !== undefined) return false;
      pdu.recommendedRetrievalMode = value;
      return true;
    case 0xb5:
      if (pdu.recommendedRetrievalModeText !== undefined) return false;
      pdu.recommendedRetrievalModeText = value;
      return true;
    case 0xb6:
      if (pdu.statusText !== undefined) return false;
      pdu.statusText = value;
      return true;
    case 0xb7:
      if (pdu.applicId !== undefined) return false;
      pdu.applicId = value;
      return true;
    case 0xb8:
      if (pdu.replyApplicId !== undefined) return false;
      pdu.replyApplicId = value;
      return true;
    case 0xb9:
      if (pdu.auxApplicInfo !== undefined) return false;
      pdu.auxApplicInfo = value;
      return true;
    case 0xba:
      if (pdu.contentClass !== undefined) return false;
      pdu.contentClass = value;
      return true;
    case 0xbb:
      if (pdu.drmContent !== undefined) return false;
      pdu.drmContent = value;
      return true;
    case 0xbc:
      if (pdu.adaptationAllowed !== undefined) return false;
      pdu.adaptationAllowed = value;
      return true;
    case 0xbd:
      if (pdu.replaceId !== undefined) return false;
      pdu.replaceId = value;
      return true;
    case 0xbe:
      if (pdu.cancelId !== undefined) return false;
      pdu.cancelId = value;
      return true;
    case 0xbf:
      if (pdu.cancelStatus !== undefined) return false;
      pdu.cancelStatus = value;
      return true;
    default:
      return false;
  }
}
