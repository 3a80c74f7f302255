import {
  MANDATORY,
  MESSAGE_TYPES,
  type MessageTypeName,
  type MmsPdu,
} from '../../protocol/mms/index.js';
import type { Part } from '../../protocol/wsp/index.js';

/** Small deterministic PRNG so that a failing case can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, max: number): number => Math.floor(r() * max);

const WORDS = ['hello', 'Grüße', 'Привет', '你好', 'café', 'MMS', 'a b', 'x'.repeat(40), '日本語'];
const ADDRS = ['+15551234567/TYPE=PLMN', '+4915112345678/TYPE=PLMN', 'user@example.com', '10.0.0.1/TYPE=IPv4', '12345', 'Ärger <ä@example.de>'];
const text = (r: () => number): string => Array.from({ length: 1 + int(r, 3) }, () => pick(r, WORDS)).join(' ');
const ascii = (r: () => number, n = 12): string => Array.from({ length: 1 + int(r, n) }, () => String.fromCharCode(0x21 + int(r, 90))).join('').replace(/[\x7f]/g, 'x');

function parts(r: () => number): Part[] {
  return Array.from({ length: 1 + int(r, 4) }, (_, i) => {
    const kind = int(r, 4);
    const data = Buffer.alloc(int(r, 300));
    for (let j = 0; j < data.length; j++) data[j] = int(r, 256);
    const p: Part =
      kind === 0
        ? { contentType: { type: 'text/plain', params: { charset: 'utf-8', name: `t${i}.txt` } }, data: Buffer.from(text(r)) }
        : kind === 1
          ? { contentType: { type: 'image/jpeg', params: { name: `i${i}.jpg` } }, data }
          : kind === 2
            ? { contentType: { type: 'application/smil', params: {} }, data: Buffer.from('<smil/>') }
            : { contentType: { type: 'audio/amr', params: {} }, data };
    if (r() < 0.8) p.contentId = `<c${i}>`;
    if (r() < 0.8) p.contentLocation = `part${i}.bin`;
    if (r() < 0.2) p.contentDisposition = { type: 'attachment', params: { filename: `f${i}` } };
    return p;
  });
}

/** Fills a value for any field, valid for its codec. */
function value(r: () => number, field: string): unknown {
  switch (field) {
    case 'transactionId':
    case 'messageId':
    case 'replyChargingId':
    case 'applicId':
    case 'replyApplicId':
    case 'auxApplicInfo':
    case 'replaceId':
    case 'cancelId':
      return ascii(r, 30);
    case 'contentLocation':
      return `http://mmsc.example.net/m/${ascii(r, 20).replace(/[^A-Za-z0-9]/g, 'a')}`;
    case 'from':
      return r() < 0.3 ? '<insert-address-token>' : pick(r, ADDRS);
    case 'to':
    case 'cc':
    case 'bcc':
      return Array.from({ length: 1 + int(r, 3) }, () => pick(r, ADDRS));
    case 'subject':
    case 'responseText':
    case 'retrieveText':
    case 'statusText':
    case 'storeStatusText':
      return text(r);
    case 'date':
      return 1_600_000_000 + int(r, 100_000_000);
    case 'messageSize':
    case 'replyChargingSize':
      return int(r, 2_000_000);
    case 'expiry':
    case 'deliveryTime':
    case 'replyChargingDeadline':
      return r() < 0.5 ? { kind: 'relative', value: int(r, 1_000_000) } : { kind: 'absolute', value: 1_600_000_000 + int(r, 1e8) };
    case 'messageClass':
      return pick(r, ['personal', 'advertisement', 'informational', 'auto']);
    case 'priority':
      return pick(r, ['low', 'normal', 'high']);
    case 'status':
      return pick(r, ['expired', 'retrieved', 'rejected', 'deferred', 'unrecognised', 'indeterminate', 'forwarded', 'unreachable']);
    case 'responseStatus':
      return pick(r, ['ok', 'error-permanent-service-denied', 'error-transient-failure', 'error-permanent-message-format-corrupt']);
    case 'retrieveStatus':
      return pick(r, ['ok', 'error-permanent-message-not-found']);
    case 'storeStatus':
      return pick(r, ['success', 'error-permanent-mmbox-full']);
    case 'readStatus':
      return pick(r, ['read', 'deleted-without-being-read']);
    case 'cancelId':
      return ascii(r);
    case 'contentType':
      return { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<c0>' } };
    default:
      return undefined;
  }
}

const OPTIONAL_BY_TYPE: Partial<Record<MessageTypeName, string[]>> = {
  'm-send-req': ['to', 'cc', 'bcc', 'subject', 'date', 'messageClass', 'expiry', 'deliveryTime', 'priority', 'deliveryReport', 'readReport'],
  'm-send-conf': ['messageId', 'responseText', 'contentLocation'],
  'm-notification-ind': ['from', 'subject', 'deliveryReport', 'priority'],
  'm-retrieve-conf': ['transactionId', 'messageId', 'from', 'to', 'cc', 'subject', 'messageClass', 'priority', 'deliveryReport', 'readReport'],
  'm-delivery-ind': ['statusText'],
  'm-acknowledge-ind': ['reportAllowed'],
  'm-notifyresp-ind': ['reportAllowed'],
  'm-read-rec-ind': ['date'],
  'm-forward-req': ['to', 'date', 'expiry', 'deliveryReport', 'readReport'],
};

/** A random valid PDU of the given type: its mandatory fields plus some optional ones. */
export function randomPdu(r: () => number, type: MessageTypeName = pick(r, MESSAGE_TYPES)): MmsPdu {
  const pdu: Record<string, unknown> = { type, mmsVersion: pick(r, ['1.0', '1.1', '1.2', '1.3']) };
  for (const f of MANDATORY[type]) pdu[f] = value(r, f) ?? (f === 'contentType' ? undefined : ascii(r));
  for (const f of OPTIONAL_BY_TYPE[type] ?? []) {
    if (r() < 0.5) continue;
    const v = value(r, f);
    pdu[f] = v ?? (r() < 0.5);
  }
  if (pdu.contentType) pdu.parts = parts(r);
  if (r() < 0.2) pdu.unknownHeaders = [{ name: 'X-Custom-Header', value: ascii(r) }];
  return pdu as unknown as MmsPdu;
}
