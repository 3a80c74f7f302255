import pino from 'pino';
import { SmscSimulator } from '../emulator/smsc-simulator.js';
import type { Logger } from '../log.js';
import { smscLink, smscLinksFromConfig } from './config.js';
import { SmscPool } from './pool.js';
import { applyReceipt, SmppPushTransport, type ReceiptSink } from './push-transport.js';

export { parseSmscUrl, smscLink, smscLinksFromConfig, type SmscLinkConfig } from './config.js';
export { normaliseSmscId, receiptKeys } from './ids.js';
export { SmscLink, type LinkStatus, type SubmitResult } from './link.js';
export { SmscPool } from './pool.js';
export { applyReceipt, SmppPushTransport, type ReceiptSink } from './push-transport.js';
export type { DeliveryReceipt, ReceiptStatus } from './receipt.js';

export interface SmscBearer {
  transport: SmppPushTransport;
  pool: SmscPool;
  /** Set when no SMSC is configured and the built-in simulator carries the pushes. */
  simulator?: SmscSimulator;
  stop(): Promise<void>;
}

/**
 * The push bearer from the gateway's `smsc` config section: the configured links, or the built-in
 * simulator on a free loopback port when none is configured (logged as such). Receipts go to `sink`
 * (the relay) when given. Links bind in the background; pushes fail as temporary until one is up.
 */
export async function startSmscBearer(section: Record<string, unknown>, opts: { logger?: Logger; sink?: ReceiptSink } = {}): Promise<SmscBearer> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  let links = smscLinksFromConfig(section);
  let simulator: SmscSimulator | undefined;
  if (links.length === 0) {
    simulator = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'mmsc' }], receiptDelayMs: 1000, logger: logger.child({ component: 'smsc-sim' }) });
    const port = await simulator.start();
    logger.warn({ port }, 'no SMSC configured (smsc.url / MMSC_SMSC_URL): notifications go to the built-in SMSC simulator and reach no handset');
    links = [smscLink(`smpp://mmsc:mmsc@127.0.0.1:${port}?name=simulator`)];
  }
  const pool = new SmscPool(links, logger.child({ component: 'smsc' }));
  const transport = new SmppPushTransport(pool);
  const { sink } = opts;
  if (sink) {
    transport.onReceipt((r) => {
      applyReceipt(sink, r).then(
        (found) => {
          if (!found) logger.debug({ link: r.link, id: r.messageId, stat: r.stat }, 'receipt for an unknown message');
        },
        (err: Error) => logger.error({ err: err.message, link: r.link, id: r.messageId }, 'receipt could not be recorded'),
      );
    });
  }
  pool.start();
  return {
    transport,
    pool,
    ...(simulator ? { simulator } : {}),
    async stop() {
      await pool.stop();
      await simulator?.stop();
    },
  };
}
