/**
 * Recipient numbers from VASPs arrive in every spelling: '+44 7700 900123', '0044...', national
 * '07700 900123', '(555) 123-4567', MM7 '+15551234567/TYPE=PLMN'. The relay wants E.164; short
 * codes stay as they are (they are routed to the VASP or SMSC as dialled).
 */

export interface NumberingPlan {
  /** Country code for national numbers ('' = national numbers cannot be resolved). */
  countryCode: string;
  /** Trunk prefix of national numbers ('0' in most of Europe, '' in NANP where '1' is the country code). */
  nationalPrefix: string;
}

export type NormalisedNumber = { ok: true; kind: 'e164' | 'shortcode'; value: string } | { ok: false; reason: string };

/** Longest short code we keep as one; longer digit strings are subscriber numbers. */
const MAX_SHORT_CODE = 8;

export function normaliseNumber(input: string, plan: NumberingPlan): NormalisedNumber {
  const raw = input.trim().replace(/\/TYPE=PLMN$/i, '');
  if (raw.length > 32) return { ok: false, reason: 'too long for a phone number' };
  const s = raw.replace(/[\s().-]/g, '');
  if (/^\+\d+$/.test(s)) return e164(s.slice(1), input);
  if (!/^\d+$/.test(s)) return { ok: false, reason: `"${input}" is not a phone number` };
  if (s.startsWith('00')) return e164(s.slice(2), input);
  if (s.length >= 3 && s.length <= MAX_SHORT_CODE && !(plan.nationalPrefix && s.startsWith(plan.nationalPrefix) && s.length > 5)) {
    return { ok: true, kind: 'shortcode', value: s };
  }
  if (s.length < 3) return { ok: false, reason: `"${input}" is too short` };
  if (!plan.countryCode) {
    // No numbering plan configured: a long digit string is taken as international without '+'.
    return e164(s, input);
  }
  if (plan.nationalPrefix && s.startsWith(plan.nationalPrefix)) return e164(plan.countryCode + s.slice(plan.nationalPrefix.length), input);
  // NANP style (no trunk prefix): the country code may or may not have been written.
  if (s.startsWith(plan.countryCode) && s.length > 10) return e164(s, input);
  return e164(plan.countryCode + s, input);
}

function e164(digits: string, input: string): NormalisedNumber {
  // E.164: at most 15 digits; country codes never start with 0.
  if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) return { ok: false, reason: `"${input}" is not a valid E.164 number` };
  return { ok: true, kind: 'e164', value: `+${digits}` };
}
