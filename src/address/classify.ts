import { parseAddress } from '../../protocol/mms/index.js';

/**
 * What kind of recipient or sender an address names, for routing: the relay (who gets a WAP Push),
 * the VASP and MM1 layers, and MM4/MM3 routing. The wire grammar (OMA-MMS-ENC 8: '/TYPE=' suffixes,
 * mailboxes, IPv4) is protocol/mms's `parseAddress`; this module adds what the gateway decides on
 * top of it: digit counts for numbers and short codes, and the MM4 forms that carry a domain
 * (TS 23.140 8.4.2; shared docs mm4-mm3-notes 3): '+4917012345/TYPE=PLMN@mms.mnc001.mcc262.gprs',
 * '+4917012345@peer.example' (VectorCore omits /TYPE), 'user@example.com'.
 */

export type AddressKind = 'plmn' | 'shortcode' | 'email' | 'ipv4' | 'ipv6' | 'other';

export interface Address {
  kind: AddressKind;
  /**
   * plmn/shortcode: the number without /TYPE suffix, domain or separators ('+4917012345', '12345');
   * email: the mailbox ('user@example.com', display name dropped); ipv4/ipv6/other: without /TYPE.
   */
  value: string;
  /** The number in E.164 form, when written internationally ('+' in front). */
  e164?: string;
  /** The /TYPE= value as written ('PLMN', 'IPV4'), when present. */
  type?: string;
  /**
   * For addresses with '@' (e-mail and MM4 forms): the part before the last '@' as written
   * ('+4917012345/TYPE=PLMN', 'user') and the domain, lower-cased.
   */
  local?: string;
  domain?: string;
  /** MCC/MNC named by a 3GPP MMS domain ('mms.mnc001.mcc262.gprs', '...3gppnetwork.org'). */
  operator?: { mcc: string; mnc: string };
}

const SEPARATORS = /[-. ]/g;
const NUMBER = /^\+?[0-9*#][0-9*#.-]*$/;
const PLMN_AT = /^(.*)\/TYPE=PLMN@([^@\s]+)$/i;
const OPERATOR_DOMAIN = /(?:^|\.)mnc(\d{2,3})\.mcc(\d{3})\.(?:gprs|3gppnetwork\.org)$/;

export function classifyAddress(address: string): Address {
  const s = address.trim();
  // MM4: a number with /TYPE=PLMN and the peer's domain.
  const mm4 = PLMN_AT.exec(s);
  if (mm4) return withDomain(number(mm4[1]!, 'PLMN', 'plmn'), `${mm4[1]!}/TYPE=PLMN`, mm4[2]!);
  const p = parseAddress(s);
  switch (p.kind) {
    case 'plmn':
      // A PLMN address must be a number (ENC 8: global-phone-number / local-phone-number).
      return p.type !== undefined ? number(p.value, p.type, 'plmn') : bare(s);
    case 'shortcode':
    case 'alphanumeric':
      return bare(s);
    case 'email': {
      const at = p.value.lastIndexOf('@');
      if (at <= 0) return { kind: 'other', value: p.value, ...(p.type !== undefined ? { type: p.type } : {}) };
      const local = p.value.slice(0, at);
      // '+4917012345@peer.example': a number sent over MM4 without /TYPE.
      if (/^\+\d+$/.test(local)) return withDomain(number(local, undefined, 'plmn'), local, p.value.slice(at + 1));
      return withDomain({ kind: 'email', value: p.value, ...(p.type !== undefined ? { type: p.type } : {}) }, local, p.value.slice(at + 1));
    }
    case 'ipv4':
    case 'ipv6':
      return { kind: p.kind, value: p.value, ...(p.type !== undefined ? { type: p.type } : {}) };
    default:
      return { kind: 'other', value: p.value, ...(p.type !== undefined ? { type: p.type } : {}) };
  }
}

/** A number written with /TYPE=PLMN (or in MM4 form): digits and '+' only once separators go. */
function number(value: string, type: string | undefined, kind: 'plmn'): Address {
  const t = type !== undefined ? { type } : {};
  if (!NUMBER.test(value)) return { kind: 'other', value, ...t };
  const digits = value.replace(SEPARATORS, '');
  return { kind, value: digits, ...t, ...(/^\+\d+$/.test(digits) ? { e164: digits } : {}) };
}

/**
 * An address without /TYPE: '+' and 4-15 digits is a number; 3-8 digits a short code; 9-15 digits a
 * number written without '+'; anything else (alphanumeric senders, stray text) is other.
 */
function bare(s: string): Address {
  const digits = s.replace(SEPARATORS, '');
  if (/^\+\d{4,15}$/.test(digits)) return { kind: 'plmn', value: digits, e164: digits };
  if (/^\d{3,8}$/.test(digits)) return { kind: 'shortcode', value: digits };
  if (/^\d{9,15}$/.test(digits)) return { kind: 'plmn', value: digits };
  return { kind: 'other', value: s };
}

function withDomain(a: Address, local: string, domain: string): Address {
  const d = domain.toLowerCase();
  const m = OPERATOR_DOMAIN.exec(d);
  return { ...a, local, domain: d, ...(m ? { operator: { mcc: m[2]!, mnc: m[1]!.padStart(3, '0') } } : {}) };
}

export function addressKind(address: string): AddressKind {
  return classifyAddress(address).kind;
}

/** Addresses the relay can notify itself: numbers and short codes without a peer's domain (WAP Push over SMS). */
export function isRoutable(address: string): boolean {
  const a = classifyAddress(address);
  return (a.kind === 'plmn' || a.kind === 'shortcode') && a.domain === undefined;
}

/** The number of a PLMN/short-code address ('+15551234567'); other addresses as classified (no /TYPE, no display name). */
export function msisdnOf(address: string): string {
  return classifyAddress(address).value;
}

/** Whether two wire-form addresses name the same subscriber: numbers by their digits ('+' and domain aside), others case-insensitively. */
export function sameSubscriber(a: string, b: string): boolean {
  const x = classifyAddress(a);
  const y = classifyAddress(b);
  const numeric = (k: AddressKind) => k === 'plmn' || k === 'shortcode';
  if (numeric(x.kind) && numeric(y.kind)) return x.value.replace(/^\+/, '') === y.value.replace(/^\+/, '');
  if (numeric(x.kind) !== numeric(y.kind)) return false;
  return x.value.toLowerCase() === y.value.toLowerCase();
}

/** Wire form of a subscriber number or short code: '+15551234567' -> '+15551234567/TYPE=PLMN'. */
export function plmnAddress(msisdn: string): string {
  return `${msisdn}/TYPE=PLMN`;
}
