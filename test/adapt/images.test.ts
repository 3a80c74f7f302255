import t from 'tap';
import sharp from 'sharp';
import { adaptImage } from '../../src/adapt/images.js';
import { photo } from './helpers.js';

const JPEG_GIF_PNG = ['image/jpeg', 'image/gif', 'image/png'];
const PX = 50_000_000;

t.test('a WebP, AVIF and TIFF become JPEG for a handset that takes JPEG/GIF/PNG', async (t) => {
  for (const f of ['webp', 'avif', 'tiff'] as const) {
    const r = await adaptImage(await photo(320, 240, f), `image/${f}`, { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
    t.ok(r.ok, f);
    if (!r.ok) continue;
    t.equal(r.type, f === 'tiff' ? 'image/jpeg' : 'image/jpeg', `${f} -> jpeg`);
    t.equal((await sharp(r.data).metadata()).format, 'jpeg');
  }
});

t.test('a PNG with transparency becomes PNG-or-GIF, not JPEG, when WebP is not accepted', async (t) => {
  const webp = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).webp().toBuffer();
  const r = await adaptImage(webp, 'image/webp', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.ok(r.ok && r.type === 'image/png');
});

t.test('scaled into the resolution in either orientation; no enlargement', async (t) => {
  const land = await adaptImage(await photo(2000, 1500), 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.match(land, { ok: true, width: 640, height: 480 });
  const port = await adaptImage(await photo(1500, 2000), 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.match(port, { ok: true, width: 480, height: 640 });
  const small = await photo(200, 100, 'png');
  const same = await adaptImage(small, 'image/png', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.match(same, { ok: true, changed: false, width: 200, height: 100 });
  t.ok(same.ok && Buffer.compare(same.data, small) === 0, 'untouched: the same bytes');
});

t.test('EXIF orientation is applied and metadata stripped', async (t) => {
  // 400x200 pixels stored with orientation 6 (rotate 90° clockwise to display): shown as 200x400.
  const src = await sharp(await photo(400, 200)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  t.equal((await sharp(src).metadata()).orientation, 6);
  const r = await adaptImage(src, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.ok(r.ok);
  if (!r.ok) return;
  const m = await sharp(r.data).metadata();
  t.equal(m.width, 200);
  t.equal(m.height, 400);
  t.equal(m.orientation, undefined, 'no orientation tag left');
  t.equal(m.exif, undefined, 'no EXIF left');
});

t.test('quality search fits a budget; when quality alone cannot, the image gets smaller', async (t) => {
  const src = await photo(1600, 1200);
  for (const budget of [120_000, 40_000, 8_000]) {
    const r = await adaptImage(src, 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 1600, h: 1200 }, budget, maxInputPixels: PX });
    t.ok(r.ok, `budget ${budget}`);
    if (r.ok) t.ok(r.data.length <= budget, `${r.data.length} <= ${budget} (${r.width}x${r.height})`);
  }
});

t.test('an animated GIF stays animated where GIF is accepted, and becomes a still JPEG where not', async (t) => {
  const frames = await Promise.all([0, 1, 2, 3].map((i) => sharp({ create: { width: 300, height: 200, channels: 3, background: { r: i * 60, g: 100, b: 200 - i * 40 } } }).raw().toBuffer()));
  const gif = await sharp(Buffer.concat(frames), { raw: { width: 300, height: 800, channels: 3, pageHeight: 200 } }).gif({ delay: [100, 100, 100, 100], loop: 0 }).toBuffer();
  t.equal((await sharp(gif, { animated: true }).metadata()).pages, 4);
  const kept = await adaptImage(gif, 'image/gif', { accept: JPEG_GIF_PNG, maxImage: { w: 160, h: 120 }, maxInputPixels: PX });
  t.ok(kept.ok && kept.type === 'image/gif');
  if (kept.ok) {
    const m = await sharp(kept.data, { animated: true }).metadata();
    t.equal(m.pages, 4, 'all frames');
    t.ok(m.width! <= 160 && m.pageHeight! <= 120, 'scaled');
  }
  const still = await adaptImage(gif, 'image/gif', { accept: ['image/jpeg'], maxImage: { w: 640, h: 480 }, maxInputPixels: PX });
  t.ok(still.ok && still.type === 'image/jpeg');
  if (still.ok) t.equal((await sharp(still.data).metadata()).pages ?? 1, 1);
});

t.test('undecodable input, no accepted format, and too many pixels are reported, not thrown', async (t) => {
  t.match(await adaptImage(Buffer.from('BM not really a bitmap'), 'image/bmp', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: PX }), { ok: false, reason: /cannot decode/ });
  t.match(await adaptImage(await photo(10, 10), 'image/jpeg', { accept: ['text/plain'], maxImage: { w: 640, h: 480 }, maxInputPixels: PX }), { ok: false, reason: /no accepted image format/ });
  t.match(await adaptImage(await photo(400, 400), 'image/jpeg', { accept: JPEG_GIF_PNG, maxImage: { w: 640, h: 480 }, maxInputPixels: 1000 }), { ok: false });
});
