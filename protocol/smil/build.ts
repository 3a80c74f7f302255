import { element, serializeXml, type XmlElement } from '../xml/index.js';
import { formatClockValue } from './clock.js';
import type { SmilMedia, SmilMediaKind, SmilPresentation, SmilRegion, SmilSlide } from './model.js';

/** De-facto region ids of MMS SMIL (notes §8). */
export const IMAGE_REGION = 'Image';
export const TEXT_REGION = 'Text';

export interface SmilPartInput {
  /** Reference written into `src`: `cid:<Content-ID>` or the part's Content-Location. */
  src: string;
  contentType: string;
  /** Playing time of audio/video, to lengthen its slide. */
  durationMs?: number;
}

export interface BuildSmilOptions {
  /** Duration of a slide without timed media. Default 5000 ms. */
  slideDurationMs?: number;
  /** root-layout size; default 100% x 100% so the player fits its screen. */
  width?: string;
  height?: string;
}

/** Which SMIL element presents a content type; undefined = not presentable (stays an attachment). */
export function smilKindFor(contentType: string): SmilMediaKind | undefined {
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  if (t.startsWith('image/')) return 'img';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (t === 'text/plain') return 'text';
  return undefined;
}

/**
 * A simple MMS-conformant SMIL for parts in message order: every image or video opens a slide and
 * takes the text and audio that follow it; a slide holds at most one image-or-video, one text and
 * one audio, and never audio beside video (MMS SMIL, notes §8). Parts that no element presents
 * (vCard, SMIL itself, unknown types) are left out and stay attachments.
 */
export function buildSmil(parts: readonly SmilPartInput[], options: BuildSmilOptions = {}): SmilPresentation {
  const slideMs = options.slideDurationMs ?? 5000;
  const slides: SmilSlide[] = [];
  let cur: SmilSlide | undefined;
  const has = (s: SmilSlide | undefined, ...kinds: SmilMediaKind[]): boolean => !!s && s.media.some((m) => kinds.includes(m.kind));
  let visual = false;
  let text = false;
  for (const part of parts) {
    const kind = smilKindFor(part.contentType);
    if (!kind) continue;
    const conflict =
      kind === 'img' ? has(cur, 'img', 'video') :
      kind === 'video' ? has(cur, 'img', 'video', 'audio') :
      kind === 'text' ? has(cur, 'text') :
      has(cur, 'audio', 'video');
    if (!cur || conflict) {
      cur = { dur: slideMs, media: [] };
      slides.push(cur);
    }
    const m: SmilMedia = { kind, src: part.src };
    if (kind === 'img' || kind === 'video') {
      m.region = IMAGE_REGION;
      visual = true;
    } else if (kind === 'text') {
      m.region = TEXT_REGION;
      text = true;
    }
    cur.media.push(m);
    if (part.durationMs !== undefined && part.durationMs > (cur.dur ?? 0)) cur.dur = part.durationMs;
  }
  const regions: SmilRegion[] = [];
  if (visual) regions.push({ id: IMAGE_REGION, left: '0%', top: '0%', width: '100%', height: text ? '80%' : '100%', fit: 'meet' });
  if (text) regions.push({ id: TEXT_REGION, left: '0%', top: visual ? '80%' : '0%', width: '100%', height: visual ? '20%' : '100%', fit: 'scroll' });
  return { rootLayout: { width: options.width ?? '100%', height: options.height ?? '100%' }, regions, slides };
}

/** Serializes a presentation as MMS players expect it: no namespace, `root-layout` always present. */
export function serializeSmil(p: SmilPresentation): string {
  const rl = p.rootLayout ?? { width: '100%', height: '100%' };
  const layout = element('layout', {}, [
    element('root-layout', { width: rl.width, height: rl.height, backgroundColor: rl.backgroundColor }),
    ...p.regions.map((r) => element('region', { id: r.id, left: r.left, top: r.top, width: r.width, height: r.height, fit: r.fit })),
  ]);
  const body = element('body', {}, p.slides.map(slideElement));
  return serializeXml(element('smil', {}, [element('head', {}, [layout]), body]));
}

function slideElement(s: SmilSlide): XmlElement {
  return element(
    'par',
    { dur: s.dur === undefined ? undefined : formatClockValue(s.dur) },
    s.media.map((m) =>
      element(m.kind, {
        src: m.src,
        region: m.region,
        begin: m.begin === undefined ? undefined : formatClockValue(m.begin),
        end: m.end === undefined ? undefined : formatClockValue(m.end),
        dur: m.dur === undefined ? undefined : formatClockValue(m.dur),
        alt: m.alt,
      }),
    ),
  );
}
