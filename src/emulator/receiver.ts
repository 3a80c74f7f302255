import pino from 'pino';
import type smpp from 'smpp';
import { decodeUserData, Reassembler, WAP_PUSH_PORT } from '../../protocol/push/wdp.js';
import type { Logger } from '../log.js';
import { smscLink } from '../config/smsc.js';
import { SmppConnection, type ConnectionState } from '../smsc/connection.js';
import { SmppStatus } from '../smsc/status.js';
import { rawShortMessage, type SmscSimulator } from '../smsc-sim/simulator.js';

/** A WAP Push datagram as a handset's WDP layer hands it up. */
export interface ReceivedPush {
  /** '+…' when the SMSC gave an international number, else the digits as sent. */
  to: string;
  /** WSP push PDU (WDP payload). */
  payload: Buffer;
  /** SMS segments the datagram arrived in. */
  segments: number;
  at: number;
}

/** Where handsets' WAP Push comes from: the in-process simulator, or an SMPP receiver bind. */
export interface PushSource {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  onPush(listener: (p: ReceivedPush) => void): void;
}

/** Pushes reassembled by an SmscSimulator in the same process (no extra SMPP hop). */
export class SimulatorPushSource implements PushSource {
  readonly name = 'simulator';
  private off: (() => void) | undefined;
  private readonly listeners: ((p: ReceivedPush) => void)[] = [];

  constructor(private readonly sim: SmscSimulator) {}

  async start(): Promise<void> {
    this.off ??= this.sim.onPush((p) => {
      if (p.port !== undefined && p.port !== WAP_PUSH_PORT) return;
      const push: ReceivedPush = { to: p.to, payload: p.payload, segments: p.segments, at: Date.now() };
      for (const l of this.listeners) l(push);
    });
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
  }

  onPush(listener: (p: ReceivedPush) => void): void {
    this.listeners.push(listener);
  }
}

export interface SmppReceiverOptions {
  host: string;
  port: number;
  systemId: string;
  password?: string;
  /** Which destinations this bind receives (SMSC-specific syntax; the simulator takes a regex or prefix). */
  addressRange: string;
  logger?: Logger;
  reconnectInitialMs?: number;
}

/**
 * Binds as an SMPP receiver to any SMSC, like the SMS stack of the handsets it stands for: acknowledges
 * every deliver_sm, reassembles concatenated WDP datagrams and hands up those for the WAP Push port.
 */
export class SmppReceiverPushSource implements PushSource {
  readonly name = 'smpp-receiver';
  private readonly conn: SmppConnection;
  private readonly reassembler = new Reassembler({ maxPendingSets: 10_000 });
  private readonly listeners: ((p: ReceivedPush) => void)[] = [];
  private readonly log: Logger;
  private readonly boundWaiters: (() => void)[] = [];
  readonly stats = { deliverSm: 0, segmentsRejected: 0, pushes: 0, notPush: 0 };

  constructor(opts: SmppReceiverOptions) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    const cfg = smscLink({ name: 'handsets', host: opts.host, port: opts.port, systemId: opts.systemId, password: opts.password ?? '' });
    cfg.reconnectInitialMs = opts.reconnectInitialMs ?? 100;
    cfg.reconnectMaxMs = Math.max(cfg.reconnectInitialMs, 2000);
    this.conn = new SmppConnection(
      cfg,
      'receiver',
      {
        onState: (s: ConnectionState) => {
          if (s === 'bound') for (const w of this.boundWaiters.splice(0)) w();
        },
        onRequest: (pdu, session) => this.request(pdu, session),
      },
      this.log,
      opts.addressRange,
    );
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Resolves once bound (the first time); a refused or unreachable SMSC keeps it waiting, bounded by the caller. */
  start(timeoutMs = 10_000): Promise<void> {
    this.conn.start();
    if (this.conn.state === 'bound') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver bind to the SMSC did not succeed within ${timeoutMs} ms: ${this.conn.lastError ?? 'no answer'}`)), timeoutMs);
      this.boundWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    return this.conn.stop();
  }

  onPush(listener: (p: ReceivedPush) => void): void {
    this.listeners.push(listener);
  }

  private request(pdu: smpp.PDU, session: smpp.Session): void {
    if (pdu.command !== 'deliver_sm') {
      session.send(pdu.response({ command_status: SmppStatus.RINVBNDSTS }));
      return;
    }
    this.stats.deliverSm++;
    session.send(pdu.response());
    const ton = pdu.dest_addr_ton ?? 0;
    const dest = pdu.destination_addr ?? '';
    const to = ton === 1 && dest ? `+${dest}` : dest;
    const from = pdu.source_addr ?? '';
    let ud;
    try {
      ud = decodeUserData(rawShortMessage(pdu.short_message));
    } catch (err) {
      this.stats.segmentsRejected++;
      this.log.info({ to, err: (err as Error).message }, 'deliver_sm with an undecodable user data header');
      return;
    }
    const res = this.reassembler.acceptDecoded(`${from}>${to}`, ud, Date.now());
    if (res.status === 'rejected') {
      this.stats.segmentsRejected++;
      this.log.info({ to, reason: res.reason }, 'segment rejected');
      return;
    }
    if (res.status !== 'complete') return;
    if (res.datagram.ports?.destination !== WAP_PUSH_PORT) {
      this.stats.notPush++;
      return;
    }
    this.stats.pushes++;
    const push: ReceivedPush = { to, payload: res.datagram.payload, segments: res.datagram.segments, at: Date.now() };
    for (const l of this.listeners) l(push);
  }
}
