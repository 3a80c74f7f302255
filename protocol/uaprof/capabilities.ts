import { parseXml, type XmlElement, type XmlParseOptions } from '../xml/index.js';

export interface Dimensions {
  w: number;
  h: number;
}

/** What adaptation needs to know about a handset, read from its UAProf (notes §7.3). Lists are empty when absent. */
export interface DeviceCapabilities {
  vendor?: string;
  model?: string;
  screenSize?: Dimensions;
  screenSizeChar?: Dimensions;
  bitsPerPixel?: number;
  colorCapable?: boolean;
  imageCapable?: boolean;
  /** Browser / software platform CcppAccept, union of both components. */
  ccppAccept: string[];
  ccppAcceptCharset: string[];
  mmsMaxMessageSize?: number;
  mmsMaxImageResolution?: Dimensions;
  mmsCcppAccept: string[];
  mmsCcppAcceptCharSet: string[];
  mmsCcppAcceptLanguage: string[];
  mmsCcppAcceptEncoding: string[];
  mmsVersion: string[];
  mmsCcppStreamingCapable?: boolean;
  /** Every attribute found, keyed `Component.Attribute` as written (for attributes not modelled above). */
  attributes: Record<string, string[]>;
}

export class UaProfError extends Error {
  override readonly name = 'UaProfError';
}

/** Attributes whose values are Bags; a literal there is a broken profile and gets split on commas. */
const LIST_FIELDS = {
  ccppaccept: 'ccppAccept',
  ccppacceptcharset: 'ccppAcceptCharset',
  mmsccppaccept: 'mmsCcppAccept',
  mmsccppacceptcharset: 'mmsCcppAcceptCharSet',
  mmsccppacceptlanguage: 'mmsCcppAcceptLanguage',
  mmsccppacceptencoding: 'mmsCcppAcceptEncoding',
  mmsversion: 'mmsVersion',
} as const;

const MIME_LISTS = new Set(['ccppAccept', 'mmsCcppAccept']);

const RDF_SYNTAX_ATTRS = new Set(['id', 'about', 'type', 'nodeid', 'parsetype', 'resource', 'datatype', 'lang']);

export function emptyCapabilities(): DeviceCapabilities {
  return { ccppAccept: [], ccppAcceptCharset: [], mmsCcppAccept: [], mmsCcppAcceptCharSet: [], mmsCcppAcceptLanguage: [], mmsCcppAcceptEncoding: [], mmsVersion: [], attributes: {} };
}

/**
 * Reads a UAProf RDF/XML document. Components and attributes are recognised by local name,
 * case-insensitively and whatever their namespace version or prefix (notes §7.2, §9 #20): profiles in
 * the wild mix schema years, spell `MMSCharacteristics` and `MmsCcppAccept-CharSet`, and leave out
 * rdf:Bag. A document with no profile attribute at all (an RDF schema sent as `x-wap-profile`)
 * throws UaProfError; malformed XML throws XmlError.
 */
export function parseUaProf(input: string | Uint8Array, options: XmlParseOptions = {}): DeviceCapabilities {
  const root = parseXml(input, { lenient: true, ...options });
  if (root.local.toLowerCase() !== 'rdf') throw new UaProfError(`root element is <${root.name}>, not rdf:RDF`);
  const caps = emptyCapabilities();
  let known = 0;
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.local.toLowerCase() === 'description') {
      const component = componentName(el);
      for (const a of el.attrs) {
        const l = a.local.toLowerCase();
        if (a.local === 'xmlns' || a.prefix === 'xmlns' || RDF_SYNTAX_ATTRS.has(l)) continue;
        known += apply(caps, component, a.local, [a.value.trim()]);
      }
      for (const prop of el.children) {
        const l = prop.local.toLowerCase();
        if (l === 'component' || l === 'type' || l === 'defaults') continue;
        const values = propertyValues(prop);
        if (values.length > 0) known += apply(caps, component, prop.local, values);
      }
    }
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
  }
  if (known === 0) throw new UaProfError('no UAProf attributes found: not a device profile');
  return caps;
}

/** rdf:type `…#MmsCharacteristics` (as attribute or child), else rdf:ID / rdf:about fragment. */
function componentName(d: XmlElement): string {
  const type = d.attrs.find((a) => a.local === 'type')?.value ?? d.children.find((c) => c.local === 'type')?.attrs.find((a) => a.local === 'resource')?.value;
  const fromType = type?.slice(type.lastIndexOf('#') + 1);
  if (fromType) return fromType;
  const id = d.attrs.find((a) => a.local === 'ID' || a.local === 'about')?.value;
  return id ? id.slice(id.lastIndexOf('#') + 1) : 'Unknown';
}

/** Values of a property: rdf:Bag/Seq/Alt members, stray rdf:li without a container, or the literal. */
function propertyValues(prop: XmlElement): string[] {
  const container = prop.children.find((c) => /^(bag|seq|alt)$/i.test(c.local));
  const items = (container ?? prop).children.filter((c) => c.local.toLowerCase() === 'li');
  if (container || items.length > 0) return items.map((li) => li.text.trim()).filter((v) => v !== '');
  const v = prop.text.trim();
  return v === '' ? [] : [v];
}

function dimensions(v: string | undefined): Dimensions | undefined {
  const m = v === undefined ? null : /^\s*(\d+)\s*[xX*×]\s*(\d+)\s*$/.exec(v);
  return m ? { w: Number(m[1]), h: Number(m[2]) } : undefined;
}

function yesNo(v: string | undefined): boolean | undefined {
  const l = v?.toLowerCase();
  return l === 'yes' || l === 'true' || l === '1' ? true : l === 'no' || l === 'false' || l === '0' ? false : undefined;
}

function count(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^\s*(\d+)\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** `image/JPG` -> `image/jpeg` (notes §9 #20); parameters dropped, case folded. */
export function normaliseMediaType(t: string): string {
  const base = t.split(';')[0]!.trim().toLowerCase();
  return base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
}

function pushUnique(list: string[], values: readonly string[]): void {
  for (const v of values) if (!list.includes(v)) list.push(v);
}

/** Records one attribute; returns 1 if it was a modelled attribute, 0 otherwise. */
function apply(caps: DeviceCapabilities, component: string, name: string, values: string[]): number {
  const key = `${component}.${name}`;
  caps.attributes[key] = [...(caps.attributes[key] ?? []), ...values];
  const norm = name.toLowerCase().replace(/[-_]/g, '');
  const first = values[0];
  if (norm in LIST_FIELDS) {
    const field = LIST_FIELDS[norm as keyof typeof LIST_FIELDS];
    const split = values.length === 1 ? values[0]!.split(/[,\s]+/).filter((v) => v !== '') : values;
    pushUnique(caps[field], MIME_LISTS.has(field) ? split.map(normaliseMediaType) : split);
    return 1;
  }
  switch (norm) {
    case 'vendor':
      caps.vendor = first;
      return 1;
    case 'model':
      caps.model = first;
      return 1;
    case 'screensize':
      caps.screenSize = dimensions(first) ?? caps.screenSize;
      return 1;
    case 'screensizechar':
      caps.screenSizeChar = dimensions(first) ?? caps.screenSizeChar;
      return 1;
    case 'bitsperpixel':
      caps.bitsPerPixel = count(first) ?? caps.bitsPerPixel;
      return 1;
    case 'colorcapable':
      caps.colorCapable = yesNo(first) ?? caps.colorCapable;
      return 1;
    case 'imagecapable':
      caps.imageCapable = yesNo(first) ?? caps.imageCapable;
      return 1;
    case 'mmsmaxmessagesize':
      caps.mmsMaxMessageSize = count(first) ?? caps.mmsMaxMessageSize;
      return 1;
    case 'mmsmaximageresolution':
      caps.mmsMaxImageResolution = dimensions(first) ?? caps.mmsMaxImageResolution;
      return 1;
    case 'mmsccppstreamingcapable':
      caps.mmsCcppStreamingCapable = yesNo(first) ?? caps.mmsCcppStreamingCapable;
      return 1;
  }
  return 0;
}

/**
 * Applies a profile-diff over a base profile (WAP-248 §9.2: later diffs override). Scalars given in
 * the diff replace the base's; a list given in the diff replaces the base's list.
 */
export function mergeCapabilities(base: DeviceCapabilities, diff: DeviceCapabilities): DeviceCapabilities {
  const out: DeviceCapabilities = { ...base, attributes: { ...base.attributes, ...diff.attributes } };
  for (const [k, v] of Object.entries(diff) as [keyof DeviceCapabilities, unknown][]) {
    if (k === 'attributes' || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
