import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RandomPool } from '../records/ids.js';
import { open, type Database, type RootDatabase } from 'lmdb';
import { acceptedEvents, changeEvent, eventExtra, messageEvent, splitCounterKey, type CounterDelta, type StreamEntry, type StreamEvent } from '../records/events.js';
import type { JobRecord, MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';
import type { BatchWrite, ConsumerLag, CreateOutcome, EventAck, RecipientPatch, Store, SubmissionKey, Transition, TransitionResult, TrimResult } from './types.js';

type JobKey = [number, string];
/** [expiry, 'c' (cache) | 'i' (index) | 'n' (counter group) | 'b' (campaign record), key]: what the sweep reads, oldest first. */
type ExpiryKey = [number, 'c' | 'i' | 'n' | 'b', string];
/** [group, name] of a counter. */
type CounterKey = [string, string];

/** An applyOnce marker (`o:` in the index). */
interface OnceEntry {
  exp: number;
}

/** Deletions per write transaction when trimming the outbox. */
const TRIM_BATCH = 10_000;

interface CacheEntry {
  v: Uint8Array;
  exp: number;
}

interface SmscIndexEntry {
  rid: string;
  exp: number;
}

/** A submission key (`k:` in the index): the message it created and the digest of the request. */
interface SubmissionEntry {
  m: string;
  d: string;
  exp: number;
}

/**
 * Where each record database keeps the msgpack structures (key lists) its records share: a record
 * then carries a one-byte structure id instead of its key names, and a read reuses a compiled reader
 * instead of rebuilding one from the record's own definition. A symbol key sorts before every string
 * and array key. Records written before (each with its own definition) still decode as they are.
 */
const STRUCTURES = Symbol.for('structures');

/** Version of the on-disk layout that added the expiry index (older folders get it built at open). */
const EXPIRY_INDEX_VERSION = 1;

/**
 * The embedded store: one LMDB environment under the data folder. Content is on disk (memory-mapped,
 * not held in the JS heap); each mutation is one ACID transaction and every write method resolves
 * only after LMDB reports the commit flushed to disk, so an answer given to a handset survives kill -9.
 *
 * Job leases are kept in memory: this store serves a single process, and after a crash every job is
 * simply due again (at-least-once).
 */
export class LmdbStore implements Store {
  readonly kind = 'lmdb';
  private readonly root: RootDatabase;
  private readonly messages: Database<MessageRecord, string>;
  private readonly bodies: Database<Buffer, string>;
  private readonly recipients: Database<RecipientRecord, string>;
  private readonly index: Database<string | SmscIndexEntry | SubmissionEntry | OnceEntry, string>;
  private readonly jobs: Database<JobRecord, JobKey>;
  private readonly jobKeys: Database<JobKey, string>;
  private readonly cache: Database<CacheEntry, string>;
  /** Campaign records (BatchWrite): same entry form as the cache, kept apart from it. */
  private readonly batches: Database<CacheEntry, string>;
  private readonly counts: Database<number, string>;
  /**
   * Every expiring cache and index entry under its expiry time, so that the sweep reads only what
   * has expired: a full scan every minute would read every cached variant (adapted content) and
   * every live receipt and submission key, on the event loop.
   */
  private readonly expiries: Database<true, ExpiryKey>;
  private readonly meta: Database<number, string>;
  /**
   * The outbox of the state-change stream: event number -> event. Numbers are handed out inside the
   * write transactions, so they increase in commit order and a reader never sees a later event
   * before an earlier one. Each consumer's position (the last number it acknowledged) is
   * `pos:<consumer>` in meta.
   */
  private readonly events: Database<StreamEvent, number>;
  private eventSeq: number;
  private readonly counters: Database<number, CounterKey>;
  private readonly leases = new Map<string, number>();
  private readonly random = new RandomPool();
  private closed = false;

  constructor(readonly dir: string, opts: { mapSizeBytes?: number; clock?: () => number; commitWindowMs?: number } = {}) {
    mkdirSync(dir, { recursive: true });
    this.now = opts.clock ?? Date.now;
    this.commitWindowMs = opts.commitWindowMs ?? 0;
    this.root = open({ path: join(dir, 'mmsc.mdb'), mapSize: opts.mapSizeBytes ?? 2 ** 34, maxDbs: 16 });
    this.messages = this.root.openDB({ name: 'messages', sharedStructuresKey: STRUCTURES });
    this.bodies = this.root.openDB({ name: 'bodies', encoding: 'binary' });
    this.recipients = this.root.openDB({ name: 'recipients', sharedStructuresKey: STRUCTURES });
    this.index = this.root.openDB({ name: 'index', sharedStructuresKey: STRUCTURES });
    this.jobs = this.root.openDB({ name: 'jobs', sharedStructuresKey: STRUCTURES });
    this.jobKeys = this.root.openDB({ name: 'jobkeys' });
    this.cache = this.root.openDB({ name: 'cache' });
    this.batches = this.root.openDB({ name: 'batches' });
    this.counts = this.root.openDB({ name: 'counts' });
    this.expiries = this.root.openDB({ name: 'expiries' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.events = this.root.openDB({ name: 'events', sharedStructuresKey: STRUCTURES });
    this.counters = this.root.openDB({ name: 'counters' });
    let last = 0;
    for (const key of this.events.getKeys({ reverse: true, limit: 1 })) if (typeof key === 'number') last = key;
    this.eventSeq = last;
    this.buildExpiryIndex();
  }

  /** Folders written before the expiry index existed: index their expiring entries once. */
  private buildExpiryIndex(): void {
    if (this.meta.get('expiry-index') === EXPIRY_INDEX_VERSION) return;
    this.root.transactionSync(() => {
      for (const { key, value } of this.cache.getRange({})) this.expiries.put([value.exp, 'c', key], true);
      for (const { key, value } of this.index.getRange({})) {
        // typeof key: the shared structures sit under a symbol key in the same database.
        if (typeof key === 'string' && typeof value === 'object' && !Array.isArray(value)) this.expiries.put([value.exp, 'i', key], true);
      }
      this.meta.put('expiry-index', EXPIRY_INDEX_VERSION);
    });
  }

  /** An expiring entry; must run inside a write transaction. */
  private putIndex(key: string, value: SmscIndexEntry | SubmissionEntry | OnceEntry): void {
    this.index.put(key, value);
    this.expiries.put([value.exp, 'i', key], true);
  }

  /** Must run inside a write transaction. */
  private putCache(key: string, value: CacheEntry): void {
    this.cache.put(key, value);
    this.expiries.put([value.exp, 'c', key], true);
  }

  /**
   * A structure first used by a write is saved with that write, in its child transaction: when the
   * write fails, the save is rolled back with it, and the encoders must not go on using a structure
   * id that is not on disk. They reload what is (a read inside the same write transaction).
   */
  private forgetStructures(): void {
    for (const db of [this.messages, this.recipients, this.index, this.jobs, this.events]) {
      const encoder = (db as unknown as { encoder: { structures?: unknown[] & { uninitialized?: boolean; sharedLength?: number } } }).encoder;
      const fresh: unknown[] & { uninitialized?: boolean; sharedLength?: number } = [];
      fresh.uninitialized = true;
      fresh.sharedLength = 0;
      encoder.structures = fresh;
    }
  }

  private readonly now: () => number;

  /**
   * Group commit: a commit starts at most once per this many milliseconds; writes that arrive in
   * between wait for the next start and share that commit. A commit costs CPU whatever it holds (the
   * sync, and the hand-offs between the event loop and the writer thread); at a steady rate the
   * writes arrive one by one, and lmdb-js alone would commit them almost one by one. A write
   * that finds no commit started within the window goes at once, so a quiet store adds no latency.
   * 0 = no window (bench/README.md "Group commit").
   */
  private readonly commitWindowMs: number;
  private window: Promise<void> | undefined;
  private lastStart = -Infinity;
  /** A commit is being gathered in this event-loop turn: more writes join it at once. */
  private joinable = false;
  /** Writes not yet durable; close() waits for them (some may still be waiting for their window). */
  private readonly pending = new Set<Promise<unknown>>();

  private startBatch(): void {
    this.lastStart = performance.now();
    this.joinable = true;
    setImmediate(() => (this.joinable = false));
  }

  private nextWindow(waitMs: number): Promise<void> {
    return (this.window ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.window = undefined;
        this.startBatch();
        resolve();
      }, waitMs),
    ));
  }

  /**
   * Runs `fn` atomically and resolves once it is durable. lmdb-js batches the callbacks of one event
   * turn into one LMDB transaction; a child transaction per callback makes a callback that throws
   * half-way roll back alone instead of committing what it wrote before the throw.
   */
  private write<T>(fn: () => T): Promise<T> {
    if (this.commitWindowMs <= 0) return this.writeNow(fn);
    if (this.joinable) return this.track(this.writeNow(fn));
    const wait = this.lastStart + this.commitWindowMs - performance.now();
    if (wait <= 0 && !this.window) {
      this.startBatch();
      return this.track(this.writeNow(fn));
    }
    return this.track(this.nextWindow(Math.max(0, wait)).then(() => this.writeNow(fn)));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const forget = (): void => void this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async writeNow<T>(fn: () => T): Promise<T> {
    let result: T;
    try {
      result = await this.root.childTransaction(() => {
        try {
          return fn();
        } catch (err) {
          // At once: the next callback of the same batch runs right after this one.
          this.forgetStructures();
          throw err;
        }
      });
    } catch (err) {
      // Also when the whole batch failed to commit (disk full, I/O error): structures saved in it are not on disk.
      this.forgetStructures();
      throw err;
    }
    await this.root.flushed;
    return result;
  }

  async createMessage(message: MessageRecord, body: Uint8Array, recipients: RecipientRecord[], jobs: NewJob[], submission?: SubmissionKey): Promise<CreateOutcome> {
    return this.write((): CreateOutcome => {
      // Read inside the write transaction: a concurrent identical submission committed before us
      // (or earlier in the same batch) is seen here, so only one of them creates a message.
      const sk = submission && `k:${submission.key}`;
      const prior = sk ? (this.index.get(sk) as SubmissionEntry | undefined) : undefined;
      const live = prior && prior.exp >= this.now() ? prior : undefined;
      if (live && live.d === submission!.digest) return { created: false, existing: live.m };
      if (this.messages.get(message.id) !== undefined) throw new Error(`message ${message.id} exists`);
      this.messages.put(message.id, message);
      this.bodies.put(message.id, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      for (const r of recipients) {
        this.recipients.put(r.id, r);
        this.index.put(`t:${r.token}`, r.id);
        this.index.put(`x:${r.transactionId}`, r.id);
        this.bump(r.state, 1);
      }
      this.putJobs(jobs);
      for (const e of acceptedEvents(message, recipients)) this.putEvent(e);
      if (sk) this.putIndex(sk, { m: message.id, d: submission!.digest, exp: this.now() + submission!.ttlMs });
      return live ? { created: true, supersedes: live.m } : { created: true };
    });
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    return this.messages.get(id);
  }

  async getBody(id: string): Promise<Buffer | undefined> {
    return this.bodies.get(id);
  }

  async replaceContent(id: string, contentType: MessageRecord['contentType'], body: Uint8Array): Promise<boolean> {
    return this.write(() => {
      const m = this.messages.get(id);
      if (!m || !this.bodies.doesExist(id)) return false;
      this.messages.put(id, { ...m, contentType, contentSize: body.byteLength });
      this.bodies.put(id, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      const at = this.now();
      this.putEvent(messageEvent(m, 'replaced', at, `${id}#replaced@${at}`));
      return true;
    });
  }

  async deleteBody(id: string): Promise<void> {
    await this.write(() => {
      this.bodies.remove(id);
    });
  }

  async purgeMessage(id: string): Promise<void> {
    await this.write(() => {
      const msg = this.messages.get(id);
      if (!msg) return;
      for (let i = 0; i < msg.recipientCount; i++) {
        const rid = `${id}/${i}`;
        const r = this.recipients.get(rid);
        if (!r) continue;
        this.index.remove(`t:${r.token}`);
        this.index.remove(`x:${r.transactionId}`);
        for (const k of r.smscKeys ?? []) this.index.remove(`s:${k}`);
        this.bump(r.state, -1);
        this.recipients.remove(rid);
      }
      this.bodies.remove(id);
      this.messages.remove(id);
    });
  }

  async getRecipient(id: string): Promise<RecipientRecord | undefined> {
    return this.recipients.get(id);
  }

  async listRecipients(messageId: string): Promise<RecipientRecord[]> {
    const msg = this.messages.get(messageId);
    if (!msg) return [];
    const out: RecipientRecord[] = [];
    for (let i = 0; i < msg.recipientCount; i++) {
      const r = this.recipients.get(`${messageId}/${i}`);
      if (r) out.push(r);
    }
    return out;
  }

  async findRecipientByToken(token: string): Promise<RecipientRecord | undefined> {
    return this.byIndex(`t:${token}`);
  }

  async findRecipientByTransactionId(transactionId: string): Promise<RecipientRecord | undefined> {
    return this.byIndex(`x:${transactionId}`);
  }

  async findRecipientBySmscKey(key: string): Promise<RecipientRecord | undefined> {
    const e = this.index.get(`s:${key}`) as SmscIndexEntry | undefined;
    if (!e || e.exp < this.now()) return undefined;
    return this.recipients.get(e.rid);
  }

  async addSmscKeys(recipientId: string, keys: string[], ttlMs: number): Promise<void> {
    const exp = this.now() + ttlMs;
    await this.write(() => {
      const r = this.recipients.get(recipientId);
      if (!r) return;
      for (const k of keys) this.putIndex(`s:${k}`, { rid: recipientId, exp });
      this.recipients.put(recipientId, { ...r, smscKeys: [...new Set([...(r.smscKeys ?? []), ...keys])] });
    });
  }

  private byIndex(key: string): RecipientRecord | undefined {
    const rid = this.index.get(key);
    return typeof rid === 'string' ? this.recipients.get(rid) : undefined;
  }

  async transition(recipientId: string, t: Transition): Promise<TransitionResult | undefined> {
    if (!t.completeJob && !t.smscKeys?.keys.length) {
      // A transition that will not happen needs no write (nor its flush): a handset's m-notifyresp-ind
      // after its GET already counted as retrieval is the common case. Answered as of this read.
      const cur = this.recipients.get(recipientId);
      if (!cur) return undefined;
      if (!t.from.includes(cur.state)) return { record: cur, changed: false };
    }
    const result = await this.write(() => {
      if (t.completeJob) this.removeJob(t.completeJob);
      const cur = this.recipients.get(recipientId);
      if (!cur) return undefined;
      const keys = t.smscKeys?.keys ?? [];
      const exp = this.now() + (t.smscKeys?.ttlMs ?? 0);
      for (const k of keys) this.putIndex(`s:${k}`, { rid: recipientId, exp });
      const smscKeys = keys.length ? { smscKeys: [...new Set([...(cur.smscKeys ?? []), ...keys])] } : undefined;
      if (!t.from.includes(cur.state)) {
        if (!smscKeys) return { record: cur, changed: false };
        const kept = { ...cur, ...smscKeys };
        this.recipients.put(recipientId, kept);
        return { record: kept, changed: false };
      }
      const next: RecipientRecord = {
        ...cur,
        ...t.patch,
        ...smscKeys,
        state: t.to,
        updatedAt: t.at,
        history: [...cur.history, t.note ? { state: t.to, at: t.at, note: t.note } : { state: t.to, at: t.at }],
      };
      this.recipients.put(recipientId, next);
      this.bump(cur.state, -1);
      this.bump(t.to, 1);
      if (t.jobs) this.putJobs(t.jobs);
      this.putEvent(changeEvent(cur, next, eventExtra(t)));
      if (t.events) for (const e of t.events) this.putEvent(e);
      return { record: next, changed: true };
    });
    if (t.completeJob) this.leases.delete(t.completeJob.id);
    return result;
  }

  async updateRecipient(recipientId: string, patch: RecipientPatch | ((current: RecipientRecord) => RecipientPatch)): Promise<RecipientRecord | undefined> {
    return this.write(() => {
      const cur = this.recipients.get(recipientId);
      if (!cur) return undefined;
      const next = { ...cur, ...(typeof patch === 'function' ? patch(cur) : patch), updatedAt: this.now() };
      this.recipients.put(recipientId, next);
      return next;
    });
  }

  private bump(state: RecipientState, delta: number): void {
    this.counts.put(state, (this.counts.get(state) ?? 0) + delta);
  }

  async scheduleJobs(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.write(() => this.putJobs(jobs));
  }

  /** Must run inside a write transaction. */
  private putJobs(jobs: NewJob[]): void {
    const now = this.now();
    for (const j of jobs) {
      if (j.key !== undefined && this.jobKeys.get(`k:${j.key}`) !== undefined) continue;
      const id = this.random.base64url(9);
      const rec: JobRecord = { ...j, id, attempts: 0, createdAt: now, dueAt: j.dueAt > 0 ? j.dueAt : now };
      const key: JobKey = [rec.dueAt, id];
      this.jobs.put(key, rec);
      if (j.key !== undefined) this.jobKeys.put(`k:${j.key}`, key);
    }
  }

  /** Must run inside a write transaction. */
  private removeJob(job: JobRecord): void {
    this.jobs.remove([job.dueAt, job.id]);
    if (job.key !== undefined) this.jobKeys.remove(`k:${job.key}`);
  }

  async claimDueJobs(now: number, limit: number, leaseMs: number): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    // Keys first: the jobs in flight (leased) are skipped without decoding their records.
    for (const key of this.jobs.getKeys({ start: [0, ''], end: [now + 1, ''] })) {
      const lease = this.leases.get(key[1]);
      if (lease !== undefined && lease > now) continue;
      const value = this.jobs.get(key);
      if (value === undefined) continue;
      this.leases.set(value.id, now + leaseMs);
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  async completeJob(job: JobRecord, followUps: NewJob[] = []): Promise<void> {
    await this.write(() => {
      this.removeJob(job);
      this.putJobs(followUps);
    });
    this.leases.delete(job.id);
  }

  async retryJob(job: JobRecord, dueAt: number, error: string): Promise<void> {
    await this.write(() => {
      const old: JobKey = [job.dueAt, job.id];
      if (this.jobs.get(old) === undefined) return;
      this.jobs.remove(old);
      const next: JobRecord = { ...job, dueAt, attempts: job.attempts + 1, lastError: error };
      const key: JobKey = [dueAt, job.id];
      this.jobs.put(key, next);
      if (job.key !== undefined) this.jobKeys.put(`k:${job.key}`, key);
    });
    this.leases.delete(job.id);
  }

  async pendingJobKeys(keys: string[]): Promise<string[]> {
    return keys.filter((k) => this.jobKeys.get(`k:${k}`) !== undefined);
  }

  async nextDueAt(): Promise<number | undefined> {
    const now = this.now();
    for (const [dueAt, id] of this.jobs.getKeys({ start: [0, ''] })) {
      const lease = this.leases.get(id);
      if (lease !== undefined && lease > now) continue;
      return dueAt;
    }
    return undefined;
  }

  async countJobs(): Promise<number> {
    return this.jobs.getCount();
  }

  async cacheGet(namespace: string, key: string): Promise<Buffer | undefined> {
    const e = this.cache.get(`${namespace}\u0000${key}`);
    if (!e || e.exp < this.now()) return undefined;
    return Buffer.from(e.v);
  }

  async cacheSet(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    await this.write(() => {
      this.putCache(`${namespace}\u0000${key}`, { v: value, exp: this.now() + ttlMs });
    });
  }

  async cacheSetIfAbsent(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<Buffer | undefined> {
    return this.write(() => {
      const k = `${namespace}\u0000${key}`;
      const e = this.cache.get(k);
      if (e && e.exp >= this.now()) return Buffer.from(e.v);
      this.putCache(k, { v: value, exp: this.now() + ttlMs });
      return undefined;
    });
  }

  async cacheAdd(namespace: string, key: string, delta: number, ttlMs: number): Promise<number> {
    return this.write(() => {
      const k = `${namespace}\u0000${key}`;
      const e = this.cache.get(k);
      const now = this.now();
      const live = e && e.exp >= now;
      const total = (live ? Number(Buffer.from(e.v).toString('latin1')) || 0 : 0) + delta;
      this.putCache(k, { v: Buffer.from(String(total), 'latin1'), exp: live ? e.exp : now + ttlMs });
      return total;
    });
  }

  async batchGet(keys: string[]): Promise<(Buffer | undefined)[]> {
    const now = this.now();
    return keys.map((k) => {
      const e = this.batches.get(k);
      return e && e.exp >= now ? Buffer.from(e.v) : undefined;
    });
  }

  async batchWrite(w: BatchWrite): Promise<boolean> {
    return this.write(() => {
      const now = this.now();
      if (w.expect) {
        // Read inside the write transaction: a concurrent writer committed before us is seen.
        const e = this.batches.get(w.expect.key);
        const cur = e && e.exp >= now ? e.v : undefined;
        const want = w.expect.value;
        if (cur === undefined ? want !== undefined : want === undefined || Buffer.compare(Buffer.from(cur), Buffer.from(want)) !== 0) return false;
      }
      for (const k of w.del ?? []) this.batches.remove(k);
      for (const p of w.put ?? []) {
        const exp = now + p.ttlMs;
        this.batches.put(p.key, { v: Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength), exp });
        this.expiries.put([exp, 'b', p.key], true);
      }
      if (w.jobs?.length) this.putJobs(w.jobs);
      return true;
    });
  }

  // --- the state-change stream ------------------------------------------------------------------

  /** Must run inside a write transaction. */
  private putEvent(e: StreamEvent): void {
    this.events.put(++this.eventSeq, e);
  }

  async appendEvents(events: StreamEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.write(() => {
      for (const e of events) this.putEvent(e);
    });
  }

  private firstEventSeq(): number | undefined {
    for (const key of this.events.getKeys({ limit: 1 })) if (typeof key === 'number') return key;
    return undefined;
  }

  private consumers(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { key, value } of this.meta.getRange({ start: 'pos:', end: 'pos;' })) out.set(key.slice(4), value);
    return out;
  }

  /**
   * One process reads an embedded store, and each consumer has one reader (its EventRunner), so a
   * read simply continues after the acknowledged position: what a failed batch did not acknowledge
   * is read again.
   */
  async readEvents(consumer: string, limit: number): Promise<StreamEntry[]> {
    const k = `pos:${consumer}`;
    let pos = this.meta.get(k);
    if (pos === undefined) {
      const start = (this.firstEventSeq() ?? this.eventSeq + 1) - 1;
      pos = await this.write(() => {
        const p = this.meta.get(k);
        if (p !== undefined) return p;
        this.meta.put(k, start);
        return start;
      });
    }
    const out: StreamEntry[] = [];
    for (const { key, value } of this.events.getRange({ start: pos + 1, limit })) out.push({ pos: String(key), event: value });
    return out;
  }

  async ackEvents(consumer: string, acks: EventAck[]): Promise<number> {
    if (acks.length === 0) return 0;
    return this.write(() => {
      const k = `pos:${consumer}`;
      let pos = this.meta.get(k) ?? 0;
      let applied = 0;
      for (const a of acks) {
        const n = Number(a.pos);
        // Acknowledged before (a batch retried after its write was already in): nothing again.
        if (!(n > pos)) continue;
        if (a.jobs?.length) this.putJobs(a.jobs);
        if (a.counters?.length) this.addCounters(a.counters);
        pos = n;
        applied++;
      }
      this.meta.put(k, pos);
      return applied;
    });
  }

  async eventLag(names?: string[]): Promise<ConsumerLag[]> {
    const all = this.consumers();
    const first = this.firstEventSeq();
    const out: ConsumerLag[] = [];
    for (const consumer of names ?? [...all.keys()].sort()) {
      const pos = all.get(consumer);
      if (pos === undefined || first === undefined) {
        out.push({ consumer, events: pos === undefined ? this.eventSeq - (first ?? this.eventSeq + 1) + 1 : 0 });
        continue;
      }
      // Numbers are consecutive but for writes that rolled back: a bound, exact in practice.
      const from = Math.max(pos, first - 1);
      const events = Math.max(0, this.eventSeq - from);
      const lag: ConsumerLag = { consumer, events };
      if (events > 0) for (const { value } of this.events.getRange({ start: from + 1, limit: 1 })) lag.oldestAt = value.at;
      out.push(lag);
    }
    return out;
  }

  async trimEvents(maxEvents: number): Promise<TrimResult> {
    const positions = this.consumers();
    const result: TrimResult = { trimmed: 0, forced: 0, lost: [] };
    if (positions.size > 0) {
      const passed = Math.min(...positions.values());
      for (;;) {
        const keys = [...this.events.getKeys({ end: passed + 1, limit: TRIM_BATCH })];
        if (keys.length === 0) break;
        await this.write(() => {
          for (const key of keys) this.events.remove(key);
        });
        result.trimmed += keys.length;
        if (keys.length < TRIM_BATCH) break;
      }
    }
    let excess = this.eventCount() - maxEvents;
    while (excess > 0) {
      const keys = [...this.events.getKeys({ limit: Math.min(excess, TRIM_BATCH) })] as number[];
      if (keys.length === 0) break;
      await this.write(() => {
        for (const key of keys) this.events.remove(key);
      });
      for (const [consumer, pos] of positions) {
        const lost = keys.filter((key) => key > pos).length;
        if (lost === 0) continue;
        const entry = result.lost.find((l) => l.consumer === consumer);
        if (entry) entry.events += lost;
        else result.lost.push({ consumer, events: lost });
      }
      result.forced += keys.length;
      excess -= keys.length;
    }
    return result;
  }

  async dropEventConsumer(consumer: string): Promise<void> {
    await this.write(() => {
      this.meta.remove(`pos:${consumer}`);
    });
  }

  async countEvents(): Promise<number> {
    return this.eventCount();
  }

  /** Entries of the events database but its shared structures (ranges skip them, the count does not). */
  private eventCount(): number {
    return (this.events.getStats() as { entryCount: number }).entryCount - (this.events.doesExist(STRUCTURES as unknown as number) ? 1 : 0);
  }

  // --- counters ---------------------------------------------------------------------------------

  /** Must run inside a write transaction. */
  private addCounters(counters: CounterDelta[]): void {
    for (const c of counters) {
      const key = splitCounterKey(c.key);
      this.counters.put(key, (this.counters.get(key) ?? 0) + c.delta);
      if (c.ttlMs !== undefined && c.ttlMs > 0) {
        const exp = this.now() + c.ttlMs;
        const prev = this.meta.get(`cttl:${key[0]}`);
        if (prev === undefined || prev < exp) {
          this.meta.put(`cttl:${key[0]}`, exp);
          this.expiries.put([exp, 'n', key[0]], true);
        }
      }
    }
  }

  async applyOnce(consumer: string, eventId: string, counters: CounterDelta[], markerTtlMs: number): Promise<boolean> {
    return this.write(() => {
      const k = `o:${consumer}\u0000${eventId}`;
      const e = this.index.get(k) as OnceEntry | undefined;
      if (e && e.exp >= this.now()) return false;
      this.putIndex(k, { exp: this.now() + markerTtlMs });
      this.addCounters(counters);
      return true;
    });
  }

  private liveGroup(group: string): boolean {
    const exp = this.meta.get(`cttl:${group}`);
    return exp === undefined || exp >= this.now();
  }

  async readCounter(key: string): Promise<number> {
    const k = splitCounterKey(key);
    return this.liveGroup(k[0]) ? (this.counters.get(k) ?? 0) : 0;
  }

  async readCounters(groups: string[]): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const group of groups) {
      const values: Record<string, number> = {};
      if (this.liveGroup(group)) for (const { key, value } of this.counters.getRange({ start: [group], end: [`${group}\u0000`] })) values[key[1]] = value;
      out[group] = values;
    }
    return out;
  }

  async stateCounts(): Promise<Partial<Record<RecipientState, number>>> {
    const out: Partial<Record<RecipientState, number>> = {};
    for (const { key, value } of this.counts.getRange({})) out[key as RecipientState] = value;
    return out;
  }

  async sweep(now: number, limit = 10_000): Promise<number> {
    const due: ExpiryKey[] = [];
    for (const key of this.expiries.getKeys({ start: [0], end: [now] })) {
      due.push(key);
      if (due.length >= limit) break;
    }
    if (due.length === 0) return 0;
    return this.write(() => {
      let removed = 0;
      for (const marker of due) {
        this.expiries.remove(marker);
        const [, where, key] = marker;
        if (where === 'n') {
          // A counter group with a TTL: gone once its latest increment's TTL ran out.
          const exp = this.meta.get(`cttl:${key}`);
          if (exp !== undefined && exp < now) {
            for (const k of this.counters.getKeys({ start: [key], end: [`${key}\u0000`] })) this.counters.remove(k);
            this.meta.remove(`cttl:${key}`);
            removed++;
          }
          continue;
        }
        const db = where === 'c' ? this.cache : where === 'b' ? this.batches : this.index;
        // An entry written again since (a new window, a refreshed cache value) has a later marker of its own.
        const e = db.get(key) as { exp?: number } | string | undefined;
        if (e !== undefined && typeof e === 'object' && e.exp !== undefined && e.exp < now) {
          db.remove(key);
          removed++;
        }
      }
      return removed;
    });
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await this.root.flushed;
    await this.root.close();
  }
}
