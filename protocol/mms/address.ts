/**
 * MMS address grammar (OMA-MMS-ENC 1.3 8): "<number>/TYPE=PLMN", an RFC 2822 mailbox,
 * "<ip>/TYPE=IPv4|IPv6", "<value>/TYPE=<other>", or a bare short code / alphanumeric sender.
 * The /TYPE suffix is compared case-insensitively: AOSP writes IPV4, the spec IPv4.
 */
export type AddressKind = 'plmn' | 'email' | 'ipv4' | 'ipv6' | 'shortcode' | 'alphanumeric' | 'other';

export interface ParsedAddress {
  kind: AddressKind;
  /** The address without its /TYPE suffix; PLMN numbers without the - and . separators. */
  value: string;
  /** The /TYPE= value when present (as sent). */
  type?: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const PLMN = /^\+?[0-9*#][0-9*#.-]*$/;

export function parseAddress(raw: string): ParsedAddress {
  const s = raw.trim();
  const slash = s.lastIndexOf('/TYPE=') >= 0 ? s.lastIndexOf('/TYPE=') : s.toUpperCase().lastIndexOf('/TYPE=');
  if (slash >= 0) {
    const value = s.slice(0, slash);
    const type = s.slice(slash + 6);
    switch (type.toLowerCase()) {
      case 'plmn':
        return { kind: 'plmn', value: value.replace(/[.-]/g, ''), type };
      case 'ipv4':
        return { kind: 'ipv4', value, type };
      case 'ipv6':
        return { kind: 'ipv6', value, type };
      case 'email':
        return { kind: 'email', value, type };
      default:
        return { kind: 'other', value, type };
    }
  }
  const lt = s.lastIndexOf('<');
  const mailbox = lt >= 0 && s.endsWith('>') ? s.slice(lt + 1, -1) : s;
  if (/^[^\s@]+@[^\s@]+$/.test(mailbox)) return { kind: 'email', value: mailbox };
  if (IPV4.test(s)) return { kind: 'ipv4', value: s };
  if (PLMN.test(s)) {
    const digits = s.replace(/[.-]/g, '');
    // A bare short number is a service short code; a long one is a number sent without /TYPE.
    return digits.replace(/^\+/, '').length <= 8 && !digits.startsWith('+') ? { kind: 'shortcode', value: digits } : { kind: 'plmn', value: digits };
  }
  return { kind: 'alphanumeric', value: s };
}

/** The wire form for a subscriber number or e-mail address. */
export function formatAddress(a: ParsedAddress): string {
  switch (a.kind) {
    case 'plmn':
      return `${a.value}/TYPE=PLMN`;
    case 'ipv4':
      return `${a.value}/TYPE=IPv4`;
    case 'ipv6':
      return `${a.value}/TYPE=IPv6`;
    case 'other':
      return a.type ? `${a.value}/TYPE=${a.type}` : a.value;
    default:
      return a.value;
  }
}
