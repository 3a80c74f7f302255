import smpp from 'smpp';
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import type { SmscLinkConfig } from '../config/smsc.js';
import { batchWrites } from './batch-writes.js';
import { isCredentialRefusal, SmppStatus, statusName } from './status.js';

export type BindKind = 'transceiver' | 'transmitter' | 'receiver';
export type ConnectionState = 'down' | 'connecting' | 'bound' | 'failed' | 'stopped';

/** Why a request got no usable response. `sent` = the SMSC may have received it. */
export class LinkError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export interface ConnectionHooks {
  onState(state: ConnectionState, reason?: string): void;
  /** Requests from the SMSC other than enquire_link/unbind (deliver_sm); the response is sent by the caller. */
  onRequest(pdu: smpp.PDU, session: smpp.Session): void;
}

interface Pending {
  resolve(pdu: smpp.PDU): void;
  reject(err: LinkError): void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection and bind to an SMSC: connects, binds, answers the peer's enquire_link and unbind,
 * watches the link with its own enquire_link, times out every request, and reconnects with exponential
 * back-off. What the `smpp` package leaves to the application (landscape.md §4).
 */
export class SmppConnection {
  state: ConnectionState = 'down';
  lastError: string | undefined;
  private session: smpp.Session | undefined;
  private readonly pending = new Map<number, Pending>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private attempts = 0;
  private lastRx = 0;
  private probing = false;
  /**
   * The session whose bind the SMSC accepted, set as soon as the bind response is read. An SMSC may
   * send stored receipts right behind its bind_resp, in the same TCP read; the bind promise settles
   * only after that read is parsed, so `state` alone would refuse them.
   */
  private acceptedBind: smpp.Session | undefined;

  constructor(
    readonly cfg: SmscLinkConfig,
    readonly kind: BindKind,
    private readonly hooks: ConnectionHooks,
    private readonly log: Logger,
    /** address_range of the bind (a receiver standing for some subscribers, e.g. an emulated handset). */
    private readonly addressRange = '',
  ) {}

  get outstanding(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.state === 'stopped') return;
    this.attempts = 0;
    this.connect();
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (this.state === state) return;
    this.state = state;
    if (reason) this.lastError = reason;
    this.hooks.onState(state, reason);
  }

  /** The error that ended a session, for the reason its bind failed. */
  private readonly sessionErrors = new WeakMap<smpp.Session, string>();

  private connect(): void {
    this.reconnectTimer = undefined;
    this.setState('connecting');
    // The smpp package accepts any certificate unless told otherwise: verify the SMSC's, always.
    const tls = this.cfg.tls ? { rejectUnauthorized: true, ...(this.cfg.tlsCa ? { ca: readFileSync(this.cfg.tlsCa) } : {}) } : {};
    const session = smpp.connect({ host: this.cfg.host, port: this.cfg.port, tls: this.cfg.tls, connectTimeout: this.cfg.connectTimeoutMs, ...tls });
    this.session = session;
    session.on('error', (err: Error) => {
      // The package stops parsing after a decode error (its _busy flag stays set): only a new connection recovers.
      this.log.warn({ link: this.cfg.name, bind: this.kind, err: err.message }, 'SMPP connection error');
      this.lastError = err.message;
      this.sessionErrors.set(session, err.message);
      session.destroy();
    });
    session.on('close', () => this.closed(session));
    session.on('connect', () => this.bind(session));
    session.on('pdu', (pdu: smpp.PDU) => this.received(session, pdu));
  }

  private bind(session: smpp.Session): void {
    const params: smpp.PDUFields = {
      system_id: this.cfg.systemId,
      password: this.cfg.password,
      system_type: this.cfg.systemType,
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: this.addressRange,
    };
    this.request(session, `bind_${this.kind}`, params).then(
      (resp) => {
        const status = resp.command_status;
        // Kannel treats ESME_RALYBND on bind as success.
        if (status === SmppStatus.ROK || status === SmppStatus.RALYBND) {
          this.attempts = 0;
          this.lastRx = Date.now();
          this.startWatchdog(session);
          this.log.info({ link: this.cfg.name, bind: this.kind, host: this.cfg.host, port: this.cfg.port, smsc: resp.system_id }, 'SMPP bound');
          this.setState('bound');
          return;
        }
        const reason = `bind_${this.kind} refused by ${this.cfg.host}:${this.cfg.port} for system_id ${JSON.stringify(this.cfg.systemId)}: ${statusName(status)}`;
        if (isCredentialRefusal(status)) {
          // Retrying would be refused the same way until someone fixes the credentials.
          this.log.error({ link: this.cfg.name, status }, `${reason}; not retrying`);
          this.setState('failed', reason);
        } else {
          this.log.warn({ link: this.cfg.name, status }, reason);
          this.lastError = reason;
        }
        session.destroy();
      },
      (err: LinkError) => {
        // The socket's own error (a refused TLS certificate, say) says more than the lost bind.
        const cause = this.sessionErrors.get(session);
        this.lastError = `bind_${this.kind}: ${err.message}${cause ? ` (${cause})` : ''}`;
        session.destroy();
      },
    );
  }

  private received(session: smpp.Session, pdu: smpp.PDU): void {
    if (session !== this.session) return;
    this.lastRx = Date.now();
    if (pdu.isResponse()) {
      if (pdu.command.startsWith('bind_') && (pdu.command_status === SmppStatus.ROK || pdu.command_status === SmppStatus.RALYBND)) this.acceptedBind = session;
      const p = this.pending.get(pdu.sequence_number);
      if (p) {
        this.pending.delete(pdu.sequence_number);
        clearTimeout(p.timer);
        p.resolve(pdu);
      }
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        this.lastError = 'SMSC unbound';
        session.close();
        return;
      case 'unknown':
        session.send(pdu.response());
        return;
      default:
        if (this.state === 'bound' || this.acceptedBind === session) this.hooks.onRequest(pdu, session);
        else session.send(pdu.response({ command_status: SmppStatus.RINVBNDSTS }));
    }
  }

  /** Sends a request and resolves with its response; rejects with LinkError on timeout or connection loss. */
  private request(session: smpp.Session, command: string, params: smpp.PDUFields): Promise<smpp.PDU> {
    return new Promise((resolve, reject) => {
      const pdu = new smpp.PDU(command, params);
      let failedEarly = false;
      batchWrites(session.socket);
      const ok = session.send(pdu, undefined, undefined, (_p, err) => {
        failedEarly = true;
        const e = this.pending.get(pdu.sequence_number);
        if (e) {
          this.pending.delete(pdu.sequence_number);
          clearTimeout(e.timer);
        }
        reject(new LinkError(`${command} not written: ${err?.message ?? 'socket not writable'}`, false));
      });
      if (!ok || failedEarly) return;
      const timer = setTimeout(() => {
        this.pending.delete(pdu.sequence_number);
        reject(new LinkError(`no ${command}_resp within ${this.cfg.responseTimeoutMs} ms`, true));
        // A lost response means the session can no longer be trusted (Kannel's wait-ack: reconnect).
        this.log.warn({ link: this.cfg.name, bind: this.kind, command }, 'response timeout; reconnecting');
        this.lastError = `response timeout (${command})`;
        session.destroy();
      }, this.cfg.responseTimeoutMs);
      this.pending.set(pdu.sequence_number, { resolve, reject, timer });
    });
  }

  /** A request on the bound session. */
  send(command: string, params: smpp.PDUFields): Promise<smpp.PDU> {
    const session = this.session;
    if (this.state !== 'bound' || !session) return Promise.reject(new LinkError(`link ${this.cfg.name} is not bound`, false));
    return this.request(session, command, params);
  }

  private startWatchdog(session: smpp.Session): void {
    clearInterval(this.watchdog);
    const period = this.cfg.enquireLinkMs;
    this.watchdog = setInterval(
      () => {
        if (session !== this.session || this.probing || Date.now() - this.lastRx < period) return;
        this.probing = true;
        // A missing enquire_link_resp destroys the session in request(); that is the watchdog.
        this.request(session, 'enquire_link', {})
          .catch(() => undefined)
          .finally(() => {
            this.probing = false;
          });
      },
      Math.max(50, Math.floor(period / 2)),
    );
    this.watchdog.unref();
  }

  private closed(session: smpp.Session): void {
    if (session !== this.session) return;
    this.session = undefined;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.probing = false;
    this.acceptedBind = undefined;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) {
      clearTimeout(p.timer);
      p.reject(new LinkError(`connection to ${this.cfg.name} lost before the response`, true));
    }
    if (this.state === 'stopped' || this.state === 'failed') return;
    const delay = Math.min(this.cfg.reconnectMaxMs, this.cfg.reconnectInitialMs * 2 ** this.attempts);
    this.attempts++;
    this.setState('down', this.lastError ?? 'connection closed');
    this.log.info({ link: this.cfg.name, bind: this.kind, delayMs: delay, reason: this.lastError }, 'SMPP connection down; reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Unbinds (waiting at most the response timeout for outstanding requests) and closes. */
  async stop(): Promise<void> {
    const prev = this.state;
    this.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdog);
    const session = this.session;
    if (!session) return;
    if (prev === 'bound') {
      const deadline = Date.now() + this.cfg.responseTimeoutMs;
      while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await this.request(session, 'unbind', {}).catch(() => undefined);
    }
    await new Promise<void>((resolve) => {
      if (session.closed) return resolve();
      const t = setTimeout(() => session.destroy(), 1000);
      session.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.hooks.onState('stopped');
  }

  /** Closes the socket abruptly (tests, admin). The link reconnects unless stopped. */
  drop(): void {
    this.session?.destroy();
  }
}
