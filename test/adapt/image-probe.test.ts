import t from 'tap';
import sharp from 'sharp';
import { probeImage } from '../../src/adapt/image-probe.js';
import { adaptImage } from '../../src/adapt/images.js';
import { photo } from './helpers.js';

const JPEG_GIF_PNG = ['image/jpeg', 'image/gif', 'image/png'];
const PX = 50_000_000;

/** Images as handsets and editors write them; `plain` = no metadata sharp reports, RGB or grey. */
async function samples(): Promise<{ name: string; data: Buffer; plain: boolean }[]> {
  const base = await photo(320, 240);
  const rgba = sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 90, b: 200, alpha: 0.5 } } });
  return [
    { name: 'baseline JPEG', data: base, plain: true },
    { name: 'progressive JPEG', data: await sharp(base).jpeg({ progressive: true }).toBuffer(), plain: true },
    { name: 'greyscale JPEG', data: await sharp(base).greyscale().jpeg().toBuffer(), plain: true },
    { name: 'JPEG with EXIF', data: await sharp(base).withExif({ IFD0: { Copyright: 'someone' } }).jpeg().toBuffer(), plain: false },
    { name: 'JPEG with orientation 6', data: await sharp(base).withMetadata({ orientation: 6 }).jpeg().toBuffer(), plain: false },
    { name: 'JPEG with ICC profile', data: await sharp(base).withIccProfile('p3').jpeg().toBuffer(), plain: false },
    { name: 'CMYK JPEG', data: await sharp(base).toColourspace('cmyk').jpeg().toBuffer(), plain: false },
    { name: 'RGB PNG', data: await sharp(base).png().toBuffer(), plain: true },
    { name: 'RGBA PNG', data: await rgba.clone().png().toBuffer(), plain: true },
    { name: 'palette PNG', data: await sharp(base).png({ palette: true }).toBuffer(), plain: true },
    { name: 'PNG with ICC profile', data: await sharp(base).withIccProfile('p3').png().toBuffer(), plain: false },
    { name: 'PNG with EXIF', data: await sharp(base).withExif({ IFD0: { Copyright: 'someone' } }).png().toBuffer(), plain: false },
    { name: 'GIF', data: await sharp(base).gif().toBuffer(), plain: false },
    { name: 'WebP', data: await sharp(base).webp().toBuffer(), plain: false },
  ];
}

t.test('the probe answers for plain JPEG/PNG only, and then agrees with sharp', async (t) => {
  for (const s of await samples()) {
    const p = probeImage(s.data);
    const meta = await sharp(s.data).metadata();
    const sharpPlain = !(meta.exif || meta.icc || meta.xmp || meta.iptc) && (meta.orientation ?? 1) <= 1 && meta.space !== 'cmyk';
    if (s.plain) {
      t.ok(sharpPlain, `${s.name}: sharp sees no metadata either`);
      t.same(p, { type: `image/${meta.format}`, width: meta.width, height: meta.height }, `${s.name}: type and size as sharp reads them`);
    } else {
      t.equal(p, undefined, `${s.name}: left to sharp`);
    }
  }
});

t.test('truncated, padded and mutated headers never make the probe throw or lie about the size', async (t) => {
  const all = await samples();
  let answered = 0;
  let compared = 0;
  for (const s of all.filter((x) => x.plain)) {
    for (let cut = 0; cut < Math.min(s.data.length, 400); cut += 7) t.doesNotThrow(() => probeImage(s.data.subarray(0, cut)));
    // A cut before the first scan / image data leaves nothing to be sure of.
    t.equal(probeImage(s.data.subarray(0, 20)), undefined, `${s.name}: 20 octets are not enough`);
    let seed = 7;
    for (let n = 0; n < 300; n++) {
      const m = Buffer.from(s.data);
      for (let k = 0; k < 3; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        m[seed % Math.min(m.length, 700)] = seed & 0xff;
      }
      const p = probeImage(m);
      if (!p) continue;
      answered++;
      // An answer means the image goes out untouched on the probe's word: its type and size must
      // be what libvips reads from the same bytes (when it can read them at all).
      const meta = await sharp(m).metadata().catch(() => undefined);
      if (!meta) continue;
      compared++;
      if (p.type !== `image/${meta.format}` || p.width !== meta.width || p.height !== meta.height) {
        t.fail(`${s.name}: mutation ${n}: the probe says ${p.type} ${p.width}x${p.height}, sharp ${meta.format} ${meta.width}x${meta.height}`);
      }
    }
  }
  t.ok(answered > 0, `mutations away from the header still probe (${answered})`);
  t.ok(compared > 0, `every answer that sharp could read agreed with it (${compared})`);
  t.equal(probeImage(Buffer.from('GIF89a')), undefined);
  t.equal(probeImage(Buffer.alloc(1024, 0x5a)), undefined);
});

t.test('adaptImage: plain images pass untouched on the probe; CMYK JPEG is re-encoded as sRGB', async (t) => {
  for (const s of (await samples()).filter((x) => x.plain)) {
    const r = await adaptImage(s.data, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX, budget: 300_000 });
    t.ok(r.ok && !r.changed && r.data.equals(s.data), `${s.name}: same bytes`);
  }
  const big = await photo(1024, 768);
  const scaled = await adaptImage(big, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.match(scaled, { ok: true, changed: true, width: 640, height: 480 }, 'too large for the box: scaled (not passed through)');
  const small = await photo(320, 240);
  const tight = await adaptImage(small, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX, budget: Math.floor(small.length / 2) });
  t.ok(tight.ok && tight.changed && tight.data.length <= small.length / 2, 'over budget: re-encoded to fit');
  const onlyPng = await adaptImage(small, 'image/jpeg', { accept: ['image/png'], maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.match(onlyPng, { ok: true, type: 'image/png', changed: true }, 'not accepted: converted');

  const cmyk = await sharp(small).toColourspace('cmyk').jpeg().toBuffer();
  t.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const r = await adaptImage(cmyk, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.ok(r.ok && r.changed, 'CMYK JPEG re-encoded');
  if (r.ok) {
    const m = await sharp(r.data).metadata();
    t.equal(m.format, 'jpeg');
    t.equal(m.space, 'srgb');
  }
});
