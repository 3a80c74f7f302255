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
  const at = w.openLength();
  if (code !== undefined) w.integerValue(code);
  else w.tokenText(ct.type, 'Content-Type');
  writeParams(w, ct.params);
  w.closeValueLength(at);
}
