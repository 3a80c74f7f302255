import type { AddressInfo } from 'node:net';
import pino from 'pino';
import smpp from 'smpp';
import { decodeUserData, Reassembler, type PortAddress, type ReassemblerLimits } from '../../protocol/push/wdp.js';
import type { Logger } from '../log.js';
import { batchWrites } from '../smsc/batch-writes.js';
import { SmppStatus } from '../smsc/status.js';

export interface SimulatorAccount {
  systemId: string;
  password: string;
}

export interface SmscSimulatorOptions {
  host?: string;
  /** 0 = any free port (read `port` after start). */
  port?: number;
  /** Accepted credentials; none = every bind is accepted. */
  accounts?: SimulatorAccount[];
  /** Delay before the delivery receipt of an accepted submit; false = no receipts. */
  receiptDelayMs?: number | false;
  /** Where the receipt carries the id: TLVs (receipted_message_id, message_state), text, or both. */
  receiptMode?: 'tlv+text' | 'tlv' | 'text';
  /** Spelling of submit_sm_resp message ids. */
  messageIdFormat?: 'hex' | 'decimal';
  /** Spelling of the id in the receipt (text and TLV): as in submit_sm_resp, or forced. */
  receiptIdFormat?: 'same' | 'hex' | 'decimal';
  /** stat word of receipts (DELIVRD, UNDELIV, ...). */
  receiptStat?: string;
  reassembly?: Partial<ReassemblerLimits>;
  logger?: Logger;
}

/** A WAP push as the handset would see it: reassembled WDP datagram. */
export interface SimulatedPush {
  /** '+…' for international destinations. */
  to: string;
  from: string;
  /** WSP push PDU bytes (WDP payload). */
  payload: Buffer;
  /** Destination port of the WDP datagram (2948 for WAP Push). */
  port?: number;
  ports?: PortAddress;
  segments: number;
  messageIds: string[];
  systemId: string;
}

export interface SimulatedSubmit {
  systemId: string;
  sequence: number;
  to: string;
  from: string;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** SMS user data (UDH included when UDHI is set). */
  userData: Buffer;
  /** The status the simulator answered. */
  status: number;
  messageId?: string;
}

interface SessionInfo {
  session: smpp.Session;
  systemId?: string;
  mode?: 'transceiver' | 'transmitter' | 'receiver';
  /** From the bind's address_range: destinations (digits, no '+') this session receives as deliver_sm. */
  handsets?: RegExp;
}

/** Longest address_range accepted (SMPP v3.4 §5.2.7: 41 octets). */
const MAX_ADDRESS_RANGE = 41;

interface PendingReceipt {
  systemId: string;
  params: smpp.PDUFields;
}

const MAX_STORED_RECEIPTS = 10_000;

/** 'YYMMDDhhmm' in UTC, the Appendix B date form. */
function receiptDate(d: Date): string {
  return d.toISOString().replace(/[-T:]/g, '').slice(2, 12);
}

/**
 * An SMPP server for tests and labs: accepts binds, acknowledges submit_sm, reassembles WAP Push,
 * sends delivery receipts, and misbehaves on request (throttle, refuse binds, delay, drop).
 */
export class SmscSimulator {
  private readonly server: smpp.Server;
  private readonly sessions = new Set<SessionInfo>();
  private readonly reassembler: Reassembler;
  private readonly pushListeners: ((p: SimulatedPush) => void)[] = [];
  private readonly submitListeners: ((s: SimulatedSubmit) => void)[] = [];
  private readonly log: Logger;
  private readonly opts: Required<Omit<SmscSimulatorOptions, 'logger' | 'reassembly' | 'accounts'>> & { accounts: SimulatorAccount[] };
  private nextId = 0x10000;
  private readonly segmentIds = new Map<string, string[]>();
  private storedReceipts: PendingReceipt[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  // Misbehaviour controls.
  private throttleCount = 0;
  private throttleStatus: number = SmppStatus.RTHROTTLED;
  private throttleProbability = 0;
  private failCount = 0;
  private failStatus = 0;
  private bindRefusal: number | false = false;
  private responseDelayMs = 0;
  private dropAfterCount: number | undefined;
  private down = false;
  /** address_range patterns of receivers seen: their MT waits here while they are not bound (store and forward). */
  private readonly knownRanges = new Map<string, RegExp>();
  private pendingMt: { digits: string; params: smpp.PDUFields }[] = [];

  readonly stats = { binds: 0, bindsRefused: 0, submits: 0, accepted: 0, throttled: 0, failed: 0, pushes: 0, receiptsSent: 0, receiptsAcked: 0, drops: 0, mtDelivered: 0, mtUnrouted: 0 };

  constructor(options: SmscSimulatorOptions = {}) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      accounts: options.accounts ?? [],
      receiptDelayMs: options.receiptDelayMs ?? 0,
      receiptMode: options.receiptMode ?? 'tlv+text',
      messageIdFormat: options.messageIdFormat ?? 'hex',
      receiptIdFormat: options.receiptIdFormat ?? 'same',
      receiptStat: options.receiptStat ?? 'DELIVRD',
    };
    this.log = options.logger ?? pino({ level: 'silent' });
    this.reassembler = new Reassembler(options.reassembly);
    this.server = smpp.createServer({}, (session) => this.accept(session));
    this.server.on('error', (err: Error) => this.log.error({ err: err.message }, 'simulator server error'));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.log.info({ host: this.opts.host, port: this.port }, 'SMSC simulator listening');
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sessions) s.session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Bound sessions (any mode). */
  get boundSessions(): number {
    return [...this.sessions].filter((s) => s.mode).length;
  }

  onPush(listener: (p: SimulatedPush) => void): () => void {
    this.pushListeners.push(listener);
    return () => this.pushListeners.splice(this.pushListeners.indexOf(listener) >>> 0, 1);
  }

  onSubmit(listener: (s: SimulatedSubmit) => void): () => void {
    this.submitListeners.push(listener);
    return () => this.submitListeners.splice(this.submitListeners.indexOf(listener) >>> 0, 1);
  }

  /** Resolves with the next push (for tests). */
  nextPush(): Promise<SimulatedPush> {
    return new Promise((resolve) => {
      const off = this.onPush((p) => {
        off();
        resolve(p);
      });
    });
  }

  // ---------------------------------------------------------------- controls

  /** Answer the next `n` submits with ESME_RTHROTTLED (or `status`, e.g. ESME_RMSGQFUL 0x14). */
  throttle(n: number, status: number = SmppStatus.RTHROTTLED): void {
    this.throttleCount = n;
    this.throttleStatus = status;
  }

  /** Answer this fraction of submits (0..1) with ESME_RTHROTTLED. */
  throttleRatio(ratio: number): void {
    this.throttleProbability = Math.max(0, Math.min(1, ratio));
  }

  /** Answer the next `n` submits with `status` (e.g. ESME_RINVDSTADR 0x0B). */
  fail(n: number, status: number): void {
    this.failCount = n;
    this.failStatus = status;
  }

  /** Refuse binds with `status` (ESME_RBINDFAIL by default); false accepts them again. */
  refuseBinds(status: number | false = SmppStatus.RBINDFAIL): void {
    this.bindRefusal = status;
  }

  /** Hold every response this long. */
  delayResponses(ms: number): void {
    this.responseDelayMs = Math.max(0, ms);
  }

  /** After acknowledging `n` more submits, drop every connection on the next one (unanswered). */
  dropAfter(n: number): void {
    this.dropAfterCount = n;
  }

  /** Drop every connection now. */
  dropAll(): void {
    this.stats.drops++;
    for (const s of this.sessions) s.session.destroy();
  }

  /**
   * An outage: every connection drops and binds are refused (ESME_RBINDFAIL, which clients retry)
   * until `restore()`. Receipts due meanwhile are kept for the next bind.
   */
  outage(): void {
    this.down = true;
    this.refuseBinds(SmppStatus.RBINDFAIL);
    this.dropAll();
  }

  restore(): void {
    this.down = false;
    this.refuseBinds(false);
  }

  get inOutage(): boolean {
    return this.down;
  }

  setReceiptStat(stat: string): void {
    this.opts.receiptStat = stat;
  }

  // ---------------------------------------------------------------- protocol

  private accept(session: smpp.Session): void {
    const info: SessionInfo = { session };
    this.sessions.add(info);
    session.on('error', (err: Error) => {
      this.log.debug({ err: err.message }, 'simulator session error');
      session.destroy();
    });
    session.on('close', () => this.sessions.delete(info));
    session.on('pdu', (pdu: smpp.PDU) => this.handle(info, pdu));
  }

  private respond(session: smpp.Session, pdu: smpp.PDU): void {
    if (this.responseDelayMs === 0) {
      batchWrites(session.socket);
      session.send(pdu);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!session.closed) session.send(pdu);
    }, this.responseDelayMs);
    this.timers.add(t);
  }

  private handle(info: SessionInfo, pdu: smpp.PDU): void {
    const { session } = info;
    if (pdu.isResponse()) {
      if (pdu.command === 'deliver_sm_resp' && !info.handsets) this.stats.receiptsAcked++;
      return;
    }
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        return this.bind(info, pdu);
      case 'submit_sm':
        return this.submit(info, pdu);
      case 'enquire_link':
        return this.respond(session, pdu.response());
      case 'unbind':
        session.send(pdu.response());
        session.close();
        return;
      case 'unknown':
        session.send(pdu.response());
        return;
      default:
        session.send(pdu.response({ command_status: info.mode ? 0x03 : SmppStatus.RINVBNDSTS }));
    }
  }

  private bind(info: SessionInfo, pdu: smpp.PDU): void {
    const { session } = info;
    if (info.mode) return this.respond(session, pdu.response({ command_status: SmppStatus.RALYBND }));
    const systemId = pdu.system_id ?? '';
    let status: number = SmppStatus.ROK;
    if (this.bindRefusal !== false) status = this.bindRefusal;
    else if (this.opts.accounts.length > 0) {
      const acct = this.opts.accounts.find((a) => a.systemId === systemId);
      if (!acct) status = SmppStatus.RINVSYSID;
      else if (acct.password !== (pdu.password ?? '')) status = SmppStatus.RINVPASWD;
    }
    if (status !== SmppStatus.ROK) {
      this.stats.bindsRefused++;
      this.respond(session, pdu.response({ command_status: status }));
      return;
    }
    const range = pdu.address_range ?? '';
    if (range !== '') {
      const handsets = addressRangePattern(range);
      if (!handsets) {
        this.stats.bindsRefused++;
        this.log.info({ systemId, range }, 'bind refused: address_range is not a usable pattern');
        this.respond(session, pdu.response({ command_status: SmppStatus.RBINDFAIL }));
        return;
      }
      info.handsets = handsets;
      if (this.knownRanges.size < 1000) this.knownRanges.set(range, handsets);
    }
    this.stats.binds++;
    info.systemId = systemId;
    info.mode = pdu.command.slice('bind_'.length) as SessionInfo['mode'];
    this.respond(session, pdu.response({ system_id: 'mmsc-sim' }));
    if (info.mode !== 'transmitter') this.flushStoredReceipts(systemId);
    if (info.handsets && info.mode !== 'transmitter' && this.pendingMt.length > 0) {
      // After the bind_resp has been taken in: a deliver_sm in the same read would meet an unbound client.
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.flushPendingMt();
      }, 50);
      this.timers.add(t);
    }
  }

  private newMessageId(): string {
    const n = this.nextId++;
    return this.opts.messageIdFormat === 'hex' ? n.toString(16).toUpperCase() : String(n);
  }

  private submit(info: SessionInfo, pdu: smpp.PDU): void {
    const { session } = info;
    if (info.mode !== 'transceiver' && info.mode !== 'transmitter') {
      session.send(pdu.response({ command_status: SmppStatus.RINVBNDSTS }));
      return;
    }
    this.stats.submits++;
    if (this.dropAfterCount !== undefined) {
      if (this.dropAfterCount === 0) {
        this.dropAfterCount = undefined;
        this.log.info('simulator dropping every connection (dropAfter)');
        this.dropAll();
        return;
      }
      this.dropAfterCount--;
    }
    let status: number = SmppStatus.ROK;
    if (this.throttleCount > 0) {
      this.throttleCount--;
      status = this.throttleStatus;
    } else if (this.throttleProbability > 0 && Math.random() < this.throttleProbability) {
      status = SmppStatus.RTHROTTLED;
    } else if (this.failCount > 0) {
      this.failCount--;
      status = this.failStatus;
    }
    const userData = rawShortMessage(pdu.short_message);
    const to = addressOf(pdu.destination_addr ?? '', pdu.dest_addr_ton ?? 0);
    const from = addressOf(pdu.source_addr ?? '', pdu.source_addr_ton ?? 0);
    const record: SimulatedSubmit = {
      systemId: info.systemId ?? '',
      sequence: pdu.sequence_number,
      to,
      from,
      esmClass: pdu.esm_class ?? 0,
      dataCoding: pdu.data_coding ?? 0,
      registeredDelivery: pdu.registered_delivery ?? 0,
      userData,
      status,
    };
    if (status !== SmppStatus.ROK) {
      if (status === SmppStatus.RTHROTTLED || status === SmppStatus.RMSGQFUL) this.stats.throttled++;
      else this.stats.failed++;
      this.respond(session, pdu.response({ command_status: status }));
      this.emitSubmit(record);
      return;
    }
    this.stats.accepted++;
    const messageId = this.newMessageId();
    record.messageId = messageId;
    this.respond(session, pdu.response({ message_id: messageId }));
    this.emitSubmit(record);
    if ((record.registeredDelivery & 0x03) !== 0 && this.opts.receiptDelayMs !== false) this.scheduleReceipt(record, messageId);
    if (record.esmClass & 0x40) this.reassemble(record, messageId);
    this.deliverToHandset(record, pdu);
  }

  /**
   * Mobile-terminated delivery: a submit whose destination matches the address_range of a bound
   * receiver (an emulated handset, or a gateway standing for many) goes to it as deliver_sm with the
   * same user data, segment by segment, as a handset's SMSC would deliver it.
   */
  private deliverToHandset(s: SimulatedSubmit, pdu: smpp.PDU): void {
    if (this.knownRanges.size === 0) return;
    const digits = s.to.replace(/^\+/, '');
    const params: smpp.PDUFields = {
      source_addr_ton: pdu.source_addr_ton ?? 0,
      source_addr_npi: pdu.source_addr_npi ?? 0,
      source_addr: pdu.source_addr ?? '',
      dest_addr_ton: pdu.dest_addr_ton ?? 0,
      dest_addr_npi: pdu.dest_addr_npi ?? 0,
      destination_addr: pdu.destination_addr ?? '',
      esm_class: s.esmClass & 0x40,
      data_coding: s.dataCoding,
      short_message: s.userData,
    };
    if (this.deliverMt(digits, params)) return;
    if ([...this.knownRanges.values()].some((r) => r.test(digits)) && this.pendingMt.length < MAX_STORED_RECEIPTS) {
      // The handset's receiver is away (outage, reconnecting): keep it, as an SMSC would, bounded.
      this.pendingMt.push({ digits, params });
    } else this.stats.mtUnrouted++;
  }

  private deliverMt(digits: string, params: smpp.PDUFields): boolean {
    const target = [...this.sessions].find((x) => x.handsets && (x.mode === 'receiver' || x.mode === 'transceiver') && !x.session.closed && x.handsets.test(digits));
    if (!target) return false;
    this.stats.mtDelivered++;
    target.session.deliver_sm({ ...params });
    return true;
  }

  private flushPendingMt(): void {
    const waiting = this.pendingMt;
    this.pendingMt = [];
    for (const m of waiting) if (!this.deliverMt(m.digits, m.params)) this.pendingMt.push(m);
  }


  private emitSubmit(s: SimulatedSubmit): void {
    for (const l of this.submitListeners) l(s);
  }

  private reassemble(s: SimulatedSubmit, messageId: string): void {
    let ud;
    try {
      ud = decodeUserData(s.userData);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, to: s.to }, 'submit_sm with a malformed UDH');
      return;
    }
    const originator = `${s.from}>${s.to}`;
    const c = ud.header.concat;
    const setKey = c ? `${originator}:${c.bits}:${c.reference}:${c.total}` : '';
    if (c && c.total > 1) {
      const ids = this.segmentIds.get(setKey) ?? [];
      ids[c.sequence - 1] = messageId;
      this.segmentIds.set(setKey, ids);
    }
    const res = this.reassembler.acceptDecoded(originator, ud, Date.now());
    if (res.status !== 'complete') {
      if (res.status === 'rejected') this.log.warn({ reason: res.reason, to: s.to }, 'segment rejected');
      return;
    }
    const ids = c && c.total > 1 ? (this.segmentIds.get(setKey) ?? []) : [messageId];
    this.segmentIds.delete(setKey);
    const push: SimulatedPush = { to: s.to, from: s.from, payload: res.datagram.payload, segments: res.datagram.segments, messageIds: ids, systemId: s.systemId };
    if (res.datagram.ports) {
      push.ports = res.datagram.ports;
      push.port = res.datagram.ports.destination;
    }
    this.stats.pushes++;
    for (const l of this.pushListeners) l(push);
  }

  private receiptId(messageId: string): string {
    const f = this.opts.receiptIdFormat;
    if (f === 'same' || f === this.opts.messageIdFormat) return messageId;
    return f === 'decimal' ? BigInt(`0x${messageId}`).toString(10) : BigInt(messageId).toString(16).toUpperCase();
  }

  private scheduleReceipt(s: SimulatedSubmit, messageId: string): void {
    const now = new Date();
    const stat = this.opts.receiptStat;
    const id = this.receiptId(messageId);
    const state: Record<string, number> = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };
    const delivered = stat === 'DELIVRD' ? '001' : '000';
    const params: smpp.PDUFields = {
      source_addr_ton: s.to.startsWith('+') ? 1 : 0,
      source_addr_npi: 1,
      source_addr: s.to.replace(/^\+/, ''),
      dest_addr_ton: s.from.startsWith('+') ? 1 : 0,
      dest_addr_npi: 1,
      destination_addr: s.from.replace(/^\+/, ''),
      esm_class: 0x04,
      data_coding: 0,
    };
    const mode = this.opts.receiptMode;
    if (mode !== 'tlv') {
      params.short_message = Buffer.from(
        `id:${id} sub:001 dlvrd:${delivered} submit date:${receiptDate(now)} done date:${receiptDate(new Date(now.getTime() + Number(this.opts.receiptDelayMs)))} stat:${stat} err:${stat === 'DELIVRD' ? '000' : '001'} text:`,
        'latin1',
      );
    } else {
      params.short_message = Buffer.alloc(0);
    }
    if (mode !== 'text') {
      params.receipted_message_id = id;
      params.message_state = state[stat] ?? 7;
    }
    const receipt: PendingReceipt = { systemId: s.systemId, params };
    const delay = Number(this.opts.receiptDelayMs);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.sendReceipt(receipt);
    }, delay);
    this.timers.add(t);
  }

  private sendReceipt(r: PendingReceipt): void {
    const target = [...this.sessions].find((s) => s.systemId === r.systemId && !s.handsets && (s.mode === 'transceiver' || s.mode === 'receiver') && !s.session.closed);
    if (!target) {
      // A real SMSC keeps receipts for a receiver that binds later; bounded here.
      if (this.storedReceipts.length < MAX_STORED_RECEIPTS) this.storedReceipts.push(r);
      return;
    }
    this.stats.receiptsSent++;
    target.session.deliver_sm({ ...r.params });
  }

  private flushStoredReceipts(systemId: string): void {
    const mine = this.storedReceipts.filter((r) => r.systemId === systemId);
    this.storedReceipts = this.storedReceipts.filter((r) => r.systemId !== systemId);
    for (const r of mine) this.sendReceipt(r);
  }
}

/**
 * address_range as a pattern over destination digits: SMPP leaves its syntax to the SMSC; here it is
 * a regular expression ('^1555', '^15550000002$') or a plain number/prefix ('1555' = starts with).
 * Bounded in length; undefined when it does not compile.
 */
export function addressRangePattern(range: string): RegExp | undefined {
  if (range.length > MAX_ADDRESS_RANGE) return undefined;
  if (/^\+?\d+$/.test(range)) return new RegExp(`^${range.replace(/^\+/, '')}`);
  try {
    return new RegExp(range);
  } catch {
    return undefined;
  }
}

function addressOf(addr: string, ton: number): string {
  return ton === 1 && addr !== '' ? `+${addr}` : addr;
}

/**
 * The short_message octets as sent. The package splits the UDH into elements and drops UDHL; the
 * elements are contiguous slices of the UDH, so joining them behind a recomputed UDHL restores it.
 */
export function rawShortMessage(sm: smpp.PDU['short_message']): Buffer {
  if (sm === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(sm)) return sm;
  if (typeof sm === 'string') return Buffer.from(sm, 'latin1');
  const body = Buffer.isBuffer(sm.message) ? sm.message : Buffer.from(sm.message, 'latin1');
  if (!sm.udh || sm.udh.length === 0) return body;
  const udh = Buffer.concat(sm.udh);
  return Buffer.concat([Buffer.of(udh.length), udh, body]);
}

/**
 * The SMSC the gateway starts when none is configured (lab mode): a simulator on a free loopback
 * port that accepts the gateway's bind and answers pushes with receipts after a second.
 */
export async function startLabSmsc(logger: Logger): Promise<{ url: string; simulator: SmscSimulator; stop(): Promise<void> }> {
  const simulator = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'mmsc' }], receiptDelayMs: 1000, logger });
  const port = await simulator.start();
  return { url: `smpp://mmsc:mmsc@127.0.0.1:${port}`, simulator, stop: () => simulator.stop() };
}
