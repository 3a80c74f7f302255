import t from 'tap';
import sharp from 'sharp';
import { MessageAdapter } from '../../src/adapt/adapter.js';
import { accepts } from '../../src/adapt/handset.js';
import { parseSmil } from '../../protocol/smil/index.js';
import type { Part } from '../../protocol/wsp/index.js';
import { MIXED, RELATED, decodeBody, encodeBody, handset, photo, smilPart, textPart } from './helpers.js';

const adapter = new MessageAdapter({ maxInputPixels: 50_000_000, replacementText: 'A {type} item could not be shown.' });
const RESERVE = 300;

function imagePart(data: Buffer, type: string, loc: string): Part {
  return { contentType: { type, params: { name: loc } }, contentLocation: loc, contentId: `<${loc}>`, data };
}

t.test('a varied corpus: every adapted message fits its budget and carries only accepted types', async (t) => {
  const big = await photo(3000, 2000, 'jpeg', 95);
  const webp = await photo(1200, 900, 'webp', 90);
  const png = await photo(900, 900, 'png');
  const frames = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => sharp(await photo(400, 300, 'png')).modulate({ hue: i * 50 }).raw().toBuffer()));
  const gif = await sharp(Buffer.concat(frames), { raw: { width: 400, height: 1800, channels: 3, pageHeight: 300 } }).gif({ delay: Array(6).fill(100), loop: 0 }).toBuffer();
  const smil2 = `<smil><head><layout><root-layout/><region id="Image"/><region id="Text"/></layout></head><body>
    <par dur="5s"><img src="a.webp" region="Image"/><text src="text.txt" region="Text"/></par>
    <par dur="5s"><img src="cid:b.png" region="Image"/></par></body></smil>`;
  const corpus: { name: string; ct: typeof RELATED | typeof MIXED; parts: Part[] }[] = [
    { name: 'one big photo and text, no SMIL', ct: MIXED, parts: [imagePart(big, 'image/jpeg', 'big.jpg'), textPart('Hello there')] },
    { name: 'WebP + PNG + text with SMIL', ct: RELATED, parts: [smilPart(smil2), imagePart(webp, 'image/webp', 'a.webp'), textPart('Grüße'), imagePart(png, 'image/png', 'b.png')] },
    { name: 'animated GIF', ct: MIXED, parts: [imagePart(gif, 'image/gif', 'anim.gif'), textPart('moving')] },
    { name: 'three photos', ct: MIXED, parts: [imagePart(big, 'image/jpeg', '1.jpg'), imagePart(await photo(2000, 1500), 'image/jpeg', '2.jpg'), imagePart(webp, 'image/webp', '3.webp')] },
    { name: 'UTF-16 text only', ct: MIXED, parts: [textPart('Ünïcödé text', 't.txt', 'utf-16be')] },
  ];
  const handsets = [
    handset({ maxMessageSize: 30 * 1024, maxImage: { w: 160, h: 120 } }),
    handset({ maxMessageSize: 100 * 1024, maxImage: { w: 320, h: 240 }, smil: false }),
    handset({ maxMessageSize: 300 * 1024 }),
    handset({ maxMessageSize: 600 * 1024, maxImage: { w: 1280, h: 960 }, accept: ['image/jpeg', 'text/plain', 'application/smil'], charsets: ['iso-8859-1', 'us-ascii'] }),
  ];
  for (const m of corpus) {
    const body = encodeBody(m.parts);
    for (const h of handsets) {
      const a = await adapter.adapt(m.ct, body, h, RESERVE);
      const label = `${m.name} for ${h.maxMessageSize} octets`;
      t.ok(a.fits, `${label}: fits`);
      t.ok(a.size + RESERVE <= h.maxMessageSize, `${label}: ${a.size} + ${RESERVE} <= ${h.maxMessageSize}`);
      const parts = decodeBody(a.body);
      for (const p of parts) t.ok(accepts(h.accept, p.contentType.type), `${label}: ${p.contentType.type} accepted`);
      for (const p of parts.filter((p) => p.contentType.type.startsWith('image/'))) {
        const meta = await sharp(p.data).metadata();
        t.ok(Math.max(meta.width!, meta.pageHeight ?? meta.height!) <= Math.max(h.maxImage.w, h.maxImage.h), `${label}: image within resolution`);
      }
      if (!h.smil) t.equal(a.contentType.mediaType, MIXED.mediaType, `${label}: mixed without SMIL`);
    }
  }
});

t.test('converted parts are renamed and the SMIL references follow', async (t) => {
  const smil = `<smil><head><layout><root-layout/></layout></head><body><par dur="5s"><img src="a.webp" region="Image"/><text src="cid:text.txt" region="Text"/></par></body></smil>`;
  const body = encodeBody([smilPart(smil), imagePart(await photo(300, 200, 'webp'), 'image/webp', 'a.webp'), textPart('hi')]);
  const a = await adapter.adapt(RELATED, body, handset(), RESERVE);
  const parts = decodeBody(a.body);
  const img = parts.find((p) => p.contentType.type === 'image/jpeg')!;
  t.equal(img.contentLocation, 'a.jpg');
  t.equal(img.contentType.params.name, 'a.jpg');
  t.equal(img.contentId, '<a.webp>', 'Content-ID unchanged');
  const p = parseSmil(parts[0]!.data);
  t.same(p.slides[0]!.media.map((m) => m.src), ['a.jpg', 'cid:text.txt']);
  t.match(a.contentType, { mediaType: RELATED.mediaType, params: { start: '<smil>', type: 'application/smil' } });
});

t.test('a message without SMIL gets one generated when the handset presents SMIL; text alone does not', async (t) => {
  const body = encodeBody([imagePart(await photo(100, 100), 'image/jpeg', 'p.jpg'), textPart('caption')]);
  const a = await adapter.adapt(MIXED, body, handset(), RESERVE);
  const parts = decodeBody(a.body);
  t.equal(parts[0]!.contentType.type, 'application/smil', 'SMIL first');
  t.equal(a.contentType.params.start, parts[0]!.contentId);
  const slides = parseSmil(parts[0]!.data).slides;
  t.same(slides.map((s) => s.media.map((m) => m.kind)), [['img', 'text']]);
  const textOnly = encodeBody([textPart('just text')]);
  const b = await adapter.adapt(MIXED, textOnly, handset(), RESERVE);
  t.same(b.body, textOnly, 'served as stored');
});

t.test('a handset without SMIL gets multipart.mixed without the SMIL part', async (t) => {
  const body = encodeBody([smilPart('<smil><body><par><text src="text.txt"/></par></body></smil>'), textPart('hi')]);
  const a = await adapter.adapt(RELATED, body, handset({ smil: false }), RESERVE);
  t.same(a.contentType, MIXED);
  t.same(decodeBody(a.body).map((p) => p.contentType.type), ['text/plain']);
});

t.test('text moves to an accepted charset', async (t) => {
  const body = encodeBody([textPart('Grüße', 't.txt', 'utf-16be')]);
  const a = await adapter.adapt(MIXED, body, handset({ charsets: ['iso-8859-1'] }), RESERVE);
  const p = decodeBody(a.body)[0]!;
  t.equal(p.contentType.params.charset, 'iso-8859-1');
  t.same(Buffer.from(p.data), Buffer.from('Grüße', 'latin1'));
});

t.test('what cannot be adapted becomes a replacement text part, and the SMIL is regenerated without it', async (t) => {
  const smil = '<smil><body><par><img src="x.bmp"/><text src="text.txt"/></par></body></smil>';
  const body = encodeBody([smilPart(smil), imagePart(Buffer.from('BM garbage'), 'image/bmp', 'x.bmp'), textPart('caption')]);
  const a = await adapter.adapt(RELATED, body, handset(), RESERVE);
  const parts = decodeBody(a.body);
  const repl = parts.find((p) => p.contentLocation === 'x.txt')!;
  t.equal(Buffer.from(repl.data).toString(), 'A image/bmp item could not be shown.');
  t.ok(a.changes.some((c) => /replaced by text/.test(c)));
  const srcs = parseSmil(parts[0]!.data).slides.flatMap((s) => s.media.map((m) => `${m.kind}:${m.src}`));
  t.same(srcs, ['text:cid:x.bmp', 'text:cid:text.txt']);
});

t.test('an undecodable stored body is served as it is', async (t) => {
  const junk = Buffer.from([0x05, 0xff, 0xff]);
  const a = await adapter.adapt(MIXED, junk, handset(), RESERVE);
  t.equal(a.body, junk);
  t.match(a.changes, [/not decodable/]);
});

t.test('an image we cannot decode goes as sent when the handset accepts its type and it fits', async (t) => {
  const odd = Buffer.alloc(3000, 7);
  const body = encodeBody([textPart('hi'), imagePart(odd, 'image/jpeg', 'p.jpg')]);
  const a = await adapter.adapt(MIXED, body, handset(), RESERVE);
  const parts = decodeBody(a.body).filter((p) => p.contentType.type !== 'application/smil');
  t.same(parts.map((p) => p.contentType.type), ['text/plain', 'image/jpeg']);
  t.same(Buffer.from(parts[1]!.data), odd);
  const tight = await adapter.adapt(MIXED, body, handset({ maxMessageSize: 2500 }), RESERVE);
  t.same(decodeBody(tight.body).map((p) => p.contentType.type), ['text/plain', 'text/plain'], 'too big for the handset: replaced (no media left, so no SMIL)');
});
