import { childNamed, childrenNamed, attrValue, parseXml, XmlError, type XmlElement, type XmlParseOptions } from '../xml/index.js';
import { parseMm7Time, parseXsDateTime, type Mm7Time } from './datetime.js';
import { MimeError, parseContentType, parseEntity, stripAngle, type MimeEntity, type MimeLimits } from './mime.js';
import { isMm7Namespace } from './namespaces.js';
import { Mm7Status } from './status.js';
import {
  Mm7Error,
  type CancelReq,
  type DeliverReq,
  type DeliveryReportReq,
  type Mm7Address,
  type Mm7ContentRef,
  type Mm7Message,
  type Mm7Operation,
  type Mm7Recipients,
  type Mm7Response,
  type Mm7ResponseType,
  type ReadReplyReq,
  type ReplaceReq,
  type SoapFault,
  type SubmitReq,
} from './types.js';

export interface Mm7ParseOptions {
  /** Reference time for relative (xs:duration) values; defaults to the current time. */
  now?: Date;
  xml?: XmlParseOptions;
  mime?: Partial<MimeLimits>;
}

/**
 * Parses an MM7 HTTP request or response body: SOAP with attachments (multipart/related, the
 * envelope found by `start`, else by `type`, else first) or a bare SOAP envelope. Elements are
 * matched by local name, case-insensitively, in any namespace: VASPs send the operation prefixed,
 * unprefixed under a default namespace, and with unqualified children. Throws Mm7Error carrying the
 * status code to answer with.
 */
export function parseMm7Message(contentType: string | undefined, body: Buffer, options: Mm7ParseOptions = {}): Mm7Message {
  const ct = parseContentType(contentType ?? 'text/xml');
  let envelopeBytes: Buffer = body;
  let attachments: MimeEntity[] = [];
  if (ct.mediaType.startsWith('multipart/')) {
    let top: MimeEntity;
    try {
      top = parseEntity([{ name: 'content-type', value: contentType! }], body, 0, options.mime);
    } catch (e) {
      if (e instanceof MimeError) throw new Mm7Error(Mm7Status.MessageFormatCorrupt, `malformed multipart: ${e.message}`);
      throw e;
    }
    const parts = top.parts ?? [];
    const start = ct.params['start'] ? stripAngle(ct.params['start']) : undefined;
    const soapType = (ct.params['type'] ?? '').toLowerCase();
    const root =
      (start ? parts.find((p) => p.contentId === start) : undefined) ??
      (soapType ? parts.find((p) => p.contentType.mediaType === soapType) : undefined) ??
      parts[0];
    if (!root) throw new Mm7Error(Mm7Status.MessageFormatCorrupt, 'multipart request without parts');
    envelopeBytes = root.body;
    attachments = parts.filter((p) => p !== root);
  }

  let doc: XmlElement;
  try {
    doc = parseXml(envelopeBytes, { lenient: true, ...options.xml });
  } catch (e) {
    if (e instanceof XmlError) throw new Mm7Error(Mm7Status.MessageFormatCorrupt, `malformed SOAP envelope: ${e.message}`);
    throw e;
  }
  if (doc.local !== 'Envelope') throw new Mm7Error(Mm7Status.ValidationError, `root element is <${doc.name}>, not a SOAP Envelope`);
  const soapNs = doc.ns;
  const tidEl = find(find(doc, 'Header'), 'TransactionID');
  const transactionId = tidEl?.text.trim();
  const bodyEl = find(doc, 'Body');
  const opEl = bodyEl?.children[0];
  const namespace = opEl && isMm7Namespace(opEl.ns) ? opEl.ns : (tidEl?.ns ?? opEl?.ns ?? '');
  const context = { namespace, soapNs, ...(transactionId !== undefined ? { transactionId } : {}) };
  if (!opEl) throw new Mm7Error(Mm7Status.ValidationError, 'SOAP Body is missing or empty', context);

  const now = options.now ?? new Date();
  let operation: Mm7Operation;
  try {
    operation = readOperation(opEl, now);
  } catch (e) {
    if (e instanceof Mm7Error) throw new Mm7Error(e.statusCode, e.message, context);
    throw e;
  }
  const msg: Mm7Message = { soapNs, namespace, operation, attachments };
  if (transactionId !== undefined) msg.transactionId = transactionId;
  const ref = 'content' in operation ? operation.content : undefined;
  if (ref || ((operation.type === 'SubmitReq' || operation.type === 'DeliverReq' || operation.type === 'ReplaceReq') && attachments.length > 0)) {
    const found = resolveContent(ref?.href, attachments);
    if (found) {
      msg.content = found.part;
      msg.contentMatchedBy = found.by;
    } else if (ref) {
      throw new Mm7Error(Mm7Status.ValidationError, `Content href "${ref.href}" matches no attachment`, context);
    }
  }
  return msg;
}

/**
 * Content href resolution: `cid:` URLs (RFC 2392, percent-encoded) against Content-ID, anything else
 * against Content-Location (whole, then its last path segment), then a bare id against Content-ID.
 * A single attachment is taken when the href names nothing: VASP kits get the href wrong more often
 * than they send two MMs.
 */
function resolveContent(href: string | undefined, parts: readonly MimeEntity[]): { part: MimeEntity; by: 'cid' | 'location' | 'only-attachment' } | undefined {
  if (href !== undefined) {
    const h = href.trim();
    if (/^cid:/i.test(h)) {
      let id = h.slice(4);
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep it as written
      }
      id = stripAngle(id);
      const p = parts.find((x) => x.contentId === id);
      if (p) return { part: p, by: 'cid' };
    } else {
      const base = h.slice(h.lastIndexOf('/') + 1);
      const p =
        parts.find((x) => x.contentLocation === h) ??
        parts.find((x) => x.contentLocation !== undefined && x.contentLocation.slice(x.contentLocation.lastIndexOf('/') + 1) === base);
      if (p) return { part: p, by: 'location' };
      const q = parts.find((x) => x.contentId === stripAngle(h));
      if (q) return { part: q, by: 'cid' };
    }
  }
  return parts.length === 1 ? { part: parts[0]!, by: 'only-attachment' } : undefined;
}

function find(el: XmlElement | undefined, local: string): XmlElement | undefined {
  return el ? childNamed(el, local, true) : undefined;
}

function text(el: XmlElement, local: string): string | undefined {
  const c = childNamed(el, local, true);
  return c ? c.text.trim() : undefined;
}

function required(el: XmlElement, local: string): string {
  const v = text(el, local);
  if (v === undefined || v === '') throw new Mm7Error(Mm7Status.ValidationError, `${el.local} without ${local}`);
  return v;
}

function bool(el: XmlElement, local: string): boolean | undefined {
  const v = text(el, local);
  if (v === undefined) return undefined;
  return parseBool(v, local);
}

/** xs:boolean, plus `True`/`False` which VASP kits send (notes §6.3). */
function parseBool(v: string, what: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  throw new Mm7Error(Mm7Status.ValidationError, `${what} is not a boolean: "${v}"`);
}

function dateTime(el: XmlElement, local: string): Date | undefined {
  const v = text(el, local);
  if (v === undefined || v === '') return undefined;
  const d = parseXsDateTime(v);
  if (!d) throw new Mm7Error(Mm7Status.ValidationError, `${local} is not an xs:dateTime: "${v}"`);
  return d;
}

function time(el: XmlElement, local: string, now: Date): Mm7Time | undefined {
  const v = text(el, local);
  if (v === undefined || v === '') return undefined;
  return timeValue(v, local, now);
}

function timeValue(v: string, what: string, now: Date): Mm7Time {
  const t = parseMm7Time(v, now);
  if (!t) throw new Mm7Error(Mm7Status.ValidationError, `${what} is neither xs:dateTime nor xs:duration: "${v}"`);
  return t;
}

const ADDRESS_KINDS: readonly Mm7Address['kind'][] = ['Number', 'ShortCode', 'RFC2822Address'];

function addressKind(local: string): Mm7Address['kind'] | undefined {
  const l = local.toLowerCase();
  return ADDRESS_KINDS.find((k) => k.toLowerCase() === l);
}

function addressesIn(el: XmlElement): Mm7Address[] {
  const out: Mm7Address[] = [];
  for (const c of el.children) {
    const kind = addressKind(c.local);
    if (!kind) continue;
    const value = c.text.trim();
    if (value === '') throw new Mm7Error(Mm7Status.AddressError, `empty ${c.local} in ${el.local}`);
    const a: Mm7Address = { kind, value };
    const d = attrValue(c, 'displayOnly', undefined, true);
    if (d !== undefined) a.displayOnly = parseBool(d, 'displayOnly');
    out.push(a);
  }
  return out;
}

/**
 * One address in a wrapper element (SenderAddress, Sender, Recipient). Early REL-5 senders put the
 * bare address as text; its kind is guessed from its shape.
 */
function address(el: XmlElement | undefined): Mm7Address | undefined {
  if (!el) return undefined;
  const [first] = addressesIn(el);
  if (first) return first;
  const v = el.text.trim();
  if (v === '') return undefined;
  if (v.includes('@')) return { kind: 'RFC2822Address', value: v };
  return { kind: /^\+|^\d{9,}$/.test(v) ? 'Number' : 'ShortCode', value: v };
}

function recipients(el: XmlElement | undefined): Mm7Recipients {
  const r: Mm7Recipients = { to: [], cc: [], bcc: [] };
  if (!el) return r;
  for (const [key, local] of [['to', 'To'], ['cc', 'Cc'], ['bcc', 'Bcc']] as const) {
    for (const group of childrenNamed(el, local, true)) r[key].push(...addressesIn(group));
  }
  return r;
}

function content(el: XmlElement): Mm7ContentRef | undefined {
  const c = childNamed(el, 'Content', true);
  if (!c) return undefined;
  const href = attrValue(c, 'href', undefined, true);
  if (href === undefined) throw new Mm7Error(Mm7Status.ValidationError, 'Content without href');
  const ref: Mm7ContentRef = { href };
  const allow = attrValue(c, 'allowAdaptations', undefined, true);
  if (allow !== undefined) ref.allowAdaptations = parseBool(allow, 'allowAdaptations');
  return ref;
}

/** Copies defined values only, so that parsed objects compare cleanly and serialize without `undefined`. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const RESPONSES: readonly Mm7ResponseType[] = ['SubmitRsp', 'DeliverRsp', 'CancelRsp', 'ReplaceRsp', 'DeliveryReportRsp', 'ReadReplyRsp', 'RSErrorRsp', 'VASPErrorRsp'];

function readOperation(op: XmlElement, now: Date): Mm7Operation {
  const name = op.local;
  const version = text(op, 'MM7Version') ?? '';
  switch (name.toLowerCase()) {
    case 'submitreq':
      return readSubmit(op, version, now);
    case 'deliverreq':
      return defined<DeliverReq>({
        type: 'DeliverReq',
        mm7Version: version,
        mmsRelayServerId: text(op, 'MMSRelayServerID'),
        vaspId: text(op, 'VASPID'),
        vasId: text(op, 'VASID'),
        linkedId: text(op, 'LinkedID'),
        sender: address(childNamed(op, 'Sender', true)),
        recipients: recipients(childNamed(op, 'Recipients', true)),
        timeStamp: dateTime(op, 'TimeStamp'),
        replyChargingId: text(op, 'ReplyChargingID'),
        priority: text(op, 'Priority'),
        subject: text(op, 'Subject'),
        content: content(op),
      });
    case 'cancelreq': {
      const sid = childNamed(op, 'SenderIdentification', true);
      return defined<CancelReq>({
        type: 'CancelReq',
        mm7Version: version,
        vaspId: sid ? text(sid, 'VASPID') : undefined,
        vasId: sid ? text(sid, 'VASID') : undefined,
        senderAddress: sid ? address(childNamed(sid, 'SenderAddress', true)) : undefined,
        messageId: required(op, 'MessageID'),
      });
    }
    case 'replacereq': {
      const sid = childNamed(op, 'SenderIdentification', true);
      return defined<ReplaceReq>({
        type: 'ReplaceReq',
        mm7Version: version,
        vaspId: sid ? text(sid, 'VASPID') : undefined,
        vasId: sid ? text(sid, 'VASID') : undefined,
        messageId: required(op, 'MessageID'),
        serviceCode: text(op, 'ServiceCode'),
        timeStamp: dateTime(op, 'TimeStamp'),
        readReply: bool(op, 'ReadReply'),
        earliestDeliveryTime: time(op, 'EarliestDeliveryTime', now),
        distributionIndicator: bool(op, 'DistributionIndicator'),
        content: content(op),
      });
    }
    case 'deliveryreportreq':
      return defined<DeliveryReportReq>({
        type: 'DeliveryReportReq',
        mm7Version: version,
        mmsRelayServerId: text(op, 'MMSRelayServerID'),
        messageId: required(op, 'MessageID'),
        recipient: address(childNamed(op, 'Recipient', true)),
        sender: address(childNamed(op, 'Sender', true)),
        date: dateTime(op, 'Date'),
        mmStatus: required(op, 'MMStatus'),
        statusText: text(op, 'StatusText'),
      });
    case 'readreplyreq':
      return defined<ReadReplyReq>({
        type: 'ReadReplyReq',
        mm7Version: version,
        mmsRelayServerId: text(op, 'MMSRelayServerID'),
        messageId: required(op, 'MessageID'),
        recipient: address(childNamed(op, 'Recipient', true)),
        sender: address(childNamed(op, 'Sender', true)),
        timeStamp: dateTime(op, 'TimeStamp'),
        mmStatus: required(op, 'MMStatus'),
        statusText: text(op, 'StatusText'),
      });
    case 'fault':
      return readFault(op);
  }
  const rsp = RESPONSES.find((r) => r.toLowerCase() === name.toLowerCase());
  if (rsp) return readResponse(op, rsp);
  throw new Mm7Error(Mm7Status.UnsupportedOperation, `unsupported operation ${name}`);
}

function readSubmit(op: XmlElement, version: string, now: Date): SubmitReq {
  const sid = childNamed(op, 'SenderIdentification', true);
  const rc = childNamed(op, 'ReplyCharging', true);
  let replyCharging: SubmitReq['replyCharging'];
  if (rc) {
    replyCharging = {};
    const size = attrValue(rc, 'replyChargingSize', undefined, true);
    if (size !== undefined) {
      if (!/^\d+$/.test(size.trim())) throw new Mm7Error(Mm7Status.ValidationError, `replyChargingSize is not a number: "${size}"`);
      replyCharging.size = Number(size);
    }
    const deadline = attrValue(rc, 'replyDeadline', undefined, true);
    if (deadline !== undefined) replyCharging.deadline = timeValue(deadline, 'replyDeadline', now);
  }
  const chargedPartyId = text(op, 'ChargedPartyID');
  const req = defined<SubmitReq>({
    type: 'SubmitReq',
    mm7Version: version,
    vaspId: sid ? text(sid, 'VASPID') : undefined,
    vasId: sid ? text(sid, 'VASID') : undefined,
    senderAddress: sid ? address(childNamed(sid, 'SenderAddress', true)) : undefined,
    recipients: recipients(childNamed(op, 'Recipients', true)),
    serviceCode: text(op, 'ServiceCode'),
    linkedId: text(op, 'LinkedID'),
    messageClass: text(op, 'MessageClass'),
    timeStamp: dateTime(op, 'TimeStamp'),
    replyCharging,
    earliestDeliveryTime: time(op, 'EarliestDeliveryTime', now),
    expiryDate: time(op, 'ExpiryDate', now),
    deliveryReport: bool(op, 'DeliveryReport'),
    readReply: bool(op, 'ReadReply'),
    priority: text(op, 'Priority'),
    subject: text(op, 'Subject'),
    chargedParty: text(op, 'ChargedParty'),
    chargedPartyId,
    distributionIndicator: bool(op, 'DistributionIndicator'),
    contentClass: text(op, 'ContentClass'),
    drmContent: bool(op, 'DRMContent'),
    content: content(op),
  });
  const { to, cc, bcc } = req.recipients;
  if (to.length + cc.length + bcc.length === 0) throw new Mm7Error(Mm7Status.AddressError, 'SubmitReq without recipients');
  return req;
}

function readStatus(el: XmlElement | undefined): Mm7Response['status'] {
  if (!el) throw new Mm7Error(Mm7Status.ValidationError, 'response without Status');
  const code = text(el, 'StatusCode') ?? '';
  if (!/^\d{4}$/.test(code)) throw new Mm7Error(Mm7Status.ValidationError, `StatusCode is not a status code: "${code}"`);
  return defined({ code: Number(code), text: text(el, 'StatusText'), details: childNamed(el, 'Details', true)?.text.trim() });
}

function readResponse(op: XmlElement, type: Mm7ResponseType): Mm7Response {
  return defined<Mm7Response>({
    type,
    mm7Version: text(op, 'MM7Version') ?? '',
    mmsRelayServerId: text(op, 'MMSRelayServerID'),
    status: readStatus(childNamed(op, 'Status', true)),
    messageId: text(op, 'MessageID'),
    serviceCode: text(op, 'ServiceCode'),
  });
}

function readFault(op: XmlElement): SoapFault {
  const fault: SoapFault = { type: 'Fault', faultcode: text(op, 'faultcode') ?? '', faultstring: text(op, 'faultstring') ?? '' };
  const detail = childNamed(op, 'detail', true);
  const err = detail?.children.find((c) => /^(RSErrorRsp|VASPErrorRsp)$/i.test(c.local));
  if (err) fault.error = readResponse(err, err.local.toLowerCase() === 'rserrorrsp' ? 'RSErrorRsp' : 'VASPErrorRsp');
  return fault;
}
