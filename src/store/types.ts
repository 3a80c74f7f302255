import type { CounterDelta, StreamEntry, StreamEvent, StreamEventKind } from '../records/events.js';
import type { DeliveryStatus, JobRecord, MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';

/**
 * A compare-and-set state change of one recipient: applied only when the current state is one of
 * `from`, so that two handlers (or two nodes) never both move a recipient forward and a repeated
 * notifyresp/acknowledge is a no-op.
 */
export interface Transition {
  from: readonly RecipientState[];
  to: RecipientState;
  at: number;
  note?: string;
  /** Further fields to set together with the state. */
  patch?: Partial<Omit<RecipientRecord, 'id' | 'messageId' | 'state' | 'history'>>;
  /** Jobs scheduled in the same atomic write, only when the transition happens. */
  jobs?: NewJob[];
  /**
   * The delivery report the change owes the originator (asked for, Report-Allowed honoured), put in
   * the change's stream event. The store writes that event itself whenever the transition happens.
   */
  report?: DeliveryStatus;
  /** Further events appended with the change's own, only when the transition happens (e.g. the message's 'cancelled'). */
  events?: StreamEvent[];
  /**
   * The kind of the change's own event when it is not a change of state ('clicked': a history entry
   * in the same state), with its kind-specific `data`. Default: 'state', or 'renotified' for a
   * change into the same state.
   */
  eventKind?: StreamEventKind;
  eventData?: Record<string, unknown>;
  /**
   * SMSC receipt keys to index for this recipient, added whether or not the state changed (a quick
   * handset may have moved it on already; its receipt must still find it).
   */
  smscKeys?: { keys: string[]; ttlMs: number };
  /**
   * A claimed job this transition finishes, completed whether or not the state changed. Folding the
   * job's completion into the handler's last write saves a durable write per notification.
   */
  completeJob?: JobRecord;
}

/**
 * An originator's own identifier of a submission (MM1: sender + X-Mms-Transaction-ID), written
 * atomically with the message so that a retransmission finds the message it already created.
 */
export interface SubmissionKey {
  /** Opaque, at most a few hundred characters (the relay hashes sender and transaction id). */
  key: string;
  /** Digest of what the submission asked for; a repeat with another digest is not a retransmission. */
  digest: string;
  /** How long a repeat counts as a retransmission (store clock). */
  ttlMs: number;
}

/**
 * What createMessage did: created the message (possibly taking over a key an earlier, different
 * submission had used: `supersedes` names that message), or created nothing because the key names
 * a live submission with the same digest (`existing`).
 */
export type CreateOutcome = { created: true; supersedes?: string } | { created: false; existing: string };

export type RecipientPatch = Transition['patch'];

/**
 * One atomic write of campaign (batch) records: opaque values under keys, each with its own TTL,
 * deletions, and jobs. With `expect` it is a compare-and-set: nothing is written unless `expect.key`
 * holds exactly `expect.value` (undefined = absent or expired).
 */
export interface BatchWrite {
  put?: { key: string; value: Uint8Array; ttlMs: number }[];
  del?: string[];
  expect?: { key: string; value: Uint8Array | undefined };
  jobs?: NewJob[];
}

/** What one consumer does about one event it read, written atomically with its position. */
export interface EventAck {
  /** The entry's `pos` as readEvents gave it. */
  pos: string;
  jobs?: NewJob[];
  counters?: CounterDelta[];
}

/** How far one consumer is behind the outbox. */
export interface ConsumerLag {
  consumer: string;
  /** Events written and not yet acknowledged by this consumer (read or not). */
  events: number;
  /** Time (`at`) of the oldest of them, if any. */
  oldestAt?: number;
}

/** What trimEvents removed. */
export interface TrimResult {
  /** Events every registered consumer had acknowledged. */
  trimmed: number;
  /** Events removed by the retention cap although a consumer had not acknowledged them. */
  forced: number;
  /** The consumers that lost events to the cap, and how many each. */
  lost: { consumer: string; events: number }[];
}

export interface TransitionResult {
  record: RecipientRecord;
  changed: boolean;
}

/**
 * Everything the relay persists. One interface so that a message, its recipients and its first jobs
 * are written in one atomic step: a crash leaves either all of them or none (no half-written
 * message), and an accepted message always has its notification jobs.
 *
 * Every write method resolves only once the write is durable (flushed for the embedded store,
 * acknowledged by Redis for the Redis store).
 */
export interface Store {
  readonly kind: string;

  /**
   * Writes a new message with its body, recipients, indexes and jobs in one atomic step. With a
   * `submission` key the check for a live entry and the entry itself are part of that step, so two
   * concurrent identical submissions create exactly one message; the other gets `existing`.
   */
  createMessage(message: MessageRecord, body: Uint8Array, recipients: RecipientRecord[], jobs: NewJob[], submission?: SubmissionKey): Promise<CreateOutcome>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  /** The stored body (encoded multipart), undefined once expired/purged. */
  getBody(id: string): Promise<Buffer | undefined>;
  /**
   * Replaces a message's content (MM7 ReplaceReq before retrieval): body, content type and size.
   * Returns false when the message is gone. TTLs are kept.
   */
  replaceContent(id: string, contentType: MessageRecord['contentType'], body: Uint8Array): Promise<boolean>;
  /** Removes the body (content) but keeps the records for reporting until retention ends. */
  deleteBody(id: string): Promise<void>;
  /** Removes the message, its recipients and every index entry. */
  purgeMessage(id: string): Promise<void>;

  getRecipient(id: string): Promise<RecipientRecord | undefined>;
  listRecipients(messageId: string): Promise<RecipientRecord[]>;
  findRecipientByToken(token: string): Promise<RecipientRecord | undefined>;
  findRecipientByTransactionId(transactionId: string): Promise<RecipientRecord | undefined>;
  findRecipientBySmscKey(key: string): Promise<RecipientRecord | undefined>;
  /** Index keys (normalised SMSC message ids) under which a receipt finds this recipient. */
  addSmscKeys(recipientId: string, keys: string[], ttlMs: number): Promise<void>;

  transition(recipientId: string, t: Transition): Promise<TransitionResult | undefined>;
  /**
   * Updates fields other than the state (e.g. SMSC ids, counters); no-op if the record is gone. A
   * function computes the patch from the record as it is at write time, so an append to a list
   * field (webhook failures) cannot lose a concurrent one.
   */
  updateRecipient(recipientId: string, patch: RecipientPatch | ((current: RecipientRecord) => RecipientPatch)): Promise<RecipientRecord | undefined>;

  /** Schedules jobs; a job whose `key` is already scheduled is skipped. */
  scheduleJobs(jobs: NewJob[]): Promise<void>;
  /**
   * Takes up to `limit` jobs due at or before `now` and leases them for `leaseMs`: a job not completed
   * or retried within its lease is handed out again (to this or another node) - at-least-once.
   */
  claimDueJobs(now: number, limit: number, leaseMs: number): Promise<JobRecord[]>;
  /** Finishes a claimed job, scheduling follow-up jobs in the same atomic write. */
  completeJob(job: JobRecord, followUps?: NewJob[]): Promise<void>;
  /** Puts a claimed job back with a new due time and attempt count. */
  retryJob(job: JobRecord, dueAt: number, error: string): Promise<void>;
  /** Those of `keys` whose job is still scheduled or running (not yet completed). */
  pendingJobKeys(keys: string[]): Promise<string[]>;
  /** Earliest due time of any scheduled job not currently leased, if any. */
  nextDueAt(): Promise<number | undefined>;
  countJobs(): Promise<number>;

  // ------------------------------------------------------------ the state-change stream (outbox)
  // createMessage, transition, replaceContent append their events in the same atomic write.

  /** Appends events on their own (an event that belongs to no state change). */
  appendEvents(events: StreamEvent[]): Promise<void>;
  /**
   * Up to `limit` events for `consumer`, oldest first: first those this reader was handed before and
   * did not acknowledge, then (Redis) those another reader of the same consumer left unacknowledged
   * for longer than `leaseMs`, then new ones. A consumer name seen for the first time is registered
   * at the oldest event the outbox still holds. Several readers (nodes) of one consumer share its
   * events; `now` is the reader's clock for leases.
   */
  readEvents(consumer: string, limit: number, opts: { leaseMs: number; now: number }): Promise<StreamEntry[]>;
  /**
   * Acknowledges events of `consumer` and applies each one's effects (jobs, counter increments) in
   * the same atomic write, each exactly once: an event already acknowledged (by this reader after a
   * retry, or by another reader that took it over) applies nothing. `acks` must be in the order
   * readEvents gave them. Returns how many were applied.
   */
  ackEvents(consumer: string, acks: EventAck[]): Promise<number>;
  /** How far each registered consumer (or the named ones) is behind. */
  eventLag(consumers?: string[]): Promise<ConsumerLag[]>;
  /**
   * Removes the events every registered consumer has acknowledged, and beyond `maxEvents` the
   * oldest ones whatever the consumers (the retention cap; the caller logs who lost what).
   */
  trimEvents(maxEvents: number): Promise<TrimResult>;
  /** Unregisters a consumer for good (its position no longer holds events back). */
  dropEventConsumer(consumer: string): Promise<void>;
  /** How many events the outbox holds. */
  countEvents(): Promise<number>;

  // ------------------------------------------------------------ counters

  /**
   * Adds `counters` once per (consumer, eventId): the first call applies them and remembers the id
   * (for `markerTtlMs`, which must outlast any replay: longer than the outbox retention), a repeat
   * applies nothing. Returns whether it applied. For effects that cannot ride on ackEvents.
   */
  applyOnce(consumer: string, eventId: string, counters: CounterDelta[], markerTtlMs: number): Promise<boolean>;
  /** One counter (0 when absent or expired). */
  readCounter(key: string): Promise<number>;
  /** Every counter of each group (`<group>:<name>` -> name: value), one read per group. */
  readCounters(groups: string[]): Promise<Record<string, Record<string, number>>>;

  /** Small expiring values: UAProf cache, idempotency keys, rate counters. */
  cacheGet(namespace: string, key: string): Promise<Buffer | undefined>;
  cacheSet(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  /** Sets only if absent; returns the existing value when present (for idempotency keys). */
  cacheSetIfAbsent(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<Buffer | undefined>;
  /**
   * Atomic counter (quotas, rates): adds `delta` and returns the new total. A counter that is absent
   * or expired starts from `delta` and lives `ttlMs` from then (a fixed window: later adds do not
   * extend it). cacheGet reads it as decimal text.
   */
  cacheAdd(namespace: string, key: string, delta: number, ttlMs: number): Promise<number>;

  /**
   * Campaign records (src/vasp/batches): recipient lists in chunks, a batch's settings, control and
   * progress. Values are opaque; an expired entry reads as absent.
   */
  batchGet(keys: string[]): Promise<(Buffer | undefined)[]>;
  /** Applies a BatchWrite atomically; false when its `expect` did not hold (nothing written). */
  batchWrite(w: BatchWrite): Promise<boolean>;

  /** Counts of recipients per state, for metrics and /readyz. */
  stateCounts(): Promise<Partial<Record<RecipientState, number>>>;

  /** Housekeeping: drops expired cache and index entries, submission keys included (a no-op where the engine expires keys). */
  sweep(now: number): Promise<number>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
