import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/max/metadata';

/**
 * Phone numbers for the whole gateway: VASP recipients arrive in every spelling ('+44 7700 900123',
 * '0044...', national '07700 900123', '(555) 123-4567', MM7 '+15551234567/TYPE=PLMN'), MSISDN
 * headers as '15551234567', 'tel:+1...', national numbers. The relay wants E.164; short codes stay as
 * dialled (they are routed to the VASP or SMSC as they are).
 *
 * The numbering facts come from libphonenumber-js with its 'max' metadata (Google's libphonenumber
 * data, the set that validates best; the size does not matter on a server):
 *  - acceptance: a number is taken when its length is possible for its country calling code
 *    (`isPossible`): the union of the possible national lengths of the countries sharing the code.
 *    This keeps lab numbers working (+1 555 0100 and friends are possible, not valid) and refuses
 *    what no plan can dial (+44 12345).
 *  - `isValidNumber`: the full check against the assigned ranges, for whoever wants it (not used to
 *    refuse traffic).
 *  - `countryOf`: the ISO country of a number.
 * The possible-length check runs from a table built once from the metadata: a full libphonenumber
 * parse costs about 10 us, too much for VASP batches of up to a million recipients
 * (bench/address.ts measures both).
 */

export interface NumberingPlan {
  /** Country calling code for national numbers ('' = national numbers cannot be resolved). */
  countryCode: string;
  /** Trunk prefix of national numbers ('0' in most of Europe, '' in NANP where '1' is the country code). */
  nationalPrefix: string;
}

export type NormalisedNumber =
  | { ok: true; kind: 'e164'; value: string }
  | { ok: true; kind: 'shortcode'; value: string }
  | { ok: false; reason: string };

/** Longest short code we keep as one; longer digit strings are subscriber numbers. */
const MAX_SHORT_CODE = 8;

const NON_DIGITS = /[\s().-]/g;
const ALL_DIGITS = /^\d+$/;

/** Possible national lengths per country calling code, and the countries sharing each code. */
interface CallingCode {
  lengths: ReadonlySet<number>;
  countries: readonly CountryCode[];
}

const CALLING_CODES: ReadonlyMap<string, CallingCode> = (() => {
  const plans = new Metadata(metadata);
  const lengths = new Map<string, Set<number>>();
  const countries = new Map<string, CountryCode[]>();
  for (const country of getCountries(metadata)) {
    const cc = getCountryCallingCode(country, metadata);
    plans.selectNumberingPlan(country);
    const set = lengths.get(cc) ?? new Set<number>();
    for (const n of plans.numberingPlan!.possibleLengths()) set.add(n);
    lengths.set(cc, set);
    countries.set(cc, [...(countries.get(cc) ?? []), country]);
  }
  return new Map([...lengths].map(([cc, set]) => [cc, { lengths: set, countries: countries.get(cc)! }]));
})();

/**
 * Turns a dialled or written number into E.164 ('+447700900123') or a short code ('12345'), with the
 * numbering plan resolving national forms. Rules (each pinned by test/address/number.test.ts):
 * '+' or '00' starts an international number; 3-8 digits are a short code unless they start with
 * the trunk prefix and are longer than 5; the trunk prefix is replaced by the country code; a number
 * that already starts with the country code and is longer than 10 digits is taken as international
 * (NANP: '15551234567'); anything else gets the country code in front. Without a country code a
 * long digit string is taken as international without '+'.
 */
export function normaliseNumber(input: string, plan: NumberingPlan): NormalisedNumber {
  const raw = input.trim().replace(/^tel:/i, '').replace(/\/TYPE=PLMN$/i, '');
  if (raw.length > 32) return { ok: false, reason: 'too long for a phone number' };
  const s = raw.replace(NON_DIGITS, '');
  if (s.charCodeAt(0) === 0x2b && ALL_DIGITS.test(s.slice(1))) return e164(s.slice(1), input);
  if (!ALL_DIGITS.test(s)) return { ok: false, reason: `"${input}" is not a phone number` };
  if (s.startsWith('00')) return e164(s.slice(2), input);
  const trunk = plan.nationalPrefix !== '' && s.startsWith(plan.nationalPrefix);
  if (s.length >= 3 && s.length <= MAX_SHORT_CODE && !(trunk && s.length > 5)) return { ok: true, kind: 'shortcode', value: s };
  if (s.length < 3) return { ok: false, reason: `"${input}" is too short` };
  if (!plan.countryCode) return e164(s, input);
  if (trunk) return e164(plan.countryCode + s.slice(plan.nationalPrefix.length), input);
  if (s.startsWith(plan.countryCode) && s.length > 10) return e164(s, input);
  return e164(plan.countryCode + s, input);
}

function e164(digits: string, input: string): NormalisedNumber {
  if (digits.length > 15 || !isPossibleDigits(digits)) return { ok: false, reason: `"${input}" is not a possible international number` };
  return { ok: true, kind: 'e164', value: `+${digits}` };
}

/** The country calling code of E.164 digits (without '+'); E.164 codes are prefix-free. */
export function callingCodeOf(number: string): string | undefined {
  const digits = number.charCodeAt(0) === 0x2b ? number.slice(1) : number;
  for (let n = 1; n <= 3 && n < digits.length; n++) {
    const cc = digits.slice(0, n);
    if (CALLING_CODES.has(cc)) return cc;
  }
  return undefined;
}

function isPossibleDigits(digits: string): boolean {
  if (digits.charCodeAt(0) === 0x30) return false; // no calling code starts with 0
  const cc = callingCodeOf(digits);
  if (cc !== undefined) return CALLING_CODES.get(cc)!.lengths.has(digits.length - cc.length);
  // Non-geographic codes (+800, +882, ...) are rare: libphonenumber decides them in full.
  return parsePhoneNumberFromString(`+${digits}`, { extract: false }, metadata)?.isPossible() ?? false;
}

/** Whether an E.164 number ('+447700900123') has a possible length for its calling code. */
export function isPossibleNumber(e164Number: string): boolean {
  return /^\+\d{2,15}$/.test(e164Number) && isPossibleDigits(e164Number.slice(1));
}

/** Whether an E.164 number is in an assigned range (libphonenumber 'max'); lab numbers like +1 555 are not. */
export function isValidNumber(e164Number: string): boolean {
  return /^\+\d{2,15}$/.test(e164Number) && (parsePhoneNumberFromString(e164Number, { extract: false }, metadata)?.isValid() ?? false);
}

/**
 * The ISO 3166 country of an E.164 number ('DE'), or undefined when the number does not tell:
 * a calling code shared by several countries (+1, +7, +44 ...) is resolved by libphonenumber from the
 * number's ranges, so an unassigned number there (+1 555 ...) has no country.
 */
export function countryOf(e164Number: string): CountryCode | undefined {
  const cc = callingCodeOf(e164Number);
  if (cc === undefined || !/^\+\d{2,15}$/.test(e164Number)) return undefined;
  const { countries } = CALLING_CODES.get(cc)!;
  if (countries.length === 1) return countries[0];
  return parsePhoneNumberFromString(e164Number, { extract: false }, metadata)?.country;
}

/**
 * IANA time zones of a country ('DE' -> Europe/Berlin, Europe/Busingen) or of a number's country,
 * from the runtime's ICU/CLDR data (Intl Locale Info: the `timeZones` getter in Node 20,
 * `getTimeZones()` in later V8). Empty when the country is unknown or the runtime lacks the API.
 * A country with several zones (US: 29) gets all of them: nothing maps a number to one zone.
 */
export function timeZonesOf(countryOrNumber: string): string[] {
  const country = countryOrNumber.startsWith('+') ? countryOf(countryOrNumber) : countryOrNumber.toUpperCase();
  if (!country || !/^[A-Z]{2}$/.test(country)) return [];
  const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] | undefined };
  const zones = typeof locale.getTimeZones === 'function' ? locale.getTimeZones() : locale.timeZones;
  return zones ? [...zones] : [];
}
