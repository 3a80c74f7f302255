import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MediaTranscoder } from './adapter.js';
import { accepts, type Handset } from './handset.js';

export interface FfmpegInfo {
  path: string;
  version: string;
  encoders: Set<string>;
}

interface RunResult {
  code: number | null;
  stderr: string;
  timedOut: boolean;
}

/** Runs ffmpeg as a child process (never on the event loop) with a time limit; stderr is kept, capped. */
function run(path: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      return resolve({ code: -1, stderr: (e as Error).message, timedOut: false });
    }
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += c.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: e.message, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
  });
}

/** Finds ffmpeg and the encoders it has; undefined when it is not installed (or `path` is ''). */
export async function detectFfmpeg(path: string, timeoutMs = 10_000): Promise<FfmpegInfo | undefined> {
  if (!path) return undefined;
  const v = await new Promise<string | undefined>((resolve) => {
    const child = spawn(path, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? out : undefined));
    setTimeout(() => child.kill('SIGKILL'), timeoutMs).unref();
  });
  if (v === undefined) return undefined;
  const enc = await new Promise<string>((resolve) => {
    const child = spawn(path, ['-hide_banner', '-encoders'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(out));
  });
  const encoders = new Set<string>();
  for (const line of enc.split('\n')) {
    const m = /^\s[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (m) encoders.add(m[1]!);
  }
  return { path, version: /ffmpeg version (\S+)/.exec(v)?.[1] ?? 'unknown', encoders };
}

/** A counting semaphore: at most `limit` transcodes at once per node; the rest wait their turn. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

interface Probe {
  durationMs?: number;
  video?: { w: number; h: number };
  audio: boolean;
}

function probeOf(stderr: string): Probe {
  const d = /Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const v = /Stream #[^\n]*Video:[^\n]*?\b(\d{2,5})x(\d{2,5})\b/.exec(stderr);
  return {
    durationMs: d ? Math.round(((Number(d[1]) * 60 + Number(d[2])) * 60 + Number(d[3])) * 1000) : undefined,
    video: v ? { w: Number(v[1]), h: Number(v[2]) } : undefined,
    audio: /Stream #[^\n]*Audio:/.test(stderr),
  };
}

/** Audio targets in order of preference, each with what it needs from ffmpeg. */
const AUDIO_TARGETS = [
  { type: 'audio/amr', ext: 'amr', encoder: 'libopencore_amrnb', args: (kbps: number) => ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', `${Math.min(12.2, Math.max(4.75, kbps))}k`, '-f', 'amr'], minKbps: 4.75 },
  { type: 'audio/mpeg', ext: 'mp3', encoder: 'libmp3lame', args: (kbps: number) => ['-ac', '1', '-c:a', 'libmp3lame', '-b:a', `${Math.round(Math.min(128, kbps))}k`, '-f', 'mp3'], minKbps: 8 },
  { type: 'audio/mp4', ext: 'm4a', encoder: 'aac', args: (kbps: number) => ['-ac', '1', '-c:a', 'aac', '-b:a', `${Math.round(Math.min(128, kbps))}k`, '-f', 'mp4'], minKbps: 12 },
  { type: 'audio/3gpp', ext: '3gp', encoder: 'aac', args: (kbps: number) => ['-ac', '1', '-c:a', 'aac', '-b:a', `${Math.round(Math.min(128, kbps))}k`, '-f', '3gp'], minKbps: 12 },
] as const;

/** Standard H.263 picture sizes: the encoder takes no others. */
const H263_SIZES = [[704, 576], [352, 288], [176, 144], [128, 96]] as const;

export interface FfmpegTranscoderOptions {
  info: FfmpegInfo;
  concurrency: number;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Audio and video adaptation with ffmpeg child processes (issue 6): video to MP4 (H.264 baseline +
 * AAC) or 3GPP (H.263 + AAC) scaled into the handset's resolution, audio to an accepted format,
 * bit rates chosen from the size budget and the clip's duration. Inputs and outputs go through
 * temporary files because MP4 needs a seekable output.
 */
export class FfmpegTranscoder implements MediaTranscoder {
  private readonly limiter: Limiter;

  constructor(private readonly o: FfmpegTranscoderOptions) {
    this.limiter = new Limiter(o.concurrency);
  }

  async adapt(data: Uint8Array, type: string, h: Handset, budget?: number): Promise<{ ok: true; data: Buffer; type: string; changed: boolean; durationMs?: number } | { ok: false; reason: string }> {
    return this.limiter.run(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mmsc-media-'));
      try {
        const input = join(dir, 'in');
        await writeFile(input, data);
        const probe = probeOf((await run(this.o.info.path, ['-hide_banner', '-i', input], this.o.timeoutMs)).stderr);
        const isVideo = type.startsWith('video/') && probe.video !== undefined;
        if (!isVideo && !probe.audio) return { ok: false, reason: `ffmpeg cannot read this ${type}` };
        const fitsAsIs = accepts(h.accept, type) && (budget === undefined || data.length <= budget) && (!isVideo || withinBox(probe.video!, h));
        if (fitsAsIs) return { ok: true, data: Buffer.from(data), type, changed: false, durationMs: probe.durationMs };
        const t0 = Date.now();
        const r = isVideo ? await this.video(dir, input, probe, h, budget) : await this.audio(dir, input, probe, h, budget);
        this.o.logger.debug({ from: type, to: r.ok ? r.type : undefined, octets: r.ok ? r.data.length : undefined, budget, ms: Date.now() - t0, reason: r.ok ? undefined : r.reason }, 'ffmpeg transcode');
        return r;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  private async audio(dir: string, input: string, probe: Probe, h: Handset, budget?: number) {
    const target = AUDIO_TARGETS.find((t) => accepts(h.accept, t.type) && this.o.info.encoders.has(t.encoder));
    if (!target) return { ok: false as const, reason: 'no accepted audio format that ffmpeg here can write' };
    const seconds = Math.max(1, (probe.durationMs ?? 10_000) / 1000);
    let kbps = budget === undefined ? 64 : (budget * 8 * 0.9) / seconds / 1000;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (kbps < target.minKbps) return { ok: false as const, reason: `${seconds.toFixed(1)} s of audio do not fit ${budget} octets` };
      const out = join(dir, `out.${target.ext}`);
      const r = await run(this.o.info.path, ['-hide_banner', '-y', '-i', input, '-vn', '-map_metadata', '-1', ...target.args(kbps), out], this.o.timeoutMs);
      if (r.code !== 0) return { ok: false as const, reason: r.timedOut ? `ffmpeg timed out after ${this.o.timeoutMs} ms` : `ffmpeg failed: ${lastLine(r.stderr)}` };
      const bytes = await readFile(out);
      if (budget === undefined || bytes.length <= budget) return { ok: true as const, data: bytes, type: target.type, changed: true, durationMs: probe.durationMs };
      kbps *= (budget / bytes.length) * 0.9;
    }
    return { ok: false as const, reason: `audio does not fit ${budget} octets` };
  }

  private async video(dir: string, input: string, probe: Probe, h: Handset, budget?: number) {
    const enc = this.o.info.encoders;
    const mp4 = accepts(h.accept, 'video/mp4') && enc.has('libx264') && enc.has('aac');
    const gpp = accepts(h.accept, 'video/3gpp') && (enc.has('libx264') || enc.has('h263')) && enc.has('aac');
    if (!mp4 && !gpp) return { ok: false as const, reason: 'no accepted video format that ffmpeg here can write' };
    const seconds = Math.max(1, (probe.durationMs ?? 10_000) / 1000);
    const audioKbps = probe.audio ? 24 : 0;
    let totalKbps = budget === undefined ? 384 : (budget * 8 * 0.88) / seconds / 1000;
    // 3GPP for handsets that take only 3GPP gets H.263, which every 3GPP player decodes.
    const h263 = !mp4 && enc.has('h263');
    const size = h263 ? h263Size(h) : undefined;
    if (h263 && !size) return { ok: false as const, reason: 'screen smaller than any H.263 picture size' };
    const box = boxFor(probe.video!, h);
    const scale = size
      ? `scale=${size[0]}:${size[1]}:force_original_aspect_ratio=decrease,pad=${size[0]}:${size[1]}:(ow-iw)/2:(oh-ih)/2`
      : `scale=w='min(${box.w},iw)':h='min(${box.h},ih)':force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2`;
    const type = mp4 ? 'video/mp4' : 'video/3gpp';
    for (let attempt = 0; attempt < 3; attempt++) {
      const videoKbps = Math.round(totalKbps - audioKbps);
      if (videoKbps < 16) return { ok: false as const, reason: `${seconds.toFixed(1)} s of video do not fit ${budget} octets` };
      const out = join(dir, mp4 ? 'out.mp4' : 'out.3gp');
      const codec = h263 ? ['-c:v', 'h263', '-r', '15'] : ['-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.0', '-pix_fmt', 'yuv420p', '-r', '15', '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps * 2}k`];
      const audio = probe.audio ? ['-c:a', 'aac', '-ac', '1', '-ar', '22050', '-b:a', `${audioKbps}k`] : ['-an'];
      const r = await run(this.o.info.path, ['-hide_banner', '-y', '-i', input, '-map_metadata', '-1', '-vf', scale, ...codec, '-b:v', `${videoKbps}k`, ...audio, '-movflags', '+faststart', '-f', mp4 ? 'mp4' : '3gp', out], this.o.timeoutMs);
      if (r.code !== 0) return { ok: false as const, reason: r.timedOut ? `ffmpeg timed out after ${this.o.timeoutMs} ms` : `ffmpeg failed: ${lastLine(r.stderr)}` };
      const bytes = await readFile(out);
      if (budget === undefined || bytes.length <= budget) return { ok: true as const, data: bytes, type, changed: true, durationMs: probe.durationMs };
      totalKbps *= (budget / bytes.length) * 0.85;
    }
    return { ok: false as const, reason: `video does not fit ${budget} octets` };
  }
}

function boxFor(v: { w: number; h: number }, h: Handset): { w: number; h: number } {
  const long = Math.max(h.maxImage.w, h.maxImage.h);
  const short = Math.min(h.maxImage.w, h.maxImage.h);
  return v.w >= v.h ? { w: long, h: short } : { w: short, h: long };
}

function withinBox(v: { w: number; h: number }, h: Handset): boolean {
  const b = boxFor(v, h);
  return v.w <= b.w && v.h <= b.h;
}

function h263Size(h: Handset): readonly [number, number] | undefined {
  const long = Math.max(h.maxImage.w, h.maxImage.h);
  const short = Math.min(h.maxImage.w, h.maxImage.h);
  return H263_SIZES.find(([w, hh]) => w <= long && hh <= short);
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
