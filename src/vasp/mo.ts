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
import type { PushTransport } from '../relay/transport.js';

export interface MoDeps {
  config: VaspConfig;
  accounts: VaspAccounts;
  optOut: OptOutList;
  outbound: VaspReports;
  store: Store;
  relay: Relay;
  logger: Logger;
  /** Keyword replies go out as text SMS from the short code (none without a transport that sends text). */
  transport?: PushTransport;
}


/**
 * Messages from handsets to a VASP's short code (MO): instead of a WAP Push, the recipient is the
 * VASP, reached by an MM7 DeliverReq or, for REST accounts, an 'mo-message' webhook (durable jobs;
 * the recipient counts as retrieved once the VASP accepted it). A STOP keyword opts the sender out of that VASP's messages. Every other recipient
 * goes to `inner`, the handset notifier.
 */
export function moNotifier(inner: NotificationPort, d: MoDeps): NotificationPort {
  const stop = new Set(d.config.stopKeywords.map((k) => k.toUpperCase()));
  const start = new Set(d.config.startKeywords.map((k) => k.toUpperCase()));
  const help = new Set(d.config.helpKeywords.map((k) => k.toUpperCase()));
  const reply = async (to: string, shortCode: string, text: string | undefined, ctx: Record<string, unknown>, what: string): Promise<void> => {
    if (!text) return;
    if (!d.transport?.sendText) {
      d.logger.warn({ ...ctx, what }, 'keyword reply not sent: the bearer cannot send text SMS');
      return;
    }
    const r = await d.transport.sendText(to, text, `kw:${what}:${to}`, { from: shortCode });
    if (r.ok) d.logger.info({ ...ctx, what }, 'keyword reply sent');
    else d.logger.warn({ ...ctx, what, reason: r.reason }, 'keyword reply not sent');
  };
  return {
    async notify(message: MessageRecord, recipient: RecipientRecord): Promise<PushOutcome> {
      const account = d.accounts.byShortCodeOf(msisdnOf(recipient.address));
      if (!account || message.origin.kind !== 'mm1') return inner.notify(message, recipient);
      const sender = msisdnOf(message.from);
      const ctx = { msgId: message.id, vasp: account.id, from: sender };
      const body = await d.store.getBody(message.id);
      const text = body ? textOfStored(body).text.trim().toUpperCase() : '';
      const shortCode = msisdnOf(recipient.address);
      if (/^\+\d{7,15}$/.test(sender)) {
        // The reply is a courtesy: its failure must not stop the message reaching the VASP.
        if (stop.has(text)) {
          await d.optOut.add(account.id, sender, `${text} to ${shortCode}`);
          d.logger.info(ctx, 'handset opted out of a VASP by keyword');
          await reply(sender, shortCode, account.optOutReply, ctx, 'stop').catch((err: unknown) => d.logger.warn({ ...ctx, err }, 'keyword reply failed'));
        } else if (start.has(text)) {
          await d.optOut.remove(account.id, sender);
          d.logger.info(ctx, 'handset opted back in to a VASP by keyword');
          await reply(sender, shortCode, account.optInReply, ctx, 'start').catch((err: unknown) => d.logger.warn({ ...ctx, err }, 'keyword reply failed'));
        } else if (help.has(text)) {
          await reply(sender, shortCode, account.helpText, ctx, 'help').catch((err: unknown) => d.logger.warn({ ...ctx, err }, 'keyword reply failed'));
        }
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
