import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { checkVaspAccounts, DEFAULT_AUTH_LIMITS, type AuthLimits, type VaspAccount } from '../config/vasp.js';

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

/**
 * `refusal: 'source'`: the peer may not act for the account it names (or for any account), decided
 * before any credential work - answer 403. `'credentials'`: missing or wrong credentials - 401.
 */
export type AuthResult = { ok: true; account: VaspAccount } | { ok: false; refusal: 'credentials' | 'source'; reason: string };

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
  /** Whether some account takes any source (then every peer may be that account). */
  private readonly anyUnlisted: boolean;
  /**
   * Successful Basic checks, by a digest of user and password: scrypt is deliberately slow
   * (tens of ms), and VASPs send every request with the same credentials. Bounded.
   */
  private readonly verified = new Set<string>();
  /**
   * Recent failed Basic checks per (user name, source address) and per source address. A wrong
   * password costs a scrypt (~50 ms of a libuv worker), so a flood of them would starve every other
   * check of the node; past either limit unverified passwords are refused without hashing until the
   * window ends. The per-source count also takes unknown user names, so one client cannot spread its
   * guesses over many names. Failures are never counted per user name alone: guesses from one
   * address must not lock the VASP out of its own addresses (and a peer outside the account's allowed
   * sources is refused before any password work, so it cannot count at all). Credentials verified
   * before still pass (they are answered from `verified`).
   */
  private readonly userFailures: FailureWindow;
  private readonly sourceFailures: FailureWindow;
  /** Checks in progress by credential digest: a burst of requests with new credentials hashes once. */
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly now: () => number;

  constructor(accounts: readonly VaspAccount[], opts: { now?: () => number; limits?: Partial<AuthLimits> } = {}) {
    this.now = opts.now ?? Date.now;
    const limits = { ...DEFAULT_AUTH_LIMITS, ...opts.limits };
    this.userFailures = new FailureWindow(limits.maxFailuresPerUser, limits.windowSeconds * 1000);
    this.sourceFailures = new FailureWindow(limits.maxFailuresPerSource, limits.windowSeconds * 1000);
    // Accounts built outside loadConfig (tests, embedding) are held to the same rules.
    checkVaspAccounts(accounts);
    for (const a of accounts) {
      this.byId.set(a.id, a);
      this.byUser.set(a.username ?? a.id, a);
      for (const k of a.apiKeys ?? []) this.byKey.set(k.slice('sha256:'.length), a);
      for (const sc of a.shortCodes ?? []) this.byShortCode.set(sc, a);
      if (a.allowedSources?.length) {
        const list = new BlockList();
        for (const entry of a.allowedSources) {
          const [ip, bits] = entry.split('/');
          const type = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
          if (bits === undefined) list.addAddress(ip!, type);
          else list.addSubnet(ip!, Number(bits), type);
        }
        this.sources.set(a.id, list);
      }
    }
    this.anyUnlisted = accounts.some((a) => !a.allowedSources?.length);
  }

  get(id: string): VaspAccount | undefined {
    return this.byId.get(id);
  }

  /** The VASP owning a short code ('12345'), if any. */
  byShortCodeOf(shortCode: string): VaspAccount | undefined {
    return this.byShortCode.get(shortCode);
  }

  /**
   * HTTP Basic credentials from an Authorization header, sent from `peer` (without a peer, sources
   * are not checked: the caller does it). The source comes first:
   * a peer outside the named account's allowed sources is refused before its password is looked at,
   * so the answer (403) does not tell a right password from a wrong one and its guesses count nowhere.
   * The password check runs on the libuv pool (async scrypt), so it does not hold up the event loop.
   */
  async basic(authorization: string | undefined, peer?: string): Promise<AuthResult> {
    const source = peer === undefined ? undefined : normalisePeer(peer);
    if (source !== undefined && !this.anySourceAllowed(source)) return { ok: false, refusal: 'source', reason: `${source} is not among any VASP's allowed sources` };
    if (!authorization) return { ok: false, refusal: 'credentials', reason: 'no credentials' };
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(authorization);
    if (!m) return { ok: false, refusal: 'credentials', reason: 'not HTTP Basic credentials' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, refusal: 'credentials', reason: 'malformed Basic credentials' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const account = this.byUser.get(user);
    const now = this.now();
    if (!account || !account.passwordHash) {
      if (source !== undefined) this.sourceFailures.charge(source, now);
      return { ok: false, refusal: 'credentials', reason: `unknown user "${user.slice(0, 64)}"` };
    }
    if (source !== undefined && !this.sourceAllowed(account, source)) return { ok: false, refusal: 'source', reason: `${source} is not among the allowed sources of "${user}"` };
    const digest = createHash('sha256').update(account.passwordHash).update('\0').update(password).digest('base64');
    if (this.verified.has(digest)) return { ok: true, account };
    let check = this.checking.get(digest);
    // Another request is checking the same credentials: share its answer (no second hash, no charge).
    const joined = check !== undefined;
    const userKey = `${user}\n${source ?? ''}`;
    if (!check) {
      if (this.userFailures.full(userKey, now)) return { ok: false, refusal: 'credentials', reason: `too many failed passwords for "${user}" from ${source ?? 'this peer'}; not checked until the window ends` };
      if (source !== undefined && this.sourceFailures.full(source, now)) return { ok: false, refusal: 'credentials', reason: `too many failed passwords from ${source}; not checked until the window ends` };
      // Charged before hashing and refunded on success: concurrent wrong guesses cannot all slip
      // past the limit while their hashes are still running.
      this.userFailures.charge(userKey, now);
      if (source !== undefined) this.sourceFailures.charge(source, now);
      check = verifyPassword(password, account.passwordHash).finally(() => this.checking.delete(digest));
      this.checking.set(digest, check);
    }
    if (!(await check)) return { ok: false, refusal: 'credentials', reason: `wrong password for "${user}"` };
    if (!joined) {
      this.userFailures.refund(userKey);
      if (source !== undefined) this.sourceFailures.refund(source);
    }
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.add(digest);
    return { ok: true, account };
  }

  /**
   * An API key from `Authorization: Bearer <key>` or `X-API-Key`, sent from `peer`. A peer outside
   * every account's allowed sources is refused (403) before the key is looked at. A valid key from a
   * peer its own account does not allow is answered like an unknown key (401), so a peer learns
   * nothing about keys it may not use.
   */
  apiKey(authorization: string | undefined, headerKey: string | undefined, peer?: string): AuthResult {
    if (peer !== undefined && !this.anySourceAllowed(normalisePeer(peer))) return { ok: false, refusal: 'source', reason: `${normalisePeer(peer)} is not among any VASP's allowed sources` };
    let key = headerKey;
    const m = authorization ? /^Bearer\s+(\S{1,512})\s*$/i.exec(authorization) : null;
    if (m) key = m[1];
    if (!key) return { ok: false, refusal: 'credentials', reason: 'no API key' };
    const account = this.byKey.get(createHash('sha256').update(key, 'utf8').digest('hex'));
    if (!account) return { ok: false, refusal: 'credentials', reason: 'unknown API key' };
    if (peer !== undefined && !this.sourceAllowed(account, peer)) return { ok: false, refusal: 'credentials', reason: `key of "${account.id}" used from ${normalisePeer(peer)}, not among its allowed sources` };
    return { ok: true, account };
  }

  /** Whether `peer` may act for `account`. */
  sourceAllowed(account: VaspAccount, peer: string | undefined): boolean {
    const list = this.sources.get(account.id);
    if (!list) return true;
    if (!peer) return false;
    const ip = normalisePeer(peer);
    return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }

  /** Whether `peer` (normalised) may act for at least one account. */
  private anySourceAllowed(ip: string): boolean {
    if (this.anyUnlisted) return true;
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    for (const list of this.sources.values()) if (list.check(ip, type)) return true;
    return false;
  }
}

/** Failed-password limits (config `vasp.auth`). */
export { DEFAULT_AUTH_LIMITS, type AuthLimits } from '../config/vasp.js';

/** An IPv4-mapped IPv6 peer (::ffff:10.0.0.1) is the IPv4 address it carries. */
function normalisePeer(peer: string): string {
  return peer.startsWith('::ffff:') && isIP(peer.slice(7)) === 4 ? peer.slice(7) : peer;
}

/**
 * Failures per key in a fixed window from the first one. Bounded: a spray of source addresses
 * (an IPv6 prefix has plenty) drops expired windows first, then the oldest.
 */
class FailureWindow {
  private readonly counts = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly capacity = 10_000,
  ) {}

  /** Whether `key` has used up its failures in the current window. */
  full(key: string, now: number): boolean {
    const f = this.current(key, now);
    return f !== undefined && f.count >= this.max;
  }

  charge(key: string, now: number): void {
    const f = this.current(key, now);
    if (f) {
      f.count++;
      return;
    }
    if (this.counts.size >= this.capacity) this.evict(now);
    this.counts.set(key, { count: 1, since: now });
  }

  refund(key: string): void {
    const f = this.counts.get(key);
    if (f && --f.count <= 0) this.counts.delete(key);
  }

  private current(key: string, now: number): { count: number; since: number } | undefined {
    const f = this.counts.get(key);
    if (f && now - f.since >= this.windowMs) {
      this.counts.delete(key);
      return undefined;
    }
    return f;
  }

  private evict(now: number): void {
    for (const [k, f] of this.counts) if (now - f.since >= this.windowMs) this.counts.delete(k);
    // Still full: the oldest entries go (Map iterates in insertion order).
    for (const k of this.counts.keys()) {
      if (this.counts.size < this.capacity) break;
      this.counts.delete(k);
    }
  }
}

function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash!, 'base64');
  return new Promise((resolve, reject) => {
    scrypt(password, Buffer.from(salt!, 'base64'), expected.length, SCRYPT, (err, got) => {
      if (err) reject(err);
      else resolve(got.length === expected.length && timingSafeEqual(got, expected));
    });
  });
}
