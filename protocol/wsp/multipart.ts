import type { WspReader } from './reader.js';
import type { WspWriter } from './writer.js';
import { readContentType, writeContentType, type ContentType } from './content-type.js';
import { readParams, writeParams, type Params } from './parameters.js';
import { WSP_HEADER, WSP_HEADER_NAMES } from './header-names.js';
import { DecodeError } from './errors.js';

export interface ContentDisposition {
  /** form-data | attachment | inline | other token */
  type: string;
  params: Params;
}

/** A part header we keep without interpreting: a well-known code with its raw value, or a text header. */
export type OtherPartHeader =
  | { code: number; name: string; raw: Uint8Array }
  | { name: string; value: string };

export interface Part {
  contentType: ContentType;
  contentLocation?: string;
  /** As sent, conventionally with angle brackets. */
  contentId?: string;
  contentDisposition?: ContentDisposition;
  /** Content-Length, Content-Encoding, application headers, ...: kept and written back. */
  otherHeaders?: OtherPartHeader[];
  /** The part's content: a view into the decoded PDU, never a copy. */
  data: Uint8Array;
  /** For a nested vnd.wap.multipart.* part: its entries (a decoded view of `data`). */
  parts?: Part[];
}

export type Warn = (offset: number, field: string, reason: string) => void;

const DISPOSITIONS = ['form-data', 'attachment', 'inline'];

/** Media types are case-insensitive ASCII (RFC 2045 5.1): /i folds exactly that, with no lower-cased copy. */
const MULTIPART = /^(?:application\/vnd\.wap\.multipart\.|multipart\/)/i;

export function isMultipart(type: string): boolean {
  // A regex test costs ~240 instructions; the parts of a message are nearly all image/, text/,
  // audio/ or application/smil, which the first octet (and for application/ the 'm' where
  // "multipart" would start) rules out before it. | 0x20 folds ASCII case.
  const first = type.charCodeAt(0) | 0x20;
  if (first === 0x61) {
    if (type.length < 30 || (type.charCodeAt(20) | 0x20) !== 0x6d) return false;
  } else if (first !== 0x6d) {
    return false;
  }
  return MULTIPART.test(type);
}

function readDisposition(r: WspReader): ContentDisposition {
  const b = r.peek();
  // Some encoders omit the Value-length; take a bare token then.
  if (b >= 0x80) return { type: DISPOSITIONS[r.u8() & 0x7f] ?? 'attachment', params: {} };
  if (b >= 0x20) return { type: r.tokenText(), params: {} };
  const len = r.valueLength();
  const prev = r.limitTo(len);
  let type = 'attachment';
  if (!r.atEnd()) {
    const t = r.peek();
    type = t >= 0x80 ? (DISPOSITIONS[r.u8() & 0x7f] ?? `token-${t & 0x7f}`) : r.tokenText();
  }
  const params: Params = {};
  readParams(r, params);
  r.restoreEnd(prev);
  return { type, params };
}

function writeDisposition(w: WspWriter, d: ContentDisposition): void {
  w.lengthPrefixed(() => {
    const i = DISPOSITIONS.indexOf(d.type.toLowerCase());
    if (i >= 0) w.u8(0x80 | i);
    else w.tokenText(d.type, 'Content-Disposition');
    writeParams(w, d.params);
  });
}

/** Part headers after the Content-Type, up to the reader's end (the entry's Headers-length). */
function readPartHeaders(r: WspReader, part: Part): void {
  let count = 0;
  while (!r.atEnd()) {
    if (++count > r.limits.maxHeaders) r.fail('too many part headers');
    const b = r.peek();
    if (b >= 0x80) {
      r.pos++;
      const code = b & 0x7f;
      r.field = WSP_HEADER_NAMES[code] ?? `header 0x${b.toString(16)}`;
      if (code === WSP_HEADER.contentLocation) part.contentLocation = r.textString();
      else if (code === WSP_HEADER.contentId) {
        // Quoted-string by the spec; some encoders send a plain Text-string.
        part.contentId = r.peek() === 0x22 ? r.quotedString() : r.textString();
      } else if (code === WSP_HEADER.contentDisposition || code === WSP_HEADER.contentDisposition14) {
        part.contentDisposition = readDisposition(r);
      } else {
        (part.otherHeaders ??= []).push({ code, name: r.field, raw: r.skipValue() });
      }
    } else if (b >= 0x20) {
      r.field = 'application header';
      const name = r.tokenText();
      r.field = name;
      const value = r.atEnd() ? '' : r.textString();
      // Some encoders send Content-ID / Content-Location as text headers (gammu corpus).
      const lower = name.toLowerCase();
      if (lower === 'content-id' && part.contentId === undefined) part.contentId = value;
      else if (lower === 'content-location' && part.contentLocation === undefined) part.contentLocation = value;
      else (part.otherHeaders ??= []).push({ name, value });
    } else {
      // Shift-sequence / short-cut shift to another header code page: nothing in MMS uses them.
      r.fail(`unsupported header code page shift 0x${b.toString(16)}`);
    }
  }
}

export interface MultipartOptions {
  strict: boolean;
  warn: Warn;
  depth: number;
}

interface PartLabels {
  headerLength: string;
  dataLength: string;
  contentType: string;
}

function makePartLabels(i: number): PartLabels {
  return { headerLength: `part ${i + 1} header length`, dataLength: `part ${i + 1} data length`, contentType: `part ${i + 1} Content-Type` };
}

/** Field names for errors, built once for the usual part counts instead of three strings per part. */
const PART_LABELS: readonly PartLabels[] = Array.from({ length: 32 }, (_, i) => makePartLabels(i));

function partLabels(i: number): PartLabels {
  return PART_LABELS[i] ?? makePartLabels(i);
}

/**
 * A decoded part is a plain object (prototype Object.prototype) built by a constructor so that V8
 * gives it in-object room for the headers set after it (see decode's PduObject).
 */
const PartObject = function PartObject(this: Part, contentType: ContentType, data: Uint8Array): void {
  this.contentType = contentType;
  this.data = data;
} as unknown as new (contentType: ContentType, data: Uint8Array) => Part;
PartObject.prototype = Object.prototype;

/** Multipart (WSP 8.5): nEntries, then per entry HeadersLen DataLen ContentType Headers Data. */
export function readMultipart(r: WspReader, opts: MultipartOptions): Part[] {
  r.field = 'multipart entry count';
  const declared = r.uintvar();
  if (declared > r.limits.maxParts) r.fail(`${declared} parts exceed the limit of ${r.limits.maxParts}`);
  const parts: Part[] = [];
  for (let i = 0; i < declared; i++) {
    if (r.atEnd()) {
      // Several encoders write a count that is one too high; the parts that are there are intact.
      r.field = 'multipart';
      if (opts.strict) r.fail(`body ends after ${i} of ${declared} declared parts`);
      opts.warn(r.pos, 'multipart', `body ends after ${i} of ${declared} declared parts`);
      break;
    }
    const label = partLabels(i);
    r.field = label.headerLength;
    const headersLen = r.uintvar();
    r.field = label.dataLength;
    const dataLen = r.uintvar();
    if (headersLen + dataLen > r.remaining) {
      r.fail(`part ${i + 1} lengths (${headersLen} + ${dataLen}) exceed the ${r.remaining} octets left`);
    }
    const headersStart = r.pos;
    const prev = r.limitTo(headersLen);
    // `data` is set below in every path that keeps the part; r.buf holds its place (no view made).
    // The content type is read before the part exists so that the usual part builds no placeholder.
    let part: Part | undefined;
    try {
      r.field = label.contentType;
      part = new PartObject(readContentType(r), r.buf);
      readPartHeaders(r, part);
    } catch (e) {
      if (opts.strict || !(e instanceof DecodeError)) throw e;
      // AOSP's fallback: keep the part with what could be read; its data is still delimited.
      opts.warn(e.offset, e.field, e.reason);
      part ??= new PartObject({ type: 'application/octet-stream', params: {} }, r.buf);
    }
    r.pos = headersStart + headersLen;
    r.end = prev;
    part.data = r.bytes(dataLen);
    if (isMultipart(part.contentType.type) && part.data.length > 0) {
      if (opts.depth + 1 > r.limits.maxDepth) {
        r.field = `part ${i + 1}`;
        r.fail(`multipart nested deeper than ${r.limits.maxDepth}`);
      }
      const sub = r.sub(part.data);
      try {
        part.parts = readMultipart(sub, { ...opts, depth: opts.depth + 1 });
      } catch (e) {
        if (opts.strict || !(e instanceof DecodeError)) throw e;
        opts.warn(e.offset, e.field, `nested multipart: ${e.reason}`);
      }
    }
    parts.push(part);
  }
  return parts;
}

function writePartHeaders(w: WspWriter, part: Part): void {
  writeContentType(w, part.contentType);
  if (part.contentLocation !== undefined) {
    w.u8(0x80 | WSP_HEADER.contentLocation);
    w.textString(part.contentLocation, 'Content-Location');
  }
  if (part.contentId !== undefined) {
    w.u8(0x80 | WSP_HEADER.contentId);
    w.quotedString(part.contentId, 'Content-ID');
  }
  if (part.contentDisposition !== undefined) {
    w.u8(0x80 | WSP_HEADER.contentDisposition);
    writeDisposition(w, part.contentDisposition);
  }
  for (const h of part.otherHeaders ?? []) {
    if ('code' in h) {
      w.u8(0x80 | h.code);
      w.bytes(h.raw);
    } else {
      w.tokenText(h.name, 'application header');
      w.textString(h.value, h.name);
    }
  }
}

export function writeMultipart(w: WspWriter, parts: readonly Part[]): void {
  w.uintvar(parts.length);
  for (const part of parts) {
    // HeadersLen and DataLen precede the headers; the data length is known up front.
    const at = w.openLength();
    writePartHeaders(w, part);
    w.closeUintvarLengthWithSecond(at, part.data.length);
    w.body(part.data);
  }
}
