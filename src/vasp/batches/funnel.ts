import type { RecipientRecord, RecipientState } from '../../records/model.js';
import type { Store } from '../../store/types.js';

/**
 * The funnel of a batch past its release: counters per (batch, variant) that the relay's state
 * changes, read reports and link clicks move. Reading them is a handful of key reads whatever the
 * size of the batch.
 */
export const FUNNEL_FIELDS = [
  'notified',
  'fallbackSms',
  'retrieved',
  'acknowledged',
  'read',
  'clicked',
  'botClicks',
  'forwarded',
  'cancelled',
  'failed:rejected',
  'failed:unreachable',
  'failed:expired',
] as const;
export type FunnelField = (typeof FUNNEL_FIELDS)[number];

/**
 * Where the funnel's counters live. `apply` adds its deltas at most once per event id, so an event
 * seen twice (a handler run again after a crash) counts once.
 */
export interface FunnelCounters {
  /**
   * `once`: the caller sees each event exactly once (the relay calls onTransition only for the
   * compare-and-set that made the change), so no marker is needed.
   */
  apply(eventId: string, batchId: string, variant: number, deltas: Partial<Record<FunnelField, number>>, ttlMs: number, once?: boolean): Promise<void>;
  read(batchId: string, variants: number): Promise<Record<FunnelField, number>[]>;
  /** Writes what is buffered (before the store closes). */
  flush(): Promise<void>;
}

/**
 * Counters on the store's cache (interim, until the state-change stream of issue 21): a
 * set-if-absent marker per event id where an event may come twice, then atomic adds, gathered in
 * memory for up to `flushMs` so that a busy release costs one add per counter per flush rather
 * than one per recipient. A crash loses what was gathered and not yet written (never counts twice).
 */
export function cacheFunnel(store: Store, flushMs = 100): FunnelCounters {
  const pending = new Map<string, { n: number; ttlMs: number }>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return writing;
    const batch = [...pending];
    pending.clear();
    writing = writing.then(() => Promise.all(batch.map(([k, v]) => store.cacheAdd('bf', k, v.n, v.ttlMs))).then(() => undefined)).catch(() => undefined);
    return writing;
  };
  return {
    async apply(eventId, batchId, variant, deltas, ttlMs, once) {
      if (!once && (await store.cacheSetIfAbsent('bfe', eventId, Buffer.from('1'), ttlMs)) !== undefined) return;
      for (const [f, n] of Object.entries(deltas)) {
        const k = `${batchId}:${variant}:${f}`;
        const cur = pending.get(k);
        pending.set(k, { n: (cur?.n ?? 0) + n!, ttlMs: Math.max(ttlMs, cur?.ttlMs ?? 0) });
      }
      timer ??= setTimeout(() => void flush(), flushMs);
    },
    flush,
    async read(batchId, variants) {
      await flush();
      const out: Record<FunnelField, number>[] = [];
      for (let v = 0; v < variants; v++) {
        const values = await Promise.all(FUNNEL_FIELDS.map((f) => store.cacheGet('bf', `${batchId}:${v}:${f}`)));
        out.push(Object.fromEntries(FUNNEL_FIELDS.map((f, i) => [f, Number(values[i]?.toString('latin1') ?? 0) || 0])) as Record<FunnelField, number>);
      }
      return out;
    },
  };
}

/**
 * What a recipient's change into `to` adds to the funnel (cumulative stages: a recipient counts in
 * 'notified' once, however often it is re-notified, and stays counted when it moves on). A stage a
 * change proves without its own change having been recorded counts with it: a handset may retrieve
 * before the notification's own write (it moves accepted -> retrieved, and 'notified' never gets
 * written), and an acknowledge without a recorded retrieval proves one.
 */
export function funnelDeltas(record: RecipientRecord, from: RecipientState, to: RecipientState): Partial<Record<FunnelField, number>> | undefined {
  if (from === to) return undefined;
  const seen = (s: RecipientState): boolean => record.history.some((h) => h.state === s);
  const reached = (): Partial<Record<FunnelField, number>> => (seen('notified') || seen('fallback-sms') ? {} : { notified: 1 });
  switch (to) {
    case 'notified':
      return { notified: 1 };
    case 'fallback-sms':
      return { fallbackSms: 1 };
    case 'retrieved':
      return { retrieved: 1, ...reached() };
    case 'acknowledged':
      // A recorded retrieval counted what it proved itself (notified included).
      return seen('retrieved') ? { acknowledged: 1 } : { acknowledged: 1, retrieved: 1, ...reached() };
    case 'forwarded':
      return { forwarded: 1 };
    case 'cancelled':
      return { cancelled: 1 };
    case 'rejected':
    case 'unreachable':
    case 'expired':
      return { [`failed:${to}`]: 1 } as Partial<Record<FunnelField, number>>;
    default:
      return undefined;
  }
}
