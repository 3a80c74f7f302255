import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config/schema.js';
import type { VaspAccount } from './config.js';
import { checkTimeZone } from './quiet-hours.js';

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** `scrypt$<salt>$<hash>` for the config file: `node -e "import('./dist/src/vasp/accounts.js').then(m => console.log(m.hashPassword('secret')))"`. */
export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(password, salt, 32, SCRYPT);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** `sha256:<hex>` for an API key: keys are long random strings, so a fast hash is enough. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export type AuthResult = { ok: true; account: VaspAccount } | { ok: false; reason: string };

/**
 * The configured VASP accounts and how requests prove to be one of them: HTTP Basic (MM7) checked
 * against a scrypt hash, API keys (REST) by their SHA-256, and the peer address against the
 * account's allowed sources.
 */
export class VaspAccounts {
  private readonly byUser = new Map<string, VaspAccount>();
  private readonly byId = new Map<string, VaspAccount>();
  private readonly byKey = new Map<string, VaspAccount>();
  private readonly byShortCode = new Map<string, VaspAccount>();
  private readonly sources = new Map<string, BlockList>();
  /**
   * Successful Basic checks, by a digest of user and password: scrypt is deliberately slow
   * (tens of ms), and VASPs send every request with the same credentials. Bounded.
   */
  private readonly verified = new Set<string>();
  /**
   * Recent failed password checks per user name. Each check is ~50 ms of synchronous scrypt, so a
   * flood of wrong passwords would stall every interface of the node; past the limit a user's
   * unverified passwords are refused without hashing until the window ends. Credentials verified
   * before still pass (they are answered from `verified`), so an attacker cannot lock a working VASP out.
   */
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly now: () => number;

  constructor(accounts: readonly VaspAccount[], opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    accounts.forEach((a, i) => {
      const key = `vasp.accounts[${i}]`;
      if (this.byId.has(a.id)) throw new ConfigError(`${key}.id`, `duplicate VASP id "${a.id}"`);
      this.byId.set(a.id, a);
      const user = a.username ?? a.id;
      if (this.byUser.has(user)) throw new ConfigError(`${key}.username`, `duplicate user name "${user}"`);
      this.byUser.set(user, a);
      for (const k of a.apiKeys ?? []) this.byKey.set(k.slice('sha256:'.length), a);
      for (const sc of a.shortCodes ?? []) {
        if (this.byShortCode.has(sc)) throw new ConfigError(`${key}.shortCodes`, `short code ${sc} belongs to two VASPs`);
        this.byShortCode.set(sc, a);
      }
      if (a.allowedSources?.length) {
        const list = new BlockList();
        for (const entry of a.allowedSources) {
          const [ip, bits] = entry.split('/');
          const type = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
          if (isIP(ip!) === 0) throw new ConfigError(`${key}.allowedSources`, `"${entry}" is not an IP address or CIDR`);
          if (bits === undefined) list.addAddress(ip!, type);
          else list.addSubnet(ip!, Number(bits), type);
        }
        this.sources.set(a.id, list);
      }
      if (a.quietHours) {
        try {
          checkTimeZone(a.quietHours.timeZone);
        } catch {
          throw new ConfigError(`${key}.quietHours.timeZone`, `unknown time zone "${a.quietHours.timeZone}"`);
        }
      }
    });
  }

  get(id: string): VaspAccount | undefined {
    return this.byId.get(id);
  }

  /** The VASP owning a short code ('12345'), if any. */
  byShortCodeOf(shortCode: string): VaspAccount | undefined {
    return this.byShortCode.get(shortCode);
  }

  /** HTTP Basic credentials from an Authorization header. */
  basic(authorization: string | undefined): AuthResult {
    if (!authorization) return { ok: false, reason: 'no credentials' };
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'not HTTP Basic credentials' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'malformed Basic credentials' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const account = this.byUser.get(user);
    if (!account || !account.passwordHash) return { ok: false, reason: `unknown user "${user.slice(0, 64)}"` };
    const digest = createHash('sha256').update(account.passwordHash).update('\0').update(password).digest('base64');
    if (this.verified.has(digest)) return { ok: true, account };
    const now = this.now();
    let f = this.failures.get(user);
    if (f && now - f.since >= FAILURE_WINDOW_MS) {
      this.failures.delete(user);
      f = undefined;
    }
    if (f && f.count >= MAX_FAILURES) return { ok: false, reason: `too many failed passwords for "${user}"; not checked until the window ends` };
    if (!verifyPassword(password, account.passwordHash)) {
      if (f) f.count++;
      else this.failures.set(user, { count: 1, since: now });
      return { ok: false, reason: `wrong password for "${user}"` };
    }
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.add(digest);
    return { ok: true, account };
  }

  /** An API key from `Authorization: Bearer <key>` or `X-API-Key`. */
  apiKey(authorization: string | undefined, headerKey: string | undefined): AuthResult {
    let key = headerKey;
    const m = authorization ? /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization) : null;
    if (m) key = m[1];
    if (!key) return { ok: false, reason: 'no API key' };
    const account = this.byKey.get(createHash('sha256').update(key, 'utf8').digest('hex'));
    return account ? { ok: true, account } : { ok: false, reason: 'unknown API key' };
  }

  /** Whether `peer` may act for `account`. */
  sourceAllowed(account: VaspAccount, peer: string | undefined): boolean {
    const list = this.sources.get(account.id);
    if (!list) return true;
    if (!peer) return false;
    const ip = peer.startsWith('::ffff:') && isIP(peer.slice(7)) === 4 ? peer.slice(7) : peer;
    return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }
}

const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60_000;

function verifyPassword(password: string, stored: string): boolean {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash!, 'base64');
  const got = scryptSync(password, Buffer.from(salt!, 'base64'), expected.length, SCRYPT);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
