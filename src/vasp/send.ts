import type { Logger } from 'pino';
import type { ContentTypeRecord, Origin } from '../records/model.js';
import { Relay, SubmitError, type SubmitInput, type TimeValue } from '../relay/relay.js';
import type { VaspAccount } from '../config/vasp.js';
import { normaliseNumber, plmnAddress, type NumberingPlan } from '../address/index.js';
import type { VaspLimits } from './limits.js';
import type { OptOutList } from './opt-out.js';
import { quietUntil } from './quiet-hours.js';

export type RecipientStatus = 'accepted' | 'opted-out' | 'invalid' | 'duplicate';

export interface RecipientVerdict {
  /** As the VASP wrote it. */
  input: string;
  /** E.164 number or short code after normalisation. */
  address?: string;
  status: RecipientStatus;
  reason?: string;
}

export interface VaspSendRequest {
  account: VaspAccount;
  /** Requested sender (short code); the account's first short code when absent. */
  from?: string;
  recipients: { input: string; field: 'to' | 'cc' | 'bcc' }[];
  subject?: string;
  messageClass?: string;
  priority?: 'low' | 'normal' | 'high';
  deliveryReport: boolean;
  readReport: boolean;
  /** Absolute instants in ms. */
  expiresAt?: number;
  earliestDelivery?: number;
  content: { contentType: ContentTypeRecord; body: Uint8Array };
  origin: Origin;
  /**
   * The VASP's own id of this request (MM7 TransactionID): a repeat within the retransmission window
   * with the same recipients and content is answered with the first MessageID, creating nothing.
   */
  requestId?: string;
}

export type SendRefusal = 'sender' | 'no-valid-recipients' | 'all-opted-out' | 'tps' | 'quota' | 'too-many-recipients' | 'bad-expiry' | 'store';

export type SendOutcome =
  | { ok: true; messageId: string; recipients: RecipientVerdict[]; deferredUntil?: number; retransmission?: boolean }
  | { ok: false; refusal: SendRefusal; detail: string; recipients: RecipientVerdict[]; retryAfterSeconds?: number };

export interface VaspSenderDeps {
  relay: Relay;
  limits: VaspLimits;
  optOut: OptOutList;
  plan: NumberingPlan;
  maxRecipients: number;
  /** See VaspConfig.retransmissionWindowSeconds; 0 or absent = off. */
  retransmissionWindowSeconds?: number;
  logger: Logger;
  clock?: () => number;
}

/** The sender address a VASP's message carries. */
export function senderOf(account: VaspAccount, requested: string | undefined): { ok: true; address: string } | { ok: false; detail: string } {
  const codes = account.shortCodes ?? [];
  if (requested === undefined || requested === '') {
    // An account without short codes sends under its id; handsets show it but cannot reply.
    return { ok: true, address: codes[0] !== undefined ? plmnAddress(codes[0]) : `${account.id}@vasp.invalid` };
  }
  const r = requested.trim().replace(/\/TYPE=PLMN$/i, '');
  // A long number may be configured without its '+'.
  if (codes.includes(r) || (r.startsWith('+') && codes.includes(r.slice(1)))) return { ok: true, address: plmnAddress(r) };
  return { ok: false, detail: `sender "${requested.slice(0, 40)}" is not one of the VASP's short codes` };
}

/**
 * What MM7 SubmitReq and REST sends share: sender check, recipient normalisation, opt-out,
 * throughput and quota, quiet hours, then one relay submission for the accepted recipients.
 */
export class VaspSender {
  private readonly now: () => number;

  constructor(private readonly d: VaspSenderDeps) {
    this.now = d.clock ?? Date.now;
  }

  async send(req: VaspSendRequest): Promise<SendOutcome> {
    const { account } = req;
    const verdicts: RecipientVerdict[] = [];
    if (req.recipients.length > this.d.maxRecipients) {
      return { ok: false, refusal: 'too-many-recipients', detail: `${req.recipients.length} recipients, at most ${this.d.maxRecipients} per request`, recipients: [] };
    }
    const sender = senderOf(account, req.from);
    if (!sender.ok) return { ok: false, refusal: 'sender', detail: sender.detail, recipients: [] };

    const seen = new Set<string>();
    const accepted: { address: string; field: 'to' | 'cc' | 'bcc' }[] = [];
    const checks: Promise<boolean>[] = [];
    for (const r of req.recipients) {
      const n = normaliseNumber(r.input, this.d.plan);
      if (!n.ok) {
        verdicts.push({ input: r.input, status: 'invalid', reason: n.reason });
        checks.push(Promise.resolve(false));
        continue;
      }
      if (seen.has(n.value)) {
        verdicts.push({ input: r.input, address: n.value, status: 'duplicate' });
        checks.push(Promise.resolve(false));
        continue;
      }
      seen.add(n.value);
      verdicts.push({ input: r.input, address: n.value, status: 'accepted' });
      checks.push(n.kind === 'e164' ? this.d.optOut.isOptedOut(account.id, n.value) : Promise.resolve(false));
    }
    const optedOut = await Promise.all(checks);
    verdicts.forEach((v, i) => {
      if (v.status !== 'accepted') return;
      if (optedOut[i]) {
        v.status = 'opted-out';
        v.reason = 'the recipient opted out of messages from this sender';
        return;
      }
      accepted.push({ address: plmnAddress(v.address!), field: req.recipients[i]!.field });
    });
    if (accepted.length === 0) {
      const anyOptOut = verdicts.some((v) => v.status === 'opted-out');
      return {
        ok: false,
        refusal: anyOptOut ? 'all-opted-out' : 'no-valid-recipients',
        detail: anyOptOut ? 'every recipient opted out' : 'no valid recipient',
        recipients: verdicts,
      };
    }

    const limit = await this.d.limits.take(account, accepted.length);
    if (!limit.ok) return { ok: false, refusal: limit.limit, detail: limit.detail, retryAfterSeconds: limit.retryAfterSeconds, recipients: verdicts };

    const now = this.now();
    let notBefore = req.earliestDelivery !== undefined && req.earliestDelivery > now ? req.earliestDelivery : undefined;
    const quiet = account.quietHours ? quietUntil(notBefore ?? now, account.quietHours) : undefined;
    if (quiet !== undefined) notBefore = quiet;
    const at = (ms: number): TimeValue => ({ kind: 'absolute', seconds: ms / 1000 });
    try {
      const input: SubmitInput = {
        from: sender.address,
        to: accepted.filter((a) => a.field === 'to').map((a) => a.address),
        cc: accepted.filter((a) => a.field === 'cc').map((a) => a.address),
        bcc: accepted.filter((a) => a.field === 'bcc').map((a) => a.address),
        subject: req.subject !== undefined ? { text: req.subject, charset: 'utf-8' } : undefined,
        messageClass: req.messageClass,
        priority: req.priority,
        deliveryReport: req.deliveryReport,
        readReport: req.readReport,
        expiry: req.expiresAt !== undefined ? at(req.expiresAt) : undefined,
        deliveryTime: notBefore !== undefined ? at(notBefore) : undefined,
        contentType: req.content.contentType,
        body: req.content.body,
        mmsVersion: '1.2',
        origin: req.origin,
      };
      const windowMs = (this.d.retransmissionWindowSeconds ?? 0) * 1000;
      const result = await this.d.relay.submitOnce(input, { maxRecipients: this.d.maxRecipients }, { kind: 'mm7-submit', sender: account.id, requestId: req.requestId ?? '', windowMs });
      if (result.retransmission) {
        // Nothing was created: the throughput and quota this request took are not spent.
        await limit.release();
        return { ok: true, messageId: result.messageId, recipients: verdicts, retransmission: true };
      }
      const out: SendOutcome = { ok: true, messageId: result.message.id, recipients: verdicts };
      if (notBefore !== undefined) out.deferredUntil = notBefore;
      return out;
    } catch (e) {
      await limit.release();
      if (e instanceof SubmitError) {
        const refusal: SendRefusal = e.reason === 'bad-expiry' ? 'bad-expiry' : e.reason === 'too-many-recipients' ? 'too-many-recipients' : 'no-valid-recipients';
        return { ok: false, refusal, detail: e.message, recipients: verdicts };
      }
      this.d.logger.error({ err: e, vasp: account.id }, 'VASP message could not be stored');
      return { ok: false, refusal: 'store', detail: 'the message could not be stored', recipients: verdicts, retryAfterSeconds: 5 };
    }
  }
}
