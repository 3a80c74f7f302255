import { XmlError } from './error.js';

/**
 * Bytes to text for an XML document (XML 1.0 Appendix F): a byte-order mark decides first, then the
 * encoding declaration, else UTF-8. Legacy encodings seen on MM7 (GB2312 from REL-6 VASPs, ISO-8859-1)
 * go through the runtime's WHATWG TextDecoder; an encoding it does not know is refused.
 * Malformed UTF-8 becomes U+FFFD rather than an error: handset profiles are often sloppy here.
 */
export function decodeXmlBytes(bytes: Uint8Array): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const label = declaredEncoding(bytes);
  if (label === undefined || /^(utf-?8|us-ascii|ascii)$/i.test(label)) return new TextDecoder('utf-8').decode(bytes);
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label);
  } catch {
    throw new XmlError('encoding', `unsupported encoding "${label}"`, 0);
  }
  return decoder.decode(bytes);
}

/** The `encoding` pseudo-attribute of an XML declaration, read from the ASCII-compatible prefix. */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  if (bytes.length < 6 || bytes[0] !== 0x3c || bytes[1] !== 0x3f) return undefined;
  let end = 2;
  const max = Math.min(bytes.length, 256);
  while (end < max && !(bytes[end] === 0x3f && bytes[end + 1] === 0x3e)) end++;
  const decl = String.fromCharCode(...bytes.subarray(0, end));
  if (!/^<\?xml\s/.test(decl)) return undefined;
  const m = /\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(decl);
  return m?.[1];
}
