import { segment } from '../../protocol/push/wdp.js';
import type { PushTransport } from '../relay/transport.js';
import type { PushOutcome } from '../relay/ports.js';
import { receiptKeys } from './ids.js';
import type { SmscLink, SubmitResult } from './link.js';
import type { SmscPool } from './pool.js';
import type { DeliveryReceipt } from './receipt.js';
import { encodeTextSms } from './text-sms.js';

/**
 * WAP Push over SMS through SMPP: segments the WSP push PDU (WDP, protocol/push/wdp.ts) and submits
 * every segment on one link. At-least-once: a push whose outcome is unknown (connection lost after
 * sending) is reported as a temporary failure and sent again by the relay, so a handset may see a
 * notification twice; it never sees none while the job queue holds the message.
 */
export class SmppPushTransport implements PushTransport {
  readonly name = 'smpp';

  constructor(readonly pool: SmscPool) {}

  async push(destination: string, pdu: Buffer, _tag: string): Promise<PushOutcome> {
    const links = this.pool.route(destination);
    if (links.length === 0) return { ok: false, temporary: false, reason: `no SMSC link routes ${destination}` };
    let last: PushOutcome = { ok: false, temporary: true, reason: 'no SMSC link is bound' };
    for (const link of links) {
      if (!link.up) {
        const err = link.status().lastError;
        last = { ok: false, temporary: true, reason: `no SMSC link is bound (${link.name} ${link.state}${err ? `: ${err}` : ''})` };
        continue;
      }
      let parts: Buffer[];
      try {
        parts = segment(pdu, { reference: link.nextReference(), referenceBits: link.cfg.concatBits });
      } catch (err) {
        return { ok: false, temporary: false, reason: `push of ${pdu.length} octets cannot be sent by SMS: ${(err as Error).message}` };
      }
      const results = await Promise.all(parts.map((userData, i) => link.submit({ destination, userData, moreToSend: i < parts.length - 1 })));
      const outcome = this.outcome(link, results);
      // Fail over only when the SMSC saw nothing: otherwise the handset might get half a push twice.
      if (!outcome.ok && outcome.temporary && results.every((r) => !r.ok && !r.sent)) {
        last = outcome;
        continue;
      }
      return outcome;
    }
    return last;
  }

  /** A text SMS (GSM 7-bit or UCS-2, concatenated when long) on the first bound link that routes it. */
  async sendText(destination: string, text: string, _tag: string, opts?: { from?: string }): Promise<PushOutcome> {
    const link = this.pool.route(destination).find((l) => l.up);
    if (!link) return { ok: false, temporary: true, reason: `no bound SMSC link routes ${destination}` };
    const segments = encodeTextSms(text, link.nextReference());
    const results = await Promise.all(segments.map((s, i) => link.submit({ destination, userData: s.userData, dataCoding: s.dataCoding, udhi: s.udhi, moreToSend: i < segments.length - 1, ...(opts?.from ? { source: opts.from } : {}) })));
    return this.outcome(link, results);
  }

  private outcome(link: SmscLink, results: SubmitResult[]): PushOutcome {
    const failures = results.filter((r): r is Extract<SubmitResult, { ok: false }> => !r.ok);
    if (failures.length === 0) {
      const ids = results.map((r) => (r.ok ? r.messageId : ''));
      return { ok: true, link: link.name, messageIds: ids, receiptKeys: receiptKeys(link.receiptScope, ids) };
    }
    const permanent = failures.find((f) => !f.temporary);
    const f = permanent ?? failures[0]!;
    const reason = results.length > 1 ? `${f.reason} (${failures.length} of ${results.length} segments failed on ${link.name})` : `${f.reason} (${link.name})`;
    return f.code !== undefined ? { ok: false, temporary: !permanent, reason, code: f.code } : { ok: false, temporary: !permanent, reason };
  }

  onReceipt(listener: (r: DeliveryReceipt) => void): () => void {
    return this.pool.onReceipt(listener);
  }
}

/** What the relay offers for receipts (Relay.smscReceipt), structurally. */
export interface ReceiptSink {
  smscReceipt(lookupKey: string, state: string, delivered: boolean, error?: string): Promise<unknown>;
}

/** Hands a receipt to the relay: tries each key form until one finds the recipient. */
export async function applyReceipt(sink: ReceiptSink, r: DeliveryReceipt): Promise<boolean> {
  for (const key of r.keys) {
    if (await sink.smscReceipt(key, r.stat, r.delivered, r.error)) return true;
  }
  return false;
}
