import { receiptKeys } from './ids.js';

/** Final or intermediate state of an SMS as a delivery receipt reports it (SMPP v3.4 §5.2.28). */
export type ReceiptStatus = 'delivered' | 'enroute' | 'accepted' | 'expired' | 'deleted' | 'undeliverable' | 'rejected' | 'unknown';

export interface DeliveryReceipt {
  /** Lookup keys: every normalised form of the receipted id, scoped by link (see ids.ts). */
  keys: string[];
  /** The id exactly as the SMSC wrote it. */
  messageId: string;
  status: ReceiptStatus;
  /** Appendix B stat word: DELIVRD, UNDELIV, EXPIRED, ... */
  stat: string;
  delivered: boolean;
  /** No further receipt will follow for this message. */
  final: boolean;
  /** err: field or network_error_code when they report an error. */
  error?: string;
  link: string;
  /** The handset (deliver_sm source_addr). */
  recipient?: string;
  raw: { esmClass: number; text?: string; messageState?: number; networkErrorCode?: string };
}

/** esm_class message type bits 2-5 = 0001: SMSC delivery receipt (§5.2.12). */
export function isDeliveryReceipt(esmClass: number): boolean {
  return (esmClass & 0x3c) === 0x04;
}

/** message_state TLV values (§5.3.2.35). */
const byState: Record<number, { status: ReceiptStatus; stat: string }> = {
  1: { status: 'enroute', stat: 'ENROUTE' },
  2: { status: 'delivered', stat: 'DELIVRD' },
  3: { status: 'expired', stat: 'EXPIRED' },
  4: { status: 'deleted', stat: 'DELETED' },
  5: { status: 'undeliverable', stat: 'UNDELIV' },
  6: { status: 'accepted', stat: 'ACCEPTD' },
  7: { status: 'unknown', stat: 'UNKNOWN' },
  8: { status: 'rejected', stat: 'REJECTD' },
};

/** Appendix B stat words, plus the "buffered" spellings Kannel accepts. */
const byStat: Record<string, ReceiptStatus> = {
  DELIVRD: 'delivered',
  DELIVERED: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'deleted',
  UNDELIV: 'undeliverable',
  UNDELIVERABLE: 'undeliverable',
  ACCEPTD: 'accepted',
  ACCEPTED: 'accepted',
  UNKNOWN: 'unknown',
  REJECTD: 'rejected',
  REJECTED: 'rejected',
  ENROUTE: 'enroute',
  ACKED: 'enroute',
  BUFFRED: 'enroute',
  BUFFERD: 'enroute',
  BUFFERED: 'enroute',
};

const FINAL: ReadonlySet<ReceiptStatus> = new Set(['delivered', 'expired', 'deleted', 'undeliverable', 'rejected']);

export interface ReceiptText {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
}

/**
 * Appendix B text form `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`. The format
 * is only a "should": fields are found by prefix, case-insensitively, and any may be missing.
 */
export function parseReceiptText(text: string): ReceiptText {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}:\\s*(\\S*)`, 'i').exec(text)?.[1];
  const out: ReceiptText = {};
  const set = (k: keyof ReceiptText, v: string | undefined) => {
    if (v !== undefined && v !== '') out[k] = v;
  };
  set('id', field('id'));
  set('sub', field('sub'));
  set('dlvrd', field('dlvrd'));
  set('submitDate', field('submit date'));
  set('doneDate', field('done date'));
  set('stat', field('stat')?.toUpperCase());
  set('err', field('err'));
  const t = /(?:^|\s)text:(.*)$/is.exec(text)?.[1];
  if (t !== undefined) out.text = t;
  return out;
}

/** The deliver_sm fields a receipt is read from (decoded by the smpp package). */
export interface ReceiptPduFields {
  esm_class?: number;
  source_addr?: string;
  receipted_message_id?: string;
  message_state?: number;
  network_error_code?: Buffer;
  /** short_message text (already decoded to a string, or raw bytes). */
  text?: string;
}

/**
 * Reads a delivery receipt. TLVs win over the text (they are typed); the text fills what they lack.
 * Returns undefined when no message id can be found.
 */
export function readReceipt(link: string, f: ReceiptPduFields): DeliveryReceipt | undefined {
  const parsed = f.text !== undefined ? parseReceiptText(f.text) : {};
  const messageId = (f.receipted_message_id ?? '').trim() || parsed.id;
  if (!messageId) return undefined;
  let status: ReceiptStatus = 'unknown';
  let stat = 'UNKNOWN';
  const fromState = f.message_state !== undefined ? byState[f.message_state] : undefined;
  if (fromState) ({ status, stat } = fromState);
  else if (parsed.stat) {
    stat = parsed.stat;
    status = byStat[parsed.stat] ?? 'unknown';
  }
  const receipt: DeliveryReceipt = {
    keys: receiptKeys(link, [messageId]),
    messageId,
    status,
    stat,
    delivered: status === 'delivered',
    final: FINAL.has(status),
    link,
    raw: { esmClass: f.esm_class ?? 0 },
  };
  if (f.source_addr) receipt.recipient = f.source_addr;
  if (f.text !== undefined) receipt.raw.text = f.text;
  if (f.message_state !== undefined) receipt.raw.messageState = f.message_state;
  const nec = f.network_error_code?.length ? f.network_error_code.toString('hex') : undefined;
  if (nec) receipt.raw.networkErrorCode = nec;
  const errs: string[] = [];
  if (parsed.err && !/^0+$/.test(parsed.err)) errs.push(`err:${parsed.err}`);
  if (nec && !/^0+$/.test(nec.slice(2))) errs.push(`network_error_code:${nec}`);
  if (errs.length) receipt.error = errs.join(' ');
  return receipt;
}
