import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { MessageAdapter } from '../../src/adapt/adapter.js';
import { detectFfmpeg, FfmpegTranscoder } from '../../src/adapt/media.js';
import { requiresFfmpeg } from '../support/requires.js';
import { MIXED, decodeBody, encodeBody, handset, silent, textPart } from './helpers.js';

const skip = requiresFfmpeg();

/** Runs ffmpeg's lavfi sources into a file of the test's folder; returns its bytes. */
function generate(dir: string, name: string, args: string[]): Buffer {
  const out = `${dir}/${name}`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, out]);
  return readFileSync(out);
}

/** What ffmpeg says about a file: codec names and the picture size. */
function describe(dir: string, data: Buffer): string {
  const f = `${dir}/probe-${Math.random().toString(36).slice(2)}`;
  writeFileSync(f, data);
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-i', f], { stdio: 'pipe' });
  } catch (e) {
    return String((e as { stderr: Buffer }).stderr);
  }
  return '';
}

t.test('media adaptation with the installed ffmpeg', { skip }, async (t) => {
  const info = await detectFfmpeg('ffmpeg');
  if (!info) return t.fail('ffmpeg was found on the PATH but not detected');
  t.ok(info.encoders.has('aac'), 'ffmpeg has an AAC encoder');
  const dir = t.testdir({});
  const media = new FfmpegTranscoder({ info, concurrency: 2, timeoutMs: 60_000, logger: silent });

  t.test('video: MP4 H.264 1280x720 becomes 3GPP H.263 176x144 for an old handset, within budget', async (t) => {
    const mp4 = generate(dir, 'in.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest']);
    const h = handset({ maxImage: { w: 176, h: 144 }, accept: ['video/3gpp', 'image/jpeg', 'text/plain'] });
    const r = await media.adapt(mp4, 'video/mp4', h, 120_000);
    t.ok(r.ok, r.ok ? 'ok' : r.reason);
    if (!r.ok) return;
    t.equal(r.type, 'video/3gpp');
    t.ok(r.data.length <= 120_000, `${r.data.length} octets`);
    t.ok(r.durationMs! >= 3900 && r.durationMs! <= 4100, 'duration read');
    const d = describe(dir, r.data);
    t.match(d, /Video: h263[^\n]*176x144/);
    t.match(d, /Audio: aac/);
  });

  t.test('video: an MP4-capable handset gets H.264 scaled into its screen', async (t) => {
    const webm = generate(dir, 'in.webm', ['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25', '-t', '2', '-c:v', 'libvpx', '-b:v', '1M']);
    const r = await media.adapt(webm, 'video/webm', handset({ maxImage: { w: 640, h: 480 }, accept: ['video/mp4'] }), 200_000);
    t.ok(r.ok && r.type === 'video/mp4');
    if (r.ok) t.match(describe(dir, r.data), /Video: h264[^\n]*640x360/);
  });

  t.test('audio: WAV becomes MP3 for a handset that takes audio/mpeg, fitted to a budget', async (t) => {
    const wav = generate(dir, 'in.wav', ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=44100', '-t', '5']);
    t.ok(wav.length > 400_000);
    const r = await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/mpeg'] }), 30_000);
    t.ok(r.ok && r.type === 'audio/mpeg');
    if (r.ok) {
      t.ok(r.data.length <= 30_000, `${r.data.length} octets`);
      t.match(describe(dir, r.data), /Audio: mp3/);
    }
    const accepted = await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/wav'] }));
    t.match(accepted, { ok: true, changed: false });
  });

  t.test('impossible cases are reported: unreadable input, no writable accepted format, budget too small', async (t) => {
    t.match(await media.adapt(Buffer.from('not media at all'), 'video/mp4', handset(), 10_000), { ok: false });
    const wav = generate(dir, 'short.wav', ['-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '2']);
    t.match(await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/x-unknown'] })), { ok: false, reason: /no accepted audio format/ });
    t.match(await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/mpeg'] }), 500), { ok: false, reason: /do not fit/ });
  });

  t.test('in a message: a video the handset cannot take is transcoded; without ffmpeg it becomes text', async (t) => {
    const mp4 = generate(dir, 'msg.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=25', '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    const body = encodeBody([{ contentType: { type: 'video/mp4', params: { name: 'clip.mp4' } }, contentLocation: 'clip.mp4', data: mp4 }, textPart('watch')]);
    const h = handset({ maxMessageSize: 100 * 1024, maxImage: { w: 176, h: 144 }, accept: ['video/3gpp', 'text/plain', 'application/smil'] });
    const withFfmpeg = await new MessageAdapter({ maxInputPixels: 1e8, replacementText: 'A {type} item could not be shown.', media }).adapt(MIXED, body, h, 300);
    t.ok(withFfmpeg.fits);
    const parts = decodeBody(withFfmpeg.body);
    t.same(parts.map((p) => p.contentType.type), ['application/smil', 'video/3gpp', 'text/plain']);
    t.equal(parts[1]!.contentLocation, 'clip.3gp');
    const without = await new MessageAdapter({ maxInputPixels: 1e8, replacementText: 'A {type} item could not be shown.' }).adapt(MIXED, body, h, 300);
    const p2 = decodeBody(without.body);
    t.same(p2.map((p) => p.contentType.type), ['text/plain', 'text/plain'], 'no SMIL: nothing but text left to present');
    t.equal(Buffer.from(p2[0]!.data).toString(), 'A video/mp4 item could not be shown.');
  });

  t.test('a missing ffmpeg is detected as absent', async (t) => {
    t.equal(await detectFfmpeg('/nonexistent/ffmpeg'), undefined);
    t.equal(await detectFfmpeg(''), undefined);
  });
});

/**
 * An "ffmpeg" that logs each run (start and end, with its pid) and, for transcodes (not probes),
 * either hangs (`mode` hang) or waits until the test creates the gate file, then runs the real one.
 */
function wrapper(dir: string, mode: 'hang' | 'gate'): { path: string; log: string; gate: string } {
  const log = `${dir}/runs.log`;
  const gate = `${dir}/gate`;
  const path = `${dir}/ffmpeg-wrapper.sh`;
  writeFileSync(
    path,
    `#!/bin/sh
# A probe is "-hide_banner -i FILE": pass it through.
if [ $# -eq 3 ]; then echo "start $$ probe" >> ${log}; ffmpeg "$@"; rc=$?; echo "end $$" >> ${log}; exit $rc; fi
echo "start $$ transcode" >> ${log}
${mode === 'hang' ? 'exec sleep 600' : `while [ ! -f ${gate} ]; do sleep 0.02; done; ffmpeg "$@"; rc=$?; echo "end $$" >> ${log}; exit $rc`}
`,
  );
  chmodSync(path, 0o755);
  return { path, log, gate };
}

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : []);

t.test('ffmpeg limits: a transcode that runs past the timeout is killed and reported', { skip }, async (t) => {
  const info = (await detectFfmpeg('ffmpeg'))!;
  const dir = t.testdir({});
  const w = wrapper(dir, 'hang');
  const wav = generate(dir, 'in.wav', ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=8000', '-t', '1']);
  const media = new FfmpegTranscoder({ info: { ...info, path: w.path }, concurrency: 1, timeoutMs: 1500, logger: silent });
  const r = await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/mpeg'] }), 30_000);
  t.match(r, { ok: false, reason: 'ffmpeg timed out after 1500 ms' });
  const hung = lines(w.log).find((l) => l.endsWith('transcode'));
  t.ok(hung, 'the transcode did start');
  const pid = Number(hung!.split(' ')[1]);
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `the hung ffmpeg (pid ${pid}) was killed`);
  // The slot is free again: the next transcode is not stuck behind the killed one.
  const again = await media.adapt(wav, 'audio/wav', handset({ accept: ['audio/mpeg'] }), 30_000);
  t.match(again, { ok: false, reason: /timed out/ }, 'a second transcode ran (and timed out too) after the first was killed');
  t.equal(lines(w.log).filter((l) => l.endsWith('transcode')).length, 2);
});

t.test('ffmpeg limits: at most `concurrency` ffmpeg processes at once; the others wait their turn', { skip }, async (t) => {
  const info = (await detectFfmpeg('ffmpeg'))!;
  const dir = t.testdir({});
  const w = wrapper(dir, 'gate');
  const wav = generate(dir, 'in.wav', ['-f', 'lavfi', '-i', 'sine=frequency=300:sample_rate=8000', '-t', '1']);
  const media = new FfmpegTranscoder({ info: { ...info, path: w.path }, concurrency: 2, timeoutMs: 120_000, logger: silent });
  const jobs = Array.from({ length: 5 }, () => media.adapt(wav, 'audio/wav', handset({ accept: ['audio/mpeg'] }), 30_000));
  // Two transcodes held at the gate fill both slots.
  for (let i = 0; lines(w.log).filter((l) => l.endsWith('transcode')).length < 2; i++) {
    if (i > 3000) throw new Error('two transcodes never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(lines(w.log).filter((l) => l.startsWith('start')).length, 4, 'two probes and two transcodes started, the three other jobs wait');
  writeFileSync(w.gate, '');
  const results = await Promise.all(jobs);
  t.ok(results.every((r) => r.ok && r.type === 'audio/mpeg'), 'all five were transcoded');
  let running = 0;
  let most = 0;
  for (const l of lines(w.log)) {
    running += l.startsWith('start') ? 1 : -1;
    most = Math.max(most, running);
  }
  t.equal(lines(w.log).length, 20, 'five probes and five transcodes, each started and ended');
  t.equal(most, 2, 'never more than two ffmpeg processes at once');
});
