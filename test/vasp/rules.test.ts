import t from 'tap';
import { ConfigError } from '../../src/config/index.js';
import { VaspAccounts, hashApiKey, hashPassword } from '../../src/vasp/accounts.js';
import { quietUntil } from '../../src/vasp/quiet-hours.js';

t.test('quiet hours defer to the window end, across midnight and in the account time zone', async (t) => {
  const q = { start: '21:00', end: '08:00', timeZone: 'Europe/Berlin' };
  // 2024-01-10 22:30 in Berlin (UTC+1) -> 08:00 Berlin next day = 07:00Z.
  t.equal(new Date(quietUntil(Date.parse('2024-01-10T21:30:00Z'), q)!).toISOString(), '2024-01-11T07:00:00.000Z');
  // 03:15 Berlin -> same day 08:00.
  t.equal(new Date(quietUntil(Date.parse('2024-01-11T02:15:00Z'), q)!).toISOString(), '2024-01-11T07:00:00.000Z');
  t.equal(quietUntil(Date.parse('2024-01-11T12:00:00Z'), q), undefined, 'outside the window');
  // Summer time (UTC+2).
  t.equal(new Date(quietUntil(Date.parse('2024-07-10T20:00:00Z'), q)!).toISOString(), '2024-07-11T06:00:00.000Z');
  // A window inside one day.
  t.equal(new Date(quietUntil(Date.parse('2024-01-11T12:30:00Z'), { start: '12:00', end: '14:00', timeZone: 'UTC' })!).toISOString(), '2024-01-11T14:00:00.000Z');
  // Across the spring-forward night (31 March 2024, 02:00 -> 03:00 in Berlin).
  t.equal(new Date(quietUntil(Date.parse('2024-03-30T22:00:00Z'), q)!).toISOString(), '2024-03-31T06:00:00.000Z');
});

t.test('accounts: Basic with scrypt hash, API keys by SHA-256, sources, config errors', async (t) => {
  const hash = hashPassword('pw-1');
  const accounts = new VaspAccounts([
    { id: 'a', passwordHash: hash, apiKeys: [hashApiKey('key-a')], shortCodes: ['111'] },
    { id: 'b', username: 'bee', passwordHash: hash, allowedSources: ['10.0.0.0/8', '2001:db8::/32'] },
  ]);
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  t.match(await accounts.basic(b64('a:pw-1')), { ok: true, account: { id: 'a' } });
  t.match(await accounts.basic(b64('a:pw-1')), { ok: true }, 'second check from the verified cache');
  t.match(await accounts.basic(b64('a:pw-2')), { ok: false, reason: /wrong password/ });
  t.match(await accounts.basic(b64('bee:pw-1')), { ok: true, account: { id: 'b' } });
  t.match(await accounts.basic(b64('b:pw-1')), { ok: false, reason: /unknown user/ }, 'user name, not id, when one is set');
  t.match(await accounts.basic('Bearer x'), { ok: false });
  t.match(await accounts.basic(undefined), { ok: false, reason: 'no credentials' });
  t.match(accounts.apiKey('Bearer key-a', undefined), { ok: true, account: { id: 'a' } });
  t.match(accounts.apiKey(undefined, 'key-a'), { ok: true });
  t.match(accounts.apiKey('Bearer key-b', undefined), { ok: false });
  t.equal(accounts.sourceAllowed(accounts.get('a')!, '127.0.0.1'), true, 'no list = any source');
  t.equal(accounts.sourceAllowed(accounts.get('b')!, '10.1.2.3'), true);
  t.equal(accounts.sourceAllowed(accounts.get('b')!, '::ffff:10.1.2.3'), true);
  t.equal(accounts.sourceAllowed(accounts.get('b')!, '2001:db8::1'), true);
  t.equal(accounts.sourceAllowed(accounts.get('b')!, '192.168.1.1'), false);
  t.equal(accounts.byShortCodeOf('111')?.id, 'a');
  t.throws(() => new VaspAccounts([{ id: 'x', shortCodes: ['1'] }, { id: 'y', shortCodes: ['1'] }]), ConfigError);
  t.throws(() => new VaspAccounts([{ id: 'x', quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } }]), /unknown time zone/);
});

t.test('the example config file validates, VASP section included', async (t) => {
  const { loadConfig } = await import('../../src/config/index.js');
  const cfg = loadConfig({ file: 'config/mmsc.example.json', env: {} });
  t.equal(cfg.vasp.accounts[0]!.id, 'acme-news');
  t.ok((await new VaspAccounts(cfg.vasp.accounts).basic(`Basic ${Buffer.from('acme-news:change-me').toString('base64')}`)).ok, 'the documented password works');
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { accounts: [{ id: 'x', apiKeys: ['plain-key'] }] } } }), /vasp\.accounts\[0\]\.apiKeys\[0\]/);
  t.same(cfg.vasp.auth, { maxFailuresPerUser: 5, maxFailuresPerSource: 20, windowSeconds: 60 }, 'failed-password limits by default');
  t.same(cfg.vasp.accounts[0]!.webhookEvents, ['delivery-report', 'notified', 'final', 'clicked']);
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { accounts: [{ id: 'x', webhookEvents: ['notified', 'read'] }] } } }), /vasp\.accounts\[0\]\.webhookEvents\[1\]/);
  t.equal(loadConfig({ env: {}, overrides: { vasp: { auth: { maxFailuresPerSource: 50 } } } }).vasp.auth.maxFailuresPerSource, 50);
  t.throws(() => loadConfig({ env: {}, overrides: { vasp: { auth: { maxFailuresPerSource: 0 } } } }), /vasp\.auth\.maxFailuresPerSource/);
});

t.test('a flood of wrong passwords is refused without hashing, and a VASP already verified keeps working', async (t) => {
  let now = 1_000_000;
  const accounts = new VaspAccounts([{ id: 'a', passwordHash: hashPassword('right') }], { now: () => now });
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  t.match(await accounts.basic(b64('a:right')), { ok: true }, 'the VASP verified once');
  for (let i = 0; i < 5; i++) t.match(await accounts.basic(b64(`a:guess-${i}`)), { ok: false, reason: /wrong password/ });
  t.match(await accounts.basic(b64('a:guess-5')), { ok: false, reason: /too many failed passwords/ }, 'past the limit: refused unchecked');
  t.match(await accounts.basic(b64('a:right')), { ok: true }, 'verified credentials still pass during the lock');
  const fresh = new VaspAccounts([{ id: 'a', passwordHash: hashPassword('right') }], { now: () => now });
  for (let i = 0; i < 5; i++) await fresh.basic(b64(`a:guess-${i}`));
  t.match(await fresh.basic(b64('a:right')), { ok: false, reason: /too many failed passwords/ }, 'unverified right password waits too');
  now += 60_000;
  t.match(await fresh.basic(b64('a:right')), { ok: true }, 'after the window the password is checked again');
});

t.test('failed passwords are limited per source address too: one client cannot spray user names', async (t) => {
  let now = 1_000_000;
  // A hash (salt) each: verified credentials are cached by hash and password.
  const accounts = new VaspAccounts(
    ['u1', 'u2', 'u3', 'u4'].map((id) => ({ id, passwordHash: hashPassword('right') })),
    { now: () => now, limits: { maxFailuresPerUser: 3, maxFailuresPerSource: 4, windowSeconds: 10 } },
  );
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  t.match(await accounts.basic(b64('u4:right'), '10.0.0.9'), { ok: true }, 'u4 verified once, from its own address');
  // Two wrong passwords each for two names: under the per-user limit (3), at the per-source limit (4).
  for (const u of ['u1', 'u2']) for (let i = 0; i < 2; i++) t.match(await accounts.basic(b64(`${u}:guess-${i}`), '192.0.2.7'), { ok: false, reason: /wrong password/ });
  t.match(await accounts.basic(b64('u3:guess'), '192.0.2.7'), { ok: false, reason: /too many failed passwords from 192\.0\.2\.7/ }, 'a fresh name from the same source is not checked');
  t.match(await accounts.basic(b64('u3:right'), '::ffff:192.0.2.7'), { ok: false, reason: /too many failed passwords from 192\.0\.2\.7/ }, 'the IPv4-mapped form is the same source');
  t.match(await accounts.basic(b64('u3:right'), '198.51.100.1'), { ok: true }, 'another source is checked');
  t.match(await accounts.basic(b64('u4:right'), '192.0.2.7'), { ok: true }, 'verified credentials pass even from the blocked source');
  t.match(await accounts.basic(b64('nobody:x'), '198.51.100.2'), { ok: false, reason: /unknown user/ });
  for (let i = 0; i < 3; i++) await accounts.basic(b64(`ghost-${i}:x`), '198.51.100.2');
  t.match(await accounts.basic(b64('u1:right'), '198.51.100.2'), { ok: false, reason: /too many failed passwords from/ }, 'unknown user names count against the source');
  now += 10_000;
  t.match(await accounts.basic(b64('u1:right'), '192.0.2.7'), { ok: true }, 'after the window the source is heard again');
});

t.test('concurrent wrong passwords cannot pass the limit while their hashes run', async (t) => {
  const accounts = new VaspAccounts([{ id: 'a', passwordHash: hashPassword('right') }], { limits: { maxFailuresPerUser: 3, maxFailuresPerSource: 100, windowSeconds: 60 } });
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => accounts.basic(b64(`a:guess-${i}`), '192.0.2.1')));
  t.equal(results.filter((r) => !r.ok && /wrong password/.test(r.reason)).length, 3, 'three hashed');
  t.equal(results.filter((r) => !r.ok && /too many failed/.test(r.reason)).length, 5, 'the rest refused unhashed');
});

t.test('a password check does not block the event loop; concurrent checks of new credentials hash once', async (t) => {
  const accounts = new VaspAccounts([{ id: 'a', passwordHash: hashPassword('right') }]);
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  let turned = false;
  setImmediate(() => (turned = true));
  const first = await accounts.basic(b64('a:right'), '192.0.2.1');
  t.ok(first.ok);
  t.ok(turned, 'the event loop turned while scrypt ran (a synchronous scrypt would have resolved first)');
  turned = false;
  setImmediate(() => (turned = true));
  t.ok((await accounts.basic(b64('a:right'), '192.0.2.1')).ok);
  t.notOk(turned, 'verified credentials are answered from the cache, without hashing');
  // Five concurrent requests with one wrong password: one hash, and one charge against the limit.
  const limited = new VaspAccounts([{ id: 'b', passwordHash: hashPassword('right') }], { limits: { maxFailuresPerUser: 2, maxFailuresPerSource: 100, windowSeconds: 60 } });
  const burst = await Promise.all(Array.from({ length: 5 }, () => limited.basic(b64('b:wrong'), '192.0.2.2')));
  t.ok(burst.every((r) => !r.ok && /wrong password/.test(r.reason)), 'all five told "wrong password"');
  t.match(await limited.basic(b64('b:other'), '192.0.2.2'), { ok: false, reason: /wrong password/ }, 'the burst counted once: a second guess is still checked');
  t.match(await limited.basic(b64('b:right'), '192.0.2.2'), { ok: false, reason: /too many failed/ });
});
