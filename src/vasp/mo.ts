import type { Logger } from 'pino';
import { msisdnOf } from '../address/index.js';
import type { MessageRecord, RecipientRecord } from '../records/model.js';
import type { NotificationPort, PushOutcome } from '../relay/ports.js';
import type { Relay } from '../relay/relay.js';
import type { Store } from '../store/types.js';
import type { VaspAccounts } from './accounts.js';
import type { VaspConfig } from '../config/vasp.js';
import { textOfStored } from './content.js';
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


/**
 * Messages from handsets to a VASP's short code (MO): instead of a WAP Push, the recipient is the
 * VASP, reached by an MM7 DeliverReq or, for REST accounts, an 'mo-message' webhook (durable jobs;
 * the recipient counts as retrieved once the VASP accepted it). A STOP keyword opts the sender out of that VASP's messages. Every other recipient
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
      const text = body ? textOfStored(body).text.trim().toUpperCase() : '';
      if (stop.has(text) && /^\+\d{7,15}$/.test(sender)) {
        await d.optOut.add(account.id, sender, `${text} to ${msisdnOf(recipient.address)}`);
        d.logger.info(ctx, 'handset opted out of a VASP by keyword');
      }
      if (await d.outbound.scheduleDeliver(account, message, recipient)) {
        d.logger.info({ ...ctx, via: account.reportUrl ? 'mm7' : 'webhook' }, 'handset message to a VASP short code: delivery to the VASP scheduled');
      } else {
        d.logger.info(ctx, 'handset message to a VASP short code without reportUrl or webhookUrl: not forwarded');
        await d.relay.retrievalCompleted(recipient);
      }
      return { ok: true, link: 'vasp' };
    },
  };
}
