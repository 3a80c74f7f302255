import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, arr, bool, check, int, merge, obj, opt, str, type Rule } from './schema.js';
import { smscLinksFromConfig } from './smsc.js';
import { VASP_CONFIG_RULE, checkVaspAccounts, defaultVaspConfig, type VaspConfig } from './vasp.js';

export { ConfigError } from './schema.js';

export type FromMismatchPolicy = 'overwrite' | 'refuse';
export type MsisdnConflictPolicy = 'refuse' | 'prefer-first';

export interface Mm1Config {
  /** Path handsets POST PDUs to (m-send-req, m-notifyresp-ind, ...). `/` also accepts them. */
  path: string;
  /** Path prefix of retrieval URLs: <publicUrl><retrievalPath>/<token>. Keep it short. */
  retrievalPath: string;
  /** Largest message (the m-send-req body) accepted, in bytes. */
  maxMessageSize: number;
  maxRecipients: number;
  /** Media types accepted in parts; '*' accepts any. Matched case-insensitively, 'image/*' style allowed. */
  allowedContentTypes: string[];
  /**
   * Request headers carrying the authenticated subscriber number, in order of precedence: put the
   * header your trusted proxy sets first (better: list only that one).
   */
  msisdnHeaders: string[];
  /**
   * Two MSISDN headers (or two values of one) naming different numbers: 'refuse' the request as
   * sending-address-unresolved, or take the first by `msisdnHeaders` order ('prefer-first'). Logged either way.
   */
  msisdnConflict: MsisdnConflictPolicy;
  /**
   * Peers (IP or CIDR) whose MSISDN headers are believed: the WAP gateway / GGSN / proxy. Unless
   * `allowClientFrom` is on, MM1 POSTs from any other peer are refused (HTTP 403) before their body is read.
   */
  trustedProxies: string[];
  /** What to do when the From in the PDU contradicts the authenticated MSISDN. */
  fromMismatch: FromMismatchPolicy;
  /** Lab mode: accept the PDU's own From when no trusted MSISDN header is present. Off by default. */
  allowClientFrom: boolean;
  /** Prefix prepended to national MSISDNs from headers that lack a country code (e.g. '+1'); '' = none. */
  msisdnCountryPrefix: string;
  /**
   * How long after accepting an m-send-req (or m-forward-req) a repeat from the same sender with the
   * same X-Mms-Transaction-ID and content is answered with the first Message-ID instead of creating
   * a duplicate (the handset lost the conf and retried). 0 turns the check off.
   */
  retransmissionWindowSeconds: number;
}

export interface RelayConfig {
  defaultExpirySeconds: number;
  /** Cap on the expiry a sender may request. */
  maxExpirySeconds: number;
  /** How long delivery records stay queryable after the message expired or completed. */
  retentionSeconds: number;
  renotify: {
    /** First re-notification this long after a notification that was not followed by a retrieval. */
    intervalSeconds: number;
    backoffFactor: number;
    /** Notifications in total (first + re-notifications) before the recipient is marked unreachable. */
    maxAttempts: number;
  };
  /** Retries of a notification push that failed for a temporary reason (no SMSC link, throttling). */
  pushRetry: { initialSeconds: number; maxSeconds: number; maxAttempts: number };
  notification: {
    includeFrom: boolean;
    includeSubject: boolean;
  };
  /** Outstanding jobs (notifications, reports) handled at once by one node. */
  jobConcurrency: number;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Base URL handsets reach this gateway at (used in Content-Location). Defaults to http://<host>:<port>. */
  publicUrl: string;
  /** Grace period for in-flight requests on shutdown. */
  shutdownGraceMs: number;
  /** Time a client has to send the request line and headers, from the connection or the previous request (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** Time a whole request (headers and body) may take to arrive (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** A request body from which no octet arrives for this long is dropped (408, connection closed). */
  bodyIdleTimeoutMs: number;
  /**
   * Octets per second a request body must average once it has been arriving for
   * `bodyIdleTimeoutMs`; slower bodies are dropped (408, connection closed). 0 = no minimum.
   */
  minBodyRate: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /**
   * Octets of request bodies held in memory for unfinished requests, all requests together; a request
   * that would go past it is answered 503 and its connection closed.
   */
  maxBufferedBytes: number;
  /**
   * A second listener for /metrics, /healthz, /readyz (and the admin API): when `port` is set they
   * leave the public port. Absent port = no admin listener; 0 = any free port (tests).
   */
  admin: { port?: number; host: string };
}

/** Content adaptation of retrievals (issue 6; docs/architecture.md "Content adaptation"). */
export interface AdaptConfig {
  /** Off: messages are served as stored. */
  enabled: boolean;
  /** JSON file of device classes (matched by User-Agent) and the default class; relative to the working directory. */
  deviceClassesFile: string;
  uaprof: {
    timeoutMs: number;
    maxBytes: number;
    /** How long a fetched profile, and a failed fetch, are remembered (shared through the store). */
    cacheSeconds: number;
    negativeCacheSeconds: number;
    /** Lab setting: fetch profiles from private and loopback addresses too (SSRF guard off). */
    allowPrivateAddresses: boolean;
  };
  images: {
    /** Larger inputs (width x height) are refused by the decoder and replaced by a text part. */
    maxInputPixels: number;
  };
  media: {
    /** ffmpeg binary; '' disables audio/video transcoding. */
    ffmpegPath: string;
    concurrency: number;
    timeoutMs: number;
  };
  /** Text of the part that replaces content that could not be adapted; `{type}` is the original media type. */
  replacementText: string;
  /** How long an adapted variant is kept (never beyond the message's expiry). */
  variantCacheSeconds: number;
  /** Recipients (MSISDNs with country code, '+' optional) whose handsets cannot receive MMS: they get an SMS with a web link. */
  nonMmsRecipients: string[];
  /** Subscriber list of non-MMS handsets: a text file, one MSISDN a line ('#' comments); '' = none. Read at start. */
  nonMmsFile: string;
  /** Path prefix of the web view of a message for non-MMS handsets. */
  webPath: string;
  /** SMS text for non-MMS handsets; `{from}` and `{url}` are replaced. */
  smsText: string;
}

export interface GatewayConfig {
  http: HttpConfig;
  adapt: AdaptConfig;
  dataDir: string;
  /** The embedded (LMDB) store; ignored when `redis.url` is set. */
  store: { commitWindowMs: number };
  mm1: Mm1Config;
  relay: RelayConfig;
  log: { level: string; pretty: boolean };
  metrics: { enabled: boolean; path: string };
  /** SMSC links (src/config/smsc.ts says the forms). Empty = the built-in SMSC simulator. */
  smsc: Record<string, unknown>;
  redis: { url: string; keyPrefix: string };
  node: NodeConfig;
  /** The state-change stream's consumers on this node (docs/architecture.md, "The state-change stream"). */
  stream: StreamConfig;
  /** VASP interfaces (MM7, REST) and their accounts. */
  vasp: VaspConfig;
}

/** This process among several sharing one Redis. */
export interface NodeConfig {
  /** Names the node in logs and as its consumer in the job stream; '' = hostname-pid. Unique per node. */
  id: string;
  /** A job a node took and has not finished within this time is taken over by another node. */
  jobLeaseSeconds: number;
}

export interface StreamConfig {
  /** Run the stream's consumers (reports, counters) on this node. Off only for nodes that must not (and never on a lone node). */
  run: boolean;
  /** Events read and acknowledged at once per consumer. */
  batchSize: number;
  /**
   * Retention cap of the outbox: beyond this many events the oldest go even if a consumer has not
   * read them (an error log line names it). Events every consumer passed go anyway.
   */
  maxEvents: number;
  /** /healthz reports the stream as lagging when a consumer is this many events behind. */
  lagAlertEvents: number;
}

const DAY = 86_400;

export function defaultConfig(): GatewayConfig {
  return {
    http: {
      host: '0.0.0.0',
      port: 8080,
      publicUrl: '',
      shutdownGraceMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      bodyIdleTimeoutMs: 20_000,
      minBodyRate: 500,
      keepAliveTimeoutMs: 65_000,
      maxBufferedBytes: 128 * 1024 * 1024,
      admin: { host: '127.0.0.1' },
    },
    dataDir: './data',
    store: { commitWindowMs: 0 },
    adapt: {
      enabled: true,
      deviceClassesFile: 'config/device-classes.json',
      uaprof: { timeoutMs: 3000, maxBytes: 256 * 1024, cacheSeconds: DAY, negativeCacheSeconds: 3600, allowPrivateAddresses: false },
      images: { maxInputPixels: 50_000_000 },
      media: { ffmpegPath: 'ffmpeg', concurrency: 2, timeoutMs: 60_000 },
      replacementText: 'A {type} item of this message could not be shown on this phone.',
      variantCacheSeconds: DAY,
      nonMmsRecipients: [],
      nonMmsFile: '',
      webPath: '/v',
      smsText: 'You have a picture message from {from}: {url}',
    },
    mm1: {
      path: '/mms',
      retrievalPath: '/m',
      maxMessageSize: 1_048_576,
      maxRecipients: 50,
      allowedContentTypes: ['*'],
      // Kannel's (and Mbuni's) header first: the one a WAP gateway sets, where X-MSISDN may come from the client.
      msisdnHeaders: ['x-wap-network-client-msisdn', 'x-msisdn', 'x-nokia-msisdn', 'x-up-calling-line-id'],
      msisdnConflict: 'refuse',
      // What `npm start` on one machine needs: the emulator and a local WAP gateway, not all of 127.0.0.0/8.
      trustedProxies: ['127.0.0.1/32', '::1/128'],
      fromMismatch: 'overwrite',
      allowClientFrom: false,
      msisdnCountryPrefix: '',
      retransmissionWindowSeconds: 600,
    },
    relay: {
      defaultExpirySeconds: 7 * DAY,
      maxExpirySeconds: 7 * DAY,
      retentionSeconds: 30 * DAY,
      renotify: { intervalSeconds: 3600, backoffFactor: 2, maxAttempts: 4 },
      pushRetry: { initialSeconds: 5, maxSeconds: 600, maxAttempts: 50 },
      notification: { includeFrom: true, includeSubject: true },
      jobConcurrency: 256,
    },
    log: { level: 'info', pretty: false },
    metrics: { enabled: true, path: '/metrics' },
    smsc: {},
    redis: { url: '', keyPrefix: 'mmsc:' },
    node: { id: '', jobLeaseSeconds: 60 },
    stream: { run: true, batchSize: 256, maxEvents: 2_000_000, lagAlertEvents: 100_000 },
    vasp: defaultVaspConfig(),
  };
}

const pathRule = str({ pattern: /^\/[A-Za-z0-9._~\-/]*$/, hint: 'an absolute URL path without escapes' });

const SCHEMA: Rule = obj({
  http: obj({
    host: str(),
    port: int(0, 65535),
    publicUrl: str({ pattern: /^$|^https?:\/\/[^\s%]+[^/\s%]$/, hint: 'http(s)://host[:port][/path], no trailing slash, no %' }),
    shutdownGraceMs: int(0, 600_000),
    headersTimeoutMs: int(100, 600_000),
    requestTimeoutMs: int(100, 3_600_000),
    bodyIdleTimeoutMs: int(50, 600_000),
    minBodyRate: int(0, 100 * 1024 * 1024),
    keepAliveTimeoutMs: int(100, 3_600_000),
    maxBufferedBytes: int(64 * 1024, 64 * 1024 * 1024 * 1024),
    admin: obj({ port: opt(int(0, 65535)), host: str({ pattern: /^[0-9A-Za-z.:-]+$/, hint: 'an IP address or host name' }) }),
  }),
  dataDir: str(),
  store: obj({ commitWindowMs: int(0, 100) }),
  adapt: obj({
    enabled: bool(),
    deviceClassesFile: str(),
    uaprof: obj({ timeoutMs: int(100, 60_000), maxBytes: int(1024, 10 * 1024 * 1024), cacheSeconds: int(0, 30 * DAY), negativeCacheSeconds: int(0, 30 * DAY), allowPrivateAddresses: bool() }),
    images: obj({ maxInputPixels: int(1, 1_000_000_000) }),
    media: obj({ ffmpegPath: str(), concurrency: int(1, 64), timeoutMs: int(1000, 600_000) }),
    replacementText: str(),
    variantCacheSeconds: int(0, 365 * DAY),
    nonMmsRecipients: arr(str({ pattern: /^\+?\d{3,20}$/, hint: 'an MSISDN with country code' })),
    nonMmsFile: str(),
    webPath: pathRule,
    smsText: str(),
  }),
  mm1: obj({
    path: pathRule,
    retrievalPath: pathRule,
    maxMessageSize: int(1024, 100 * 1024 * 1024),
    maxRecipients: int(1, 10_000),
    allowedContentTypes: arr(str({ pattern: /^(\*|[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+))$/i, hint: 'type/subtype, type/* or *' })),
    msisdnHeaders: arr(str({ pattern: /^[a-z0-9-]+$/i })),
    msisdnConflict: str({ oneOf: ['refuse', 'prefer-first'] }),
    trustedProxies: arr(str({ pattern: /^[0-9a-f:.]+(\/\d{1,3})?$/i, hint: 'an IP address or CIDR' })),
    fromMismatch: str({ oneOf: ['overwrite', 'refuse'] }),
    allowClientFrom: bool(),
    msisdnCountryPrefix: str({ pattern: /^(\+\d{1,4})?$/, hint: "'' or '+' and a country code" }),
    retransmissionWindowSeconds: int(0, DAY),
  }),
  relay: obj({
    defaultExpirySeconds: int(60, 365 * DAY),
    maxExpirySeconds: int(60, 365 * DAY),
    retentionSeconds: int(0, 3650 * DAY),
    renotify: obj({ intervalSeconds: int(1, 30 * DAY), backoffFactor: { kind: 'number', min: 1, max: 10 }, maxAttempts: int(1, 100) }),
    pushRetry: obj({ initialSeconds: { kind: 'number', min: 0.01, max: DAY }, maxSeconds: int(1, DAY), maxAttempts: int(1, 10_000) }),
    notification: obj({ includeFrom: bool(), includeSubject: bool() }),
    jobConcurrency: int(1, 100_000),
  }),
  log: obj({ level: str({ oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }), pretty: bool() }),
  metrics: obj({ enabled: bool(), path: pathRule }),
  smsc: { kind: 'record', of: { kind: 'any' } },
  redis: obj({ url: str({ pattern: /^$|^rediss?:\/\/|^redis\+sentinel:\/\/|^redis\+cluster:\/\//, hint: 'redis://host:port[/db]' }), keyPrefix: str() }),
  node: obj({ id: str({ pattern: /^$|^[A-Za-z0-9._:@-]{1,100}$/, hint: 'letters, digits and ._:@- (at most 100)' }), jobLeaseSeconds: int(1, 3600) }),
  stream: obj({ run: bool(), batchSize: int(1, 10_000), maxEvents: int(1000, 1_000_000_000), lagAlertEvents: int(1, 1_000_000_000) }),
  vasp: VASP_CONFIG_RULE,
});

/** Environment variables and the config key each one sets. */
export const ENV_VARS: Record<string, { key: string; type: 'string' | 'int' | 'bool' }> = {
  MMSC_HTTP_HOST: { key: 'http.host', type: 'string' },
  MMSC_HTTP_PORT: { key: 'http.port', type: 'int' },
  MMSC_PUBLIC_URL: { key: 'http.publicUrl', type: 'string' },
  MMSC_ADMIN_PORT: { key: 'http.admin.port', type: 'int' },
  MMSC_ADMIN_HOST: { key: 'http.admin.host', type: 'string' },
  MMSC_DATA_DIR: { key: 'dataDir', type: 'string' },
  MMSC_STORE_COMMIT_WINDOW_MS: { key: 'store.commitWindowMs', type: 'int' },
  MMSC_LOG_LEVEL: { key: 'log.level', type: 'string' },
  MMSC_LOG_PRETTY: { key: 'log.pretty', type: 'bool' },
  MMSC_MAX_MESSAGE_SIZE: { key: 'mm1.maxMessageSize', type: 'int' },
  MMSC_TRUSTED_PROXIES: { key: 'mm1.trustedProxies', type: 'string' },
  MMSC_SMSC_URL: { key: 'smsc.url', type: 'string' },
  MMSC_REDIS_URL: { key: 'redis.url', type: 'string' },
  MMSC_REDIS_PREFIX: { key: 'redis.keyPrefix', type: 'string' },
  MMSC_NODE_ID: { key: 'node.id', type: 'string' },
  MMSC_JOB_LEASE_SECONDS: { key: 'node.jobLeaseSeconds', type: 'int' },
  MMSC_STREAM_RUN: { key: 'stream.run', type: 'bool' },
  MMSC_STREAM_MAX_EVENTS: { key: 'stream.maxEvents', type: 'int' },
};

export interface LoadOptions {
  /** Config file path; default: $MMSC_CONFIG, else config/mmsc.json when it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Programmatic overrides applied last (tests, embedding). */
  overrides?: unknown;
  cwd?: string;
}

/** Defaults, then the config file, then environment variables, then overrides; validated. */
export function loadConfig(opts: LoadOptions = {}): GatewayConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  let cfg = defaultConfig();

  const file = opts.file ?? env.MMSC_CONFIG ?? (existsSync(resolve(cwd, 'config/mmsc.json')) ? 'config/mmsc.json' : undefined);
  if (file) {
    const path = resolve(cwd, file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError('(file)', `cannot read ${path}: ${(err as Error).message}`);
    }
    check(SCHEMA_LOOSE, parsed, '');
    cfg = merge(cfg, parsed);
  }

  for (const [name, { key, type }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (type === 'int') {
      if (!/^\d+$/.test(raw)) throw new ConfigError(key, `${name}=${JSON.stringify(raw)} is not a whole number`);
      value = Number(raw);
    } else if (type === 'bool') {
      value = /^(1|true|yes|on)$/i.test(raw);
    } else if (key === 'mm1.trustedProxies') {
      value = raw.split(',').map((s) => s.trim()).filter(Boolean);
    }
    cfg = merge(cfg, nest(key, value));
  }
  if (opts.overrides !== undefined) cfg = merge(cfg, opts.overrides);

  check(SCHEMA, cfg, '');
  smscLinksFromConfig(cfg.smsc);
  checkVaspAccounts(cfg.vasp.accounts);
  if (cfg.http.headersTimeoutMs > cfg.http.requestTimeoutMs) {
    throw new ConfigError('http.headersTimeoutMs', `must not exceed http.requestTimeoutMs (${cfg.http.requestTimeoutMs})`);
  }
  if (cfg.http.admin.port !== undefined && cfg.http.admin.port !== 0 && cfg.http.admin.port === cfg.http.port) {
    throw new ConfigError('http.admin.port', `must differ from http.port (${cfg.http.port})`);
  }
  if (cfg.relay.defaultExpirySeconds > cfg.relay.maxExpirySeconds) {
    throw new ConfigError('relay.defaultExpirySeconds', `must not exceed relay.maxExpirySeconds (${cfg.relay.maxExpirySeconds})`);
  }
  // Port 0 (any free port): the gateway takes its public URL from the address it got instead.
  if (!cfg.http.publicUrl && cfg.http.port !== 0) {
    const host = cfg.http.host === '0.0.0.0' || cfg.http.host === '::' ? '127.0.0.1' : cfg.http.host;
    cfg.http.publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${cfg.http.port}`;
  }
  if (!cfg.node.id) cfg.node.id = `${hostname()}-${process.pid}`;
  return cfg;
}

/** The file may leave anything out; only its present keys are checked against the schema. */
const SCHEMA_LOOSE: Rule = loosen(SCHEMA);

function loosen(rule: Rule): Rule {
  if (rule.kind === 'object') {
    const fields: Record<string, Rule> = {};
    for (const [k, r] of Object.entries(rule.fields)) fields[k] = opt(loosen(r));
    return { ...rule, fields };
  }
  return rule;
}

function nest(key: string, value: unknown): unknown {
  return key.split('.').reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
}
