import pino from 'pino';
import type { Logger } from '../log.js';
import { smscLink, smscLinksFromConfig } from '../config/smsc.js';
import { SmscPool } from './pool.js';
import { applyReceipt, SmppPushTransport, type ReceiptSink } from './push-transport.js';

export { parseSmscUrl, smscLink, smscLinksFromConfig, type SmscLinkConfig } from '../config/smsc.js';
export { normaliseSmscId, receiptKeys } from './ids.js';
export { SmscLink, type LinkStatus, type SubmitResult } from './link.js';
export { SmscPool } from './pool.js';
export { applyReceipt, SmppPushTransport, type ReceiptSink } from './push-transport.js';
export type { DeliveryReceipt, ReceiptStatus } from './receipt.js';

/** An SMSC started in-process when none is configured (src/smsc-sim provides one). */
export interface LabSmsc {
  /** smpp:// URL of the started SMSC, credentials included. */
  url: string;
  stop(): Promise<void>;
}

export interface SmscBearer {
  transport: SmppPushTransport;
  pool: SmscPool;
  /** Set when no SMSC is configured and the built-in lab SMSC carries the pushes. */
  lab?: LabSmsc;
  stop(): Promise<void>;
}

/**
 * The push bearer from the gateway's `smsc` config section: the configured links, or, when none is
 * configured, the lab SMSC that `startLab` starts (logged as such). Receipts go to `sink` (the
 * relay) when given. Links bind in the background; pushes fail as temporary until one is up.
 */
export async function startSmscBearer(
  section: Record<string, unknown>,
  opts: { logger?: Logger; sink?: ReceiptSink; startLab?: (logger: Logger) => Promise<LabSmsc> } = {},
): Promise<SmscBearer> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  let links = smscLinksFromConfig(section);
  let lab: LabSmsc | undefined;
  if (links.length === 0) {
    if (!opts.startLab) throw new Error('no SMSC configured (smsc.url / MMSC_SMSC_URL) and no lab SMSC to start');
    lab = await opts.startLab(logger.child({ component: 'smsc-sim' }));
    logger.warn({ port: Number(new URL(lab.url).port) }, 'no SMSC configured (smsc.url / MMSC_SMSC_URL): notifications go to the built-in SMSC simulator and reach no handset');
    links = [smscLink(`${lab.url}?name=simulator`)];
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
    ...(lab ? { lab } : {}),
    async stop() {
      await pool.stop();
      await lab?.stop();
    },
  };
}
