/**
 * Address handling the relay needs on wire-form addresses (OMA-MMS-ENC section 8):
 * '+15551234567/TYPE=PLMN', bare numbers and short codes, 'user@example.com', '10.1.2.3/TYPE=IPv4'.
 */

const TYPE_SUFFIX = /\/TYPE=([A-Za-z0-9]+)$/i;

export type AddressKind = 'plmn' | 'shortcode' | 'email' | 'ipv4' | 'ipv6' | 'other';

export function addressKind(address: string): AddressKind {
  const m = TYPE_SUFFIX.exec(address);
  if (m) {
    const t = m[1]!.toUpperCase();
    // A PLMN address must be a number (ENC 8: global-phone-number / local-phone-number).
    if (t === 'PLMN') return /^\+?[0-9*#][0-9*#.-]*$/.test(address.slice(0, m.index)) ? 'plmn' : 'other';
    if (t === 'IPV4') return 'ipv4';
    if (t === 'IPV6') return 'ipv6';
    return 'other';
  }
  if (address.includes('@')) return 'email';
  const digits = address.replace(/[-. ]/g, '');
  if (/^\+\d{4,15}$/.test(digits)) return 'plmn';
  if (/^\d{3,8}$/.test(digits)) return 'shortcode';
  if (/^\d{9,15}$/.test(digits)) return 'plmn';
  return 'other';
}

/** Addresses the relay can notify: phone numbers and short codes (WAP Push over SMS). */
export function isRoutable(address: string): boolean {
  const k = addressKind(address);
  return k === 'plmn' || k === 'shortcode';
}

/** The number part of a PLMN/short-code address without type suffix or visual separators. */
export function msisdnOf(address: string): string {
  return address.replace(TYPE_SUFFIX, '').replace(/[-. ]/g, '');
}

/** Whether two wire-form addresses name the same subscriber. */
export function sameSubscriber(a: string, b: string): boolean {
  const ka = addressKind(a);
  const kb = addressKind(b);
  if ((ka === 'plmn' || ka === 'shortcode') && (kb === 'plmn' || kb === 'shortcode')) {
    return msisdnOf(a).replace(/^\+/, '') === msisdnOf(b).replace(/^\+/, '');
  }
  return a.replace(TYPE_SUFFIX, '').toLowerCase() === b.replace(TYPE_SUFFIX, '').toLowerCase();
}

/** Wire form of a subscriber number: '+15551234567' -> '+15551234567/TYPE=PLMN'. */
export function plmnAddress(msisdn: string): string {
  return `${msisdn}/TYPE=PLMN`;
}
