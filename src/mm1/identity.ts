import { BlockList, isIP } from 'node:net';
import type { Mm1Config } from '../config/index.js';
import { normaliseNumber, plmnAddress, sameSubscriber, type NumberingPlan } from '../address/index.js';

/**
 * Who is sending: the subscriber number comes only from an MSISDN header set by a trusted proxy
 * (WAP gateway, GGSN/PGW enrichment); a From in the PDU is never trusted on its own
 * (protocol-notes gotcha 12, landscape pain point 8).
 */
export type SenderIdentity =
  | { ok: true; address: string; source: 'header' | 'pdu'; overwrote?: string }
  | { ok: false; reason: 'unidentified' | 'from-mismatch'; detail: string };

/** One MSISDN header value, as sent and as normalised. */
export interface MsisdnValue {
  header: string;
  value: string;
  msisdn: string;
}

/**
 * What the headers of a request say about its sender, before any body is read:
 * - `untrusted`: the peer is not a trusted proxy, its headers mean nothing;
 * - `none`: a trusted proxy sent no usable MSISDN header;
 * - `conflict`: the headers name different numbers and `mm1.msisdnConflict` is 'refuse';
 * - `msisdn`: the number, and under 'prefer-first' the values it overrode.
 */
export type HeaderVerdict =
  | { kind: 'untrusted' }
  | { kind: 'none' }
  | { kind: 'conflict'; values: MsisdnValue[] }
  | { kind: 'msisdn'; msisdn: string; header: string; overrode?: MsisdnValue[] };

export class SenderResolver {
  private readonly trusted = new BlockList();
  private readonly headers: string[];
  /** BlockList.check builds a SocketAddress per call; requests come from a few proxies, so remember verdicts. */
  private readonly verdicts = new Map<string, boolean>();
  private readonly plan: NumberingPlan;

  constructor(private readonly cfg: Pick<Mm1Config, 'msisdnHeaders' | 'trustedProxies' | 'fromMismatch' | 'allowClientFrom' | 'msisdnCountryPrefix'> & Partial<Pick<Mm1Config, 'msisdnConflict'>>) {
    for (const entry of cfg.trustedProxies) {
      const [ip, bits] = entry.split('/');
      const type = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(ip!, type);
      else this.trusted.addSubnet(ip!, Number(bits), type);
    }
    this.headers = cfg.msisdnHeaders.map((h) => h.toLowerCase());
    this.plan = { countryCode: cfg.msisdnCountryPrefix.replace(/^\+/, ''), nationalPrefix: '0' };
  }

  isTrusted(peer: string | undefined): boolean {
    if (!peer) return false;
    const known = this.verdicts.get(peer);
    if (known !== undefined) return known;
    const ip = peer.startsWith('::ffff:') && isIP(peer.slice(7)) === 4 ? peer.slice(7) : peer;
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    const verdict = this.trusted.check(ip, type);
    // Bounded: a flood from many addresses only costs the uncached path, never memory.
    if (this.verdicts.size >= 4096) this.verdicts.clear();
    this.verdicts.set(peer, verdict);
    return verdict;
  }

  /**
   * The sender as the headers name it. Every configured header and every value of each (a repeated
   * header arrives joined with commas) is read: a client may add its own X-MSISDN next to the one
   * the WAP gateway sets, and taking the first silently would let it choose its number.
   */
  headerVerdict(peer: string | undefined, headers: Record<string, string | string[] | undefined>): HeaderVerdict {
    if (!this.isTrusted(peer)) return { kind: 'untrusted' };
    let found: MsisdnValue[] | undefined;
    for (const header of this.headers) {
      const raw = headers[header];
      if (raw === undefined) continue;
      for (const value of (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(','))) {
        const msisdn = this.normalise(value);
        if (msisdn) (found ??= []).push({ header, value: value.trim(), msisdn });
      }
    }
    if (!found) return { kind: 'none' };
    const first = found[0]!;
    const others = found.filter((f) => f.msisdn !== first.msisdn);
    if (others.length === 0) return { kind: 'msisdn', msisdn: first.msisdn, header: first.header };
    if ((this.cfg.msisdnConflict ?? 'refuse') === 'refuse') return { kind: 'conflict', values: found };
    return { kind: 'msisdn', msisdn: first.msisdn, header: first.header, overrode: others };
  }

  /** The authenticated MSISDN ('+15551234567') from the request headers, if the peer is trusted and the headers agree. */
  msisdnFromHeaders(peer: string | undefined, headers: Record<string, string | string[] | undefined>): string | undefined {
    const v = this.headerVerdict(peer, headers);
    return v.kind === 'msisdn' ? v.msisdn : undefined;
  }

  /**
   * Resolves the originator of a submission. `pduFrom` is the From of the PDU in wire form, or
   * 'insert' for the insert-address-token, or undefined when absent.
   */
  resolve(peer: string | undefined, headers: Record<string, string | string[] | undefined>, pduFrom: string | 'insert' | undefined): SenderIdentity {
    const verdict = this.headerVerdict(peer, headers);
    // Conflicting numbers from the trusted proxy are not an absence: the PDU's From does not settle them, lab mode or not.
    if (verdict.kind === 'conflict') return { ok: false, reason: 'unidentified', detail: `conflicting MSISDN headers: ${describeValues(verdict.values)}` };
    const msisdn = verdict.kind === 'msisdn' ? verdict.msisdn : undefined;
    if (msisdn) {
      const address = plmnAddress(msisdn);
      if (pduFrom && pduFrom !== 'insert' && !sameSubscriber(pduFrom, address)) {
        if (this.cfg.fromMismatch === 'refuse') {
          return { ok: false, reason: 'from-mismatch', detail: `From ${pduFrom} contradicts the authenticated number ${msisdn}` };
        }
        return { ok: true, address, source: 'header', overwrote: pduFrom };
      }
      return { ok: true, address, source: 'header' };
    }
    if (this.cfg.allowClientFrom && pduFrom && pduFrom !== 'insert') return { ok: true, address: pduFrom, source: 'pdu' };
    return {
      ok: false,
      reason: 'unidentified',
      detail: verdict.kind === 'none' ? `no MSISDN header (${this.headers.join(', ')})` : `peer ${peer ?? '?'} is not a trusted proxy`,
    };
  }

  /**
   * Header values seen in the wild: '15551234567', '+15551234567', 'tel:+1...;params', '0044...',
   * national numbers (with `mm1.msisdnCountryPrefix`, trunk prefix '0'). The number must have a
   * possible length for its country calling code (src/address); a short code is no subscriber.
   */
  normalise(value: string): string | undefined {
    const first = value.trim().replace(/^tel:/i, '').split(/[;,\s]/)[0]!;
    const n = normaliseNumber(first, this.plan);
    return n.ok && n.kind === 'e164' ? n.value : undefined;
  }
}

/** 'x-msisdn=15551234567, x-wap-network-client-msisdn=+15559876543' for log lines and refusal details. */
export function describeValues(values: readonly MsisdnValue[]): string {
  return values.map((v) => `${v.header}=${v.value.slice(0, 40)}`).join(', ');
}
