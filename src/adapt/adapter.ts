import { findSmilPart, buildSmil, parseSmil, rewriteSmil, serializeSmil, smilKindFor, type SmilPartInput, type SmilPartRef } from '../../protocol/smil/index.js';
import { DecodeError, WspReader, WspWriter, readMultipart, writeMultipart, isMultipart, type Part } from '../../protocol/wsp/index.js';
import type { ContentTypeRecord } from '../records/model.js';
import { accepts, type Handset } from './handset.js';
import { adaptImage } from './images.js';
import { adaptText } from './text.js';

/** Audio/video transcoding (src/adapt/media.ts); absent when ffmpeg is not installed. */
export interface MediaTranscoder {
  adapt(data: Uint8Array, type: string, handset: Handset, budget?: number): Promise<{ ok: true; data: Buffer; type: string; changed: boolean; durationMs?: number } | { ok: false; reason: string }>;
}

export interface AdapterOptions {
  maxInputPixels: number;
  /** `{type}` = the original media type. */
  replacementText: string;
  media?: MediaTranscoder;
}

export interface AdaptedMessage {
  contentType: ContentTypeRecord;
  body: Uint8Array;
  /** Encoded size of `body`. */
  size: number;
  /** Whether body plus `reserve` is within the handset's maximum. */
  fits: boolean;
  /** What was done, one short line each (logged with the retrieval). */
  changes: string[];
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp',
  'audio/amr': 'amr', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/aac': 'aac', 'audio/3gpp': '3gp', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/ogg': 'ogg',
  'video/3gpp': '3gp', 'video/mp4': 'mp4', 'text/plain': 'txt', 'application/smil': 'smil',
};

const SMIL_TYPE = 'application/smil';
const SMIL_ID = '<smil>';
const RELATED = 'application/vnd.wap.multipart.related';
const MIXED = 'application/vnd.wap.multipart.mixed';

/** One part on its way through adaptation, with where it came from. */
interface Work {
  part: Part;
  /** The stored content: budgeted rounds start again from it, not from an already reduced copy. */
  source: Uint8Array;
  origType: string;
  kind: 'image' | 'text' | 'media' | 'other' | 'smil' | 'nested';
  /** Budgeted re-adaptation possible (images, audio, video). */
  shrinkable: boolean;
  replaced?: boolean;
  durationMs?: number;
}

function baseType(t: string): string {
  return t.split(';')[0]!.trim().toLowerCase();
}

function encodeParts(parts: readonly Part[]): Uint8Array {
  const w = new WspWriter(4096);
  writeMultipart(w, parts);
  return w.finish();
}

function stripBrackets(id: string | undefined): string | undefined {
  return id?.replace(/^<(.*)>$/, '$1');
}

/** `photo.heic` -> `photo.jpg` for the new type; names without an extension get one. */
function renamed(name: string | undefined, type: string): string | undefined {
  if (name === undefined) return undefined;
  const ext = EXTENSIONS[type];
  if (!ext) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  return `${stem}.${ext}`;
}

/**
 * Adapts a stored message body (an encoded WSP multipart) to one handset (issue 6): every part in a
 * form the handset accepts (images with sharp, audio/video through `media`, text in an accepted
 * charset), the SMIL rewritten, generated or dropped, and the whole body fitted into
 * `handset.maxMessageSize - reserve` (reserve = the m-retrieve-conf headers). What cannot be adapted
 * becomes a short text part instead of failing the retrieval.
 */
export class MessageAdapter {
  constructor(private readonly o: AdapterOptions) {}

  async adapt(contentType: ContentTypeRecord, body: Uint8Array, handset: Handset, reserve: number): Promise<AdaptedMessage> {
    const budget = handset.maxMessageSize - reserve;
    const changes: string[] = [];
    let parts: Part[];
    try {
      parts = readMultipart(new WspReader(body), { strict: false, warn: () => {}, depth: 0 });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { contentType, body, size: body.length, fits: body.length <= budget, changes: [`stored body not decodable (${e.reason}); served as is`] };
    }
    const smilIndex = this.smilIndex(contentType, parts);
    const work: Work[] = parts.map((p, i) => classify(p, i === smilIndex));

    // 1. Every part into a form the handset takes, without a size constraint yet.
    for (const w of work) await this.adaptPart(w, handset, undefined, changes);

    // 2. Presentation: SMIL kept (references rewritten), generated, or dropped for multipart.mixed.
    let { ct, items } = this.presentation(contentType, work, parts, handset, changes);

    // 3. Fit the whole message: budgets for images/audio/video in proportion to their size.
    let size = encodeParts(items.map((w) => w.part)).length;
    for (let round = 0; round < 4 && size > budget; round++) {
      const shrink = items.filter((w) => w.shrinkable && !w.replaced);
      if (shrink.length === 0) break;
      const shrinkSize = shrink.reduce((n, w) => n + w.part.data.length, 0);
      const available = (budget - (size - shrinkSize)) * (1 - 0.04 * round);
      if (available < shrink.length * 512) break;
      for (const w of shrink) {
        const share = Math.floor((available * w.part.data.length) / shrinkSize);
        await this.adaptPart(w, handset, share, changes);
      }
      ({ ct, items } = this.presentation(contentType, work, parts, handset, []));
      size = encodeParts(items.map((w) => w.part)).length;
    }
    // 4. Still too big: the largest non-text parts give way to their replacement text.
    while (size > budget) {
      const victim = items.filter((w) => w.kind !== 'smil' && !w.replaced && w.kind !== 'text').sort((a, b) => b.part.data.length - a.part.data.length)[0];
      if (!victim) break;
      this.replace(victim, `does not fit ${budget} octets`, changes);
      ({ ct, items } = this.presentation(contentType, work, parts, handset, []));
      size = encodeParts(items.map((w) => w.part)).length;
    }
    // Nothing to do: the stored body as it is (byte for byte; a re-encoding could differ in form).
    if (changes.length === 0 && body.length <= budget && items.length === parts.length && items.every((w, i) => w.part.data === parts[i]!.data)) {
      return { contentType, body, size: body.length, fits: true, changes };
    }
    const out = encodeParts(items.map((w) => w.part));
    return { contentType: ct, body: out, size: out.length, fits: out.length <= budget, changes };
  }

  /** The SMIL part: Content-ID = `start`, else the first application/smil part (an empty `start` happens, gotcha 13). */
  private smilIndex(ct: ContentTypeRecord, parts: readonly Part[]): number {
    const start = ct.params.start;
    if (typeof start === 'string' && start !== '') {
      const i = parts.findIndex((p) => p.contentId !== undefined && stripBrackets(p.contentId) === stripBrackets(start));
      if (i >= 0 && baseType(parts[i]!.contentType.type) === SMIL_TYPE) return i;
    }
    return parts.findIndex((p) => baseType(p.contentType.type) === SMIL_TYPE);
  }

  private async adaptPart(w: Work, h: Handset, budget: number | undefined, changes: string[]): Promise<void> {
    if (w.replaced) return;
    const p = w.part;
    const type = baseType(p.contentType.type);
    if (w.kind === 'image') {
      const r = await adaptImage(w.source, w.origType, { accept: h.accept, maxImage: h.maxImage, budget, maxInputPixels: this.o.maxInputPixels });
      if (!r.ok) {
        // What we cannot decode the handset may still show: an accepted type within budget goes as sent.
        if (accepts(h.accept, w.origType) && (budget === undefined || w.source.length <= budget)) {
          if (budget === undefined) changes.push(`${w.origType} ${describe(p)} passed on as sent: ${r.reason}`);
          return;
        }
        return this.replace(w, r.reason, changes);
      }
      if (r.changed) {
        this.retype(w, r.type);
        p.data = r.data;
        changes.push(`${w.origType} ${describe(p)} -> ${r.type} ${r.width}x${r.height}, ${r.data.length} octets`);
      }
    } else if (w.kind === 'media') {
      if (!this.o.media) {
        if (accepts(h.accept, w.origType)) return;
        return this.replace(w, 'no media transcoder (ffmpeg) available', changes);
      }
      const r = await this.o.media.adapt(w.source, w.origType, h, budget);
      if (!r.ok) return this.replace(w, r.reason, changes);
      if (r.durationMs !== undefined) w.durationMs = r.durationMs;
      if (r.changed) {
        this.retype(w, r.type);
        p.data = r.data;
        changes.push(`${w.origType} ${describe(p)} -> ${r.type}, ${r.data.length} octets`);
      }
    } else if (w.kind === 'text') {
      if (!accepts(h.accept, type) && !accepts(h.accept, 'text/plain')) return this.replace(w, `${type} not accepted`, changes);
      const charset = typeof p.contentType.params.charset === 'string' ? p.contentType.params.charset : undefined;
      const r = adaptText(p.data, charset, h.charsets);
      if (r.changed) {
        p.data = r.data;
        p.contentType = { type: p.contentType.type, params: { ...p.contentType.params, charset: r.charset } };
        if (charset !== undefined || r.lossy) changes.push(`text ${describe(p)} ${charset ?? '(none)'} -> ${r.charset}${r.lossy ? ' (lossy)' : ''}`);
      }
    } else if (w.kind === 'other') {
      if (!accepts(h.accept, type)) this.replace(w, `${type} not accepted`, changes);
    }
  }

  /** New type: Content-Type, name/filename and Content-Location follow; Content-ID never changes (notes §8). */
  private retype(w: Work, type: string): void {
    const p = w.part;
    if (baseType(p.contentType.type) === type) return;
    const params = { ...p.contentType.params };
    for (const k of ['name', 'filename'] as const) if (typeof params[k] === 'string') params[k] = renamed(params[k] as string, type)!;
    p.contentType = { type, params };
    p.contentLocation = renamed(p.contentLocation, type);
    if (p.contentDisposition && typeof p.contentDisposition.params.filename === 'string') {
      p.contentDisposition = { ...p.contentDisposition, params: { ...p.contentDisposition.params, filename: renamed(p.contentDisposition.params.filename, type)! } };
    }
  }

  private replace(w: Work, reason: string, changes: string[]): void {
    const p = w.part;
    const text = this.o.replacementText.replaceAll('{type}', w.origType);
    changes.push(`${w.origType} ${describe(p)} replaced by text: ${reason}`);
    w.replaced = true;
    w.kind = 'text';
    w.shrinkable = false;
    const stem = (p.contentLocation ?? stripBrackets(p.contentId) ?? 'part').replace(/\.[^.]*$/, '');
    w.part = { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentId: p.contentId, contentLocation: `${stem}.txt`, data: Buffer.from(text, 'utf8') };
  }

  /**
   * The parts in presentation order and the container type. With SMIL support: the original SMIL
   * with references rewritten (parts renamed or replaced), or a generated one; without: no SMIL and
   * multipart.mixed (the MMS conformance rule [MB] quotes).
   */
  private presentation(ct: ContentTypeRecord, work: Work[], original: readonly Part[], h: Handset, changes: string[]): { ct: ContentTypeRecord; items: Work[] } {
    const content = work.filter((w) => w.kind !== 'smil');
    const smil = work.find((w) => w.kind === 'smil');
    // A message without SMIL gets one only for handsets that need it, and only when it has media to
    // present: text alone shows as it is, and current handsets show multipart.mixed well.
    const media = content.some((w) => { const k = smilKindFor(w.part.contentType.type); return k !== undefined && k !== 'text'; });
    if (!h.smil || (!smil && (!media || !h.generateSmil))) {
      if (smil) changes.push('SMIL dropped: handset does not present SMIL; multipart.mixed');
      const keep = smil || (!h.smil && /related/i.test(ct.mediaType)) ? { mediaType: isMultipart(ct.mediaType) ? MIXED : ct.mediaType, params: {} } : ct;
      return { ct: keep, items: content };
    }
    const related = (smilPart: Part): { ct: ContentTypeRecord; items: Work[] } => ({
      ct: { mediaType: RELATED, params: { ...paramsWithout(ct.params, ['start', 'type']), start: smilPart.contentId ?? SMIL_ID, type: SMIL_TYPE } },
      items: [{ part: smilPart, source: smilPart.data, origType: SMIL_TYPE, kind: 'smil', shrinkable: false }, ...content],
    });
    const refs: SmilPartRef[] = original.map((p) => ({ contentId: stripBrackets(p.contentId), contentLocation: p.contentLocation, name: typeof p.contentType.params.name === 'string' ? p.contentType.params.name : undefined }));
    if (smil) {
      const anyReplaced = content.some((w) => w.replaced);
      if (!anyReplaced) {
        try {
          // Content-IDs never change, so `cid:` references stay; names follow the renamed parts.
          const r = rewriteSmil(original[work.indexOf(smil)]!.data, (src) => {
            const i = findSmilPart(src, refs);
            if (i < 0 || /^cid:/i.test(src.trim())) return undefined;
            const now = work[i]!.part;
            return now.contentLocation ?? (typeof now.contentType.params.name === 'string' ? (now.contentType.params.name as string) : undefined);
          });
          if (r.changed === 0) return related(smil.part);
          changes.push(`SMIL: ${r.changed} reference(s) rewritten`);
          return related({ ...smil.part, data: Buffer.from(r.xml, 'utf8') });
        } catch {
          changes.push('SMIL not readable: a new one generated');
        }
      } else changes.push('SMIL regenerated: parts were replaced by text');
      // Regenerate in the original slide order where the old SMIL tells it.
      const order = slideOrder(original[work.indexOf(smil)]!.data, refs);
      const ordered = [...content].sort((a, b) => rank(order, work.indexOf(a)) - rank(order, work.indexOf(b)));
      return related(generated(ordered, smil.part.contentId ?? SMIL_ID));
    }
    changes.push('SMIL generated');
    return related(generated(content, SMIL_ID));
  }
}

function classify(p: Part, isSmil: boolean): Work {
  const t = baseType(p.contentType.type);
  const w = { part: { ...p }, source: p.data, origType: t };
  if (isSmil) return { ...w, kind: 'smil', shrinkable: false };
  if (p.parts || isMultipart(t)) return { ...w, kind: 'nested', shrinkable: false };
  if (t.startsWith('image/')) return { ...w, kind: 'image', shrinkable: true };
  if (t.startsWith('audio/') || t.startsWith('video/')) return { ...w, kind: 'media', shrinkable: true };
  if (t === 'text/plain') return { ...w, kind: 'text', shrinkable: false };
  return { ...w, kind: 'other', shrinkable: false };
}

function describe(p: Part): string {
  return JSON.stringify(p.contentLocation ?? p.contentId ?? '');
}

function paramsWithout(params: Record<string, string | number>, drop: string[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) if (!drop.includes(k)) out[k] = v;
  return out;
}

/** Part indexes in the order the SMIL presents them; unreadable SMIL = message order. */
function slideOrder(smil: Uint8Array, refs: SmilPartRef[]): number[] {
  try {
    return parseSmil(smil).slides.flatMap((s) => s.media.map((m) => findSmilPart(m.src, refs))).filter((i) => i >= 0);
  } catch {
    return [];
  }
}

function rank(order: number[], i: number): number {
  const r = order.indexOf(i);
  return r < 0 ? order.length + i : r;
}

function generated(items: readonly Work[], contentId: string): Part {
  const inputs: SmilPartInput[] = [];
  for (const w of items) {
    const p = w.part;
    // `cid:` needs a Content-ID; parts without one are referenced by Content-Location, given one if missing.
    if (!p.contentId && !p.contentLocation) p.contentLocation = `part${inputs.length + 1}.${EXTENSIONS[baseType(p.contentType.type)] ?? 'bin'}`;
    const src = p.contentId ? `cid:${stripBrackets(p.contentId)}` : p.contentLocation!;
    inputs.push({ src, contentType: p.contentType.type, durationMs: w.durationMs });
  }
  const xml = serializeSmil(buildSmil(inputs));
  return { contentType: { type: SMIL_TYPE, params: {} }, contentId: contentId, contentLocation: 'smil.smil', data: Buffer.from(xml, 'utf8') };
}
