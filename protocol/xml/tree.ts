/**
 * The element tree the parser produces and the serializer consumes. Text is kept per element as the
 * concatenation of its direct character data (CDATA included); the formats we read (SOAP, RDF, SMIL)
 * carry no meaningful mixed content, so interleaving is not kept.
 */

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  /** Qualified name as written, e.g. `env:mustUnderstand`. */
  name: string;
  prefix: string;
  local: string;
  /** Namespace URI; '' for unprefixed attributes (they are in no namespace). */
  ns: string;
  value: string;
}

export interface XmlElement {
  name: string;
  prefix: string;
  local: string;
  /** Namespace URI resolved from the xmlns declarations in scope; '' when none applies. */
  ns: string;
  /** All attributes in document order, xmlns declarations included (they round-trip through serialize). */
  attrs: XmlAttribute[];
  children: XmlElement[];
  text: string;
  /** Offset of the `<` that opened the element; -1 for built trees. */
  offset: number;
}

/** Builds an element for serialization. `name` may carry a prefix; namespaces are up to the caller's xmlns attributes. */
export function element(
  name: string,
  attrs: Record<string, string | undefined> = {},
  content: string | readonly (XmlElement | undefined | false)[] = [],
): XmlElement {
  const colon = name.indexOf(':');
  const list: XmlAttribute[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    const c = k.indexOf(':');
    list.push({ name: k, prefix: c < 0 ? '' : k.slice(0, c), local: c < 0 ? k : k.slice(c + 1), ns: '', value: v });
  }
  return {
    name,
    prefix: colon < 0 ? '' : name.slice(0, colon),
    local: colon < 0 ? name : name.slice(colon + 1),
    ns: '',
    attrs: list,
    children: typeof content === 'string' ? [] : content.filter((c): c is XmlElement => !!c),
    text: typeof content === 'string' ? content : '',
    offset: -1,
  };
}

function sameName(a: string, b: string, ci: boolean): boolean {
  return ci ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** First child with this local name (any namespace). `ci` compares case-insensitively. */
export function childNamed(el: XmlElement, local: string, ci = false): XmlElement | undefined {
  return el.children.find((c) => sameName(c.local, local, ci));
}

export function childrenNamed(el: XmlElement, local: string, ci = false): XmlElement[] {
  return el.children.filter((c) => sameName(c.local, local, ci));
}

/** Attribute value by local name, optionally restricted to a namespace URI. */
export function attrValue(el: XmlElement, local: string, ns?: string, ci = false): string | undefined {
  for (const a of el.attrs) {
    if (a.ns === XMLNS_NS || (a.prefix === '' && a.local === 'xmlns')) continue;
    if (sameName(a.local, local, ci) && (ns === undefined || a.ns === ns)) return a.value;
  }
  return undefined;
}

/** Every element of the subtree in document order, the root first (iterative: trees may be deep). */
export function* descendants(root: XmlElement): Generator<XmlElement> {
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    yield el;
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
  }
}
