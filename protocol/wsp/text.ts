import { charsetLabel } from './charsets.js';


/**
 * Node's Buffer#latin1Slice / #utf8Slice: the string constructors without toString's argument checks
 * and, unlike TextDecoder, without a subarray per call. utf8Slice replaces malformed sequences exactly
 * as a non-fatal TextDecoder does (both are V8's WHATWG decoder).
 */
interface Sliceable {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Sliceable).latin1Slice(start, end);
}

function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Sliceable).utf8Slice(start, end);
}

/**
 * Well-formed UTF-8 by the WHATWG/Unicode rules a fatal TextDecoder applies (no overlongs, no
 * surrogates, nothing above U+10FFFF). Header values are short: a JS scan beats a decoder call.
 */
function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (i + 1 >= end || (buf[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      if (i + 2 >= end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80) return false;
      if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0)) return false;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (i + 3 >= end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80 || (buf[i + 3]! & 0xc0) !== 0x80) return false;
      if ((b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/** Octets of a plain Text-string: UTF-8 when valid (what handsets really send), else Latin-1. */
export function decodePlainText(buf: Buffer, start: number, end: number): string {
  if (isAscii(buf, start, end)) return latin1(buf, start, end);
  return isUtf8(buf, start, end) ? utf8(buf, start, end) : latin1(buf, start, end);
}

/** decodePlainText for a range already known to hold an octet >= 0x80. */
export function decodeNonAsciiText(buf: Buffer, start: number, end: number): string {
  return isUtf8(buf, start, end) ? utf8(buf, start, end) : latin1(buf, start, end);
}

/**
 * Octets in a declared charset (MIBenum). Unknown or undecodable charsets fall back to the plain-text
 * rule rather than failing the whole PDU: a subject in an odd charset must not lose the message.
 */
export function decodeCharsetText(buf: Buffer, start: number, end: number, mib: number): string {
  if ((mib === 106 || mib === 3 || mib === 0 || mib === 4) && isAscii(buf, start, end)) return latin1(buf, start, end);
  return decodeCharsetNonAscii(buf, start, end, mib);
}

/**
 * decodeCharsetText for octets the caller has found not to be all ASCII (or in a charset where it
 * did not look): the ASCII scan is not repeated.
 */
export function decodeCharsetNonAscii(buf: Buffer, start: number, end: number, mib: number): string {
  if (mib === 106) return utf8(buf, start, end);
  if (mib === 3 || mib === 0) return decodeNonAsciiText(buf, start, end);
  if (mib === 4) return latin1(buf, start, end);
  if (mib === 1015 && end - start >= 2 && buf[start] === 0xff && buf[start + 1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(buf.subarray(start, end));
  }
  const label = charsetLabel(mib);
  if (label) {
    try {
      return new TextDecoder(label).decode(buf.subarray(start, end));
    } catch {
      // label not supported by this Node build
    }
  }
  return decodePlainText(buf, start, end);
}

export function isAsciiString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}
