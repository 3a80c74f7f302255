import { isIP } from 'node:net';
import type { RecipientState } from '../records/model.js';
import { DEFAULT_BOT_AGENTS } from './bot-agents.js';
import { ConfigError, arr, bool, int, obj, opt, str, type Rule } from './schema.js';

/**
 * Recipient states a REST webhook may subscribe to by name (src/vasp/events.ts says what each
 * subscription delivers).
 */
export const STATE_EVENTS = [
  'notifying',
  'notified',
  'fallback-sms',
  'deferred',
  'retrieved',
  'acknowledged',
  'rejected',
  'unreachable',
  'expired',
  'forwarded',
  'cancelled',
] as const satisfies readonly RecipientState[];

export const WEBHOOK_EVENTS = ['delivery-report', 'final', 'clicked', ...STATE_EVENTS] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface AuthLimits {
  /** Failed Basic checks per user name within the window before its passwords go unchecked. */
  maxFailuresPerUser: number;
  /** Failed Basic checks (wrong password or unknown user) per source address within the window. */
  maxFailuresPerSource: number;
  windowSeconds: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = { maxFailuresPerUser: 5, maxFailuresPerSource: 20, windowSeconds: 60 };

/** A daily window during which a VASP's messages are held back (deferred until `end`). */
export interface QuietHours {
  /** 'HH:MM' local time in `timeZone`. */
  start: string;
  end: string;
  /** IANA time zone name, e.g. 'Europe/Berlin'. */
  timeZone: string;
}

/** One value-added service provider allowed to send through MM7 and REST. */
export interface VaspAccount {
  /** The VASPID: names the account in logs, reports and opt-out lists. */
  id: string;
  /** HTTP Basic user name for MM7 (default: the id). */
  username?: string;
  /** HTTP Basic password as `scrypt$<salt base64>$<hash base64>` (see hashPassword in src/vasp/accounts.ts). */
  passwordHash?: string;
  /** REST API keys, each as `sha256:<hex of the key>`: the key itself is never stored. */
  apiKeys?: string[];
  /** Peers (IP or CIDR) the VASP may connect from; empty or absent = any. */
  allowedSources?: string[];
  /** Short codes the VASP sends from and receives handset messages on. */
  shortCodes?: string[];
  /** Recipients accepted per second on one node (token bucket, one second of burst); 0 = unlimited. */
  tps?: number;
  /** Recipients accepted per UTC day across all nodes; 0 = unlimited. */
  dailyQuota?: number;
  quietHours?: QuietHours;
  /** Where MM7 DeliveryReportReq / ReadReplyReq / DeliverReq go; `https://user:pass@host/...` sends HTTP Basic. */
  reportUrl?: string;
  /** Default webhook URL for REST messages that name none. */
  webhookUrl?: string;
  /** HMAC-SHA256 key for webhook signatures. */
  webhookSecret?: string;
  /** Recipient events for REST messages whose request names none (see src/vasp/events.ts); default ['delivery-report']. */
  webhookEvents?: WebhookEvent[];
  /** SMS answered to a handset that texts a stop keyword to the account's short code (none when absent). */
  optOutReply?: string;
  /** SMS answered to a start keyword (START, UNSTOP). */
  optInReply?: string;
  /** SMS answered to a help keyword (HELP, INFO). */
  helpText?: string;
}

/** Campaigns (REST /batches, src/vasp/batches). */
export interface BatchesConfig {
  /** Recipients in the JSON body of POST /batches (larger lists come as a CSV or JSON Lines file). */
  maxInlineRecipients: number;
  /** Recipients in one batch. */
  maxRecipients: number;
  /** Largest POST /batches body (JSON, or the multipart upload with its recipients file), octets. */
  maxUploadBytes: number;
  /** Largest `variables` of one recipient (JSON characters). */
  maxVariableBytes: number;
  /** How far ahead sendAt may be. */
  maxScheduleDays: number;
  /** How long a batch's release may take after sendAt (its records are kept that long plus message expiry and retention). */
  releaseDays: number;
  /** Recipients released per step of the release job. */
  releaseSlice: number;
  /** Share of an account's tps a campaign leaves to its other sends while they are active. */
  bulkReserve: number;
}

/** Tracked links of campaigns: `<publicUrl>/l/<code>`. */
export interface LinksConfig {
  /** Public base of the short links; '' = http.publicUrl. */
  publicUrl: string;
  /** Requests per minute per client address on /l/. */
  rateLimitPerMinute: number;
  /** User-agent substrings of link-preview fetchers and crawlers, counted apart from clicks. */
  botUserAgents: string[];
}

export interface VaspConfig {
  mm7Path: string;
  apiPrefix: string;
  /** Largest MM7 or REST request body, in octets. */
  maxRequestSize: number;
  /** Recipients in one request. */
  maxRecipients: number;
  /**
   * An MM7 SubmitReq repeated with the same TransactionID, recipients and content within this many
   * seconds of its acceptance (a VASP that timed out waiting for SubmitRsp) gets the first MessageID
   * and creates nothing; 0 = off.
   */
  retransmissionWindowSeconds: number;
  /** Country code for national numbers without one ('' = national numbers are refused). */
  defaultCountryCode: string;
  /** Trunk prefix of national numbers, replaced by the country code. */
  nationalPrefix: string;
  /** MMSRelayServerID in messages we send to VASPs. */
  relayServerId: string;
  /** Numbers (E.164) no VASP may send to. */
  optOut: string[];
  /** A handset message to a VASP short code whose text is one of these opts its sender out of that VASP. */
  stopKeywords: string[];
  /** ... one of these opts it back in. */
  startKeywords: string[];
  /** ... one of these is answered with the account's helpText. */
  helpKeywords: string[];
  batches: BatchesConfig;
  links: LinksConfig;
  /** Media fetched by URL for REST sends. */
  media: { maxBytes: number; timeoutMs: number; maxItems: number; allowPrivateHosts: boolean };
  /**
   * MM7 reports, DeliverReq and webhooks: durable jobs retried with exponential back-off, then given
   * up. `allowPrivateHosts` concerns webhook URLs given in requests; configured report URLs are trusted.
   */
  reports: { initialSeconds: number; maxSeconds: number; maxAttempts: number; timeoutMs: number; allowPrivateHosts: boolean };
  idempotencyTtlSeconds: number;
  /**
   * Failed HTTP Basic checks (MM7) allowed per user name and per source address within the window;
   * past either, unverified passwords are refused without being hashed until the window ends.
   */
  auth: AuthLimits;
  accounts: VaspAccount[];
}

export function defaultVaspConfig(): VaspConfig {
  return {
    mm7Path: '/mm7',
    apiPrefix: '/api/v1',
    maxRequestSize: 5 * 1024 * 1024,
    maxRecipients: 10_000,
    retransmissionWindowSeconds: 600,
    defaultCountryCode: '',
    nationalPrefix: '0',
    relayServerId: 'mmsc',
    optOut: [],
    stopKeywords: ['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT'],
    startKeywords: ['START', 'UNSTOP'],
    helpKeywords: ['HELP', 'INFO'],
    batches: {
      maxInlineRecipients: 100_000,
      maxRecipients: 1_000_000,
      maxUploadBytes: 256 * 1024 * 1024,
      maxVariableBytes: 4096,
      maxScheduleDays: 35,
      releaseDays: 7,
      releaseSlice: 500,
      bulkReserve: 0.2,
    },
    links: { publicUrl: '', rateLimitPerMinute: 120, botUserAgents: [...DEFAULT_BOT_AGENTS] },
    media: { maxBytes: 1_048_576, timeoutMs: 10_000, maxItems: 10, allowPrivateHosts: false },
    reports: { initialSeconds: 5, maxSeconds: 3600, maxAttempts: 12, timeoutMs: 10_000, allowPrivateHosts: false },
    idempotencyTtlSeconds: 86_400,
    auth: { ...DEFAULT_AUTH_LIMITS },
    accounts: [],
  };
}

const hhmm = str({ pattern: /^([01]\d|2[0-3]):[0-5]\d$/, hint: 'HH:MM' });
const url = str({ pattern: /^https?:\/\/\S+$/, hint: 'an http(s) URL' });
const cidr = str({ pattern: /^[0-9a-f:.]+(\/\d{1,3})?$/i, hint: 'an IP address or CIDR' });
const digits = str({ pattern: /^\d{2,15}$/, hint: 'digits' });

export const VASP_CONFIG_RULE: Rule = obj({
  mm7Path: str({ pattern: /^\/[A-Za-z0-9._~\-/]*$/ }),
  apiPrefix: str({ pattern: /^\/[A-Za-z0-9._~\-/]*[^/]$/, hint: 'an absolute path without trailing slash' }),
  maxRequestSize: int(1024, 200 * 1024 * 1024),
  maxRecipients: int(1, 100_000),
  retransmissionWindowSeconds: int(0, 86_400),
  defaultCountryCode: str({ pattern: /^(\d{1,3})?$/, hint: "'' or 1-3 digits" }),
  nationalPrefix: str({ pattern: /^\d{0,2}$/ }),
  relayServerId: str({ pattern: /^[\x21-\x7e]{1,64}$/ }),
  optOut: arr(str({ pattern: /^\+\d{7,15}$/, hint: 'an E.164 number' })),
  stopKeywords: arr(str({ pattern: /^\S{1,20}$/ })),
  startKeywords: arr(str({ pattern: /^\S{1,20}$/ })),
  helpKeywords: arr(str({ pattern: /^\S{1,20}$/ })),
  batches: obj({
    maxInlineRecipients: int(1, 1_000_000),
    maxRecipients: int(1, 100_000_000),
    maxUploadBytes: int(1024, 16 * 1024 * 1024 * 1024),
    maxVariableBytes: int(16, 1024 * 1024),
    maxScheduleDays: int(0, 365),
    releaseDays: int(1, 365),
    releaseSlice: int(1, 10_000),
    bulkReserve: { kind: 'number', min: 0, max: 0.9 },
  }),
  links: obj({
    publicUrl: str({ pattern: /^$|^https?:\/\/[^\s%]+[^/\s%]$/, hint: 'http(s)://host[:port][/path], no trailing slash' }),
    rateLimitPerMinute: int(1, 1_000_000),
    botUserAgents: arr(str({ pattern: /^.{1,100}$/ })),
  }),
  media: obj({ maxBytes: int(1, 100 * 1024 * 1024), timeoutMs: int(100, 600_000), maxItems: int(0, 100), allowPrivateHosts: bool() }),
  reports: obj({
    initialSeconds: { kind: 'number', min: 0.01, max: 86_400 },
    maxSeconds: int(1, 86_400),
    maxAttempts: int(1, 1000),
    timeoutMs: int(100, 600_000),
    allowPrivateHosts: bool(),
  }),
  idempotencyTtlSeconds: int(1, 30 * 86_400),
  auth: obj({ maxFailuresPerUser: int(1, 1_000_000), maxFailuresPerSource: int(1, 1_000_000), windowSeconds: int(1, 86_400) }),
  accounts: arr(
    obj({
      id: str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: 'letters, digits and ._- (at most 64)' }),
      username: opt(str({ pattern: /^[^:\s]{1,128}$/ })),
      passwordHash: opt(str({ pattern: /^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, hint: 'scrypt$<salt>$<hash>' })),
      apiKeys: opt(arr(str({ pattern: /^sha256:[0-9a-f]{64}$/, hint: 'sha256:<64 hex digits>' }))),
      allowedSources: opt(arr(cidr)),
      shortCodes: opt(arr(digits)),
      tps: opt(int(0, 1_000_000)),
      dailyQuota: opt(int(0, 1_000_000_000)),
      quietHours: opt(obj({ start: hhmm, end: hhmm, timeZone: str({ pattern: /^[A-Za-z0-9_+\-/]{1,64}$/ }) })),
      reportUrl: opt(url),
      webhookUrl: opt(url),
      webhookSecret: opt(str({ pattern: /^.{16,}$/, hint: 'at least 16 characters' })),
      webhookEvents: opt(arr(str({ pattern: new RegExp(`^(${WEBHOOK_EVENTS.join('|')})$`), hint: WEBHOOK_EVENTS.join(', ') }))),
      optOutReply: opt(str({ pattern: /^[^]{1,640}$/, hint: '1 to 640 characters' })),
      optInReply: opt(str({ pattern: /^[^]{1,640}$/, hint: '1 to 640 characters' })),
      helpText: opt(str({ pattern: /^[^]{1,640}$/, hint: '1 to 640 characters' })),
    }),
  ),
});

/**
 * What the schema cannot say about the accounts: ids, user names and short codes unique, sources
 * that are addresses, time zones that exist. Called by loadConfig, so every start path checks them.
 */
export function checkVaspAccounts(accounts: readonly VaspAccount[]): void {
  const ids = new Set<string>();
  const users = new Set<string>();
  const shortCodes = new Set<string>();
  accounts.forEach((a, i) => {
    const key = `vasp.accounts[${i}]`;
    if (ids.has(a.id)) throw new ConfigError(`${key}.id`, `duplicate VASP id "${a.id}"`);
    ids.add(a.id);
    const user = a.username ?? a.id;
    if (users.has(user)) throw new ConfigError(`${key}.username`, `duplicate user name "${user}"`);
    users.add(user);
    for (const sc of a.shortCodes ?? []) {
      if (shortCodes.has(sc)) throw new ConfigError(`${key}.shortCodes`, `short code ${sc} belongs to two VASPs`);
      shortCodes.add(sc);
    }
    for (const entry of a.allowedSources ?? []) {
      const [ip, bits] = entry.split('/');
      const family = isIP(ip!);
      if (family === 0 || (bits !== undefined && Number(bits) > (family === 4 ? 32 : 128))) {
        throw new ConfigError(`${key}.allowedSources`, `"${entry}" is not an IP address or CIDR`);
      }
    }
    if (a.quietHours) {
      try {
        new Intl.DateTimeFormat('en-GB', { timeZone: a.quietHours.timeZone });
      } catch {
        throw new ConfigError(`${key}.quietHours.timeZone`, `unknown time zone "${a.quietHours.timeZone}"`);
      }
    }
  });
}
