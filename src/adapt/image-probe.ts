/**
 * What an image's header says, read in JS, for the common case where adaptation has nothing to do:
 * a JPEG or PNG the handset accepts, small enough, without metadata. Asking sharp (libvips) for the
 * metadata of every retrieved image cost about a tenth of the gateway's CPU in the end-to-end
 * benchmark; this probe costs microseconds. It answers only when it is sure: anything it does not
 * recognise (other formats, metadata segments, CMYK, APNG, odd structure) gives undefined and the
 * caller asks sharp as before.
 */
export interface ImageProbe {
  type: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

export function probeImage(b: Uint8Array): ImageProbe | undefined {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return probeJpeg(b);
  if (b.length >= 33 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return probePng(b);
  return undefined;
}

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/** Start-of-frame markers (ITU-T T.81 Table B.1): C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * Walks the marker segments up to the first scan (SOS). Metadata sharp reports lives in APP1 (Exif,
 * XMP), APP2 (ICC) and APP13 (IPTC); only APP0 (JFIF) and APP14 (Adobe) are let through.
 */
function probeJpeg(b: Uint8Array): ImageProbe | undefined {
  let i = 2;
  let frame: { width: number; height: number } | undefined;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte (T.81 B.1.1.2)
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (m === 0xda) return frame && { type: 'image/jpeg', ...frame };
    if (m === 0xd9) return undefined;
    const len = u16(b, i + 2);
    if (len < 2 || i + 2 + len > b.length) return undefined;
    if (m >= 0xe0 && m <= 0xef && m !== 0xe0 && m !== 0xee) return undefined;
    if (isSof(m)) {
      if (len < 8 || frame) return undefined;
      const height = u16(b, i + 5);
      const width = u16(b, i + 7);
      const components = b[i + 9]!;
      // Height 0 means "defined later by DNL"; 4 components is CMYK/YCCK, which handsets render badly.
      if (height === 0 || width === 0 || (components !== 1 && components !== 3)) return undefined;
      frame = { width, height };
    }
    i += 2 + len;
  }
  return undefined;
}

/** Ancillary chunks that carry no metadata sharp reports and change nothing a handset needs. */
const PLAIN_PNG_CHUNKS = new Set(['PLTE', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'pHYs', 'bKGD', 'sBIT', 'tIME']);

/** IHDR first (PNG §5.6), then chunks up to the first IDAT; eXIf, iCCP, text chunks and acTL (APNG) are not plain. */
function probePng(b: Uint8Array): ImageProbe | undefined {
  if (b[4] !== 0x0d || b[5] !== 0x0a || b[6] !== 0x1a || b[7] !== 0x0a) return undefined;
  if (u32(b, 8) !== 13 || chunkType(b, 12) !== 'IHDR') return undefined;
  const width = u32(b, 16);
  const height = u32(b, 20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return undefined;
  let i = 8 + 12 + 13;
  while (i + 8 <= b.length) {
    const len = u32(b, i);
    const type = chunkType(b, i + 4);
    if (type === 'IDAT') return { type: 'image/png', width, height };
    if (!PLAIN_PNG_CHUNKS.has(type)) return undefined;
    i += 12 + len;
  }
  return undefined;
}

function chunkType(b: Uint8Array, i: number): string {
  return String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
}
