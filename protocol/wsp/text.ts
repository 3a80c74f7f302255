import { charsetLabel } from './charsets.js';

// Constant decoders; TextDecoder instances are stateless between `decode` calls without `stream`.
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Node's Buffer#latin1Slice: the one-byte string constructor without toString's argument checks. */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Sliceable).latin1Slice(start, end);
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/** Octets of a plain Text-string: UTF-8 when valid (what handsets really send), else Latin-1. */
export function decodePlainText(buf: Buffer, start: number, end: number): string {
  if (isAscii(buf, start, end)) return latin1(buf, start, end);
  try {
    return UTF8_FATAL.decode(buf.subarray(start, end));
  } catch {
    return latin1(buf, start, end);
  }
}

/**
 * Octets in a declared charset (MIBenum). Unknown or undecodable charsets fall back to the plain-text
 * rule rather than failing the whole PDU: a subject in an odd charset must not lose the message.
 */
export function decodeCharsetText(buf: Buffer, start: number, end: number, mib: number): string {
  if (mib === 106 || mib === 3 || mib === 0) {
    if (isAscii(buf, start, end)) return latin1(buf, start, end);
    if (mib === 106) return UTF8.decode(buf.subarray(start, end));
    return decodePlainText(buf, start, end);
  }
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
