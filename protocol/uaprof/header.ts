/**
 * The profile reference headers (notes §7.1): `x-wap-profile` / `Profile` carry one or more quoted
 * (sometimes unquoted) URLs and profile-diff references `"<seq>-<base64 MD5>"`; `x-wap-profile-diff`
 * carries `<seq>;<RDF/XML fragment>`.
 */

export interface ProfileDiffRef {
  sequence: number;
  digest: string;
}

export interface ProfileReference {
  /** Absolute http(s) profile URLs, in header order, without duplicates. */
  urls: string[];
  diffs: ProfileDiffRef[];
}

/** Splits a header on commas outside double quotes; several header instances are concatenated. */
function items(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim().replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1').trim()).filter((s) => s !== '');
}

export function parseProfileHeader(value: string | readonly string[] | undefined): ProfileReference {
  const ref: ProfileReference = { urls: [], diffs: [] };
  if (value === undefined) return ref;
  for (const item of items(typeof value === 'string' ? value : value.join(','))) {
    const diff = /^(\d+)-([A-Za-z0-9+/=]+)$/.exec(item);
    if (diff) {
      ref.diffs.push({ sequence: Number(diff[1]), digest: diff[2]! });
    } else if (/^https?:\/\/[^\s"<>]+$/i.test(item)) {
      if (!ref.urls.includes(item)) ref.urls.push(item);
    }
    // Anything else (bare host names, "null", tokens) names no retrievable profile and is ignored.
  }
  return ref;
}

/** `1;<rdf:RDF …>` -> { sequence: 1, document }. A value without the sequence prefix counts as sequence 1. */
export function parseProfileDiffHeader(value: string): { sequence: number; document: string } | undefined {
  const m = /^\s*(\d+)\s*;\s*([\s\S]*)$/.exec(value);
  if (m) return m[2]!.trim() === '' ? undefined : { sequence: Number(m[1]), document: m[2]!.trim() };
  return value.trim().startsWith('<') ? { sequence: 1, document: value.trim() } : undefined;
}
