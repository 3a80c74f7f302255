/**
 * SMIL clock values (SMIL 2.0 §10.3.1): full (`01:02:03.5`), partial (`02:03`) and timecount
 * (`5s`, `500ms`, `1.5min`, `2h`, bare `5` = seconds). `indefinite` and anything else -> undefined.
 */
export function parseClockValue(value: string): number | undefined {
  const v = value.trim();
  let m = /^(?:(\d+):)?(\d{1,2}):(\d{2})(\.\d+)?$/.exec(v);
  if (m) {
    const [, h, min, s, frac] = m;
    if (Number(s) > 59 || (h !== undefined && Number(min) > 59)) return undefined;
    return Math.round(((Number(h ?? 0) * 60 + Number(min)) * 60 + Number(s) + Number(frac ?? 0)) * 1000);
  }
  m = /^(\d+(?:\.\d+)?)(h|min|s|ms)?$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'h' ? 3_600_000 : unit === 'min' ? 60_000 : unit === 's' ? 1000 : 1;
  return Math.round(n * factor);
}

/** Milliseconds as a timecount; `ms` is the form every MMS player reads. */
export function formatClockValue(ms: number): string {
  return `${Math.round(ms)}ms`;
}
