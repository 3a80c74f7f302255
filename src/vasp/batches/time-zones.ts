import { createRequire } from 'node:module';
import { callingCodeOf, countryOf as countryOfNumber, timeZonesOf } from '../../address/index.js';

/**
 * Countries spanning several time zones get the zone most of their people live in; every other
 * country has one zone (CLDR, through src/address) and gets it. A recipient's `timeZone` variable
 * overrides both. docs/campaigns.md lists this table.
 */
export const MAIN_ZONE: Readonly<Record<string, string>> = {
  US: 'America/New_York',
  CA: 'America/Toronto',
  MX: 'America/Mexico_City',
  BR: 'America/Sao_Paulo',
  AR: 'America/Argentina/Buenos_Aires',
  CL: 'America/Santiago',
  EC: 'America/Guayaquil',
  RU: 'Europe/Moscow',
  UA: 'Europe/Kyiv',
  KZ: 'Asia/Almaty',
  CN: 'Asia/Shanghai',
  ID: 'Asia/Jakarta',
  MN: 'Asia/Ulaanbaatar',
  AU: 'Australia/Sydney',
  NZ: 'Pacific/Auckland',
  ES: 'Europe/Madrid',
  PT: 'Europe/Lisbon',
  DE: 'Europe/Berlin',
  CD: 'Africa/Kinshasa',
  PG: 'Pacific/Port_Moresby',
  MY: 'Asia/Kuala_Lumpur',
  FM: 'Pacific/Pohnpei',
  KI: 'Pacific/Tarawa',
  PF: 'Pacific/Tahiti',
  GL: 'America/Nuuk',
  UZ: 'Asia/Tashkent',
  CY: 'Asia/Nicosia',
  MH: 'Pacific/Majuro',
  PS: 'Asia/Hebron',
  UM: 'Pacific/Wake',
  AQ: 'Antarctica/McMurdo',
};

const require = createRequire(import.meta.url);
const metadata = require('libphonenumber-js/metadata.min.json') as { country_calling_codes: Record<string, string[]> };

const zoneOfCountry = new Map<string, string | undefined>();

export function zoneForCountry(country: string): string | undefined {
  if (zoneOfCountry.has(country)) return zoneOfCountry.get(country);
  const zone = MAIN_ZONE[country] ?? timeZonesOf(country)[0];
  zoneOfCountry.set(country, zone);
  return zone;
}

/** Parsing a number costs tens of microseconds; numbers sharing their first digits share a country. */
const byPrefix = new Map<string, string | undefined>();
const PREFIX_CACHE = 20_000;

/**
 * The country of an E.164 number: from its number plan (src/address), else the main country of its
 * calling code (a number outside any allocated range, as lab numbers are).
 */
export function countryOf(e164: string): string | undefined {
  const prefix = e164.slice(0, 8);
  if (byPrefix.has(prefix)) return byPrefix.get(prefix);
  const cc = callingCodeOf(e164);
  const country = countryOfNumber(e164) ?? (cc ? metadata.country_calling_codes[cc]?.[0] : undefined);
  if (byPrefix.size >= PREFIX_CACHE) byPrefix.clear();
  byPrefix.set(prefix, country);
  return country;
}

/** The IANA time zone of a recipient: its valid `timeZone` variable, else its number's country's zone. */
export function recipientZone(e164: string, override?: unknown): string | undefined {
  if (typeof override === 'string' && isTimeZone(override)) return override;
  const c = countryOf(e164);
  return c ? zoneForCountry(c) : undefined;
}

const known = new Map<string, boolean>();

export function isTimeZone(name: string): boolean {
  let ok = known.get(name);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: name });
      ok = true;
    } catch {
      ok = false;
    }
    if (known.size < 1000) known.set(name, ok);
  }
  return ok;
}
