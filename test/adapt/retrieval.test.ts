import t from 'tap';
import sharp from 'sharp';
import { defaultConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { decode, encode, type MmsPdu, type NotificationInd, type RetrieveConf } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { decodeBody, encodeBody, httpServer, photo, silent, uaprofXml } from './helpers.js';

const A = '+15550000001';
const B = '+15550000002';
const C = '+15550000003';

async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('a retrieval over a real socket is adapted to the UAProf of the retrieving handset, and the variant is reused', async (t) => {
  const profiles = await httpServer(t, {
    '/small.xml': (_q, s) => s.writeHead(200, { 'content-type': 'text/xml' }).end(uaprofXml({ maxSize: 50_000, maxImage: '320x240', accept: ['image/jpeg', 'image/gif', 'text/plain', 'application/smil'], charsets: ['utf-8'] })),
  });
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.adapt.uaprof.allowPrivateAddresses = true; // the profile server is on loopback
  const transport = new RecordingTransport();
  const gw = await startGateway({ config, logger: silent, transport });
  t.teardown(() => gw.stop());

  const img = await photo(1600, 1200, 'jpeg', 92);
  t.ok(img.length > 100_000, `source image ${img.length} octets`);
  const req: MmsPdu = {
    type: 'm-send-req',
    transactionId: 'tx-adapt-1',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: [`${B}/TYPE=PLMN`, `${C}/TYPE=PLMN`],
    contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
    parts: [
      { contentType: { type: 'image/webp', params: { name: 'holiday.webp' } }, contentLocation: 'holiday.webp', data: await sharp(img).webp({ quality: 95 }).toBuffer() },
      { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 'text.txt', data: Buffer.from('Look at this') },
    ],
  } as MmsPdu;
  const sent = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': A.slice(1) }, body: encode(req) });
  t.equal(sent.status, 200);

  const notifications = await until(() => {
    const ns = transport.pushes.map((p) => decode(decodeWspPush(p.pdu).body) as NotificationInd);
    return ns.length >= 2 ? ns : undefined;
  }, 'two notifications');
  // Watch the variant going into the store's cache, so that the test can mark it there: a second
  // retrieval that adapted again would give the same bytes as the first, a cached one the mark.
  const variantKeys: string[] = [];
  const cacheSet = gw.store.cacheSet.bind(gw.store);
  gw.store.cacheSet = (ns, key, value, ttl) => {
    if (ns === 'variant') variantKeys.push(key);
    return cacheSet(ns, key, value, ttl);
  };
  const bodies: Buffer[] = [];
  for (const [i, n] of notifications.entries()) {
    if (i === 1) {
      t.equal(variantKeys.length, 1, 'the first retrieval cached its variant');
      const packed = (await gw.store.cacheGet('variant', variantKeys[0]!))!;
      const headLen = packed.readUInt32BE(0);
      const parts = decodeBody(packed.subarray(4 + headLen));
      const text = parts.find((p) => p.contentType.type === 'text/plain')!;
      text.data = Buffer.from('marked in the cache');
      await cacheSet('variant', variantKeys[0]!, Buffer.concat([packed.subarray(0, 4 + headLen), encodeBody(parts)]), 60_000);
    }
    const res = await fetch(n.contentLocation, { headers: { 'x-wap-profile': `"${profiles.url}/small.xml"`, 'user-agent': 'TestPhone/1.0' } });
    t.equal(res.status, 200);
    const raw = Buffer.from(await res.arrayBuffer());
    t.ok(raw.length <= 50_000, `m-retrieve-conf ${raw.length} octets within the profile's 50000`);
    const rc = decode(raw, { strict: true }) as RetrieveConf;
    t.equal(rc.contentType.type, 'application/vnd.wap.multipart.related', 'SMIL generated for a SMIL-capable handset');
    const types = rc.parts!.map((p) => p.contentType.type);
    t.same(types, ['application/smil', 'image/jpeg', 'text/plain']);
    const jpeg = rc.parts![1]!;
    t.equal(jpeg.contentLocation, 'holiday.jpg');
    const meta = await sharp(jpeg.data).metadata();
    t.same([meta.width, meta.height], [320, 240]);
    bodies.push(Buffer.from(rc.body ?? encodeParts(rc)));
  }
  t.equal(profiles.hits['/small.xml'], 1, 'profile fetched once for both retrievals');
  t.equal(variantKeys.length, 1, 'adapted once: the second retrieval did not cache a new variant');
  t.match(bodies[1]!.toString('latin1'), /marked in the cache/, 'the second recipient got the cached variant');
  t.notMatch(bodies[0]!.toString('latin1'), /marked in the cache/);

  // A handset without a profile or informative headers: the default class (300 KB, 640x480).
  const again = await fetch(notifications[0]!.contentLocation);
  const rc = decode(Buffer.from(await again.arrayBuffer())) as RetrieveConf;
  const meta = await sharp(rc.parts!.find((p) => p.contentType.type === 'image/jpeg')!.data).metadata();
  t.same([meta.width, meta.height], [640, 480]);
});

function encodeParts(rc: RetrieveConf): Buffer {
  return Buffer.from(rc.parts!.flatMap((p) => [...p.data]));
}

t.test('/healthz reports whether ffmpeg was found at start', async (t) => {
  for (const [path, found] of [['ffmpeg', true], ['/nonexistent/ffmpeg', false]] as const) {
    const config = defaultConfig();
    config.dataDir = t.testdir({});
    config.http.host = '127.0.0.1';
    config.http.port = 0;
    config.adapt.media.ffmpegPath = path;
    const gw = await startGateway({ config, logger: silent, transport: new RecordingTransport() });
    const res = await fetch(`${gw.url}/healthz`);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: unknown }> };
    t.equal(body.checks.ffmpeg?.ok, found, `${path}: ${JSON.stringify(body.checks.ffmpeg)}`);
    await gw.stop();
  }
});

t.test('a broken device class file stops the start with an error naming it', async (t) => {
  const dir = t.testdir({ 'classes.json': '{"classes":[{"name":"x","userAgent":"a","maxMessageSize":10,"maxImage":"1x1","accept":[]}]}' });
  const config = defaultConfig();
  config.dataDir = `${dir}/data`;
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.adapt.deviceClassesFile = `${dir}/classes.json`;
  await t.rejects(startGateway({ config, logger: silent, transport: new RecordingTransport() }), /classes\.json: classes\[0\]\.maxMessageSize/);
});
