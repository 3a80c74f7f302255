import type { WspReader } from './reader.js';
import type { WspWriter } from './writer.js';
import { decodeCharsetNonAscii, isAsciiString } from './text.js';

const UTF8_MIB = 106;

/**
 * Encoded-string-value = Text-string | Value-length Char-set Text-string (WAP-230 8.4.2.1, MMS ENC 7.2.9).
 * In the charset form the value length bounds the text, which matters for UTF-16/UCS-2 text: it
 * contains NUL octets, so the terminator cannot be searched for.
 */
export function readEncodedString(r: WspReader): string {
  const b = r.peek();
  if (b > 31) return r.textString();
  // 0x00 is an empty Text-string (No-value), not a zero Value-length: seen as `96 00` for Subject.
  if (b === 0) {
    r.pos++;
    return '';
  }
  const len = r.valueLength();
  const prev = r.limitTo(len);
  const charset = r.peek() === 0x80 ? (r.pos++, 0) : r.integerValue();
  if (r.pos < r.end && r.buf[r.pos] === 0x7f) r.pos++;
  const buf = r.buf;
  const start = r.pos;
  let end = r.end;
  let consumed = r.end;
  const wide = charset === 1000 || charset === 1013 || charset === 1014 || charset === 1015;
  // Found in the same pass as the NUL; wide text is never taken for ASCII.
  let ascii = false;
  if (wide) {
    if (end > start && r.buf[end - 1] === 0) end--;
    if ((end - start) % 2 === 1 && r.buf[end - 1] === 0) end--;
  } else {
    // Bounded by the Value-length: a JS scan, no native indexOf call for a few dozen octets.
    const nul = r.scanText(start, end);
    ascii = !r.textNonAscii;
    if (nul < end) {
      end = nul;
      consumed = nul + 1;
    } else if (r.strict) r.fail('text is not terminated within its Value-length');
  }
  if (end - start > r.limits.maxStringLength) r.fail(`text longer than ${r.limits.maxStringLength} octets`);
  // ASCII in an ASCII-compatible charset is its Latin-1 text: take it from the reader's text window.
  const s =
    ascii && (charset === 106 || charset === 3 || charset === 0 || charset === 4)
      ? r.latin1(start, end)
      : decodeCharsetNonAscii(buf, start, end, charset);
  r.pos = consumed;
  r.restoreEnd(prev);
  return s;
}

/** ASCII as a plain Text-string; anything else as UTF-8 with charset 106 (OMA-MMS-CONF 10.2.1). */
export function writeEncodedString(w: WspWriter, s: string, field: string): void {
  if (isAsciiString(s)) return w.textString(s, field);
  const at = w.openLength();
  w.shortInteger(UTF8_MIB);
  w.textString(s, field);
  w.closeValueLength(at);
}
