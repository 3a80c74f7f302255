import { EncodeError, WspWriter, writeMultipart } from '../wsp/index.js';
import { HEADERS, H, type HeaderDef } from './headers.js';
import { messageTypeCode } from './message-types.js';
import { missingMandatory, type MmsPdu } from './pdu.js';

const SKIP = new Set<number>([H.messageType, H.transactionId, H.mmsVersion, H.contentType]);

/**
 * Emit order after Type/TID/Version: the order AOSP's composer and most MMSCs use, which some
 * minimal decoders expect; Content-Location goes last because several decoders (nuntium) stop at
 * it in notifications. Everything not listed follows in table order.
 */
const PREFERRED = [
  'responseStatus', 'responseText',
  'messageId', 'date', 'from', 'to', 'cc', 'bcc', 'subject', 'messageClass', 'messageSize', 'expiry',
  'deliveryTime', 'priority', 'senderVisibility', 'deliveryReport', 'readReport', 'reportAllowed',
  'status', 'retrieveStatus', 'retrieveText', 'readStatus',
];
const BODY_HEADERS: readonly HeaderDef[] = [
  ...PREFERRED.map((f) => HEADERS.find((h) => h.field === f)!),
  ...HEADERS.filter((h) => !SKIP.has(h.code) && !PREFERRED.includes(h.field) && h.field !== 'contentLocation'),
  HEADERS.find((h) => h.field === 'contentLocation')!,
];
/** Field name -> emit position (index in BODY_HEADERS; fewer than 64, so two 32-bit masks cover them). */
const EMIT_SLOT: ReadonlyMap<string, number> = new Map(BODY_HEADERS.map((h, i) => [h.field, i]));
if (BODY_HEADERS.length > 64) throw new Error('emit slots exceed the two 32-bit masks of writePdu');

/**
 * Encodes a PDU: Message-Type, Transaction-ID, MMS-Version first, Content-Type last with the body
 * after it (ENC 1.3 section 6). Refuses a PDU that strict decoding would refuse, so that nothing we
 * emit is dropped by a strict client. Part data is copied once, into a buffer of the final size.
 */
export function encode(pdu: MmsPdu): Buffer {
  const w = new WspWriter();
  writePdu(w, pdu);
  return w.finish();
}

/**
 * A long-lived encoder for hot paths: keeps its scratch and output areas between PDUs. The Buffer
 * `encode` returns is only valid until the next call on the same encoder: consume or copy it first.
 */
export class MmsEncoder {
  private readonly w = new WspWriter();

  encode(pdu: MmsPdu): Buffer {
    this.w.reset();
    writePdu(this.w, pdu);
    return this.w.finishReusing();
  }
}

function writePdu(writer: WspWriter, pdu: MmsPdu): void {
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
  // Visit only the fields the PDU has (a dozen), not all 59 table rows: each sets the bit of its emit
  // slot, and reading the bits from the lowest emits them in slot order with no array and no sort.
  let low = 0;
  let high = 0;
  for (const key in rec) {
    const slot = EMIT_SLOT.get(key);
    if (slot === undefined || rec[key] === undefined) continue;
    if (slot < 32) low |= 1 << slot;
    else high |= 1 << (slot - 32);
  }
  writeSlots(w, rec, low, 0);
  writeSlots(w, rec, high, 32);
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
}

/** Writes the headers whose emit slots are the set bits of `bits` (slot = base + bit), lowest first. */
function writeSlots(w: WspWriter, rec: Record<string, unknown>, bits: number, base: number): void {
  while (bits !== 0) {
    const h = BODY_HEADERS[base + 31 - Math.clz32(bits & -bits)]!;
    bits &= bits - 1;
    const value = rec[h.field];
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
}
