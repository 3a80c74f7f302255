import type { CounterDelta, StreamEvent } from '../../records/events.js';
import type { MessageRecord, RecipientRecord, RecipientState } from '../../records/model.js';
import type { Store } from '../../store/types.js';
import type { EventConsumer } from '../../stream/runner.js';

/**
 * The funnel of a batch past its release: counters per (batch, variant), moved exactly once per
 * event by the stream consumer 'batch-funnel' (Store.ackEvents) - recipient state changes and
 * clicks - and by Store.applyOnce for what is not in the stream (read reports, link-preview bots).
 * Reading them is one counter-group read per variant, whatever the size of the batch.
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
  'failed-rejected',
  'failed-unreachable',
  'failed-expired',
] as const;
export type FunnelField = (typeof FUNNEL_FIELDS)[number];

/** The consumer's name: its position in the store and the scope of its applyOnce markers (a contract). */
export const BATCH_FUNNEL = 'batch-funnel';

/** Counter group of one variant of a batch: `batch:<id>:<variant>` (fields are the counter names). */
export const funnelGroup = (batchId: string, variant: number): string => `batch:${batchId}:${variant}`;

const DAY = 86_400_000;

export function funnelCounters(batchId: string, variant: number, deltas: Partial<Record<FunnelField, number>>, ttlMs: number): CounterDelta[] {
  const group = funnelGroup(batchId, variant);
  return Object.entries(deltas).map(([f, n]) => ({ key: `${group}:${f}`, delta: n!, ttlMs }));
}

export async function readFunnel(store: Store, batchId: string, variants: number): Promise<Record<FunnelField, number>[]> {
  const groups = Array.from({ length: variants }, (_, v) => funnelGroup(batchId, v));
  const all = await store.readCounters(groups);
  return groups.map((g) => Object.fromEntries(FUNNEL_FIELDS.map((f) => [f, all[g]?.[f] ?? 0])) as Record<FunnelField, number>);
}

/**
 * What a recipient's change into `to` adds to the funnel (cumulative stages: a recipient counts in
 * 'notified' once, however often it is re-notified, and stays counted when it moves on). `history`
 * is the recipient's history up to and including the change. A stage a change proves without its
 * own change having been recorded counts with it: a handset may retrieve before the notification's
 * own write (accepted -> retrieved: 'notified' is never written), and an acknowledge without a
 * recorded retrieval proves one.
 */
export function funnelDeltas(history: readonly { state: RecipientState }[], from: RecipientState | undefined, to: RecipientState): Partial<Record<FunnelField, number>> | undefined {
  if (from === to) return undefined;
  const before = history.slice(0, -1);
  const seen = (s: RecipientState): boolean => before.some((h) => h.state === s);
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
      return { [`failed-${to}`]: 1 } as Partial<Record<FunnelField, number>>;
    default:
      return undefined;
  }
}

/**
 * The stream consumer that keeps the funnels: for each state change or click of a recipient of a
 * campaign message, its counters, applied with the consumer's position (exactly once). A click
 * counts the recipient as clicked on its first click only (an earlier click entry in its history).
 */
export function batchFunnelConsumer(store: Store, retentionMs: number): EventConsumer {
  // A message's origin never changes: remembered per message (bounded).
  const batchOf = new Map<string, { id: string; variant: number; ttlMs: number } | null>();
  const lookup = async (messageId: string): Promise<{ id: string; variant: number; ttlMs: number } | undefined> => {
    let b = batchOf.get(messageId);
    if (b === undefined) {
      const m: MessageRecord | undefined = await store.getMessage(messageId);
      const o = m?.origin;
      b = o?.kind === 'rest' && o.batch ? { id: o.batch.id, variant: o.batch.variant, ttlMs: Math.max(DAY, m!.expiresAt + retentionMs - Date.now()) } : null;
      if (batchOf.size >= 10_000) batchOf.delete(batchOf.keys().next().value!);
      batchOf.set(messageId, b);
    }
    return b ?? undefined;
  };
  return {
    name: BATCH_FUNNEL,
    async handle(e: StreamEvent) {
      if (e.origin !== 'rest' || e.recipientId === undefined || e.to === undefined || e.sequence === undefined) return undefined;
      if (e.kind !== 'state' && e.kind !== 'clicked') return undefined;
      const b = await lookup(e.messageId);
      if (!b) return undefined;
      let deltas: Partial<Record<FunnelField, number>> | undefined;
      if (e.kind === 'clicked' || e.to === 'retrieved' || e.to === 'acknowledged') {
        // History is append-only: the entries up to the event's sequence are the recipient as the change left it.
        const r: RecipientRecord | undefined = await store.getRecipient(e.recipientId);
        const history: { state: RecipientState; note?: string }[] = r?.history.slice(0, e.sequence + 1) ?? [{ state: e.to }];
        if (e.kind === 'clicked') deltas = history.slice(0, -1).some((h) => h.note?.startsWith('click ')) ? undefined : { clicked: 1 };
        else deltas = funnelDeltas(history, e.from, e.to);
      } else deltas = funnelDeltas([{ state: e.to }], e.from, e.to);
      return deltas ? { counters: funnelCounters(b.id, b.variant, deltas, b.ttlMs) } : undefined;
    },
  };
}
