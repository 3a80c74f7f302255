/**
 * MIME entities as MM7 carries them (SOAP with Attachments, RFC 2387 multipart/related, RFC 2046
 * multipart): Content-Type values, header sections, multipart bodies nested to a bounded depth.
 * Identity-encoded part bodies are zero-copy views into the request buffer; base64 and
 * quoted-printable bodies are decoded into new buffers.
 */

export class MimeError extends Error {
  override readonly name = 'MimeError';
  constructor(
    message: string,
    /** Byte offset into the outermost body. */
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

export interface ContentType {
  /** Lower-cased `type/subtype`. */
  mediaType: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

export interface MimeHeader {
  /** Lower-cased field name. */
  name: string;
  value: string;
}

export interface MimeEntity {
  headers: MimeHeader[];
  contentType: ContentType;
  /** Content-ID without its angle brackets. */
  contentId?: string;
  contentLocation?: string;
  /** The body after Content-Transfer-Encoding is undone; a view into the input when it was identity. */
  body: Buffer;
  /** Sub-entities when the content type is multipart/*. */
  parts?: MimeEntity[];
  /** Byte offset of the entity's headers in the outermost body. */
  offset: number;
}

export interface MimeLimits {
  maxParts: number;
  maxDepth: number;
  maxHeaderBytes: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = { maxParts: 100, maxDepth: 4, maxHeaderBytes: 16 * 1024 };

/** RFC 2045 §5.1 Content-Type, tolerating the usual sloppiness (unquoted `=` in boundaries, trailing `;`). */
export function parseContentType(value: string): ContentType {
  const semi = value.indexOf(';');
  const mediaType = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ';' || value[i] === '\r' || value[i] === '\n')) i++;
    if (i >= value.length) break;
    const eq = value.indexOf('=', i);
    const nextSemi = value.indexOf(';', i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      i = nextSemi < 0 ? value.length : nextSemi + 1;
      continue;
    }
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (value[i] === ' ' || value[i] === '\t') i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        v += value[i];
        i++;
      }
      i++;
    } else {
      const end = value.indexOf(';', i);
      v = value.slice(i, end < 0 ? value.length : end).trim();
      i = end < 0 ? value.length : end;
    }
    if (name !== '' && !(name in params)) params[name] = v;
  }
  return { mediaType, params };
}

export function formatContentType(ct: ContentType): string {
  let s = ct.mediaType;
  for (const [k, v] of Object.entries(ct.params)) s += /^[A-Za-z0-9!#$&^_.+-]+$/.test(v) ? `; ${k}=${v}` : `; ${k}="${v.replace(/["\\]/g, '\\$&')}"`;
  return s;
}

/** Strips the angle brackets of a msg-id (`<abc@host>` -> `abc@host`); bare ids pass through. */
export function stripAngle(id: string): string {
  const s = id.trim();
  return s.startsWith('<') && s.endsWith('>') ? s.slice(1, -1).trim() : s;
}

export function headerValue(headers: readonly MimeHeader[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name === n)?.value;
}

/** Parses a header section (unfolding continuation lines). */
export function parseHeaders(text: string): MimeHeader[] {
  const headers: MimeHeader[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      headers[headers.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header line; real senders emit junk here and readers skip it
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/** Builds an entity from its headers and raw body, descending into multipart content. */
export function parseEntity(headers: MimeHeader[], raw: Buffer, offset: number, limits: Partial<MimeLimits> = {}): MimeEntity {
  const lim = { ...DEFAULT_MIME_LIMITS, ...limits };
  return entity(headers, raw, offset, 0, lim, { parts: 0 });
}

function entity(headers: MimeHeader[], raw: Buffer, offset: number, depth: number, lim: MimeLimits, count: { parts: number }): MimeEntity {
  const ct = parseContentType(headerValue(headers, 'content-type') ?? 'text/plain');
  const cid = headerValue(headers, 'content-id');
  const loc = headerValue(headers, 'content-location');
  const e: MimeEntity = { headers, contentType: ct, body: decodeTransfer(headerValue(headers, 'content-transfer-encoding'), raw), offset };
  if (cid !== undefined) e.contentId = stripAngle(cid);
  if (loc !== undefined) e.contentLocation = loc;
  if (ct.mediaType.startsWith('multipart/')) {
    if (depth >= lim.maxDepth) throw new MimeError(`multipart nested deeper than ${lim.maxDepth}`, offset);
    const boundary = ct.params['boundary'];
    if (!boundary) throw new MimeError(`${ct.mediaType} without boundary`, offset);
    e.parts = splitMultipart(e.body, boundary, offset, lim).map((p) => {
      if (++count.parts > lim.maxParts) throw new MimeError(`more than ${lim.maxParts} parts`, offset + p.offset);
      return entity(p.headers, p.body, offset + p.offset, depth + 1, lim, count);
    });
  }
  return e;
}

interface RawPart {
  headers: MimeHeader[];
  body: Buffer;
  offset: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/**
 * Splits a multipart body at its delimiters (RFC 2046 §5.1.1). A delimiter counts only at the start
 * of a line and when followed by `--`, linear white space or a line end, so content that merely
 * contains the boundary string does not cut a part. A missing close delimiter is tolerated when the
 * body ends at a delimiter line; a part running to the end of the body is not (a truncated upload).
 */
export function splitMultipart(body: Buffer, boundary: string, baseOffset = 0, limits: Partial<MimeLimits> = {}): RawPart[] {
  const lim = { ...DEFAULT_MIME_LIMITS, ...limits };
  const dash = Buffer.from('--' + boundary, 'latin1');
  const parts: RawPart[] = [];
  let at = findDelimiter(body, dash, 0, true);
  if (at < 0) throw new MimeError(`no delimiter for boundary "${boundary}"`, baseOffset);
  for (;;) {
    let p = at + dash.length;
    if (body[p] === DASH && body[p + 1] === DASH) return parts; // close delimiter; the epilogue is ignored
    while (body[p] === 0x20 || body[p] === 0x09) p++;
    if (body[p] === CR) p++;
    if (body[p] === LF) p++;
    if (p >= body.length) return parts;
    const next = findDelimiter(body, dash, p, false);
    if (next < 0) throw new MimeError('part not terminated by a delimiter (truncated body?)', baseOffset + p);
    let end = next; // `next` is the index of the line break before the delimiter
    if (end > p && body[end - 1] === CR) end--;
    if (parts.length >= lim.maxParts) throw new MimeError(`more than ${lim.maxParts} parts`, baseOffset + p);
    parts.push(splitPart(body.subarray(p, end), p, baseOffset, lim));
    at = next + 1;
  }
}

function findDelimiter(body: Buffer, dash: Buffer, from: number, first: boolean): number {
  let i = from;
  for (;;) {
    const hit = body.indexOf(dash, i);
    if (hit < 0) return -1;
    const lineStart = hit === 0 || body[hit - 1] === LF;
    const after = body[hit + dash.length];
    const endsWell = after === undefined || after === CR || after === LF || after === 0x20 || after === 0x09 || (after === DASH && body[hit + dash.length + 1] === DASH);
    if (lineStart && endsWell) return first ? hit : hit - 1;
    i = hit + 1;
  }
}

function splitPart(part: Buffer, start: number, baseOffset: number, lim: MimeLimits): RawPart {
  if (part[0] === LF || (part[0] === CR && part[1] === LF)) {
    return { headers: [], body: part.subarray(part[0] === LF ? 1 : 2), offset: start };
  }
  let sep = part.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = part.indexOf('\n\n');
  if (lf >= 0 && (sep < 0 || lf < sep)) {
    sep = lf;
    sepLen = 2;
  }
  if (sep < 0) {
    if (part.length > lim.maxHeaderBytes) throw new MimeError('part header section too long', baseOffset + start);
    return { headers: parseHeaders(part.toString('latin1')), body: part.subarray(part.length), offset: start };
  }
  if (sep > lim.maxHeaderBytes) throw new MimeError('part header section too long', baseOffset + start);
  // Header values are ASCII by RFC 5322; latin1 keeps stray 8-bit bytes one-to-one instead of failing.
  return { headers: parseHeaders(part.subarray(0, sep).toString('latin1')), body: part.subarray(sep + sepLen), offset: start };
}

function decodeTransfer(cte: string | undefined, raw: Buffer): Buffer {
  const enc = cte?.trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(raw.toString('latin1'), 'base64');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(raw);
  return raw;
}

/** RFC 2045 §6.7: `=XX` octets and soft line breaks; malformed escapes are kept literally. */
export function decodeQuotedPrintable(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    if (raw[i + 1] === CR && raw[i + 2] === LF) {
      i += 2;
      continue;
    }
    if (raw[i + 1] === LF) {
      i += 1;
      continue;
    }
    const hex = raw.toString('latin1', i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

export interface OutgoingPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Serializes a multipart body with CRLF line ends; the caller chooses a boundary not found in the parts. */
export function serializeMultipart(parts: readonly OutgoingPart[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\n`;
    for (const [k, v] of Object.entries(p.headers)) head += `${k}: ${v}\r\n`;
    chunks.push(Buffer.from(head + '\r\n', 'latin1'), p.body, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}
