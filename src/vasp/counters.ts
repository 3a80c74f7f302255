import type { StreamEvent } from '../records/events.js';
import type { Store } from '../store/types.js';
import type { EventConsumer } from '../stream/runner.js';

/** The stream consumer keeping per-VASP daily counters (a contract: its position's name in the store). */
export const VASP_COUNTERS = 'vasp-counters';

/** The UTC day of `ms`, as counters name it (yyyy-mm-dd). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The counter group of one VASP account on one UTC day: `vasp:<id>:<yyyy-mm-dd>`. */
export function vaspDayGroup(vaspId: string, day: string): string {
  return `vasp:${vaspId}:${day}`;
}

/**
 * Per VASP account and UTC day (of the event's time), how many recipients of its messages
 * - were `accepted` (every recipient of every message it sent, the unroutable ones included),
 * - entered each state: `notified`, `retrieved`, `acknowledged`, `rejected`, `expired`,
 *   `unreachable`, `cancelled`, ... (one per change into the state),
 * - were notified again (`renotified`, one per re-notification push).
 * Applied exactly once per event with the consumer's position (Store.ackEvents).
 */
export function vaspCountersConsumer(): EventConsumer {
  return {
    name: VASP_COUNTERS,
    handle(e: StreamEvent) {
      if (e.vaspId === undefined) return undefined;
      const group = vaspDayGroup(e.vaspId, utcDay(e.at));
      if (e.kind === 'accepted') return { counters: [{ key: `${group}:accepted`, delta: e.count ?? 0 }] };
      if (e.kind === 'state' && e.to !== undefined) return { counters: [{ key: `${group}:${e.to}`, delta: 1 }] };
      if (e.kind === 'renotified') return { counters: [{ key: `${group}:renotified`, delta: 1 }] };
      return undefined;
    },
  };
}

/** The counters of `vaspId` for each of `days` (yyyy-mm-dd): day -> counter name -> value. */
export async function vaspDailyCounters(store: Store, vaspId: string, days: string[]): Promise<Record<string, Record<string, number>>> {
  const groups = await store.readCounters(days.map((d) => vaspDayGroup(vaspId, d)));
  const out: Record<string, Record<string, number>> = {};
  for (const d of days) out[d] = groups[vaspDayGroup(vaspId, d)] ?? {};
  return out;
}
