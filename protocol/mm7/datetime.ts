/**
 * Time values in MM7 (notes §6.3): ExpiryDate and EarliestDeliveryTime are an xs:dateTime or an
 * xs:duration relative to the submission ("P90D" in the 3GPP example); TimeStamp and Date are
 * xs:dateTime.
 */

export interface XsDuration {
  negative: boolean;
  years: number;
  months: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

export interface Mm7Time {
  kind: 'absolute' | 'relative';
  /** The instant; for a relative value, resolved against the reference time given to the parser. */
  date: Date;
  raw: string;
}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const DURATION = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * xs:dateTime. A value without a zone designator is taken as UTC: the schema leaves it undefined
 * and an MMSC in one zone reading VASPs in another has no better guess.
 */
export function parseXsDateTime(s: string): Date | undefined {
  const m = DATE_TIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  if (hour === 24 && (minute !== 0 || second !== 0)) return undefined;
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, Math.min(second, 59), frac ? Math.round(Number(frac) * 1000) : 0);
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return undefined; // 31 April
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

export function parseXsDuration(s: string): XsDuration | undefined {
  const v = s.trim();
  const m = DURATION.exec(v);
  // "P" alone and "PT" with nothing after are not durations.
  if (!m || v.endsWith('P') || v.endsWith('T')) return undefined;
  const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
  return { negative: m[1] === '-', years: n(m[2]), months: n(m[3]), days: n(m[4]), hours: n(m[5]), minutes: n(m[6]), seconds: n(m[7]) };
}

/** Adds a duration the way xs:duration does: calendar months and years, then fixed-length units. */
export function addDuration(date: Date, d: XsDuration): Date {
  const sign = d.negative ? -1 : 1;
  const r = new Date(date.getTime());
  if (d.years || d.months) {
    const day = r.getUTCDate();
    r.setUTCDate(1);
    r.setUTCMonth(r.getUTCMonth() + sign * (d.years * 12 + d.months));
    // Clamp to the end of a shorter month (Jan 31 + P1M = Feb 28/29), as XML Schema Appendix E does.
    const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
    r.setUTCDate(Math.min(day, last));
  }
  return new Date(r.getTime() + sign * (((d.days * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000);
}

/** An absolute-or-relative MM7 time; `now` is the reference for durations (the submission time). */
export function parseMm7Time(s: string, now: Date): Mm7Time | undefined {
  const raw = s.trim();
  const abs = parseXsDateTime(raw);
  if (abs) return { kind: 'absolute', date: abs, raw };
  const dur = parseXsDuration(raw);
  if (dur) return { kind: 'relative', date: addDuration(now, dur), raw };
  return undefined;
}

/** xs:dateTime in UTC without fractional seconds, e.g. `2024-06-07T12:00:00Z`. */
export function formatXsDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
