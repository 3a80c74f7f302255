import { EncodeError, WspWriter, writeMultipart } from '../wsp/index.js';
import { HEADERS, H } from './headers.js';
import { messageTypeCode } from './message-types.js';
import { missingMandatory, type MmsPdu } from './pdu.js';

const SKIP = new Set<number>([H.messageType, H.transactionId, H.mmsVersion, H.contentType]);
const BODY_HEADERS = HEADERS.filter((h) => !SKIP.has(h.code));

/**
 * Encodes a PDU: Message-Type, Transaction-ID, MMS-Version first, Content-Type last with the body
 * after it (ENC 1.3 section 6). Refuses a PDU that strict decoding would refuse, so that nothing we
 * emit is dropped by a strict client. Part data is copied once, into a buffer of the final size.
 */
export function encode(pdu: MmsPdu, writer: WspWriter = new WspWriter()): Buffer {
  const missing = missingMandatory(pdu);
  if (missing.length > 0) throw new EncodeError(pdu.type, `missing mandatory ${missing.join(', ')}`);
  const w = writer;
  const rec = pdu as unknown as Record<string, unknown>;
  w.u8(H.messageType);
  w.u8(messageTypeCode(pdu.type));
  if (pdu.transactionId !== undefined) {
    w.u8(H.transactionId);
    w.textString(pdu.transactionId, 'X-Mms-Transaction-Id');
  }
  w.u8(H.mmsVersion);
  HEADERS[H.mmsVersion - 0x81]!.codec.write(w, pdu.mmsVersion, 'X-Mms-MMS-Version');
  for (const h of BODY_HEADERS) {
    const value = rec[h.field];
    if (value === undefined) continue;
    if (h.multi) {
      if (!Array.isArray(value)) throw new EncodeError(h.wireName, 'expected a list');
      for (const item of value) {
        w.u8(h.code);
        h.codec.write(w, item, h.wireName);
      }
    } else {
      w.u8(h.code);
      h.codec.write(w, value, h.wireName);
    }
  }
  for (const u of pdu.unknownHeaders ?? []) {
    if ('code' in u) {
      w.u8(u.code);
      w.bytes(u.raw);
    } else {
      w.tokenText(u.name, 'application header');
      w.textString(u.value, u.name);
    }
  }
  if (pdu.contentType !== undefined) {
    w.u8(H.contentType);
    HEADERS[H.contentType - 0x81]!.codec.write(w, pdu.contentType, 'Content-Type');
    if (pdu.parts) writeMultipart(w, pdu.parts);
    else if (pdu.body) w.body(pdu.body);
  } else if (pdu.parts || pdu.body) {
    throw new EncodeError('Content-Type', 'a body needs a Content-Type');
  }
  return w.finish();
}
