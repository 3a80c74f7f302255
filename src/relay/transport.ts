import type { PushOutcome } from './ports.js';

/** Carries a connectionless WSP Push PDU to a subscriber: WAP Push over SMS through SMPP, in production. */
export interface PushTransport {
  readonly name: string;
  /**
   * `destination` is the subscriber number ('+15551234567'); `tag` correlates logs and receipts.
   * Resolves once the bearer accepted (or refused) the push; never rejects for bearer errors.
   */
  push(destination: string, pdu: Buffer, tag: string): Promise<PushOutcome>;
  /** A plain text SMS (the web link for handsets that cannot receive MMS); absent on bearers without text. */
  sendText?(destination: string, text: string, tag: string, opts?: { from?: string }): Promise<PushOutcome>;
}

/**
 * Keeps every push in memory instead of sending it: for tests and for running the relay without
 * an SMSC. Listeners see each push as it is made.
 */
export class RecordingTransport implements PushTransport {
  readonly name = 'recording';
  readonly pushes: { destination: string; pdu: Buffer; tag: string; at: number }[] = [];
  readonly texts: { destination: string; text: string; tag: string; at: number; from?: string }[] = [];
  private readonly listeners: ((p: { destination: string; pdu: Buffer; tag: string }) => void)[] = [];
  private seq = 0;

  constructor(private readonly limit = 10_000) {}

  async push(destination: string, pdu: Buffer, tag: string): Promise<PushOutcome> {
    if (this.pushes.length >= this.limit) this.pushes.shift();
    const entry = { destination, pdu, tag, at: Date.now() };
    this.pushes.push(entry);
    for (const l of this.listeners) l(entry);
    const id = `rec${++this.seq}`;
    return { ok: true, link: this.name, messageIds: [id], receiptKeys: [id] };
  }

  async sendText(destination: string, text: string, tag: string, opts?: { from?: string }): Promise<PushOutcome> {
    if (this.texts.length >= this.limit) this.texts.shift();
    this.texts.push({ destination, text, tag, at: Date.now(), ...(opts?.from ? { from: opts.from } : {}) });
    const id = `rec${++this.seq}`;
    return { ok: true, link: this.name, messageIds: [id], receiptKeys: [id] };
  }

  onPush(listener: (p: { destination: string; pdu: Buffer; tag: string }) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}
