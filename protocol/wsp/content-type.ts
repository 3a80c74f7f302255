import type { WspReader } from './reader.js';
import type { WspWriter } from './writer.js';
import { mediaCodeOf, mediaTypeOf } from './media-types.js';
import { readParams, writeParams, type Params } from './parameters.js';

export interface ContentType {
  /** Media type as sent (well-known codes are expanded to their names). */
  type: string;
  /** Parameters by lower-case name: charset (name), name, filename, type, start, start-info, ... */
  params: Params;
}

/**
 * Content-type-value (WSP 8.4.2.24) = Constrained-media | Content-general-form.
 * The constrained form cannot carry parameters.
 */
export function readContentType(r: WspReader): ContentType {
  const b = r.peek();
  if (b >= 0x80) return { type: mediaTypeOf(r.u8() & 0x7f), params: {} };
  if (b >= 0x20) return { type: r.tokenText(), params: {} };
  const len = r.valueLength();
  const prev = r.limitTo(len);
  const m = r.peek();
  // Media-type = Well-known-media (Integer-value) | Extension-media (text)
  const type = m >= 0x80 || m <= 30 ? mediaTypeOf(r.integerValue()) : r.tokenText();
  const params: Params = {};
  readParams(r, params);
  r.restoreEnd(prev);
  return { type, params };
}

export function writeContentType(w: WspWriter, ct: ContentType): void {
  const code = mediaCodeOf(ct.type);
  let hasParams = false;
  for (const k in ct.params) {
    if (ct.params[k] !== undefined) {
      hasParams = true;
      break;
    }
  }
  if (!hasParams) {
    if (code !== undefined && code < 0x80) return w.shortInteger(code);
    if (code === undefined) return w.tokenText(ct.type, 'Content-Type');
  }
  w.lengthPrefixed(() => {
    if (code !== undefined) w.integerValue(code);
    else w.tokenText(ct.type, 'Content-Type');
    writeParams(w, ct.params);
  });
}

/** Parses "type/subtype; a=b; c=\"d\"" (HTTP/MIME form) into a ContentType. */
export function parseMimeContentType(value: string): ContentType {
  const [head, ...rest] = splitParams(value);
  const params: Params = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[k] = v;
  }
  return { type: (head ?? '').trim().toLowerCase(), params };
}

function splitParams(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Renders a ContentType in MIME form, quoting parameter values where needed. */
export function formatMimeContentType(ct: ContentType): string {
  let s = ct.type;
  for (const k in ct.params) {
    const v = ct.params[k];
    if (v === undefined) continue;
    const t = String(v);
    s += /^[A-Za-z0-9!#$&^_.+-]+$/.test(t) ? `; ${k}=${t}` : `; ${k}="${t.replace(/(["\\])/g, '\\$1')}"`;
  }
  return s;
}
