import {
  DecodeError,
  DEFAULT_LIMITS,
  WspReader,
  isMultipart,
  readMultipart,
  type DecodeLimits,
  type Part,
} from '../wsp/index.js';
import { assignHeader, type HeaderFields } from './assign.js';
import { HEADER_BY_CODE, HEADER_BY_FIELD, H } from './headers.js';
import { MESSAGE_TYPES, messageTypeName } from './message-types.js';
import { MANDATORY, missingMandatory, type DecodeWarning, type MmsPdu, type UnknownHeader } from './pdu.js';

/**
 * Per message type (code - 0x80), the header codes it must carry (MMS-Version and MANDATORY) as a
 * bit mask over code - 0x80, split at 0xA0: decode checks them with two ANDs and looks up field
 * names (missingMandatory) only when one is absent.
 */
const MANDATORY_BITS: ReadonlyArray<readonly [low: number, high: number]> = MESSAGE_TYPES.map((type) => {
  let low = 0;
  let high = 0;
  for (const field of ['mmsVersion', ...MANDATORY[type]]) {
    const bit = HEADER_BY_FIELD.get(field)!.code - 0x80;
    if (bit < 32) low |= 1 << bit;
    else high |= 1 << (bit - 32);
  }
  return [low >>> 0, high >>> 0] as const;
});

/**
 * A decoded PDU is a plain object (its prototype is Object.prototype) built by a constructor rather
 * than as the literal { type }: V8 sizes a constructor's objects for the fields added after it (slack
 * tracking), where a literal has no spare room and every few header fields reallocate its property
 * store. Only the fields present are set, so the object is the same to every reader.
 */
function PduObject(this: { type: string }, type: string): void {
  this.type = type;
}
PduObject.prototype = Object.prototype;

export interface MmsDecodeOptions extends Partial<DecodeLimits> {
  /**
   * Strict: any deviation from OMA-MMS-ENC is a DecodeError. Lenient (default, for what handsets
   * send): header order, missing mandatory fields, duplicates, unreadable trailing headers, bad part
   * headers and a too-high part count become `warnings`; lengths that exceed the data and limits are
   * errors in both modes.
   */
  strict?: boolean;
}

function limitsOf(opts: MmsDecodeOptions | undefined): DecodeLimits {
  if (!opts) return DEFAULT_LIMITS;
  return {
    maxPduSize: opts.maxPduSize ?? DEFAULT_LIMITS.maxPduSize,
    maxParts: opts.maxParts ?? DEFAULT_LIMITS.maxParts,
    maxHeaders: opts.maxHeaders ?? DEFAULT_LIMITS.maxHeaders,
    maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxStringLength: opts.maxStringLength ?? DEFAULT_LIMITS.maxStringLength,
  };
}

/**
 * Decodes an MMS PDU (application/vnd.wap.mms-message). Returns a typed PDU whose part bodies are
 * views into `input`; throws only DecodeError.
 */
export function decode(input: Uint8Array, opts?: MmsDecodeOptions): MmsPdu {
  const limits = limitsOf(opts);
  const strict = opts?.strict === true;
  if (input.length > limits.maxPduSize) {
    throw new DecodeError(0, 'PDU', `${input.length} octets exceed the limit of ${limits.maxPduSize}`);
  }
  const r = new WspReader(input, limits);
  r.strict = strict;
  r.field = 'X-Mms-Message-Type';
  if (r.atEnd()) r.fail('empty PDU');
  if (r.u8() !== H.messageType) r.fail('the PDU must start with X-Mms-Message-Type (0x8C)', 0);
  const typeCode = r.u8();
  const type = messageTypeName(typeCode);
  if (!type) r.fail(`unknown message type 0x${typeCode.toString(16)}`, 1);

  const pdu = new (PduObject as unknown as new (type: string) => HeaderFields & Record<string, unknown>)(type!);
  let warnings: DecodeWarning[] | undefined;
  const warn = (offset: number, field: string, reason: string): void => {
    (warnings ??= []).push({ offset, field, reason });
  };
  r.warn = warn;
  const deviation = (offset: number, field: string, reason: string): void => {
    if (strict) throw new DecodeError(offset, field, reason);
    warn(offset, field, reason);
  };

  let index = 1;
  let tidAt = -1;
  let unknown: UnknownHeader[] | undefined;
  let hasContentType = false;
  let seenLow = 0;
  let seenHigh = 0;

  headers: while (!r.atEnd()) {
    if (index >= limits.maxHeaders) r.fail(`more than ${limits.maxHeaders} headers`);
    const at = r.pos;
    try {
      const b = r.peek();
      if (b >= 0x80) {
        r.pos++;
        const def = HEADER_BY_CODE[b];
        if (!def) {
          r.field = `header 0x${b.toString(16)}`;
          (unknown ??= []).push({ code: b, raw: r.skipValue() });
        } else if (b === H.messageType) {
          r.field = def.wireName;
          r.skipValue();
          deviation(at, def.wireName, 'repeated');
        } else {
          r.field = def.wireName;
          let value: unknown;
          if (b === H.mmsVersion && !strict && r.peek() < 0x80) {
            // Seen in the wild (AOSP test push): 0x12 for 1.2 without the high bit.
            const v = r.u8();
            value = `${v >> 4}.${v & 0x0f}`;
            warn(at + 1, def.wireName, `version octet 0x${v.toString(16)} lacks the Short-integer high bit`);
          } else {
            value = def.codec.read(r);
          }
          // ENC 1.3 section 6: Message-Type, then Transaction-ID (when present), then MMS-Version.
          if (b === H.transactionId) {
            tidAt = index;
            if (index !== 1) deviation(at, def.wireName, 'must directly follow X-Mms-Message-Type');
          } else if (b === H.mmsVersion) {
            if (index !== (tidAt === 1 ? 2 : 1)) deviation(at, def.wireName, 'must follow X-Mms-Message-Type and X-Mms-Transaction-Id');
          }
          if (!assignHeader(pdu, b, value)) deviation(at, def.wireName, 'repeated; the first value is kept');
          if (b < 0xa0) seenLow |= 1 << (b - 0x80);
          else seenHigh |= 1 << (b - 0xa0);
          if (b === H.contentType) {
            hasContentType = true;
            break headers;
          }
        }
      } else if (b >= 0x20) {
        r.field = 'application header';
        const name = r.tokenText();
        r.field = name;
        const value = r.textString();
        (unknown ??= []).push({ name, value });
      } else {
        r.field = 'header';
        r.fail(`0x${b.toString(16).padStart(2, '0')} cannot start a header field`);
      }
    } catch (e) {
      if (strict || !(e instanceof DecodeError)) throw e;
      // Lenient: keep every header read so far; what follows cannot be delimited.
      warn(e.offset, e.field, `${e.reason}; the rest of the PDU is ignored`);
      r.pos = r.end;
      break;
    }
    index++;
  }

  if (hasContentType) {
    const ct = pdu.contentType as { type: string };
    if (isMultipart(ct.type)) {
      const parts: Part[] = readMultipart(r, { strict, warn, depth: 0 });
      pdu.parts = parts;
      if (!r.atEnd()) {
        r.field = 'multipart';
        deviation(r.pos, 'multipart', `${r.remaining} octet(s) after the last part`);
      }
    } else {
      pdu.body = r.bytes(r.remaining);
    }
  }
  if (unknown) pdu.unknownHeaders = unknown;

  // Indexed, not destructured: array destructuring runs the iterator protocol on every decode.
  const mandatory = MANDATORY_BITS[typeCode - 0x80]!;
  if ((seenLow & mandatory[0]) >>> 0 !== mandatory[0] || (seenHigh & mandatory[1]) >>> 0 !== mandatory[1]) {
    const missing = missingMandatory(pdu as unknown as MmsPdu);
    if (missing.length > 0) deviation(input.length, missing.join(', '), `mandatory for ${type} but missing`);
  }
  if (warnings) pdu.warnings = warnings;
  return pdu as unknown as MmsPdu;
}
