import type { QuietHours } from '../config/vasp.js';

/** Minutes since local midnight and the UTC offset part needed to map a local time back to an instant. */
function localMinutes(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const h = Number(parts.find((p) => p.type === 'hour')!.value);
  const m = Number(parts.find((p) => p.type === 'minute')!.value);
  return h * 60 + m;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * When a message submitted at `at` may be delivered: `at` itself outside the quiet window, else the
 * window's end. The window may wrap midnight (21:00-08:00). Computed by stepping whole minutes, so
 * daylight-saving changes inside the window come out right without a time-zone library.
 */
export function quietUntil(at: number, q: QuietHours): number | undefined {
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  if (start === end) return undefined;
  const now = localMinutes(at, q.timeZone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return undefined;
  const wait = (end - now + 1440) % 1440;
  // Land on the minute boundary; a DST shift inside the window moves the local clock, so re-check.
  let t = Math.floor(at / 60_000) * 60_000 + wait * 60_000;
  for (let i = 0; i < 120 && localMinutes(t, q.timeZone) !== end; i++) t += localMinutes(t, q.timeZone) < end ? 60_000 : -60_000;
  return t;
}
