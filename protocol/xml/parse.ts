import { decodeXmlBytes } from './decode.js';
import { XmlError } from './error.js';
import { XML_NS, XMLNS_NS, type XmlAttribute, type XmlElement } from './tree.js';

/**
 * A small non-validating XML 1.0 + Namespaces parser for untrusted input (SOAP from VASPs, UAProf
 * fetched from anywhere, SMIL from handsets). It never expands entities beyond the five predefined
 * ones and character references, refuses DTD internal subsets (the vehicle of billion-laughs and
 * external-entity attacks), and bounds depth, element count, attributes and text. It is iterative, so
 * hostile nesting cannot exhaust the call stack.
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

// XML 1.0 production [2] Char, negated: such characters cannot appear even as references.
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

type Scope = ReadonlyMap<string, string>;

const ROOT_SCOPE: Scope = new Map([['xml', XML_NS]]);

/** Parses a document to its root element. Throws XmlError on anything it will not accept. */
export function parseXml(input: string | Uint8Array, options: XmlParseOptions = {}): XmlElement {
  const text = typeof input === 'string' ? input : decodeXmlBytes(input);
  return new Parser(text, { ...DEFAULT_XML_LIMITS, ...options }, options.lenient === true).parse();
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Characters that end a name: whitespace and the markup delimiters. */
function endsName(c: number): boolean {
  return isSpace(c) || c === 0x3e || c === 0x2f || c === 0x3d || c === 0x3c || c === 0x22 || c === 0x27 || c === 0x26 || Number.isNaN(c);
}

/** XML 1.0 production [2] Char, for character references. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

const PREDEFINED: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

const REFERENCE = /^&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_:][A-Za-z0-9._:-]*);/;

interface Open {
  el: XmlElement;
  scope: Scope;
}

class Parser {
  private pos = 0;
  private nodes = 0;

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
    private readonly lenient: boolean,
  ) {}

  private fail(code: ConstructorParameters<typeof XmlError>[0], message: string, at = this.pos): never {
    throw new XmlError(code, message, at);
  }

  parse(): XmlElement {
    const s = this.s;
    if (s.length > this.limits.maxInputLength) this.fail('limit', `document longer than ${this.limits.maxInputLength}`, 0);
    const bad = NOT_XML_CHAR.exec(s);
    if (bad) this.fail('syntax', `character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML`, bad.index);
    if (s.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.misc(true);
    if (s.charCodeAt(this.pos) !== 0x3c) this.fail('syntax', this.pos >= s.length ? 'no root element' : 'expected root element');
    const stack: Open[] = [];
    let root: XmlElement | undefined;
    for (;;) {
      if (stack.length === 0 && root !== undefined) {
        this.misc(false);
        if (this.pos < s.length) this.fail('syntax', 'content after the root element');
        return root;
      }
      if (this.pos >= s.length) this.fail('syntax', `unclosed element <${stack[stack.length - 1]!.el.name}>`);
      const c = s.charCodeAt(this.pos);
      if (c !== 0x3c) {
        const top = stack[stack.length - 1];
        if (!top) this.fail('syntax', 'text outside the root element');
        this.text(top.el);
        continue;
      }
      const next = s.charCodeAt(this.pos + 1);
      if (next === 0x2f) {
        this.endTag(stack);
      } else if (next === 0x21) {
        if (s.startsWith('<!--', this.pos)) this.comment();
        else if (s.startsWith('<![CDATA[', this.pos)) this.cdata(stack[stack.length - 1]?.el);
        else if (s.startsWith('<!DOCTYPE', this.pos)) this.fail('doctype', 'DOCTYPE inside the document');
        else this.fail('syntax', 'unknown markup declaration');
      } else if (next === 0x3f) {
        this.pi();
      } else {
        const parent = stack[stack.length - 1];
        const { el, scope, selfClosing } = this.startTag(parent?.scope ?? ROOT_SCOPE, stack.length + 1);
        if (parent) parent.el.children.push(el);
        else root = el;
        if (!selfClosing) stack.push({ el, scope });
      }
    }
  }

  /** Comments, PIs, whitespace and (in the prolog only) one DOCTYPE without internal subset. */
  private misc(prolog: boolean): void {
    const s = this.s;
    let doctype = false;
    for (;;) {
      while (isSpace(s.charCodeAt(this.pos))) this.pos++;
      if (s.startsWith('<?', this.pos)) this.pi();
      else if (s.startsWith('<!--', this.pos)) this.comment();
      else if (s.startsWith('<!DOCTYPE', this.pos)) {
        if (!prolog || doctype) this.fail('doctype', 'misplaced DOCTYPE');
        this.doctype();
        doctype = true;
      } else return;
    }
  }

  /**
   * `<!DOCTYPE smil PUBLIC "..." "...">` is common in SMIL and harmless: the external DTD is never
   * fetched. An internal subset (`[`) is where entities get declared, so it is refused outright.
   */
  private doctype(): void {
    const s = this.s;
    const start = this.pos;
    let i = this.pos + 9;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22 || c === 0x27) {
        const close = s.indexOf(c === 0x22 ? '"' : "'", i + 1);
        if (close < 0) break;
        i = close;
      } else if (c === 0x5b) {
        this.fail('doctype', 'DOCTYPE internal subset refused', i);
      } else if (c === 0x3e) {
        this.pos = i + 1;
        return;
      }
    }
    this.fail('syntax', 'unterminated DOCTYPE', start);
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.pos + 4);
    if (end < 0) this.fail('syntax', 'unterminated comment');
    this.pos = end + 3;
  }

  private pi(): void {
    const end = this.s.indexOf('?>', this.pos + 2);
    if (end < 0) this.fail('syntax', 'unterminated processing instruction');
    this.pos = end + 2;
  }

  private cdata(el: XmlElement | undefined): void {
    if (!el) this.fail('syntax', 'CDATA outside the root element');
    const from = this.pos + 9;
    const end = this.s.indexOf(']]>', from);
    if (end < 0) this.fail('syntax', 'unterminated CDATA section');
    this.appendText(el, this.s.slice(from, end).replace(/\r\n?/g, '\n'));
    this.pos = end + 3;
  }

  private text(el: XmlElement): void {
    const start = this.pos;
    let end = this.s.indexOf('<', start);
    if (end < 0) end = this.s.length;
    this.pos = end;
    let raw = this.s.slice(start, end);
    // End-of-line handling (XML 1.0 §2.11) before references, so that &#13; survives.
    if (raw.includes('\r')) raw = raw.replace(/\r\n?/g, '\n');
    this.appendText(el, this.decode(raw, start));
  }

  private appendText(el: XmlElement, chunk: string): void {
    if (el.text.length + chunk.length > this.limits.maxTextLength) this.fail('limit', `text of <${el.name}> longer than ${this.limits.maxTextLength}`);
    el.text += chunk;
  }

  private name(): string {
    const s = this.s;
    const start = this.pos;
    while (this.pos < s.length && !endsName(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail('syntax', 'expected a name');
    return s.slice(start, this.pos);
  }

  private skipSpace(): void {
    while (isSpace(this.s.charCodeAt(this.pos))) this.pos++;
  }

  private endTag(stack: Open[]): void {
    const at = this.pos;
    this.pos += 2;
    const name = this.name();
    this.skipSpace();
    if (this.s.charCodeAt(this.pos) !== 0x3e) this.fail('syntax', `expected '>' to close </${name}`);
    this.pos++;
    const open = stack.pop();
    if (!open) this.fail('syntax', `end tag </${name}> without start tag`, at);
    if (open.el.name !== name) this.fail('syntax', `end tag </${name}> does not match <${open.el.name}>`, at);
  }

  private startTag(parentScope: Scope, depth: number): { el: XmlElement; scope: Scope; selfClosing: boolean } {
    const s = this.s;
    const at = this.pos;
    if (depth > this.limits.maxDepth) this.fail('limit', `nesting deeper than ${this.limits.maxDepth}`);
    if (++this.nodes > this.limits.maxNodes) this.fail('limit', `more than ${this.limits.maxNodes} elements`);
    this.pos++;
    const name = this.name();
    const raw: { name: string; value: string; at: number }[] = [];
    let selfClosing = false;
    for (;;) {
      const hadSpace = isSpace(s.charCodeAt(this.pos));
      this.skipSpace();
      const c = s.charCodeAt(this.pos);
      if (c === 0x3e) {
        this.pos++;
        break;
      }
      if (c === 0x2f && s.charCodeAt(this.pos + 1) === 0x3e) {
        this.pos += 2;
        selfClosing = true;
        break;
      }
      if (this.pos >= s.length) this.fail('syntax', `unterminated start tag <${name}`, at);
      if (!hadSpace) this.fail('syntax', 'expected whitespace before attribute');
      const attrAt = this.pos;
      const attrName = this.name();
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== 0x3d) this.fail('syntax', `expected '=' after attribute ${attrName}`);
      this.pos++;
      this.skipSpace();
      const q = s.charCodeAt(this.pos);
      if (q !== 0x22 && q !== 0x27) this.fail('syntax', `attribute ${attrName} value must be quoted`);
      const close = s.indexOf(q === 0x22 ? '"' : "'", this.pos + 1);
      if (close < 0) this.fail('syntax', `unterminated value of attribute ${attrName}`, attrAt);
      const rawValue = s.slice(this.pos + 1, close);
      if (rawValue.length > this.limits.maxTextLength) this.fail('limit', `attribute ${attrName} longer than ${this.limits.maxTextLength}`, attrAt);
      const lt = rawValue.indexOf('<');
      if (lt >= 0) this.fail('syntax', `'<' in attribute value`, this.pos + 1 + lt);
      // Attribute-value normalization (XML 1.0 §3.3.3): literal whitespace becomes a space;
      // whitespace written as a character reference survives, hence normalizing before decoding.
      const value = this.decode(rawValue.replace(/\r\n?|[\t\n]/g, ' '), this.pos + 1);
      this.pos = close + 1;
      if (raw.some((a) => a.name === attrName)) this.fail('syntax', `duplicate attribute ${attrName}`, attrAt);
      raw.push({ name: attrName, value, at: attrAt });
      if (raw.length > this.limits.maxAttributes) this.fail('limit', `more than ${this.limits.maxAttributes} attributes`, attrAt);
    }

    let scope = parentScope;
    for (const a of raw) {
      if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) {
        if (scope === parentScope) scope = new Map(parentScope);
        const prefix = a.name === 'xmlns' ? '' : a.name.slice(6);
        if (a.name !== 'xmlns' && (prefix === '' || prefix.includes(':'))) this.fail('namespace', `malformed declaration ${a.name}`, a.at);
        (scope as Map<string, string>).set(prefix, a.value);
      }
    }
    const el: XmlElement = { ...this.qname(name, scope, true, at), attrs: [], children: [], text: '', offset: at };
    for (const a of raw) {
      const q = a.name === 'xmlns' || a.name.startsWith('xmlns:')
        ? { name: a.name, prefix: a.name === 'xmlns' ? '' : 'xmlns', local: a.name === 'xmlns' ? 'xmlns' : a.name.slice(6), ns: XMLNS_NS }
        : this.qname(a.name, scope, false, a.at);
      const attr: XmlAttribute = { ...q, value: a.value };
      if (attr.ns !== '' && attr.ns !== XMLNS_NS && el.attrs.some((b) => b.ns === attr.ns && b.local === attr.local)) {
        this.fail('namespace', `duplicate attribute {${attr.ns}}${attr.local}`, a.at);
      }
      el.attrs.push(attr);
    }
    return { el, scope, selfClosing };
  }

  private qname(name: string, scope: Scope, isElement: boolean, at: number): { name: string; prefix: string; local: string; ns: string } {
    const colon = name.indexOf(':');
    if (colon < 0) return { name, prefix: '', local: name, ns: isElement ? (scope.get('') ?? '') : '' };
    if (colon === 0 || colon === name.length - 1) this.fail('namespace', `malformed qualified name ${name}`, at);
    const prefix = name.slice(0, colon);
    const ns = scope.get(prefix);
    if (ns === undefined || ns === '') {
      if (!this.lenient) this.fail('namespace', `undeclared prefix ${prefix}`, at);
      return { name, prefix, local: name.slice(colon + 1), ns: '' };
    }
    return { name, prefix, local: name.slice(colon + 1), ns };
  }

  /** Replaces references in character data; `base` is the offset of `raw` for error reporting. */
  private decode(raw: string, base: number): string {
    let amp = raw.indexOf('&');
    if (amp < 0) return raw;
    let out = '';
    let from = 0;
    while (amp >= 0) {
      out += raw.slice(from, amp);
      const m = REFERENCE.exec(raw.slice(amp, amp + 40));
      if (!m) {
        if (!this.lenient) this.fail('syntax', "bare '&' (write &amp;)", base + amp);
        out += '&';
        from = amp + 1;
      } else {
        const ref = m[1]!;
        if (ref.charCodeAt(0) === 0x23) {
          const cp = ref.charCodeAt(1) === 0x78 ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
          if (!isXmlChar(cp)) this.fail('entity', `character reference &${ref}; is not an XML character`, base + amp);
          out += String.fromCodePoint(cp);
        } else {
          const v = PREDEFINED.get(ref);
          if (v === undefined) this.fail('entity', `entity &${ref}; refused (only the predefined entities are expanded)`, base + amp);
          out += v;
        }
        from = amp + m[0].length;
      }
      amp = raw.indexOf('&', from);
    }
    return out + raw.slice(from);
  }
}
