import type { XmlElement } from './tree.js';

export interface XmlSerializeOptions {
  /** Emit `<?xml version="1.0" encoding="UTF-8"?>` first. */
  declaration?: boolean;
  /** Indent nested elements with this string; elements holding text are kept on one line. */
  indent?: string;
}

// Characters XML 1.0 cannot carry at all, not even as references; dropping them is the only way
// to produce a document every receiver parses (VASP subjects do contain stray control bytes).
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeText(s: string): string {
  return s.replace(NOT_XML, '').replace(/[&<>\r]/g, (c) => ATTR_ESCAPES[c]!);
}

/** Escapes for a double-quoted attribute; whitespace controls as references so they survive normalization. */
export function escapeAttribute(s: string): string {
  return s.replace(NOT_XML, '').replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Serializes an element tree. Names are written as given (prefix included); xmlns attributes come from the tree. */
export function serializeXml(root: XmlElement, options: XmlSerializeOptions = {}): string {
  const out: string[] = [];
  if (options.declaration) out.push('<?xml version="1.0" encoding="UTF-8"?>', options.indent !== undefined ? '\n' : '');
  const indent = options.indent;
  // Iterative for the same reason the parser is: trees built from input may be deep.
  type Frame = { el: XmlElement; depth: number; closing: boolean };
  const stack: Frame[] = [{ el: root, depth: 0, closing: false }];
  while (stack.length > 0) {
    const { el, depth, closing } = stack.pop()!;
    const pad = indent !== undefined ? indent.repeat(depth) : '';
    if (closing) {
      out.push(pad, '</', el.name, '>', indent !== undefined ? '\n' : '');
      continue;
    }
    out.push(pad, '<', el.name);
    for (const a of el.attrs) out.push(' ', a.name, '="', escapeAttribute(a.value), '"');
    if (el.children.length === 0 && el.text === '') {
      out.push('/>', indent !== undefined ? '\n' : '');
      continue;
    }
    out.push('>');
    if (el.text !== '') out.push(escapeText(el.text));
    if (el.children.length === 0) {
      out.push('</', el.name, '>', indent !== undefined ? '\n' : '');
      continue;
    }
    if (indent !== undefined) out.push('\n');
    stack.push({ el, depth, closing: true });
    for (let i = el.children.length - 1; i >= 0; i--) stack.push({ el: el.children[i]!, depth: depth + 1, closing: false });
  }
  return out.join('');
}
