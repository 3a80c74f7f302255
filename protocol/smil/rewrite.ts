import { parseXml, serializeXml, type XmlElement, type XmlParseOptions } from '../xml/index.js';

/** New `src` for a reference; `null` drops the element; `undefined` leaves it as it is. */
export type SmilSrcMapping = ReadonlyMap<string, string | null> | ((src: string) => string | null | undefined);

export interface SmilRewriteResult {
  xml: string;
  changed: number;
  removed: number;
}

/**
 * Rewrites part references in a SMIL document after adaptation renamed, converted or removed parts
 * (notes §8). It works on the element tree, so whatever the sender wrote that our model does not
 * know (transitions, extra attributes, namespaces) survives. A `par` left without media is dropped,
 * so that players do not show empty slides.
 */
export function rewriteSmil(input: string | Uint8Array, mapping: SmilSrcMapping, options: XmlParseOptions = {}): SmilRewriteResult {
  const root = parseXml(input, { lenient: true, ...options });
  const map = typeof mapping === 'function' ? mapping : (src: string) => mapping.get(src);
  let changed = 0;
  let removed = 0;
  // Post-order without recursion: children are rewritten before their parent decides about itself.
  const order: XmlElement[] = [];
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    order.push(el);
    for (const c of el.children) stack.push(c);
  }
  const dropped = new Set<XmlElement>();
  for (let i = order.length - 1; i >= 0; i--) {
    const el = order[i]!;
    const before = el.children.length;
    if (before > 0) el.children = el.children.filter((c) => !dropped.has(c));
    const src = el.attrs.find((a) => a.local === 'src' && a.ns === '');
    if (src) {
      const next = map(src.value);
      if (next === null) {
        dropped.add(el);
        removed++;
        continue;
      }
      if (next !== undefined && next !== src.value) {
        src.value = next;
        changed++;
      }
    }
    if (el.local.toLowerCase() === 'par' && before > 0 && el.children.length === 0) dropped.add(el);
  }
  return { xml: serializeXml(root, { declaration: false }), changed, removed };
}

export interface SmilPartRef {
  contentId?: string;
  contentLocation?: string;
  /** `name` / `filename` parameter. */
  name?: string;
}

/**
 * Index of the part a `src` names: `cid:X` matches Content-ID X (percent-decoded, RFC 2392); a bare
 * name matches Content-Location, then name, then Content-ID, as Android resolves them (notes §8).
 */
export function findSmilPart(src: string, parts: readonly SmilPartRef[]): number {
  const s = src.trim();
  if (/^cid:/i.test(s)) {
    let id = s.slice(4);
    try {
      id = decodeURIComponent(id);
    } catch {
      // as written
    }
    id = id.replace(/^<(.*)>$/, '$1');
    return parts.findIndex((p) => p.contentId === id);
  }
  const byLoc = parts.findIndex((p) => p.contentLocation === s);
  if (byLoc >= 0) return byLoc;
  const byName = parts.findIndex((p) => p.name === s);
  if (byName >= 0) return byName;
  return parts.findIndex((p) => p.contentId === s);
}
