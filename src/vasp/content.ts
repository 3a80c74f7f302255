import { formatContentType, serializeMultipart, type MimeEntity } from '../../protocol/mm7/index.js';
import { buildSmil, serializeSmil } from '../../protocol/smil/index.js';
import { WspReader, WspWriter, readMultipart, writeMultipart, type Part } from '../../protocol/wsp/index.js';
import type { ContentTypeRecord } from '../records/model.js';

/** A message body as the relay stores it: a WSP multipart and its content type. */
export interface StoredContent {
  contentType: ContentTypeRecord;
  body: Uint8Array;
  /** Leaf parts, for logs and limits. */
  partCount: number;
  /** Text of the text/plain parts (STOP keywords, webhooks). */
  text?: string;
}

export class ContentError extends Error {
  override readonly name = 'ContentError';
}

const RELATED = 'application/vnd.wap.multipart.related';
const MIXED = 'application/vnd.wap.multipart.mixed';

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'image/bmp': 'bmp',
  'audio/amr': 'amr', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'video/3gpp': '3gp', 'video/mp4': 'mp4',
  'text/plain': 'txt', 'application/smil': 'smil', 'text/x-vcard': 'vcf', 'text/vcard': 'vcf',
};

function extFor(mediaType: string): string {
  return EXT[mediaType] ?? 'bin';
}

function encode(contentType: ContentTypeRecord, parts: Part[]): StoredContent {
  const w = new WspWriter(parts.reduce((n, p) => n + p.data.length + 64, 64));
  writeMultipart(w, parts);
  const text = parts
    .filter((p) => p.contentType.type === 'text/plain')
    .map((p) => Buffer.from(p.data).toString('utf8'))
    .join('\n');
  const out: StoredContent = { contentType, body: w.finish(), partCount: parts.length };
  if (text) out.text = text;
  return out;
}

/** MIME parameters worth keeping on a WSP part (others describe the MIME framing). */
function partParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k === 'charset' || k === 'name') out[k] = v;
  return out;
}

/**
 * The MM of an MM7 SubmitReq/ReplaceReq (a MIME entity, usually multipart/related with SMIL) as a
 * WSP multipart. Nested multiparts are flattened: MMS clients show one level. Parts keep their
 * Content-ID and Content-Location so the SMIL still finds them; a part with neither gets a name.
 */
export function contentFromMime(mm: MimeEntity): StoredContent {
  const leaves: MimeEntity[] = [];
  const walk = (e: MimeEntity): void => {
    if (e.parts) e.parts.forEach(walk);
    else leaves.push(e);
  };
  walk(mm);
  if (leaves.length === 0) throw new ContentError('the MM has no parts');
  const parts = leaves.map((e, i): Part => {
    const p: Part = { contentType: { type: e.contentType.mediaType, params: partParams(e.contentType.params) }, data: e.body };
    if (e.contentId) p.contentId = `<${e.contentId}>`;
    if (e.contentLocation) p.contentLocation = e.contentLocation;
    if (!e.contentId && !e.contentLocation) p.contentLocation = `part${i + 1}.${extFor(e.contentType.mediaType)}`;
    return p;
  });
  const smil = leaves.find((e) => e.contentType.mediaType === 'application/smil');
  if (mm.parts && mm.contentType.mediaType === 'multipart/related' && smil) {
    const start = smil.contentId ? `<${smil.contentId}>` : undefined;
    const params: Record<string, string> = { type: 'application/smil' };
    if (start) params.start = start;
    return encode({ mediaType: RELATED, params }, parts);
  }
  return encode({ mediaType: MIXED, params: {} }, parts);
}

export interface MediaInput {
  contentType: string;
  data: Uint8Array;
  /** File name to present (Content-Location); derived from the type when absent. */
  name?: string;
}

/**
 * A REST message (text, media, optional SMIL) as a WSP multipart/related with a SMIL first:
 * generated with protocol/smil when the caller gave none, referencing parts by Content-Location.
 */
export function contentFromParts(input: { text?: string; media: readonly MediaInput[]; smil?: string }): StoredContent {
  const parts: Part[] = [];
  const used = new Set<string>();
  const nameFor = (wanted: string | undefined, mediaType: string, i: number): string => {
    let base = (wanted ?? `part${i}.${extFor(mediaType)}`).replace(/[^A-Za-z0-9._-]/g, '_').slice(-64) || `part${i}`;
    while (used.has(base)) base = `${i}_${base}`;
    used.add(base);
    return base;
  };
  input.media.forEach((m, i) => {
    const type = m.contentType.split(';')[0]!.trim().toLowerCase();
    parts.push({ contentType: { type, params: {} }, contentLocation: nameFor(m.name, type, i + 1), data: m.data });
  });
  if (input.text !== undefined && input.text !== '') {
    parts.push({ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: nameFor('text.txt', 'text/plain', 0), data: Buffer.from(input.text, 'utf8') });
  }
  if (parts.length === 0) throw new ContentError('a message needs text or media');
  const smil = input.smil ?? serializeSmil(buildSmil(parts.map((p) => ({ src: p.contentLocation!, contentType: p.contentType.type }))));
  parts.unshift({ contentType: { type: 'application/smil', params: { charset: 'utf-8' } }, contentId: '<smil>', contentLocation: 'smil.smil', data: Buffer.from(smil, 'utf8') });
  return encode({ mediaType: RELATED, params: { type: 'application/smil', start: '<smil>' } }, parts);
}

/**
 * A stored message as one MIME entity for MM7 (DeliverReq): multipart/related with the SMIL as
 * start when it has one, else multipart/mixed; bodies binary, part identities kept.
 */
export function mimeFromStored(contentType: ContentTypeRecord, body: Uint8Array): { contentType: string; body: Buffer } {
  const parts = readMultipart(new WspReader(body), { strict: false, warn: () => undefined, depth: 0 });
  let boundary = 'mmsc-mm-0';
  for (let i = 1; parts.some((p) => Buffer.from(p.data).includes(boundary)); i++) boundary = `mmsc-mm-${i}`;
  const out = serializeMultipart(
    parts.map((p) => {
      const headers: Record<string, string> = {};
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.contentType.params)) if (typeof v === 'string' || typeof v === 'number') params[k] = String(v);
      headers['Content-Type'] = formatContentType({ mediaType: p.contentType.type, params });
      if (p.contentId) headers['Content-ID'] = p.contentId.startsWith('<') ? p.contentId : `<${p.contentId}>`;
      if (p.contentLocation) headers['Content-Location'] = p.contentLocation;
      headers['Content-Transfer-Encoding'] = 'binary';
      return { headers, body: Buffer.from(p.data) };
    }),
    boundary,
  );
  const related = contentType.mediaType === RELATED;
  const params: Record<string, string> = {};
  if (related) {
    params.type = String(contentType.params.type ?? 'application/smil');
    if (contentType.params.start !== undefined) params.start = String(contentType.params.start);
  }
  params.boundary = boundary;
  return { contentType: formatContentType({ mediaType: related ? 'multipart/related' : 'multipart/mixed', params }), body: out };
}

/** Text and part list of a stored message (for MO webhooks and keyword checks); empty if unreadable. */
export function textOfStored(body: Uint8Array): { text: string; parts: { contentType: string; size: number; name?: string }[] } {
  try {
    const parts = readMultipart(new WspReader(body), { strict: false, warn: () => undefined, depth: 0 });
    return {
      text: parts
        .filter((p) => p.contentType.type === 'text/plain')
        .map((p) => Buffer.from(p.data).toString('utf8'))
        .join('\n'),
      parts: parts.map((p) => ({ contentType: p.contentType.type, size: p.data.length, ...(p.contentLocation ? { name: p.contentLocation } : {}) })),
    };
  } catch {
    return { text: '', parts: [] };
  }
}
