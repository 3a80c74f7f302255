import { element, serializeXml, type XmlElement } from '../xml/index.js';
import { formatXsDateTime } from './datetime.js';
import { formatContentType, serializeMultipart } from './mime.js';
import { DEFAULT_MM7_NAMESPACE, SOAP_ENV_NS } from './namespaces.js';
import { mm7StatusText } from './status.js';
import type { Mm7Address, Mm7DeliveryStatus, Mm7ReadStatus, Mm7Recipients, Mm7StatusValue } from './types.js';

/**
 * Builders for the MM7 messages the MMSC sends. Every builder answers in the MM7 namespace given
 * (the one the VASP used, notes §6.2) with the operation under a default namespace declaration, so
 * children need no prefix; TransactionID is echoed in the SOAP header with mustUnderstand.
 */

export interface EnvelopeOptions {
  /** MM7 namespace to answer in; DEFAULT_MM7_NAMESPACE when the request named none. */
  namespace?: string;
  transactionId?: string;
  /** SOAP envelope namespace; SOAP 1.1 unless the request used another. */
  soapNs?: string;
}

type Child = XmlElement | undefined | false;

function leaf(name: string, value: string | undefined): XmlElement | undefined {
  return value === undefined ? undefined : element(name, {}, value);
}

function envelope(opts: EnvelopeOptions, body: XmlElement): string {
  const ns = opts.namespace || DEFAULT_MM7_NAMESPACE;
  body.attrs.unshift({ name: 'xmlns', prefix: '', local: 'xmlns', ns: '', value: ns });
  const header =
    opts.transactionId !== undefined
      ? element('env:Header', {}, [element('mm7:TransactionID', { 'xmlns:mm7': ns, 'env:mustUnderstand': '1' }, opts.transactionId)])
      : undefined;
  const env = element('env:Envelope', { 'xmlns:env': opts.soapNs || SOAP_ENV_NS }, [header, element('env:Body', {}, [body])]);
  return serializeXml(env, { declaration: true });
}

function statusElement(status: Mm7StatusValue): XmlElement {
  return element('Status', {}, [
    element('StatusCode', {}, String(status.code)),
    element('StatusText', {}, status.text ?? mm7StatusText(status.code)),
    status.details !== undefined && element('Details', {}, status.details),
  ]);
}

function addressElement(a: Mm7Address): XmlElement {
  return element(a.kind, a.displayOnly ? { displayOnly: 'true' } : {}, a.value);
}

function wrap(name: string, a: Mm7Address | undefined): XmlElement | undefined {
  return a && element(name, {}, [addressElement(a)]);
}

function recipientsElement(r: Mm7Recipients): XmlElement {
  const group = (name: string, list: Mm7Address[]): Child => list.length > 0 && element(name, {}, list.map(addressElement));
  return element('Recipients', {}, [group('To', r.to), group('Cc', r.cc), group('Bcc', r.bcc)]);
}

export interface StatusResponseOptions extends EnvelopeOptions {
  mm7Version: string;
  status: Mm7StatusValue;
}

/** SubmitRsp: MessageID only on success (TS 23.140 §8.7.2), used later in reports, cancel and replace. */
export function buildSubmitRsp(o: StatusResponseOptions & { messageId?: string }): string {
  return envelope(o, element('SubmitRsp', {}, [element('MM7Version', {}, o.mm7Version), statusElement(o.status), leaf('MessageID', o.messageId)]));
}

export function buildCancelRsp(o: StatusResponseOptions): string {
  return envelope(o, element('CancelRsp', {}, [element('MM7Version', {}, o.mm7Version), statusElement(o.status)]));
}

export function buildReplaceRsp(o: StatusResponseOptions): string {
  return envelope(o, element('ReplaceRsp', {}, [element('MM7Version', {}, o.mm7Version), statusElement(o.status)]));
}

/** Answers to our own DeliveryReportReq/ReadReplyReq/DeliverReq are the VASP's, but tests and the emulator need them too. */
export function buildVaspRsp(type: 'DeliverRsp' | 'DeliveryReportRsp' | 'ReadReplyRsp', o: StatusResponseOptions & { serviceCode?: string }): string {
  return envelope(o, element(type, {}, [element('MM7Version', {}, o.mm7Version), statusElement(o.status), type === 'DeliverRsp' && leaf('ServiceCode', o.serviceCode)]));
}

export function buildRSErrorRsp(o: StatusResponseOptions & { mmsRelayServerId?: string }): string {
  return envelope(o, rsError(o));
}

function rsError(o: StatusResponseOptions & { mmsRelayServerId?: string }): XmlElement {
  return element('RSErrorRsp', {}, [element('MM7Version', {}, o.mm7Version), leaf('MMSRelayServerID', o.mmsRelayServerId), statusElement(o.status)]);
}

/**
 * SOAP 1.1 Fault with an RSErrorRsp in `detail` (notes §6.1); send it with HTTP 500.
 * `faultcode` is Client for requests that are at fault, Server otherwise.
 */
export function buildSoapFault(o: StatusResponseOptions & { faultcode: 'Client' | 'Server'; faultstring: string; mmsRelayServerId?: string }): string {
  const ns = o.namespace || DEFAULT_MM7_NAMESPACE;
  const err = rsError(o);
  err.attrs.unshift({ name: 'xmlns', prefix: '', local: 'xmlns', ns: '', value: ns });
  const fault = element('env:Fault', {}, [
    element('faultcode', {}, `env:${o.faultcode}`),
    element('faultstring', {}, o.faultstring),
    element('detail', {}, [err]),
  ]);
  const header =
    o.transactionId !== undefined
      ? element('env:Header', {}, [element('mm7:TransactionID', { 'xmlns:mm7': ns, 'env:mustUnderstand': '1' }, o.transactionId)])
      : undefined;
  return serializeXml(element('env:Envelope', { 'xmlns:env': o.soapNs || SOAP_ENV_NS }, [header, element('env:Body', {}, [fault])]), { declaration: true });
}

export interface DeliveryReportReqOptions extends EnvelopeOptions {
  mm7Version: string;
  mmsRelayServerId?: string;
  messageId: string;
  recipient: Mm7Address;
  sender?: Mm7Address;
  date: Date;
  mmStatus: Mm7DeliveryStatus;
  statusText?: string;
}

export function buildDeliveryReportReq(o: DeliveryReportReqOptions): string {
  return envelope(
    o,
    element('DeliveryReportReq', {}, [
      element('MM7Version', {}, o.mm7Version),
      leaf('MMSRelayServerID', o.mmsRelayServerId),
      element('MessageID', {}, o.messageId),
      wrap('Recipient', o.recipient),
      wrap('Sender', o.sender),
      element('Date', {}, formatXsDateTime(o.date)),
      element('MMStatus', {}, o.mmStatus),
      leaf('StatusText', o.statusText),
    ]),
  );
}

export interface ReadReplyReqOptions extends EnvelopeOptions {
  mm7Version: string;
  mmsRelayServerId?: string;
  messageId: string;
  recipient: Mm7Address;
  sender?: Mm7Address;
  timeStamp: Date;
  mmStatus: Mm7ReadStatus;
  statusText?: string;
}

export function buildReadReplyReq(o: ReadReplyReqOptions): string {
  return envelope(
    o,
    element('ReadReplyReq', {}, [
      element('MM7Version', {}, o.mm7Version),
      leaf('MMSRelayServerID', o.mmsRelayServerId),
      element('MessageID', {}, o.messageId),
      wrap('Recipient', o.recipient),
      wrap('Sender', o.sender),
      element('TimeStamp', {}, formatXsDateTime(o.timeStamp)),
      element('MMStatus', {}, o.mmStatus),
      leaf('StatusText', o.statusText),
    ]),
  );
}

export interface DeliverReqOptions extends EnvelopeOptions {
  mm7Version: string;
  mmsRelayServerId?: string;
  linkedId?: string;
  sender: Mm7Address;
  recipients: Mm7Recipients;
  timeStamp?: Date;
  replyChargingId?: string;
  priority?: 'High' | 'Normal' | 'Low';
  subject?: string;
  /** The MM as one MIME entity: its Content-Type (with boundary when multipart) and encoded body. */
  content: { contentType: string; body: Buffer; contentId?: string };
  /** Boundary for the outer multipart/related; must not occur in the content. */
  boundary?: string;
}

export interface HttpBody {
  contentType: string;
  body: Buffer;
}

/** DeliverReq (MO MM to a VASP) as SOAP with attachments: envelope part, then the MM referenced by cid. */
export function buildDeliverReq(o: DeliverReqOptions): HttpBody {
  const contentId = o.content.contentId ?? 'mm-content';
  const xml = envelope(
    o,
    element('DeliverReq', {}, [
      element('MM7Version', {}, o.mm7Version),
      leaf('MMSRelayServerID', o.mmsRelayServerId),
      leaf('LinkedID', o.linkedId),
      wrap('Sender', o.sender),
      recipientsElement(o.recipients),
      o.timeStamp && element('TimeStamp', {}, formatXsDateTime(o.timeStamp)),
      leaf('ReplyChargingID', o.replyChargingId),
      leaf('Priority', o.priority),
      leaf('Subject', o.subject),
      element('Content', { href: `cid:${contentId}`, allowAdaptations: 'true' }, []),
    ]),
  );
  return soapWithAttachments(xml, { contentType: o.content.contentType, contentId, body: o.content.body }, o.boundary);
}

/**
 * Wraps an envelope and one MM into multipart/related (SOAP with Attachments): `type` and `start`
 * name the envelope part, as TS 23.140 §8 shows.
 */
export function soapWithAttachments(envelopeXml: string, mm: { contentType: string; contentId: string; body: Buffer }, boundary?: string): HttpBody {
  const envelopeId = 'mm7-envelope';
  const b = boundary ?? pickBoundary(mm.body);
  const body = serializeMultipart(
    [
      { headers: { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-ID': `<${envelopeId}>` }, body: Buffer.from(envelopeXml, 'utf8') },
      { headers: { 'Content-Type': mm.contentType, 'Content-ID': `<${mm.contentId}>`, 'Content-Transfer-Encoding': 'binary' }, body: mm.body },
    ],
    b,
  );
  return {
    contentType: formatContentType({ mediaType: 'multipart/related', params: { type: 'text/xml', start: `<${envelopeId}>`, boundary: b } }),
    body,
  };
}

/** A boundary absent from the content; deterministic so that output is reproducible. */
function pickBoundary(content: Buffer): string {
  for (let i = 0; ; i++) {
    const b = `----=_MM7_Part_${i}_${content.length}`;
    if (content.indexOf(b) < 0) return b;
  }
}
