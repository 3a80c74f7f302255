import { readFileSync } from 'node:fs';
import type { PushTransport } from '../relay/transport.js';
import { msisdnOf } from '../address/index.js';
import type { MessageRecord, RecipientRecord } from '../records/model.js';
import type { NotificationPort, PushOutcome } from '../relay/ports.js';

export interface NonMmsNotifierOptions {
  /** Notifies everyone else (the MM1 WAP Push notifier). */
  inner: NotificationPort;
  transport: PushTransport;
  /** Whether a subscriber ('+15551234567') cannot receive MMS: config list, or a subscriber directory. */
  isNonMms: (msisdn: string) => boolean | Promise<boolean>;
  /** Absolute URL prefix of the web view, e.g. 'https://mmsc.example.net/v/'. */
  webBase: string;
  /** `{from}` and `{url}` are replaced. */
  smsText: string;
}

/** The configured list as a lookup: numbers compared by digits, with or without '+'. */
export function nonMmsList(numbers: readonly string[]): (msisdn: string) => boolean {
  const set = new Set(numbers.map((n) => n.replace(/^\+/, '')));
  return (msisdn) => set.has(msisdn.replace(/^\+/, ''));
}

export class NonMmsListError extends Error {
  override readonly name = 'NonMmsListError';
}

/** Reads a subscriber list: one MSISDN a line, blank lines and '#' comments ignored; a bad line is named. */
export function readNonMmsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NonMmsListError(`cannot read the non-MMS subscriber list ${path}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    if (!/^\+?\d{3,20}$/.test(line)) throw new NonMmsListError(`${path}:${i + 1}: ${JSON.stringify(line.slice(0, 40))} is not an MSISDN`);
    out.push(line);
  });
  return out;
}

/**
 * Recipients whose handsets cannot receive MMS get an SMS with a link to the web view of the
 * message instead of a WAP Push notification (issue 6); the relay records them as 'fallback-sms'.
 * The link carries the recipient's retrieval token, so it is as unguessable as the MMS one and
 * expires with the message.
 */
export class NonMmsNotifier implements NotificationPort {
  constructor(private readonly o: NonMmsNotifierOptions) {}

  async notify(message: MessageRecord, recipient: RecipientRecord): Promise<PushOutcome> {
    const msisdn = msisdnOf(recipient.address);
    if (!(await this.o.isNonMms(msisdn))) return this.o.inner.notify(message, recipient);
    if (!this.o.transport.sendText) return { ok: false, temporary: false, reason: `bearer ${this.o.transport.name} cannot send a text SMS to a non-MMS handset` };
    const from = message.senderVisibility === 'hide' ? 'a hidden number' : msisdnOf(message.from);
    const text = this.o.smsText.replaceAll('{from}', from).replaceAll('{url}', `${this.o.webBase}${recipient.token}`);
    const r = await this.o.transport.sendText(msisdn, text, recipient.id);
    return r.ok ? { ...r, fallbackSms: true } : r;
  }
}
