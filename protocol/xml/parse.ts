import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import { decodeXmlBytes } from './decode.js';
import { XmlError, type XmlErrorCode } from './error.js';
import { XMLNS_NS, type XmlAttribute, type XmlElement } from './tree.js';

/**
 * XML 1.0 + Namespaces for untrusted input (SOAP from VASPs, UAProf fetched from anywhere, SMIL from
 * handsets), on saxes: its state machine checks well-formedness and resolves namespaces; this module
 * builds the element tree, bounds it, and refuses what saxes would let through.
 *
 * DTDs: a DOCTYPE without internal subset (`<!DOCTYPE smil PUBLIC "..." "...">`) is accepted and
 * ignored; nothing is ever fetched (protocol/ does no I/O). A DOCTYPE with an internal subset is
 * refused outright (code 'doctype'), because that is where entities get declared: billion laughs
 * and external entities (`<!ENTITY x SYSTEM "file:///etc/passwd">`) never get as far as a reference.
 * saxes itself only knows the five predefined entities, so even an accepted document cannot expand
 * anything else: an unknown reference is an 'entity' error.
 */

export interface XmlLimits {
  /** Maximum element nesting depth (root = 1). */
  maxDepth: number;
  /** Maximum number of elements in the document. */
  maxNodes: number;
  /** Maximum attributes on one element (xmlns declarations included). */
  maxAttributes: number;
  /** Maximum length of one element's text or one attribute value, in UTF-16 code units. */
  maxTextLength: number;
  /** Maximum length of the whole decoded document. */
  maxInputLength: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = {
  maxDepth: 64,
  maxNodes: 50_000,
  maxAttributes: 64,
  maxTextLength: 1 << 20,
  maxInputLength: 16 << 20,
};

export interface XmlParseOptions extends Partial<XmlLimits> {
  /**
   * Accept two faults common in hand-written real-world documents instead of failing: a prefix with
   * no xmlns declaration (the element gets namespace '') and a bare `&` that starts no reference
   * (kept literally, e.g. "AT&T" in a UAProf Vendor). Unknown entity references stay errors.
   */
  lenient?: boolean;
}

// XML 1.0 production [2] Char, negated. saxes misses a lone high surrogate (it pairs it with
// whatever follows), so the whole document is checked once up front.
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A `&` that starts no reference, outside CDATA sections, comments and PIs (where `&` is literal).
 * saxes would read such a `&` as the start of an entity name up to the next `;`, so it is found
 * before saxes sees the text: refused with its offset, or in lenient mode written as `&amp;`.
 */
const BARE_AMP = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z_:][A-Za-z0-9._:-]*;)/g;

/** saxes reports errors as text; the first matching row gives our code. */
const ERROR_CODES: readonly [RegExp, XmlErrorCode][] = [
  [/^(undefined entity|malformed character entity)/, 'entity'],
  [/doctype/i, 'doctype'],
  [/namespace|prefix|^malformed name|^duplicate attribute: \{|xmlns|default namespace/, 'namespace'],
];

/** Errors about a close tag are reported at its `<`, not where saxes noticed (the `>`). */
const AT_TAG_START = /^(unexpected close tag|unmatched closing tag|weird empty close tag|disallowed character in closing tag)/;

/** Parses a document to its root element. Throws XmlError on anything it will not accept. */
export function parseXml(input: string | Uint8Array, options: XmlParseOptions = {}): XmlElement {
  const text = typeof input === 'string' ? input : decodeXmlBytes(input);
  const limits: XmlLimits = { ...DEFAULT_XML_LIMITS, ...options };
  const lenient = options.lenient === true;
  if (text.length > limits.maxInputLength) throw located(text, 'limit', `document longer than ${limits.maxInputLength}`, 0);
  const bad = NOT_XML_CHAR.exec(text);
  if (bad) throw located(text, 'syntax', `character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`, bad.index);
  const { doc, inserted } = text.includes('&') ? escapeBareAmpersands(text, lenient) : { doc: text, inserted: [] };
  // Offsets in `doc` back to offsets in `text` (each inserted "amp;" is 4 units).
  const original = inserted.length === 0 ? (at: number) => at : (at: number) => at - 4 * countBelow(inserted, at);
  return build(doc, limits, lenient, (code, message, at) => located(text, code, message, original(at)), original);
}

function build(
  doc: string,
  limits: XmlLimits,
  lenient: boolean,
  fail: (code: XmlErrorCode, message: string, at: number) => XmlError,
  original: (at: number) => number,
): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true, defaultXMLVersion: '1.0', forceXMLVersion: true });
  // Six handlers, no more: saxes stores each with a keyed property write, and past six V8 turns the
  // parser into a dictionary-mode object whose every field read is slow (measured with bench/xml.ts:
  // adding opentagstart and attribute handlers made parsing 4-5x slower). Limits are therefore
  // checked in opentag.
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let nodes = 0;
  // Prefixes saxes could not resolve on the current start tag (lenient mode only).
  let unbound: Set<string> | undefined;

  const appendText = (chunk: string): void => {
    const el = stack[stack.length - 1];
    if (!el) return; // whitespace between prolog items; saxes refuses anything else there
    if (el.text.length + chunk.length > limits.maxTextLength) throw fail('limit', `text of <${el.name}> longer than ${limits.maxTextLength}`, parser.position);
    el.text += chunk;
  };

  parser.on('error', (e) => {
    const message = e.message.replace(/^\d+:\d+: /, '');
    if (lenient && message.startsWith('unbound namespace prefix: ')) {
      (unbound ??= new Set()).add(JSON.parse(message.slice(26, -1)) as string);
      return;
    }
    const code = ERROR_CODES.find(([re]) => re.test(message))?.[1] ?? 'syntax';
    const at = AT_TAG_START.test(message) ? Math.max(0, doc.lastIndexOf('<', parser.position - 1)) : parser.position;
    throw fail(code, message.replace(/\.$/, ''), at);
  });
  parser.on('doctype', (body) => {
    if (body.replace(/"[^"]*"|'[^']*'/g, '').includes('[')) {
      throw fail('doctype', 'DOCTYPE internal subset refused', Math.max(0, doc.lastIndexOf('<!DOCTYPE', parser.position)));
    }
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    // The limits are checked once the start tag is complete: saxes holds no more than the input.
    const tagAt = Math.max(0, doc.lastIndexOf('<', parser.position - 1));
    if (stack.length + 1 > limits.maxDepth) throw fail('limit', `nesting deeper than ${limits.maxDepth}`, tagAt);
    if (++nodes > limits.maxNodes) throw fail('limit', `more than ${limits.maxNodes} elements`, tagAt);
    const attrs: XmlAttribute[] = [];
    for (const name in tag.attributes) {
      const a = tag.attributes[name]!;
      if (a.value.length > limits.maxTextLength) throw fail('limit', `attribute ${a.name} longer than ${limits.maxTextLength}`, tagAt);
      if (attrs.push(attribute(a, unbound)) > limits.maxAttributes) throw fail('limit', `more than ${limits.maxAttributes} attributes`, tagAt);
    }
    const el: XmlElement = {
      name: tag.name,
      prefix: tag.prefix,
      local: tag.local,
      ns: unbound?.has(tag.prefix) ? '' : tag.uri,
      attrs,
      children: [],
      text: '',
      offset: original(tagAt),
    };
    unbound = undefined;
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', appendText);
  parser.on('cdata', appendText);

  parser.write(doc).close();
  if (!root) throw fail('syntax', 'no root element', doc.length);
  return root;
}

function attribute(a: SaxesAttributeNS, unbound: Set<string> | undefined): XmlAttribute {
  // saxes puts `xmlns` (prefix '') and `xmlns:p` in the xmlns namespace, as the tree always has.
  const ns = a.uri === XMLNS_NS || a.prefix === '' ? a.uri : unbound?.has(a.prefix) ? '' : a.uri;
  return { name: a.name, prefix: a.prefix, local: a.local, ns, value: a.value };
}

function escapeBareAmpersands(text: string, lenient: boolean): { doc: string; inserted: number[] } {
  const inserted: number[] = [];
  let shift = 0;
  const doc = text.replace(BARE_AMP, (match: string, at: number) => {
    if (match !== '&') return match;
    if (!lenient) throw located(text, 'syntax', "bare '&' (write &amp;)", at);
    // Position in the rewritten document just past the inserted text.
    shift += 4;
    inserted.push(at + shift);
    return '&amp;';
  });
  return { doc, inserted };
}

/** How many of the sorted positions are below `at`. */
function countBelow(sorted: readonly number[], at: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An XmlError with line and column computed from the offset (1-based; columns in UTF-16 units). */
function located(text: string, code: XmlErrorCode, message: string, offset: number): XmlError {
  const at = Math.min(Math.max(offset, 0), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return new XmlError(code, message, at, line, at - lineStart + 1);
}
