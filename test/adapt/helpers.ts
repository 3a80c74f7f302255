import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import pino from 'pino';
import sharp from 'sharp';
import { defaultConfig, type AdaptConfig } from '../../src/config/index.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';

export const silent = pino({ level: 'silent' });

/** An LMDB store in the test's own folder, closed at teardown. */
export function testStore(t: Test): LmdbStore {
  const store = new LmdbStore(`${t.testdir({})}/store`);
  t.teardown(() => store.close());
  return store;
}

/** The adaptation config of the tests: profile servers on loopback are allowed explicitly. */
export function adaptConfig(tweak?: (c: AdaptConfig) => void): AdaptConfig {
  const c = defaultConfig().adapt;
  c.uaprof.allowPrivateAddresses = true;
  c.uaprof.timeoutMs = 1000;
  tweak?.(c);
  return c;
}

/** A local HTTP server with per-path handlers; counts requests per path. */
export async function httpServer(t: Test, routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>): Promise<{ url: string; hits: Record<string, number> }> {
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    const h = routes[path];
    if (h) h(req, res);
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

export function uaprofXml(o: { maxSize?: number; maxImage?: string; accept?: string[]; charsets?: string[]; screen?: string; mmsId?: string } = {}): string {
  const bag = (items: string[] | undefined): string => (items ? `<rdf:Bag>${items.map((i) => `<rdf:li>${i}</rdf:li>`).join('')}</rdf:Bag>` : '');
  return `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:prf="http://www.wapforum.org/profiles/UAPROF/ccppschema-20010430#" xmlns:mms="http://www.wapforum.org/profiles/MMS/ccppschema-20010111#">
 <rdf:Description rdf:ID="Profile">
  <prf:component><rdf:Description rdf:ID="HardwarePlatform">
   <prf:Vendor>Test</prf:Vendor><prf:Model>T100</prf:Model>
   ${o.screen ? `<prf:ScreenSize>${o.screen}</prf:ScreenSize>` : ''}
  </rdf:Description></prf:component>
  <prf:component><rdf:Description rdf:ID="${o.mmsId ?? 'MmsCharacteristics'}">
   ${o.maxSize ? `<mms:MmsMaxMessageSize>${o.maxSize}</mms:MmsMaxMessageSize>` : ''}
   ${o.maxImage ? `<mms:MmsMaxImageResolution>${o.maxImage}</mms:MmsMaxImageResolution>` : ''}
   ${o.accept ? `<mms:MmsCcppAccept>${bag(o.accept)}</mms:MmsCcppAccept>` : ''}
   ${o.charsets ? `<mms:MmsCcppAcceptCharSet>${bag(o.charsets)}</mms:MmsCcppAcceptCharSet>` : ''}
  </rdf:Description></prf:component>
 </rdf:Description>
</rdf:RDF>`;
}

/** A photo-like image (noise over a gradient) that does not compress to nothing. */
export async function photo(w: number, h: number, format: 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff' = 'jpeg', quality = 92): Promise<Buffer> {
  const noise = sharp({ create: { width: w, height: h, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } });
  const img = sharp(await noise.png().toBuffer()).blur(1.2);
  return format === 'png' ? img.png().toBuffer() : format === 'tiff' ? img.tiff().toBuffer() : img[format]({ quality }).toBuffer();
}


import { WspReader, WspWriter, readMultipart, writeMultipart, type Part } from '../../protocol/wsp/index.js';
import type { Handset } from '../../src/adapt/handset.js';

export function encodeBody(parts: Part[]): Uint8Array {
  const w = new WspWriter(4096);
  writeMultipart(w, parts);
  return w.finish();
}

export function decodeBody(body: Uint8Array): Part[] {
  return readMultipart(new WspReader(body), { strict: true, warn: () => {}, depth: 0 });
}

export function handset(o: Partial<Handset> = {}): Handset {
  return { source: 'class', className: 'test', maxMessageSize: 300 * 1024, maxImage: { w: 640, h: 480 }, accept: ['image/jpeg', 'image/gif', 'image/png', 'text/plain', 'application/smil', 'audio/amr', 'video/3gpp'], charsets: ['utf-8'], smil: true, generateSmil: true, ...o };
}

export const RELATED = { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } };
export const MIXED = { mediaType: 'application/vnd.wap.multipart.mixed', params: {} };

export function smilPart(xml: string): Part {
  return { contentType: { type: 'application/smil', params: {} }, contentId: '<smil>', contentLocation: 'smil.smil', data: Buffer.from(xml) };
}

export function textPart(text: string, loc = 'text.txt', charset = 'utf-8'): Part {
  const data = charset === 'utf-16be' ? Buffer.from(text, 'utf16le').swap16() : Buffer.from(text, 'utf8');
  return { contentType: { type: 'text/plain', params: { charset } }, contentLocation: loc, contentId: `<${loc}>`, data };
}
