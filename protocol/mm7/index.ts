export * from './types.js';
export { parseMm7Message, type Mm7ParseOptions } from './parse.js';
export {
  buildSubmitRsp,
  buildCancelRsp,
  buildReplaceRsp,
  buildVaspRsp,
  buildRSErrorRsp,
  buildSoapFault,
  buildDeliveryReportReq,
  buildReadReplyReq,
  buildDeliverReq,
  soapWithAttachments,
  type EnvelopeOptions,
  type StatusResponseOptions,
  type DeliveryReportReqOptions,
  type ReadReplyReqOptions,
  type DeliverReqOptions,
  type HttpBody,
} from './build.js';
export { MM7_STATUS, Mm7Status, mm7StatusText, isMm7Success, type Mm7StatusEntry, type Mm7StatusName } from './status.js';
export { SOAP_ENV_NS, SOAP12_ENV_NS, MM7_SCHEMA_BASE, MM7_SCHEMAS, DEFAULT_MM7_NAMESPACE, isMm7Namespace, mm7Schema, defaultVersionFor } from './namespaces.js';
export { parseXsDateTime, parseXsDuration, addDuration, parseMm7Time, formatXsDateTime, type XsDuration, type Mm7Time } from './datetime.js';
export {
  MimeError,
  DEFAULT_MIME_LIMITS,
  parseContentType,
  formatContentType,
  stripAngle,
  headerValue,
  parseHeaders,
  parseEntity,
  splitMultipart,
  decodeQuotedPrintable,
  serializeMultipart,
  type ContentType,
  type MimeHeader,
  type MimeEntity,
  type MimeLimits,
  type OutgoingPart,
} from './mime.js';
