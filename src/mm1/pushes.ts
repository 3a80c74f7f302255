import type { Logger } from 'pino';
import { encode, type DeliveryInd, type NotificationInd, type ReadOrigInd } from '../../protocol/mms/index.js';
import { mmsPush } from '../../protocol/push/wsp-push.js';
import type { RelayConfig } from '../config/index.js';
import { msisdnOf } from '../address/index.js';
import type { MessageRecord, RecipientRecord } from '../records/model.js';
import type { DeliveryStatus, NotificationPort, PushOutcome, ReadStatus, ReportPort } from '../relay/ports.js';
import type { PushTransport } from '../relay/transport.js';

/** WSP push TID: any octet; derived from the record so a re-notification reuses it. */
function pushTid(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) & 0xff;
  return h;
}

export interface NotificationOptions {
  transport: PushTransport;
  config: RelayConfig;
  /** Absolute URL prefix of retrieval links, e.g. 'http://mmsc.example.net/m/'. */
  retrievalBase: string;
  logger: Logger;
  clock?: () => number;
}

/**
 * Builds the m-notification-ind for one recipient: every field strict clients require (TID,
 * version, class, size, relative expiry, Content-Location - Android drops a notification without
 * one of them), From/Subject only when configured so the push can fit one SMS.
 */
export function notificationFor(message: MessageRecord, recipient: RecipientRecord, o: Pick<NotificationOptions, 'config' | 'retrievalBase' | 'clock'>): NotificationInd {
  const now = (o.clock ?? Date.now)();
  const pdu: NotificationInd = {
    type: 'm-notification-ind',
    transactionId: recipient.transactionId,
    mmsVersion: '1.2',
    messageClass: message.messageClass,
    messageSize: message.contentSize,
    expiry: { kind: 'relative', value: Math.max(60, Math.round((message.expiresAt - now) / 1000)) },
    contentLocation: `${o.retrievalBase}${recipient.token}`,
  };
  if (o.config.notification.includeFrom && message.senderVisibility !== 'hide') pdu.from = message.from;
  if (o.config.notification.includeSubject && message.subject?.text) pdu.subject = message.subject.text;
  if (message.priority) pdu.priority = message.priority;
  return pdu;
}

export class Mm1Notifier implements NotificationPort {
  constructor(private readonly o: NotificationOptions) {}

  async notify(message: MessageRecord, recipient: RecipientRecord): Promise<PushOutcome> {
    const pdu = encode(notificationFor(message, recipient, this.o));
    return this.o.transport.push(msisdnOf(recipient.address), mmsPush(pushTid(recipient.id), pdu), recipient.id);
  }
}

/** Reports to a handset originator: m-delivery-ind and m-read-orig-ind by WAP Push (ENC 6.6, 6.7.2). */
export class Mm1ReportPort implements ReportPort {
  constructor(private readonly transport: PushTransport) {}

  async deliveryReport(message: MessageRecord, recipient: RecipientRecord, status: DeliveryStatus, at: number): Promise<PushOutcome> {
    const pdu: DeliveryInd = {
      type: 'm-delivery-ind',
      mmsVersion: '1.2',
      messageId: message.id,
      to: [recipient.address],
      date: Math.floor(at / 1000),
      status,
    };
    return this.send(message, pdu, `${recipient.id}:dr`);
  }

  async readReport(message: MessageRecord, reader: string, status: ReadStatus, at: number): Promise<PushOutcome> {
    const pdu: ReadOrigInd = {
      type: 'm-read-orig-ind',
      mmsVersion: '1.2',
      messageId: message.id,
      to: [message.from],
      from: reader,
      date: Math.floor(at / 1000),
      readStatus: status === 'read' ? 'read' : 'deleted-without-being-read',
    };
    return this.send(message, pdu, `${message.id}:rr`);
  }

  private send(message: MessageRecord, pdu: DeliveryInd | ReadOrigInd, tag: string): Promise<PushOutcome> {
    const origin = message.origin.kind === 'mm1' ? message.origin.address : message.from;
    return this.transport.push(msisdnOf(origin), mmsPush(pushTid(tag), encode(pdu)), tag);
  }
}
