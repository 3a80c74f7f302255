import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Dimensions } from '../../protocol/uaprof/index.js';

/** What the adapter targets for one retrieval: the handset's limits, whatever told us about them. */
export interface Handset {
  /** Where the values came from: a fetched UAProf, the request's Accept headers, a device class, the default class. */
  source: 'uaprof' | 'headers' | 'class' | 'default';
  className: string;
  /** Largest m-retrieve-conf, in octets. */
  maxMessageSize: number;
  /** Largest image; either orientation fits (a 640x480 handset shows 480x640 too). */
  maxImage: Dimensions;
  /** Accepted media types, lower case; `type/*` and `*\/*` are wildcards. */
  accept: string[];
  /** Accepted charsets, lower case IANA names; empty = any. */
  charsets: string[];
  /** Whether the handset presents SMIL (multipart.related); otherwise it gets multipart.mixed. */
  smil: boolean;
  /** Whether a message without SMIL gets one generated (old handsets show bare parts as attachments). */
  generateSmil: boolean;
}

export interface DeviceClass {
  name: string;
  /** Case-insensitive regular expression over the User-Agent. */
  userAgent?: RegExp;
  maxMessageSize: number;
  maxImage: Dimensions;
  accept: string[];
  charsets: string[];
  smil: boolean;
  generateSmil: boolean;
}

export interface DeviceClasses {
  classes: DeviceClass[];
  fallback: DeviceClass;
}

/** Used when the device class file is missing: the conservative class the issue names. */
export const BUILTIN_DEFAULT: DeviceClass = {
  name: 'default',
  maxMessageSize: 300 * 1024,
  maxImage: { w: 640, h: 480 },
  accept: ['image/jpeg', 'image/gif', 'image/png', 'audio/amr', 'audio/mpeg', 'video/3gpp', 'text/plain', 'application/smil'],
  charsets: ['utf-8', 'us-ascii', 'iso-8859-1'],
  smil: true,
  generateSmil: true,
};

export class DeviceClassError extends Error {
  override readonly name = 'DeviceClassError';
}

function dims(v: unknown, where: string): Dimensions {
  const m = typeof v === 'string' ? /^(\d{1,5})x(\d{1,5})$/.exec(v) : null;
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new DeviceClassError(`${where}.maxImage must be WxH, got ${JSON.stringify(v)}`);
  return { w: Number(m[1]), h: Number(m[2]) };
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new DeviceClassError(`${where} must be a list of strings`);
  return (v as string[]).map((s) => s.toLowerCase());
}

function deviceClass(raw: unknown, where: string, withPattern: boolean): DeviceClass {
  if (typeof raw !== 'object' || raw === null) throw new DeviceClassError(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string' || r.name === '') throw new DeviceClassError(`${where}.name is required`);
  const size = r.maxMessageSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1024) throw new DeviceClassError(`${where}.maxMessageSize must be an integer >= 1024`);
  let userAgent: RegExp | undefined;
  if (withPattern) {
    if (typeof r.userAgent !== 'string' || r.userAgent === '') throw new DeviceClassError(`${where}.userAgent is required`);
    try {
      userAgent = new RegExp(r.userAgent, 'i');
    } catch (e) {
      throw new DeviceClassError(`${where}.userAgent is not a regular expression: ${(e as Error).message}`);
    }
  }
  return {
    name: r.name,
    userAgent,
    maxMessageSize: size,
    maxImage: dims(r.maxImage, where),
    accept: strings(r.accept, `${where}.accept`),
    charsets: strings(r.charsets ?? [], `${where}.charsets`),
    smil: r.smil !== false,
    generateSmil: r.generateSmil === true,
  };
}

/** Validates a device class document (config/device-classes.json); errors name the offending entry. */
export function parseDeviceClasses(json: unknown): DeviceClasses {
  if (typeof json !== 'object' || json === null) throw new DeviceClassError('device classes must be an object');
  const j = json as Record<string, unknown>;
  const list = j.classes ?? [];
  if (!Array.isArray(list)) throw new DeviceClassError('classes must be a list');
  return {
    classes: list.map((c, i) => deviceClass(c, `classes[${i}]`, true)),
    fallback: j.default === undefined ? BUILTIN_DEFAULT : deviceClass(j.default, 'default', false),
  };
}

export function loadDeviceClasses(path: string): DeviceClasses {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { classes: [], fallback: BUILTIN_DEFAULT };
  }
  try {
    return parseDeviceClasses(JSON.parse(text));
  } catch (e) {
    throw new DeviceClassError(`${path}: ${(e as Error).message}`);
  }
}

export function classFor(classes: DeviceClasses, userAgent: string | undefined): DeviceClass {
  if (userAgent) for (const c of classes.classes) if (c.userAgent!.test(userAgent)) return c;
  return classes.fallback;
}

/** Whether `type` is accepted by a list with wildcards; an empty list accepts nothing. */
export function accepts(list: readonly string[], type: string): boolean {
  const t = type.toLowerCase();
  for (const a of list) {
    if (a === '*/*' || a === '*' || a === t) return true;
    if (a.endsWith('/*') && t.startsWith(a.slice(0, -1))) return true;
  }
  return false;
}

/**
 * The key adapted variants are cached under: two handsets with the same limits share variants
 * (most retrievals of one message come from a few handset models).
 */
export function capabilityKey(h: Handset): string {
  const canon = JSON.stringify([h.maxMessageSize, h.maxImage.w, h.maxImage.h, [...h.accept].sort(), [...h.charsets].sort(), h.smil, h.generateSmil]);
  return createHash('sha256').update(canon).digest('base64url').slice(0, 22);
}
