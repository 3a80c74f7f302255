/**
 * Content adaptation benchmark (issue 6).
 *  1. A 12-megapixel JPEG (4000x3000, photo-like noise) adapted to 640x480 under 300 KB: latency
 *     p50/p99 over RUNS sequential adaptations (sharp, libvips thread pool).
 *  2. Retrievals per second of adapted messages (2000x1500 JPEG + text each, default device class:
 *     640x480, 300 KB) over HTTP on loopback: cold (every GET adapts) against warm (every GET hits
 *     the variant cache), CONCURRENCY requests in flight. Gateway in this process, embedded store.
 *   npm run build && node dist/bench/adapt.js     (RUNS=30 MESSAGES=60 CONCURRENCY=4)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { adaptImage } from '../src/adapt/images.js';
import { defaultConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { RecordingTransport } from '../src/relay/transport.js';
import { decode, encode, type NotificationInd } from '../protocol/mms/index.js';
import { decodeWspPush } from '../protocol/push/wsp-push.js';

const RUNS = Number(process.env.RUNS ?? 30);
const MESSAGES = Number(process.env.MESSAGES ?? 60);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);

async function photo(w: number, h: number, quality: number): Promise<Buffer> {
  const noise = await sharp({ create: { width: w, height: h, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png().toBuffer();
  return sharp(noise).blur(1.5).jpeg({ quality }).toBuffer();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function latency(): Promise<void> {
  const src = await photo(4000, 3000, 90);
  const ms: number[] = [];
  let size = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await adaptImage(src, 'image/jpeg', { accept: ['image/jpeg'], maxImage: { w: 640, h: 480 }, budget: 300 * 1024, maxInputPixels: 50_000_000 });
    ms.push(performance.now() - t0);
    if (!r.ok || r.width !== 640 || r.data.length > 300 * 1024) throw new Error('adaptation missed its target');
    size = r.data.length;
  }
  ms.sort((a, b) => a - b);
  console.log(`12 MP JPEG (${(src.length / 1e6).toFixed(1)} MB) -> 640x480 JPEG ${size} octets: p50 ${pct(ms, 50).toFixed(0)} ms, p99 ${pct(ms, 99).toFixed(0)} ms (${RUNS} runs)`);
}

async function retrievals(): Promise<void> {
  const config = defaultConfig();
  config.dataDir = mkdtempSync(join(tmpdir(), 'mmsc-bench-adapt-'));
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.relay.renotify.intervalSeconds = 86_400;
  const transport = new RecordingTransport();
  const gw = await startGateway({ config, logger: pino({ level: 'warn' }), transport });
  const img = await photo(2000, 1500, 88);
  for (let i = 0; i < MESSAGES; i++) {
    const pdu = encode({
      type: 'm-send-req',
      transactionId: `bench-adapt-${i}`,
      mmsVersion: '1.2',
      from: '<insert-address-token>',
      to: ['+15550000002/TYPE=PLMN'],
      contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
      parts: [
        { contentType: { type: 'image/jpeg', params: { name: 'p.jpg' } }, contentLocation: 'p.jpg', data: img },
        { contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, contentLocation: 't.txt', data: Buffer.from(`message ${i}`) },
      ],
    });
    const res = await fetch(`${gw.url}/mms`, { method: 'POST', headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' }, body: pdu });
    if (res.status !== 200) throw new Error(`submit ${res.status}`);
  }
  for (let i = 0; transport.pushes.length < MESSAGES && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
  const urls = transport.pushes.map((p) => (decode(decodeWspPush(p.pdu).body) as NotificationInd).contentLocation);
  const round = async (label: string): Promise<void> => {
    let next = 0;
    let bytes = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < urls.length) {
          const u = urls[next++]!;
          const res = await fetch(u, { headers: { 'user-agent': 'BenchPhone/1.0' } });
          bytes += (await res.arrayBuffer()).byteLength;
          if (res.status !== 200) throw new Error(`GET ${res.status}`);
        }
      }),
    );
    const s = (performance.now() - t0) / 1000;
    console.log(`${label}: ${urls.length} retrievals in ${s.toFixed(2)} s = ${(urls.length / s).toFixed(1)} retrievals/s (mean ${Math.round(bytes / urls.length)} octets)`);
  };
  await round('cold variant cache (each GET adapts a 2000x1500 JPEG)');
  await round('warm variant cache');
  await gw.stop();
}

await latency();
await retrievals();
