import { charsetMib, decodeCharsetText, decodePlainText } from '../../protocol/wsp/index.js';

export type TextResult = { data: Buffer; charset: string; changed: boolean; lossy: boolean };

/** Charsets we can write, each with a test of which code points it holds. */
const WRITERS: Record<string, { fits: (cp: number) => boolean; encode: (s: string) => Buffer }> = {
  'utf-8': { fits: () => true, encode: (s) => Buffer.from(s, 'utf8') },
  'us-ascii': { fits: (cp) => cp < 0x80, encode: (s) => Buffer.from(s, 'latin1') },
  'iso-8859-1': { fits: (cp) => cp < 0x100, encode: (s) => Buffer.from(s, 'latin1') },
  'utf-16le': { fits: () => true, encode: (s) => Buffer.from(s, 'utf16le') },
  'utf-16be': { fits: () => true, encode: (s) => Buffer.from(s, 'utf16le').swap16() },
  // UTF-16 with a BOM so the reader need not guess the byte order (RFC 2781 §3.3).
  'utf-16': { fits: () => true, encode: (s) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]) },
  // UCS-2: the BMP only; astral characters (emoji) do not fit.
  'iso-10646-ucs-2': { fits: (cp) => cp < 0x10000, encode: (s) => Buffer.from(s, 'utf16le').swap16() },
};

const ALIASES: Record<string, string> = { utf8: 'utf-8', ascii: 'us-ascii', latin1: 'iso-8859-1', 'iso_8859-1': 'iso-8859-1', 'ucs-2': 'iso-10646-ucs-2', 'csunicode': 'iso-10646-ucs-2' };

export function canonicalCharset(name: string): string {
  const n = name.trim().toLowerCase();
  return ALIASES[n] ?? n;
}

/** Text of a part in its declared charset; no or unknown charset = UTF-8, what handsets send (notes §9 #15). */
export function decodeText(data: Uint8Array, charset: string | undefined): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const mib = charset ? charsetMib(canonicalCharset(charset)) : undefined;
  return mib === undefined ? decodePlainText(buf, 0, buf.length) : decodeCharsetText(buf, 0, buf.length, mib);
}

/**
 * Re-encodes a text part into a charset the handset accepts (empty list = any). The part keeps its
 * charset when accepted; otherwise the first accepted charset that holds every character wins
 * (UTF-8 preferred), and only when none does is the text written lossily ('?' for what is missing).
 */
export function adaptText(data: Uint8Array, charset: string | undefined, accepted: readonly string[]): TextResult {
  const acc = accepted.map(canonicalCharset);
  const current = charset ? canonicalCharset(charset) : undefined;
  const any = acc.length === 0 || acc.includes('*');
  if (current && (any || acc.includes(current))) return { data: Buffer.from(data), charset: charset!, changed: false, lossy: false };
  const text = decodeText(data, current);
  if (!current && (any || acc.includes('utf-8'))) return { data: Buffer.from(data), charset: 'utf-8', changed: true, lossy: false };
  const candidates = (any ? ['utf-8'] : acc.includes('utf-8') ? ['utf-8', ...acc] : acc).filter((c, i, a) => WRITERS[c] && a.indexOf(c) === i);
  const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
  for (const c of candidates) {
    if (cps.every(WRITERS[c]!.fits)) return { data: WRITERS[c]!.encode(text), charset: c, changed: true, lossy: false };
  }
  const target = candidates[0] ?? 'utf-8';
  const w = WRITERS[target]!;
  const replaced = Array.from(text, (ch) => (w.fits(ch.codePointAt(0)!) ? ch : '?')).join('');
  return { data: w.encode(replaced), charset: target, changed: true, lossy: true };
}
