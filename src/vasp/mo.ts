import type { Logger } from 'pino';
import { WspReader, readMultipart } from '../../protocol/wsp/index.js';
import { msisdnOf } from '../relay/address.js';
import type { MessageRecord, RecipientRecord } from '../relay/model.js';
import type { NotificationPort, PushOutcome } from '../relay/ports.js';
import type { Relay } from '../relay/relay.js';
import type { Store } from '../store/types.js';
import type { VaspAccounts } from './accounts.js';
import type { VaspConfig } from './config.js';
import type { OptOutList } from './opt-out.js';
import type { VaspReports } from './reports.js';

export interface MoDeps {
  config: VaspConfig;
  accounts: VaspAccounts;
  optOut: OptOutList;
  outbound: VaspReports;
  store: Store;
  relay: Relay;
  logger: Logger;
}

/** The text/plain parts of a stored message, joined. */
function textOf(body: Buffer): string {
  try {
    return readMultipart(new WspReader(body), { strict: false, warn: () => undefined, depth: 0 })
      .filter((p) => p.contentType.type === 'text/plain')
      .map((p) => Buffer.from(p.data).toString('utf8'))
      .join(' ');
  } catch {
    return '';
  }
}

/**
 * Messages from handsets to a VASP's short code (MO): instead of a WAP Push, the recipient is the
 * VASP, reached by an MM7 DeliverReq (a durable job; the recipient counts as retrieved once the VASP
 * accepted it). A STOP keyword opts the sender out of that VASP's messages. Every other recipient
 * goes to `inner`, the handset notifier.
 */
export function moNotifier(inner: NotificationPort, d: MoDeps): NotificationPort {
  const stop = new Set(d.config.stopKeywords.map((k) => k.toUpperCase()));
  return {
    async notify(message: MessageRecord, recipient: RecipientRecord): Promise<PushOutcome> {
      const account = d.accounts.byShortCodeOf(msisdnOf(recipient.address));
      if (!account || message.origin.kind !== 'mm1') return inner.notify(message, recipient);
      const sender = msisdnOf(message.from);
      const ctx = { msgId: message.id, vasp: account.id, from: sender };
      const body = await d.store.getBody(message.id);
      const text = body ? textOf(body).trim().toUpperCase() : '';
      if (stop.has(text) && /^\+\d{7,15}$/.test(sender)) {
        await d.optOut.add(account.id, sender, `${text} to ${msisdnOf(recipient.address)}`);
        d.logger.info(ctx, 'handset opted out of a VASP by keyword');
      }
      if (account.reportUrl) {
        await d.outbound.scheduleDeliver(account, message, recipient);
        d.logger.info(ctx, 'handset message to a VASP short code: DeliverReq scheduled');
      } else {
        d.logger.info(ctx, 'handset message to a VASP short code without reportUrl: not forwarded');
        await d.relay.retrievalCompleted(recipient);
      }
      return { ok: true, link: 'vasp' };
    },
  };
}
