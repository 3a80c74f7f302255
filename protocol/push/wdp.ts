/**
 * WDP over GSM SMS: the User Data Header that carries WAP Push (3GPP TS 23.040 §9.2.3.24, WAP-259 WDP
 * Annex A). A datagram (the WSP push PDU, opaque here) is addressed with the 16-bit application port
 * element and, when it does not fit one SMS, split into segments joined by a concatenation element.
 * Pure: Buffers in, Buffers out; the reassembler takes the clock from its caller.
 */

/** WAP Push connectionless port (IANA wap-push 2948). */
export const WAP_PUSH_PORT = 2948;
/** WSP connectionless server port, the source of a push. */
export const WSP_CONNECTIONLESS_PORT = 9200;
/** 8-bit SMS user data limit (TS 23.040 §9.2.3.16: 140 octets, UDH included). */
export const SMS_USER_DATA_OCTETS = 140;
/** A concatenated message has at most 255 segments (the count is one octet). */
export const MAX_SEGMENTS = 255;

/** Information Element Identifiers used here (TS 23.040 Table 9.2.3.24). */
export const Iei = {
  concat8: 0x00,
  ports8: 0x04,
  ports16: 0x05,
  concat16: 0x08,
} as const;

export class WdpDecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly field: string,
  ) {
    super(`${field} at offset ${offset}: ${message}`);
    this.name = 'WdpDecodeError';
  }
}

export interface InformationElement {
  iei: number;
  data: Buffer;
}

export interface PortAddress {
  destination: number;
  source: number;
  /** 8 for IEI 0x04, 16 for IEI 0x05. */
  bits: 8 | 16;
}

export interface Concatenation {
  reference: number;
  total: number;
  /** 1-based. */
  sequence: number;
  bits: 8 | 16;
}

export interface UserDataHeader {
  /** Every element in wire order, the recognised ones included (unknown ones are kept, not dropped). */
  elements: InformationElement[];
  ports?: PortAddress;
  concat?: Concatenation;
}

export interface UserData {
  header: UserDataHeader;
  /** View into the input after the header. */
  body: Buffer;
}

// ---------------------------------------------------------------- element codecs

function portsElement(p: PortAddress): InformationElement {
  if (p.bits === 8) return { iei: Iei.ports8, data: Buffer.of(p.destination, p.source) };
  const data = Buffer.alloc(4);
  data.writeUInt16BE(p.destination, 0);
  data.writeUInt16BE(p.source, 2);
  return { iei: Iei.ports16, data };
}

function concatElement(c: Concatenation): InformationElement {
  if (c.bits === 8) return { iei: Iei.concat8, data: Buffer.of(c.reference & 0xff, c.total, c.sequence) };
  const data = Buffer.alloc(4);
  data.writeUInt16BE(c.reference & 0xffff, 0);
  data[2] = c.total;
  data[3] = c.sequence;
  return { iei: Iei.concat16, data };
}

/** Encodes a UDH (UDHL octet first). Ports come before concatenation, as Kannel sends it. */
export function encodeUdh(h: { ports?: PortAddress; concat?: Concatenation; extra?: InformationElement[] }): Buffer {
  const elements: InformationElement[] = [];
  if (h.ports) elements.push(portsElement(h.ports));
  if (h.concat) elements.push(concatElement(h.concat));
  if (h.extra) elements.push(...h.extra);
  const length = elements.reduce((n, e) => n + 2 + e.data.length, 0);
  if (length > SMS_USER_DATA_OCTETS - 1) throw new RangeError(`UDH of ${length} octets does not fit an SMS`);
  const out = Buffer.alloc(1 + length);
  out[0] = length;
  let o = 1;
  for (const e of elements) {
    out[o++] = e.iei;
    out[o++] = e.data.length;
    e.data.copy(out, o);
    o += e.data.length;
  }
  return out;
}

/**
 * Decodes user data that starts with a UDH (the caller saw UDHI set in esm_class / TP-UDHI).
 * Elements with a wrong length for their IEI are kept as unknown rather than trusted.
 */
export function decodeUserData(ud: Buffer): UserData {
  if (ud.length < 1) throw new WdpDecodeError('empty user data', 0, 'UDHL');
  const udhl = ud[0]!;
  if (1 + udhl > ud.length) throw new WdpDecodeError(`UDHL ${udhl} exceeds user data of ${ud.length} octets`, 0, 'UDHL');
  const header: UserDataHeader = { elements: [] };
  let o = 1;
  const end = 1 + udhl;
  while (o < end) {
    if (o + 2 > end) throw new WdpDecodeError('truncated information element', o, 'IEI');
    const iei = ud[o]!;
    const len = ud[o + 1]!;
    if (o + 2 + len > end) throw new WdpDecodeError(`element length ${len} overruns the UDH`, o + 1, 'IEDL');
    const data = ud.subarray(o + 2, o + 2 + len);
    header.elements.push({ iei, data });
    if (iei === Iei.ports16 && len === 4) {
      header.ports = { destination: data.readUInt16BE(0), source: data.readUInt16BE(2), bits: 16 };
    } else if (iei === Iei.ports8 && len === 2) {
      header.ports = { destination: data[0]!, source: data[1]!, bits: 8 };
    } else if ((iei === Iei.concat8 && len === 3) || (iei === Iei.concat16 && len === 4)) {
      const bits = iei === Iei.concat8 ? 8 : 16;
      const reference = bits === 8 ? data[0]! : data.readUInt16BE(0);
      const total = data[len - 2]!;
      const sequence = data[len - 1]!;
      // TS 23.040 §9.2.3.24.1: a zero count or a sequence beyond the count means "ignore the element".
      if (total > 0 && sequence > 0 && sequence <= total) header.concat = { reference, total, sequence, bits };
    }
    o += 2 + len;
  }
  return { header, body: ud.subarray(end) };
}

// ---------------------------------------------------------------- segmentation

export interface SegmentOptions {
  /** Concatenation reference; the caller keeps the counter (per originator/destination pair). */
  reference: number;
  /** 8-bit reference (default, `00 03`) or 16-bit (`08 04`). */
  referenceBits?: 8 | 16;
  destinationPort?: number;
  sourcePort?: number;
  /** User data limit per SMS, UDH included (default 140). */
  maxOctets?: number;
}

/**
 * Splits a datagram into SMS user data (UDH + body), one Buffer per SMS. A datagram that fits one SMS
 * with the port element alone carries no concatenation element.
 */
export function segment(datagram: Buffer, opts: SegmentOptions): Buffer[] {
  const max = opts.maxOctets ?? SMS_USER_DATA_OCTETS;
  const bits = opts.referenceBits ?? 8;
  const ports: PortAddress = { destination: opts.destinationPort ?? WAP_PUSH_PORT, source: opts.sourcePort ?? WSP_CONNECTIONLESS_PORT, bits: 16 };
  const single = encodeUdh({ ports });
  if (single.length + datagram.length <= max) return [Buffer.concat([single, datagram])];

  const udhLength = encodeUdh({ ports, concat: { reference: 0, total: 1, sequence: 1, bits } }).length;
  const room = max - udhLength;
  if (room <= 0) throw new RangeError(`maxOctets ${max} leaves no room after a ${udhLength}-octet UDH`);
  const total = Math.ceil(datagram.length / room);
  if (total > MAX_SEGMENTS) throw new RangeError(`datagram of ${datagram.length} octets needs ${total} segments (max ${MAX_SEGMENTS})`);
  const out: Buffer[] = [];
  for (let i = 0; i < total; i++) {
    const udh = encodeUdh({ ports, concat: { reference: opts.reference, total, sequence: i + 1, bits } });
    out.push(Buffer.concat([udh, datagram.subarray(i * room, (i + 1) * room)]));
  }
  return out;
}

// ---------------------------------------------------------------- reassembly

export interface Datagram {
  originator: string;
  ports?: PortAddress;
  payload: Buffer;
  /** Number of SMS it arrived in. */
  segments: number;
  reference?: number;
}

export interface ReassemblerLimits {
  /** Concatenated sets waiting for segments at once; the oldest is dropped beyond it. */
  maxPendingSets: number;
  /** Largest accepted segment count of one set. */
  maxSegments: number;
  /** A set not completed within this age is dropped. */
  maxAgeMs: number;
}

export type ReassemblyResult =
  | { status: 'complete'; datagram: Datagram }
  | { status: 'pending'; received: number; total: number }
  | { status: 'rejected'; reason: string };

interface PendingSet {
  firstAt: number;
  total: number;
  received: number;
  parts: (Buffer | undefined)[];
  ports?: PortAddress;
}

export const defaultReassemblerLimits: ReassemblerLimits = { maxPendingSets: 1000, maxSegments: 32, maxAgeMs: 10 * 60_000 };

/**
 * Joins segments into datagrams, keyed by originator + reference (+ reference width and count, so a
 * reused reference with another count starts a new set instead of corrupting one).
 */
export class Reassembler {
  private readonly pending = new Map<string, PendingSet>();
  private readonly limits: ReassemblerLimits;
  /** Sets dropped for age or capacity since construction. */
  dropped = 0;

  constructor(limits: Partial<ReassemblerLimits> = {}) {
    this.limits = { ...defaultReassemblerLimits, ...limits };
  }

  get pendingSets(): number {
    return this.pending.size;
  }

  /** Accepts one SMS's user data (UDH included). */
  accept(originator: string, userData: Buffer, now: number): ReassemblyResult {
    let ud: UserData;
    try {
      ud = decodeUserData(userData);
    } catch (err) {
      return { status: 'rejected', reason: (err as Error).message };
    }
    return this.acceptDecoded(originator, ud, now);
  }

  acceptDecoded(originator: string, ud: UserData, now: number): ReassemblyResult {
    this.prune(now);
    const { concat, ports } = ud.header;
    if (!concat || concat.total === 1) {
      const datagram: Datagram = { originator, payload: ud.body, segments: 1 };
      if (ports) datagram.ports = ports;
      return { status: 'complete', datagram };
    }
    if (concat.total > this.limits.maxSegments) return { status: 'rejected', reason: `${concat.total} segments exceed the limit of ${this.limits.maxSegments}` };
    const key = `${originator}\u0000${concat.bits}:${concat.reference}:${concat.total}`;
    let set = this.pending.get(key);
    if (!set) {
      while (this.pending.size >= this.limits.maxPendingSets) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        this.dropped++;
      }
      set = { firstAt: now, total: concat.total, received: 0, parts: new Array<Buffer | undefined>(concat.total) };
      this.pending.set(key, set);
    }
    if (ports && concat.sequence === 1) set.ports = ports;
    else if (ports && !set.ports) set.ports = ports;
    // A repeated segment (SMSC retry) replaces the earlier copy without counting twice.
    if (!set.parts[concat.sequence - 1]) set.received++;
    set.parts[concat.sequence - 1] = Buffer.from(ud.body);
    if (set.received < set.total) return { status: 'pending', received: set.received, total: set.total };
    this.pending.delete(key);
    const datagram: Datagram = { originator, payload: Buffer.concat(set.parts as Buffer[]), segments: set.total, reference: concat.reference };
    if (set.ports) datagram.ports = set.ports;
    return { status: 'complete', datagram };
  }

  /** Drops sets older than maxAgeMs; returns how many. Map order is insertion order, so it stops early. */
  prune(now: number): number {
    let n = 0;
    for (const [key, set] of this.pending) {
      if (now - set.firstAt < this.limits.maxAgeMs) break;
      this.pending.delete(key);
      n++;
    }
    this.dropped += n;
    return n;
  }
}
