import type { Test } from 'tap';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { RecordingTransport } from '../../src/relay/transport.js';
import { decode, type NotificationInd } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';
import { hashApiKey, hashPassword } from '../../src/vasp/accounts.js';
import type { VaspAccount } from '../../src/config/vasp.js';

export const PASSWORD = 'correct horse battery staple';
export const API_KEY = 'test-key-0123456789abcdef0123456789';
/** Hashing once: scrypt costs tens of ms. */
const PASSWORD_HASH = hashPassword(PASSWORD);

export function account(id: string, extra: Partial<VaspAccount> = {}): VaspAccount {
  return { id, passwordHash: PASSWORD_HASH, apiKeys: [hashApiKey(`${API_KEY}-${id}`)], shortCodes: ['12345'], ...extra };
}

export function basic(user: string, password = PASSWORD): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function bearer(id: string): string {
  return `Bearer ${API_KEY}-${id}`;
}

/**
 * A gateway with the VASP account TNN and a recording push transport. `clock` replaces the wall
 * clock (limits, store, jobs): tests of per-second limits move it instead of sleeping.
 */
export async function vaspGateway(t: Test, tweak?: (c: GatewayConfig) => void, clock?: () => number): Promise<{ gw: Gateway; transport: RecordingTransport }> {
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.vasp.accounts = [account('TNN')];
  tweak?.(config);
  const transport = new RecordingTransport();
  const gw = await startGateway({ config, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), transport, ...(clock ? { clock } : {}) });
  t.teardown(() => gw.stop());
  return { gw, transport };
}

export async function until<T>(f: () => T | undefined | Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A gateway bound over real SMPP to an SMSC simulator, one account TNN whose webhooks go to
 * `webhookUrl` signed with `webhookSecret`; `notificationFor` resolves with the first
 * m-notification-ind the simulator carries to `msisdn`.
 */
export async function smppVaspGateway(
  t: Test,
  webhook: { url: string; secret: string },
): Promise<{ gw: Gateway; sim: SmscSimulator; notificationFor(msisdn: string): Promise<NotificationInd> }> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], receiptDelayMs: 20 });
  await sim.start();
  t.teardown(() => sim.stop());
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${sim.port}` };
  config.vasp.accounts = [account('TNN', { webhookSecret: webhook.secret, webhookUrl: webhook.url })];
  const gw = await startGateway({ config, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  t.teardown(() => gw.stop());
  const notificationFor = (msisdn: string): Promise<NotificationInd> =>
    new Promise((resolve) => {
      sim.onPush((p) => {
        if (p.to !== msisdn) return;
        const pdu = decode(decodeWspPush(p.payload).body, { strict: true });
        if (pdu.type === 'm-notification-ind') resolve(pdu);
      });
    });
  return { gw, sim, notificationFor };
}
