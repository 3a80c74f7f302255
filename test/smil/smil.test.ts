import t from 'tap';
import { buildSmil, findSmilPart, parseClockValue, parseSmil, rewriteSmil, serializeSmil, SmilError, smilKindFor } from '../../protocol/smil/index.js';
import { XmlError } from '../../protocol/xml/index.js';

// Shaped after a Nokia/Android MMS: DOCTYPE, namespace, pixel root-layout, three slides.
const HANDSET_SMIL = `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE smil PUBLIC "-//W3C//DTD SMIL 2.0//EN" "http://www.w3.org/2001/SMIL20/SMIL20.dtd">
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <layout>
      <root-layout width="176" height="208" backgroundColor="#FFFFFF"/>
      <region id="Image" left="0" top="0" width="176" height="144" fit="meet"/>
      <region id="Text" left="0" top="144" width="176" height="64" fit="scroll"/>
    </layout>
  </head>
  <body>
    <par dur="5000ms">
      <img src="cid:image1.jpg" region="Image" alt="beach"/>
      <text src="text_0.txt" region="Text"/>
    </par>
    <par dur="8s">
      <audio src="cid:sound%40x" begin="0s" end="7.5s"/>
      <text src="text_1.txt" region="Text"><param name="foreground-color" value="#000000"/></text>
    </par>
    <par dur="00:00:10">
      <video src="clip.3gp" region="Image"/>
    </par>
  </body>
</smil>`;

t.test('parse a handset SMIL', async (t) => {
  const p = parseSmil(HANDSET_SMIL);
  t.same(p.rootLayout, { width: '176', height: '208', backgroundColor: '#FFFFFF' });
  t.same(p.regions.map((r) => r.id), ['Image', 'Text']);
  t.same(p.regions[1], { id: 'Text', left: '0', top: '144', width: '176', height: '64', fit: 'scroll' });
  t.equal(p.slides.length, 3);
  t.same(p.slides[0], {
    dur: 5000,
    media: [
      { kind: 'img', src: 'cid:image1.jpg', region: 'Image', alt: 'beach' },
      { kind: 'text', src: 'text_0.txt', region: 'Text' },
    ],
  });
  t.same(p.slides[1]!.media[0], { kind: 'audio', src: 'cid:sound%40x', begin: 0, end: 7500 });
  t.equal(p.slides[1]!.dur, 8000);
  t.equal(p.slides[2]!.dur, 10000);
});

t.test('non-MMS structures: seq, bare media, switch, no head', async (t) => {
  const p = parseSmil('<SMIL><body><seq><img src="a.gif" dur="2s"/><par><switch><video src="v.mp4"/><img src="v.gif"/></switch></par></seq><text src="t.txt"/></body></SMIL>');
  t.same(p.slides, [
    { dur: 2000, media: [{ kind: 'img', src: 'a.gif', dur: 2000 }] },
    { media: [{ kind: 'video', src: 'v.mp4' }] },
    { media: [{ kind: 'text', src: 't.txt' }] },
  ]);
  t.same(p.regions, []);
  t.throws(() => parseSmil('<html/>'), SmilError);
  t.throws(() => parseSmil('<smil><body><par>'), XmlError);
  t.throws(() => parseSmil('<!DOCTYPE smil [<!ENTITY x "y">]><smil/>'), XmlError);
});

t.test('clock values', async (t) => {
  const cases: [string, number | undefined][] = [
    ['5000ms', 5000], ['5s', 5000], ['5', 5000], ['1.5min', 90000], ['1h', 3600000], ['0.25s', 250],
    ['00:00:05', 5000], ['01:02:03.5', 3723500], ['02:03', 123000], ['indefinite', undefined], ['5 s', undefined], ['00:61', undefined], ['', undefined],
  ];
  for (const [v, ms] of cases) t.equal(parseClockValue(v), ms, v);
});

t.test('build: one slide per image/video with its text; conformance rules', async (t) => {
  const p = buildSmil([
    { src: 'cid:smil', contentType: 'application/smil' },
    { src: 'cid:t0', contentType: 'text/plain; charset=utf-8' },
    { src: 'cid:i1', contentType: 'image/jpeg' },
    { src: 'cid:i2', contentType: 'image/gif' },
    { src: 'cid:t2', contentType: 'text/plain' },
    { src: 'cid:a2', contentType: 'audio/amr', durationMs: 9000 },
    { src: 'cid:v3', contentType: 'video/3gpp' },
    { src: 'cid:a4', contentType: 'audio/mpeg' },
    { src: 'cid:card', contentType: 'text/x-vcard' },
  ]);
  t.same(p.slides.map((s) => s.media.map((m) => m.src)), [['cid:t0', 'cid:i1'], ['cid:i2', 'cid:t2', 'cid:a2'], ['cid:v3'], ['cid:a4']]);
  t.equal(p.slides[1]!.dur, 9000, 'slide lasts as long as its audio');
  t.equal(p.slides[0]!.dur, 5000);
  t.same(p.slides[0]!.media, [{ kind: 'text', src: 'cid:t0', region: 'Text' }, { kind: 'img', src: 'cid:i1', region: 'Image' }]);
  t.same(p.regions.map((r) => [r.id, r.top, r.height]), [['Image', '0%', '80%'], ['Text', '80%', '20%']]);
  for (const s of p.slides) {
    const kinds = s.media.map((m) => m.kind);
    t.ok(kinds.filter((k) => k === 'img' || k === 'video').length <= 1 && kinds.filter((k) => k === 'text').length <= 1 && kinds.filter((k) => k === 'audio').length <= 1, 'at most one of each');
    t.notOk(kinds.includes('audio') && kinds.includes('video'), 'no audio beside video');
  }
  const onlyText = buildSmil([{ src: 'a.txt', contentType: 'text/plain' }]);
  t.same(onlyText.regions, [{ id: 'Text', left: '0%', top: '0%', width: '100%', height: '100%', fit: 'scroll' }]);
  t.equal(smilKindFor('Image/PNG; name=x'), 'img');
  t.equal(smilKindFor('application/octet-stream'), undefined);
});

t.test('serialize round trip', async (t) => {
  const built = buildSmil([
    { src: 'cid:i1', contentType: 'image/jpeg' },
    { src: 'hello & <you>.txt', contentType: 'text/plain' },
  ]);
  const xml = serializeSmil(built);
  t.match(xml, /^<smil><head><layout><root-layout width="100%" height="100%"\/><region id="Image"/);
  t.match(xml, /<par dur="5000ms"><img src="cid:i1" region="Image"\/><text src="hello &amp; &lt;you&gt;.txt" region="Text"\/><\/par>/);
  t.same(parseSmil(xml), built);
  const handset = parseSmil(HANDSET_SMIL);
  t.same(parseSmil(serializeSmil(handset)), handset, 'parse -> serialize -> parse is stable');
});

t.test('rewrite references: rename, drop, keep unknown markup', async (t) => {
  const r = rewriteSmil(
    HANDSET_SMIL,
    new Map<string, string | null>([
      ['cid:image1.jpg', 'cid:image1.gif'],
      ['clip.3gp', null],
      ['text_1.txt', 'text_1.txt'],
    ]),
  );
  t.equal(r.changed, 1);
  t.equal(r.removed, 1);
  const p = parseSmil(r.xml);
  t.equal(p.slides.length, 2, 'the slide left empty is dropped');
  t.equal(p.slides[0]!.media[0]!.src, 'cid:image1.gif');
  t.match(r.xml, /<param name="foreground-color" value="#000000"\/>/, 'unknown children survive');
  t.match(r.xml, /xmlns="http:\/\/www.w3.org\/2001\/SMIL20\/Language"/, 'namespace survives');
  const fn = rewriteSmil(HANDSET_SMIL, (src) => (src.startsWith('text_') ? null : undefined));
  t.equal(fn.removed, 2);
  t.same(parseSmil(fn.xml).slides.map((s) => s.media.length), [1, 1, 1]);
});

t.test('findSmilPart resolves like Android', async (t) => {
  const parts = [{ contentId: 'image1.jpg' }, { contentId: 'sound@x', contentLocation: 'sound.amr' }, { name: 'text_0.txt' }, { contentId: 'clip.3gp', contentLocation: 'other.3gp' }];
  t.equal(findSmilPart('cid:image1.jpg', parts), 0);
  t.equal(findSmilPart('cid:sound%40x', parts), 1, 'percent-decoded cid');
  t.equal(findSmilPart('sound.amr', parts), 1, 'Content-Location');
  t.equal(findSmilPart('text_0.txt', parts), 2, 'name');
  t.equal(findSmilPart('clip.3gp', parts), 3, 'bare Content-ID as a last resort');
  t.equal(findSmilPart('cid:missing', parts), -1);
});
