import t from 'tap';
import sharp from 'sharp';
import { loadJpeg } from '../../src/emulator/load.js';

t.test('load media is a real JPEG of the requested size', async (t) => {
  for (const size of [1, 269, 270, 272, 273, 1024, 100_000, 65_537 + 269, 65_537 + 270, 65_537 + 272, 300_000]) {
    const jpeg = loadJpeg(size);
    t.ok(jpeg.length >= Math.max(size, 269) && jpeg.length <= Math.max(size, 269) + 3, `${size}: ${jpeg.length} octets`);
    const meta = await sharp(jpeg, { failOn: 'error' }).metadata();
    t.match(meta, { format: 'jpeg', width: 16, height: 16 }, `${size}: decodes`);
    t.notOk(meta.exif || meta.icc || meta.xmp, `${size}: no metadata`);
    // Decoding the pixels, not only the header, must work.
    const { info } = await sharp(jpeg, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    t.equal(info.width, 16);
  }
  t.equal(loadJpeg(1024).length, 1024);
  t.equal(loadJpeg(300_000).length, 300_000);
});
