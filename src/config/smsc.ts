import { readFileSync } from 'node:fs';
import { ConfigError } from './schema.js';

export type BindMode = 'trx' | 'tx-rx';

/** One SMSC connection (a transceiver bind, or a transmitter + receiver pair). */
export interface SmscLinkConfig {
  /** Names the link in logs, metrics and receipt keys; keep it stable across restarts. */
  name: string;
  host: string;
  port: number;
  tls: boolean;
  /**
   * With TLS (ssmpp://): a PEM file of the CA certificate(s) that signed the SMSC's certificate,
   * instead of the system's roots. The certificate is always verified (host name included).
   */
  tlsCa?: string;
  systemId: string;
  password: string;
  systemType: string;
  bind: BindMode;
  /** Originator of the pushes; '+…' is sent as TON 1 / NPI 1 without '+', letters as TON 5 / NPI 0. */
  sourceAddr: string;
  sourceTon?: number;
  sourceNpi?: number;
  /** For destinations without '+'; '+…' always goes as TON 1 / NPI 1. */
  destTon: number;
  destNpi: number;
  serviceType: string;
  /** 0x04 (8-bit, Kannel default) or 0xF5 (8-bit, class 1). */
  dataCoding: number;
  /** esm_class messaging-mode bits 0-1; UDHI (0x40) is always added. */
  esmMode: number;
  /** 0x01 receipt on success and failure, 0x02 failure only, 0 none. */
  registeredDelivery: number;
  /** Relative validity of the SMS in seconds; 0 = SMSC default. */
  validitySeconds: number;
  /** Concatenation reference width for multi-segment pushes. */
  concatBits: 8 | 16;
  /** Set more_messages_to_send on all but the last segment. */
  moreMessagesToSend: boolean;
  /** Outstanding submit_sm without a response. */
  window: number;
  /** Submits per second; 0 = no cap. */
  tps: number;
  /** Submits waiting for a window slot; beyond it a push fails as temporary (the job queue retries). */
  maxQueued: number;
  responseTimeoutMs: number;
  enquireLinkMs: number;
  connectTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  throttleBackoffMs: number;
  throttleBackoffMaxMs: number;
  /** Resends of one submit answered ESME_RTHROTTLED / ESME_RMSGQFUL before it fails as temporary. */
  throttleRetries: number;
  /** Destination prefixes (digits, '+' ignored) this link serves; empty = default route. */
  prefixes: string[];
}

export const linkDefaults: Omit<SmscLinkConfig, 'name' | 'host' | 'port' | 'systemId' | 'password'> = {
  tls: false,
  systemType: '',
  bind: 'trx',
  sourceAddr: '',
  destTon: 1,
  destNpi: 1,
  serviceType: '',
  dataCoding: 0x04,
  esmMode: 0,
  registeredDelivery: 1,
  validitySeconds: 0,
  concatBits: 8,
  moreMessagesToSend: true,
  window: 10,
  tps: 0,
  maxQueued: 1000,
  responseTimeoutMs: 10_000,
  enquireLinkMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnectInitialMs: 1000,
  reconnectMaxMs: 60_000,
  throttleBackoffMs: 1000,
  throttleBackoffMaxMs: 30_000,
  throttleRetries: 10,
  prefixes: [],
};

type Kind = 'string' | 'int' | 'bool' | 'list';
/** Every setting: its type, and its name in URL query form (snake_case). */
const settings: Record<Exclude<keyof SmscLinkConfig, 'host' | 'port' | 'systemId' | 'password'>, { kind: Kind; query: string; min?: number; max?: number; oneOf?: readonly string[] }> = {
  name: { kind: 'string', query: 'name' },
  tls: { kind: 'bool', query: 'tls' },
  tlsCa: { kind: 'string', query: 'tls_ca' },
  systemType: { kind: 'string', query: 'system_type' },
  bind: { kind: 'string', query: 'bind', oneOf: ['trx', 'tx-rx'] },
  sourceAddr: { kind: 'string', query: 'source' },
  sourceTon: { kind: 'int', query: 'source_ton', min: 0, max: 6 },
  sourceNpi: { kind: 'int', query: 'source_npi', min: 0, max: 18 },
  destTon: { kind: 'int', query: 'dest_ton', min: 0, max: 6 },
  destNpi: { kind: 'int', query: 'dest_npi', min: 0, max: 18 },
  serviceType: { kind: 'string', query: 'service_type' },
  dataCoding: { kind: 'int', query: 'data_coding', min: 0, max: 255 },
  esmMode: { kind: 'int', query: 'esm_mode', min: 0, max: 3 },
  registeredDelivery: { kind: 'int', query: 'registered_delivery', min: 0, max: 0x1f },
  validitySeconds: { kind: 'int', query: 'validity', min: 0, max: 99 * 86_400 },
  concatBits: { kind: 'int', query: 'concat', min: 8, max: 16 },
  moreMessagesToSend: { kind: 'bool', query: 'more_messages' },
  window: { kind: 'int', query: 'window', min: 1, max: 10_000 },
  tps: { kind: 'int', query: 'tps', min: 0, max: 1_000_000 },
  maxQueued: { kind: 'int', query: 'max_queued', min: 0, max: 1_000_000 },
  responseTimeoutMs: { kind: 'int', query: 'response_timeout_ms', min: 1 },
  enquireLinkMs: { kind: 'int', query: 'enquire_link_ms', min: 1 },
  connectTimeoutMs: { kind: 'int', query: 'connect_timeout_ms', min: 1 },
  reconnectInitialMs: { kind: 'int', query: 'reconnect_initial_ms', min: 1 },
  reconnectMaxMs: { kind: 'int', query: 'reconnect_max_ms', min: 1 },
  throttleBackoffMs: { kind: 'int', query: 'throttle_backoff_ms', min: 1 },
  throttleBackoffMaxMs: { kind: 'int', query: 'throttle_backoff_max_ms', min: 1 },
  throttleRetries: { kind: 'int', query: 'throttle_retries', min: 0 },
  prefixes: { kind: 'list', query: 'prefix' },
};
const byQuery = new Map(Object.entries(settings).map(([k, s]) => [s.query, k as keyof typeof settings]));

function coerce(key: string, field: keyof typeof settings, value: unknown, fromText: boolean): unknown {
  const s = settings[field];
  switch (s.kind) {
    case 'string':
      if (typeof value !== 'string') throw new ConfigError(key, 'must be a string');
      if (s.oneOf && !s.oneOf.includes(value)) throw new ConfigError(key, `must be one of ${s.oneOf.join(', ')}, got ${JSON.stringify(value)}`);
      return value;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (fromText && (value === 'true' || value === '1')) return true;
      if (fromText && (value === 'false' || value === '0')) return false;
      throw new ConfigError(key, 'must be true or false');
    case 'int': {
      const n = typeof value === 'number' ? value : fromText && typeof value === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) throw new ConfigError(key, `must be an integer, got ${JSON.stringify(value)}`);
      if (s.min !== undefined && n < s.min) throw new ConfigError(key, `must be >= ${s.min}, got ${n}`);
      if (s.max !== undefined && n > s.max) throw new ConfigError(key, `must be <= ${s.max}, got ${n}`);
      if (field === 'concatBits' && n !== 8 && n !== 16) throw new ConfigError(key, 'must be 8 or 16');
      return n;
    }
    case 'list': {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
      if (!list || !list.every((p) => typeof p === 'string' && /^\+?\d+$/.test(p.trim()))) throw new ConfigError(key, 'must be a list of digit prefixes');
      return list.map((p: string) => p.trim().replace(/^\+/, ''));
    }
  }
}

/**
 * `smpp://user:pass@host:port?system_type=..&window=..&tps=..&bind=trx|tx-rx` (`ssmpp://` for TLS).
 * Every query key is a setting of SmscLinkConfig in snake_case; unknown keys are errors.
 */
export function parseSmscUrl(url: string, key = 'smsc.url', fallbackName = 'smsc'): SmscLinkConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(key, `${JSON.stringify(url)} is not a URL (expected smpp://user:pass@host:port)`);
  }
  if (u.protocol !== 'smpp:' && u.protocol !== 'ssmpp:') throw new ConfigError(key, `scheme must be smpp: or ssmpp:, got ${u.protocol}`);
  if (!u.hostname) throw new ConfigError(key, 'has no host');
  if (!u.username) throw new ConfigError(key, 'has no system_id (smpp://system_id:password@host:port)');
  const cfg: SmscLinkConfig = {
    ...linkDefaults,
    prefixes: [],
    name: fallbackName,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : u.protocol === 'ssmpp:' ? 3550 : 2775,
    tls: u.protocol === 'ssmpp:',
    systemId: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
  for (const [q, v] of u.searchParams) {
    const field = byQuery.get(q);
    if (!field) throw new ConfigError(`${key}?${q}`, `is not a known setting (known: ${[...byQuery.keys()].join(', ')})`);
    (cfg as unknown as Record<string, unknown>)[field] = coerce(`${key}?${q}`, field, v, true);
  }
  return finish(cfg, key);
}

function finish(cfg: SmscLinkConfig, key: string): SmscLinkConfig {
  if (cfg.tlsCa !== undefined) {
    const caKey = key.endsWith('url') ? `${key}?tls_ca` : `${key}.tlsCa`;
    if (!cfg.tls) throw new ConfigError(caKey, 'is only for TLS links (ssmpp://)');
    try {
      if (!/-----BEGIN CERTIFICATE-----/.test(readFileSync(cfg.tlsCa, 'utf8'))) throw new Error('no PEM certificate in it');
    } catch (e) {
      throw new ConfigError(caKey, `cannot use ${JSON.stringify(cfg.tlsCa)}: ${(e as Error).message}`);
    }
  }
  if (cfg.systemId.length > 15) throw new ConfigError(key, 'system_id is longer than 15 characters (SMPP v3.4 §5.2.1)');
  if (cfg.password.length > 8) throw new ConfigError(key, 'password is longer than 8 characters (SMPP v3.4 §5.2.2)');
  if (cfg.reconnectMaxMs < cfg.reconnectInitialMs) cfg.reconnectMaxMs = cfg.reconnectInitialMs;
  if (cfg.throttleBackoffMaxMs < cfg.throttleBackoffMs) cfg.throttleBackoffMaxMs = cfg.throttleBackoffMs;
  return cfg;
}

/** A link in object form: either a `url` plus overrides, or host/port/systemId/password fields. */
export type SmscLinkInput = string | (Partial<SmscLinkConfig> & { url?: string });

function fromObject(input: Record<string, unknown>, key: string, fallbackName: string): SmscLinkConfig {
  const { url, host, port, systemId, password, ...rest } = input;
  let cfg: SmscLinkConfig;
  if (url !== undefined) {
    if (typeof url !== 'string') throw new ConfigError(`${key}.url`, 'must be a string');
    cfg = parseSmscUrl(url, `${key}.url`, fallbackName);
  } else {
    if (typeof host !== 'string' || !host) throw new ConfigError(`${key}.host`, 'is required (or give url)');
    if (typeof systemId !== 'string' || !systemId) throw new ConfigError(`${key}.systemId`, 'is required (or give url)');
    cfg = { ...linkDefaults, prefixes: [], name: fallbackName, host, port: 2775, systemId, password: '' };
  }
  if (host !== undefined && url !== undefined) {
    if (typeof host !== 'string') throw new ConfigError(`${key}.host`, 'must be a string');
    cfg.host = host;
  }
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${key}.port`, 'must be a TCP port');
    cfg.port = port;
  }
  if (systemId !== undefined && url !== undefined) {
    if (typeof systemId !== 'string') throw new ConfigError(`${key}.systemId`, 'must be a string');
    cfg.systemId = systemId;
  }
  if (password !== undefined) {
    if (typeof password !== 'string') throw new ConfigError(`${key}.password`, 'must be a string');
    cfg.password = password;
  }
  for (const [k, v] of Object.entries(rest)) {
    if (!(k in settings)) throw new ConfigError(`${key}.${k}`, 'is not a known setting');
    (cfg as unknown as Record<string, unknown>)[k] = coerce(`${key}.${k}`, k as keyof typeof settings, v, false);
  }
  return finish(cfg, key);
}

/**
 * Links from the gateway's `smsc` config section: `{ url }` (what MMSC_SMSC_URL sets) and/or
 * `{ links: [url | object, ...] }`. Returns [] when nothing is configured (the caller then runs the
 * built-in simulator). Link names default to smsc, smsc2, ... and must be unique.
 */
export function smscLinksFromConfig(section: Record<string, unknown>): SmscLinkConfig[] {
  const out: SmscLinkConfig[] = [];
  for (const k of Object.keys(section)) if (k !== 'url' && k !== 'links') throw new ConfigError(`smsc.${k}`, 'is not a known setting (url, links)');
  const nextName = () => (out.length === 0 ? 'smsc' : `smsc${out.length + 1}`);
  if (section.url !== undefined && section.url !== '') {
    if (typeof section.url !== 'string') throw new ConfigError('smsc.url', 'must be a string');
    out.push(parseSmscUrl(section.url, 'smsc.url', nextName()));
  }
  if (section.links !== undefined) {
    if (!Array.isArray(section.links)) throw new ConfigError('smsc.links', 'must be a list');
    section.links.forEach((l: unknown, i: number) => {
      const key = `smsc.links[${i}]`;
      if (typeof l === 'string') out.push(parseSmscUrl(l, key, nextName()));
      else if (typeof l === 'object' && l !== null && !Array.isArray(l)) out.push(fromObject(l as Record<string, unknown>, key, nextName()));
      else throw new ConfigError(key, 'must be a URL or an object');
    });
  }
  const seen = new Set<string>();
  for (const l of out) {
    if (seen.has(l.name)) throw new ConfigError('smsc.links', `link name ${JSON.stringify(l.name)} is used twice`);
    seen.add(l.name);
  }
  return out;
}

/** Builds one link config in code (tests, simulator-backed default). */
export function smscLink(input: SmscLinkInput, name = 'smsc'): SmscLinkConfig {
  return typeof input === 'string' ? parseSmscUrl(input, 'smsc', name) : fromObject(input as Record<string, unknown>, 'smsc', input.name ?? name);
}
