import sharp, { type Metadata, type Sharp } from 'sharp';
import type { Dimensions } from '../../protocol/uaprof/index.js';
import { accepts } from './handset.js';
import { probeImage } from './image-probe.js';

export interface ImageTarget {
  accept: readonly string[];
  maxImage: Dimensions;
  /** Octets the image may take; undefined = no size constraint. */
  budget?: number;
  maxInputPixels: number;
}

export type ImageResult =
  | { ok: true; data: Buffer; type: string; changed: boolean; width: number; height: number }
  | { ok: false; reason: string };

type OutFormat = 'jpeg' | 'png' | 'gif' | 'webp';

const TYPE_OF: Record<OutFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };
const FORMAT_OF_TYPE: Record<string, OutFormat> = { 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp' };

/** The media type of what sharp decoded: the bytes decide, not the label the sender put on them. */
function sourceType(format: string | undefined, compression: string | undefined): string {
  if (format === 'heif') return compression === 'av1' ? 'image/avif' : 'image/heic';
  if (format === 'jpeg' || format === 'png' || format === 'gif' || format === 'webp' || format === 'tiff') return `image/${format}`;
  return `image/${format ?? 'unknown'}`;
}

/**
 * The format to send: the source's own when the handset takes it and we can write it; otherwise
 * GIF for animations, PNG for images with transparency or few colours, JPEG for photos - the first
 * of those the handset accepts.
 */
function chooseFormat(src: string, animated: boolean, lossless: boolean, accept: readonly string[]): OutFormat | undefined {
  const own = FORMAT_OF_TYPE[src];
  if (own && accepts(accept, src)) return own;
  const order: OutFormat[] = animated ? ['gif', 'webp', 'png', 'jpeg'] : lossless ? ['png', 'gif', 'jpeg', 'webp'] : ['jpeg', 'png', 'webp', 'gif'];
  return order.find((f) => accepts(accept, TYPE_OF[f]));
}

/** The box an image must fit, turned to the image's orientation (a 640x480 limit takes 480x640 portraits). */
function boxFor(w: number, h: number, max: Dimensions): Dimensions {
  const long = Math.max(max.w, max.h);
  const short = Math.min(max.w, max.h);
  return w >= h ? { w: long, h: short } : { w: short, h: long };
}

function encoder(img: Sharp, f: OutFormat, quality: number): Sharp {
  switch (f) {
    case 'jpeg':
      return img.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: false, chromaSubsampling: quality < 90 ? '4:2:0' : '4:4:4' });
    case 'webp':
      return img.webp({ quality });
    case 'png':
      // Below the top quality, a palette (pngquant-style) is what makes PNGs small.
      return quality >= 90 ? img.png({ compressionLevel: 9 }) : img.png({ compressionLevel: 9, palette: true, quality, colours: Math.max(16, Math.round((quality / 100) * 256)) });
    case 'gif':
      return img.gif({ colours: Math.max(16, Math.round((quality / 100) * 256)), effort: 7 });
  }
}

const QUALITY_START = 82;
const QUALITY_FLOOR = 30;

/**
 * Adapts one image for a handset with sharp (libvips, off the event loop): decodes whatever the
 * system can (WebP, AVIF/HEIC, TIFF, SVG, ...), applies EXIF orientation, strips metadata, scales
 * into the handset's resolution, converts to an accepted format, and when a budget is given searches
 * quality, then size (and for animations the frame count, then a single frame) until it fits.
 * An image that is accepted, small enough and carries no metadata is passed through untouched (found
 * by a header probe in JS for plain JPEG and PNG, by sharp's metadata otherwise).
 */
export async function adaptImage(input: Uint8Array, declaredType: string, t: ImageTarget): Promise<ImageResult> {
  const probe = probeImage(input);
  if (probe && probe.width * probe.height <= t.maxInputPixels && accepts(t.accept, probe.type) && fitsAsIs(probe.width, probe.height, input, t)) {
    return untouched(input, probe.type, probe.width, probe.height);
  }
  let meta: Metadata;
  try {
    meta = await sharp(input, { animated: true, limitInputPixels: t.maxInputPixels, failOn: 'error' }).metadata();
  } catch (e) {
    return { ok: false, reason: `cannot decode ${declaredType}: ${(e as Error).message}` };
  }
  const src = sourceType(meta.format, meta.compression);
  const pages = meta.pages ?? 1;
  const rotated = (meta.orientation ?? 1) >= 5;
  const frameH = meta.pageHeight ?? meta.height ?? 0;
  const w0 = rotated ? frameH : (meta.width ?? 0);
  const h0 = rotated ? (meta.width ?? 0) : frameH;
  const lossless = meta.hasAlpha === true || src === 'image/png' || src === 'image/gif';
  const format = chooseFormat(src, pages > 1, lossless, t.accept);
  if (!format) return { ok: false, reason: `no accepted image format for ${src}` };
  const box = boxFor(w0, h0, t.maxImage);
  const hasMetadata = !!(meta.exif || meta.icc || meta.xmp || meta.iptc) || (meta.orientation ?? 1) > 1;
  // CMYK JPEGs (print workflows) show as negatives or not at all on most handsets: re-encoded as sRGB.
  const cmyk = meta.space === 'cmyk';
  if (TYPE_OF[format] === src && !hasMetadata && !cmyk && fitsAsIs(w0, h0, input, t)) return untouched(input, src, w0, h0);
  try {
    return pages > 1 && (format === 'gif' || format === 'webp') ? await animatedImage(input, format, pages, box, t) : await stillImage(input, format, box, t);
  } catch (e) {
    return { ok: false, reason: `cannot convert ${src} to ${TYPE_OF[format]}: ${(e as Error).message}` };
  }
}

/** Within the handset's resolution (either orientation) and its octet budget as it is. */
function fitsAsIs(w: number, h: number, input: Uint8Array, t: ImageTarget): boolean {
  const box = boxFor(w, h, t.maxImage);
  return w <= box.w && h <= box.h && (t.budget === undefined || input.length <= t.budget);
}

function untouched(input: Uint8Array, type: string, width: number, height: number): ImageResult {
  return { ok: true, data: Buffer.from(input.buffer, input.byteOffset, input.byteLength), type, changed: false, width, height };
}

async function stillImage(input: Uint8Array, format: OutFormat, box: Dimensions, t: ImageTarget): Promise<ImageResult> {
  // Decode, orient and scale once; the quality search re-encodes from these pixels only.
  const { data: raw, info } = await sharp(input, { limitInputPixels: t.maxInputPixels })
    .rotate()
    .resize({ width: box.w, height: box.h, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rawOpts = { raw: { width: info.width, height: info.height, channels: info.channels } };
  let w = info.width;
  let h = info.height;
  const encode = (quality: number): Promise<Buffer> => {
    let img = sharp(raw, rawOpts);
    if (w !== info.width || h !== info.height) img = img.resize({ width: w, height: h, fit: 'fill' });
    return encoder(img, format, quality).toBuffer();
  };
  for (let round = 0; round < 8; round++) {
    let out = await encode(QUALITY_START);
    if (t.budget === undefined || out.length <= t.budget) return done(out, format, w, h);
    // Highest quality that fits, by bisection between the floor and the start.
    let lo = QUALITY_FLOOR;
    let hi = QUALITY_START - 1;
    let best: Buffer | undefined;
    const floor = await encode(lo);
    if (floor.length <= t.budget) {
      best = floor;
      while (hi - lo > 6) {
        const mid = Math.floor((lo + hi) / 2);
        out = await encode(mid);
        if (out.length <= t.budget) {
          best = out;
          lo = mid;
        } else hi = mid - 1;
      }
      return done(best, format, w, h);
    }
    // Even the floor quality is too big: fewer pixels. Size scales roughly with the area.
    const factor = Math.max(0.3, Math.min(0.9, Math.sqrt(t.budget / floor.length) * 0.95));
    w = Math.max(1, Math.floor(w * factor));
    h = Math.max(1, Math.floor(h * factor));
    if (w < 16 && h < 16) break;
  }
  return { ok: false, reason: `image does not fit ${t.budget} octets` };
}

async function animatedImage(input: Uint8Array, format: OutFormat, pages: number, box: Dimensions, t: ImageTarget): Promise<ImageResult> {
  let frames = pages;
  let scale = 1;
  for (let round = 0; round < 10; round++) {
    const img = sharp(input, { animated: true, pages: frames, limitInputPixels: t.maxInputPixels }).resize({
      width: Math.max(1, Math.floor(box.w * scale)),
      height: Math.max(1, Math.floor(box.h * scale)),
      fit: 'inside',
      withoutEnlargement: true,
    });
    const { data, info } = await encoder(img, format, frames === pages ? QUALITY_START : 60).toBuffer({ resolveWithObject: true });
    if (t.budget === undefined || data.length <= t.budget) return done(data, format, info.width, info.pageHeight ?? info.height);
    // Fewer frames first (the animation stays an animation), then a smaller picture.
    if (frames > 2) frames = Math.ceil(frames / 2);
    else if (frames === 2) frames = 1;
    else scale *= Math.max(0.3, Math.min(0.9, Math.sqrt(t.budget / data.length)));
  }
  return { ok: false, reason: `animation does not fit ${t.budget} octets` };
}

function done(data: Buffer, f: OutFormat, width: number, height: number): ImageResult {
  return { ok: true, data, type: TYPE_OF[f], changed: true, width, height };
}
