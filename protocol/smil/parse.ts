import { attrValue, parseXml, type XmlElement, type XmlParseOptions } from '../xml/index.js';
import { parseClockValue } from './clock.js';
import { SMIL_MEDIA_KINDS, SmilError, type SmilMedia, type SmilMediaKind, type SmilPresentation, type SmilRegion, type SmilSlide } from './model.js';

/**
 * Parses an MMS SMIL document. Beyond the MMS profile it accepts what handsets send: media directly
 * in `body` or in `seq` (each becomes a slide), `switch` (its first media child counts), and any
 * namespace or none. Malformed XML throws XmlError; a document that is not SMIL throws SmilError.
 */
export function parseSmil(input: string | Uint8Array, options: XmlParseOptions = {}): SmilPresentation {
  const root = parseXml(input, { lenient: true, ...options });
  if (root.local.toLowerCase() !== 'smil') throw new SmilError(`root element is <${root.name}>, not <smil>`);
  const p: SmilPresentation = { regions: [], slides: [] };
  const layout = find(find(root, 'head'), 'layout');
  for (const el of layout?.children ?? []) {
    const name = el.local.toLowerCase();
    if (name === 'root-layout') {
      p.rootLayout = defined({ width: attrValue(el, 'width'), height: attrValue(el, 'height'), backgroundColor: attrValue(el, 'backgroundColor') ?? attrValue(el, 'background-color') });
    } else if (name === 'region') {
      const id = attrValue(el, 'id') ?? attrValue(el, 'id', undefined, true);
      if (id === undefined) continue;
      p.regions.push(defined<SmilRegion>({ id, left: attrValue(el, 'left'), top: attrValue(el, 'top'), width: attrValue(el, 'width'), height: attrValue(el, 'height'), fit: attrValue(el, 'fit') }));
    }
  }
  const body = find(root, 'body');
  if (body) collectSlides(body, p.slides);
  return p;
}

function find(el: XmlElement | undefined, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local.toLowerCase() === local);
}

function mediaKind(el: XmlElement): SmilMediaKind | undefined {
  const l = el.local.toLowerCase();
  return SMIL_MEDIA_KINDS.find((k) => k === l);
}

function media(el: XmlElement, kind: SmilMediaKind): SmilMedia | undefined {
  const src = attrValue(el, 'src');
  if (src === undefined) return undefined;
  return defined<SmilMedia>({
    kind,
    src,
    region: attrValue(el, 'region'),
    begin: time(el, 'begin'),
    end: time(el, 'end'),
    dur: time(el, 'dur'),
    alt: attrValue(el, 'alt'),
  });
}

function time(el: XmlElement, name: string): number | undefined {
  const v = attrValue(el, name);
  return v === undefined ? undefined : parseClockValue(v);
}

/** Iterative walk over body/seq containers; `par` closes a slide. */
function collectSlides(container: XmlElement, slides: SmilSlide[]): void {
  const stack: XmlElement[] = [...container.children].reverse();
  while (stack.length > 0) {
    const el = stack.pop()!;
    const name = el.local.toLowerCase();
    if (name === 'par') {
      slides.push(defined<SmilSlide>({ dur: time(el, 'dur'), media: parMedia(el) }));
    } else if (name === 'seq' || name === 'switch') {
      const kids = name === 'switch' ? el.children.slice(0, 1) : el.children;
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    } else {
      const kind = mediaKind(el);
      const m = kind && media(el, kind);
      if (m) slides.push(defined<SmilSlide>({ dur: m.dur, media: [m] }));
    }
  }
}

function parMedia(par: XmlElement): SmilMedia[] {
  const out: SmilMedia[] = [];
  for (const el of par.children) {
    const target = el.local.toLowerCase() === 'switch' ? el.children[0] : el;
    const kind = target && mediaKind(target);
    const m = kind && media(target, kind);
    if (m) out.push(m);
  }
  return out;
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
