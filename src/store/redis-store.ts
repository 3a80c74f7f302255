import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { acceptedEvents, changeEvent, eventExtra, messageEvent, splitCounterKey, type CounterDelta, type StreamEntry, type StreamEvent } from '../records/events.js';
import type { JobRecord, MessageRecord, NewJob, RecipientRecord, RecipientState } from '../records/model.js';
import type { Logger } from 'pino';
import { OUTAGE_OPTIONS, connectRedis, isCluster } from './redis-connect.js';
import {
  BATCH_WRITE,
  ACK_EVENTS,
  APPLY_ONCE,
  READ_EVENTS,
  REPLACE,
  CACHE_SET_IF_ABSENT,
  CACHE_ADD,
  CAS_RECIPIENT,
  CLAIM,
  COMPLETE,
  CREATE,
  CREATE_CONTENT,
  CREATE_RECORDS,
  DROP_CONSUMER,
  PURGE,
  PURGE_RECORDS,
  RELEASE,
  RETRY,
  SCHEDULE,
  type RedisClient,
} from './redis-scripts.js';
import type { BatchWrite, ConsumerLag, CreateOutcome, EventAck, RecipientPatch, Store, SubmissionKey, Transition, TransitionResult, TrimResult } from './types.js';

export type ContentMode = 'redis' | { dir: string };

export interface RedisStoreOptions {
  /** redis://, rediss://, redis+sentinel://, redis+cluster:// (see connectRedis). */
  url?: string;
  /** ioredis options: with `url` they are added to it; alone they describe the server (incl. Sentinel). */
  redis?: RedisOptions;
  /** An open connection to use instead; close() leaves it open. */
  client?: RedisClient;
  /** Prepended to every key. A prefix holding a hash tag (`mmsc:{a}:`) puts all keys in one Cluster slot. */
  keyPrefix?: string;
  /** Where bodies live: in Redis (default) or as files on a folder every node mounts. */
  contentMode?: ContentMode;
  /** How long records outlive the message's expiry; keys carry this TTL as a safety net. */
  retentionMs?: number;
  /** Added to every TTL, so Redis never drops data the relay's own expire/purge jobs still expect. */
  graceMs?: number;
  clock?: () => number;
  /**
   * Write message content and records in two steps (each atomic) instead of one. Needed on Redis
   * Cluster, where a script may not span slots; the default is on for Cluster without a hash tag
   * in the prefix.
   */
  splitSlots?: boolean;
  /**
   * This node's consumer name in the job stream's consumer group; must differ between nodes (and
   * between stores sharing one Redis). Default: hostname, pid and a random suffix.
   */
  consumer?: string;
  /** Where connection loss and recovery are reported (only for a connection the store opens). */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

const DAY = 86_400_000;
const MAX_CAS_ATTEMPTS = 100;
/** A consumer without pending jobs that has not claimed for this long is removed from the group. */
const STALE_CONSUMER_MS = DAY;

/**
 * The store for several nodes sharing one Redis (standalone, Sentinel or Cluster).
 *
 * Keys: the message and its body share the hash tag `{messageId}`; recipients, their indexes, the
 * state counts and the job queue share the tag `{g}`, so a state transition and the jobs it
 * schedules are one script in one slot. Jobs wait in a sorted set until due, then move into a
 * stream read through a consumer group (see the queue scripts in redis-scripts.ts). On a single server (or Sentinel) a new message is one
 * script; on Cluster it is two: content first, records second. A crash between the two leaves only
 * content that nothing references, and its TTL removes it.
 *
 * Records are JSON strings; read-modify-write happens in Node and is committed by a compare-and-set
 * script on the whole previous value, retried on conflict, so two nodes never both apply a change.
 *
 * Every write resolves once Redis acknowledged it. How much of that survives a Redis crash is set
 * by Redis persistence (appendfsync), see docs/operations.md.
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly client: RedisClient;
  private readonly ownsClient: boolean;
  private readonly p: string;
  private readonly g: string;
  private readonly content: ContentMode;
  private readonly retentionMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;
  private readonly split: boolean;
  private closed = false;
  readonly consumer: string;
  /** Jobs this instance claimed and has not settled: id -> due time. */
  private readonly held = new Map<string, number>();

  constructor(opts: RedisStoreOptions = {}) {
    if (opts.client) {
      this.client = opts.client;
      this.ownsClient = false;
    } else {
      this.client = opts.url ? connectRedis(opts.url, opts.redis) : new Redis({ ...OUTAGE_OPTIONS, enableAutoPipelining: true, ...opts.redis });
      this.ownsClient = true;
      watchConnection(this.client, opts.logger);
    }
    this.p = opts.keyPrefix ?? 'mmsc:';
    this.g = `${this.p}{g}:`;
    this.content = opts.contentMode ?? 'redis';
    if (this.content !== 'redis') mkdirSync(this.content.dir, { recursive: true });
    this.retentionMs = opts.retentionMs ?? 30 * DAY;
    this.graceMs = opts.graceMs ?? DAY;
    this.now = opts.clock ?? Date.now;
    this.split = opts.splitSlots ?? (isCluster(this.client) && !/\{[^}]+\}/.test(this.p));
    this.consumer = opts.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  // --- keys -------------------------------------------------------------------------------------

  private msgKey(id: string): string {
    return `${this.p}{${id}}:msg`;
  }
  private bodyKey(id: string): string {
    return `${this.p}{${id}}:body`;
  }
  private rcpKey(rid: string): string {
    return `${this.g}r:${rid}`;
  }
  private tokenKey(token: string): string {
    return `${this.g}t:${token}`;
  }
  private tidKey(tid: string): string {
    return `${this.g}x:${tid}`;
  }
  private smscKey(key: string): string {
    return `${this.g}s:${key}`;
  }
  /** In the records' slot: the check and the entry are part of the script that writes the records. */
  private submissionKey(key: string): string {
    return `${this.g}k:${key}`;
  }
  private get countsKey(): string {
    return `${this.g}counts`;
  }
  /** Sorted set: job id -> due time, for jobs not yet handed to a node. */
  private get queueKey(): string {
    return `${this.g}jobs`;
  }
  /** Stream (consumer group `workers`) of due jobs being worked on. */
  private get streamKey(): string {
    return `${this.g}jobstream`;
  }
  private get inflightKey(): string {
    return `${this.g}jobentry`;
  }
  private get cursorKey(): string {
    return `${this.g}jobcursor`;
  }
  private get jobDataKey(): string {
    return `${this.g}jobdata`;
  }
  private get jobKeysKey(): string {
    return `${this.g}jobkeys`;
  }
  /** Campaign records share the records' slot, so a BatchWrite and its jobs are one script. */
  private batchKey(key: string): string {
    return `${this.g}b:${key}`;
  }
  /** The state-change outbox: a stream, one consumer group per consumer name. */
  private get eventsKey(): string {
    return `${this.g}events`;
  }
  /** Hash of the counters of one group (`<group>:<name>` -> field name). */
  private counterKey(group: string): string {
    return `${this.g}n:${group}`;
  }
  private onceKey(consumer: string, eventId: string): string {
    return `${this.g}o:${consumer}:${eventId}`;
  }
  private cacheKey(namespace: string, key: string): string {
    return `${this.p}c:${encodeURIComponent(namespace)}:${key}`;
  }
  private bodyFile(dir: string, id: string): string {
    return join(dir, Buffer.from(id).toString('base64url'));
  }

  /** TTL of records: until the message expired and its retention ended, plus grace. */
  private recordTtl(message: MessageRecord): number {
    return Math.max(0, message.expiresAt - this.now()) + this.retentionMs + this.graceMs;
  }

  // --- messages ---------------------------------------------------------------------------------

  async createMessage(message: MessageRecord, body: Uint8Array, recipients: RecipientRecord[], jobs: NewJob[], submission?: SubmissionKey): Promise<CreateOutcome> {
    const ttl = this.recordTtl(message);
    const bodyTtl = Math.max(0, message.expiresAt - this.now()) + this.graceMs;
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let file: string | undefined;
    if (this.content !== 'redis') {
      file = this.bodyFile(this.content.dir, message.id);
      await writeFileExclusive(file, buf);
    }
    const contentKeys = [this.msgKey(message.id), this.bodyKey(message.id)];
    const contentArgs = [JSON.stringify(message), ttl, file ? '0' : '1', file ? '' : buf, bodyTtl];
    const recordKeys = [this.countsKey, this.queueKey, this.jobDataKey, this.jobKeysKey];
    const recordArgs: (string | number)[] = [ttl, recipients.length, jobs.length];
    for (const r of recipients) {
      recordKeys.push(this.rcpKey(r.id), this.tokenKey(r.token), this.tidKey(r.transactionId));
      recordArgs.push(r.id, r.state, JSON.stringify(r));
    }
    recordArgs.push(...this.jobArgs(jobs));
    const events = acceptedEvents(message, recipients);
    recordArgs.push(events.length, ...events.map((e) => JSON.stringify(e)));
    // Without a submission the key is passed but never touched (Cluster wants every key declared).
    const subKey = this.submissionKey(submission?.key ?? '');
    const now = this.now();
    const subArgs = submission
      ? ['1', now, submission.digest, `${now + submission.ttlMs}|${submission.digest}|${message.id}`, Math.max(1, Math.ceil(submission.ttlMs))]
      : ['0', now, '', '', 1];
    let res: unknown;
    try {
      if (!this.split) {
        res = await CREATE.run(this.client, [...contentKeys, subKey, this.eventsKey, ...recordKeys], [...contentArgs, ...subArgs, ...recordArgs]);
      } else {
        // Content first: on Cluster the submission check can only run with the records, so a
        // retransmission writes its content and then takes it back below.
        await CREATE_CONTENT.run(this.client, contentKeys, contentArgs);
        try {
          res = await CREATE_RECORDS.run(this.client, [subKey, this.eventsKey, ...recordKeys], [...subArgs, ...recordArgs]);
        } catch (err) {
          await this.client.del(...contentKeys).catch(() => undefined);
          throw err;
        }
        if (isRetransmission(res)) await this.client.del(...contentKeys);
      }
    } catch (err) {
      // The file is ours (writeFileExclusive created it), whatever refused the records.
      if (file) await unlink(file).catch(() => undefined);
      throw err;
    }
    const [created, other] = res as [number, string?];
    if (created === 0) {
      if (file) await unlink(file).catch(() => undefined);
      return { created: false, existing: String(other) };
    }
    return other === undefined ? { created: true } : { created: true, supersedes: String(other) };
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const raw = await this.client.get(this.msgKey(id));
    return raw === null ? undefined : (JSON.parse(raw) as MessageRecord);
  }

  async getBody(id: string): Promise<Buffer | undefined> {
    if (this.content === 'redis') return (await this.client.getBuffer(this.bodyKey(id))) ?? undefined;
    try {
      return await readFile(this.bodyFile(this.content.dir, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async replaceContent(id: string, contentType: MessageRecord['contentType'], body: Uint8Array): Promise<boolean> {
    const raw = await this.client.get(this.msgKey(id));
    if (raw === null) return false;
    const old = JSON.parse(raw) as MessageRecord;
    const message = { ...old, contentType, contentSize: body.byteLength };
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const at = this.now();
    const event = JSON.stringify(messageEvent(old, 'replaced', at, `${id}#replaced@${at}`));
    if (this.content === 'redis') {
      if (!this.split) {
        await REPLACE.run(this.client, [this.msgKey(id), this.bodyKey(id), this.eventsKey], [JSON.stringify(message), buf, event]);
        return true;
      }
      // Cluster: both keys share the message's hash slot ({id}), so one MULTI replaces them
      // together; the event (records' slot) follows, and a crash in between loses it.
      const res = await this.client.multi().set(this.bodyKey(id), buf, 'KEEPTTL').set(this.msgKey(id), JSON.stringify(message), 'KEEPTTL').exec();
      for (const [err] of res ?? []) if (err) throw err;
      await this.client.xadd(this.eventsKey, '*', 'e', event);
      return true;
    }
    // File content: the new file is durable before it takes the old one's name (rename is atomic);
    // a crash between the rename and the record update leaves the new body under the old type.
    const file = this.bodyFile(this.content.dir, id);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.new`;
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await this.client.set(this.msgKey(id), JSON.stringify(message), 'KEEPTTL');
    await this.client.xadd(this.eventsKey, '*', 'e', event);
    return true;
  }

  async deleteBody(id: string): Promise<void> {
    if (this.content === 'redis') {
      await this.client.del(this.bodyKey(id));
      return;
    }
    await unlinkIfPresent(this.bodyFile(this.content.dir, id));
  }

  async purgeMessage(id: string): Promise<void> {
    const recipients = await this.listRecipients(id);
    const keys = [this.countsKey];
    const args: (string | number)[] = [recipients.length];
    for (const r of recipients) {
      const smsc = r.smscKeys ?? [];
      keys.push(this.rcpKey(r.id), this.tokenKey(r.token), this.tidKey(r.transactionId), ...smsc.map((k) => this.smscKey(k)));
      args.push(r.id, smsc.length);
    }
    const contentKeys = [this.msgKey(id), this.bodyKey(id)];
    if (!this.split) {
      await PURGE.run(this.client, [...contentKeys, ...keys], args);
    } else {
      // Records first: a crash in between leaves content that nothing references (and its TTL).
      await PURGE_RECORDS.run(this.client, keys, args);
      await this.client.del(...contentKeys);
    }
    if (this.content !== 'redis') await unlinkIfPresent(this.bodyFile(this.content.dir, id));
  }

  // --- recipients -------------------------------------------------------------------------------

  async getRecipient(id: string): Promise<RecipientRecord | undefined> {
    const raw = await this.client.hget(this.rcpKey(id), 'j');
    return raw === null ? undefined : (JSON.parse(raw) as RecipientRecord);
  }

  async listRecipients(messageId: string): Promise<RecipientRecord[]> {
    const msg = await this.getMessage(messageId);
    if (!msg || msg.recipientCount === 0) return [];
    const pipe = this.client.pipeline();
    for (let i = 0; i < msg.recipientCount; i++) pipe.hget(this.rcpKey(`${messageId}/${i}`), 'j');
    const out: RecipientRecord[] = [];
    for (const [err, raw] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      if (typeof raw === 'string') out.push(JSON.parse(raw) as RecipientRecord);
    }
    return out;
  }

  async findRecipientByToken(token: string): Promise<RecipientRecord | undefined> {
    return this.byIndex(this.tokenKey(token));
  }

  async findRecipientByTransactionId(transactionId: string): Promise<RecipientRecord | undefined> {
    return this.byIndex(this.tidKey(transactionId));
  }

  async findRecipientBySmscKey(key: string): Promise<RecipientRecord | undefined> {
    const raw = await this.client.get(this.smscKey(key));
    if (raw === null) return undefined;
    const bar = raw.indexOf('|');
    // The expiry is checked against the store clock too: Redis' own TTL runs on the server clock.
    if (Number(raw.slice(0, bar)) < this.now()) return undefined;
    return this.getRecipient(raw.slice(bar + 1));
  }

  private async byIndex(key: string): Promise<RecipientRecord | undefined> {
    const rid = await this.client.get(key);
    return rid === null ? undefined : this.getRecipient(rid);
  }

  async addSmscKeys(recipientId: string, keys: string[], ttlMs: number): Promise<void> {
    const exp = this.now() + ttlMs;
    await this.casLoop(recipientId, (cur) => ({
      next: { ...cur, smscKeys: [...new Set([...(cur.smscKeys ?? []), ...keys])] },
      index: { keys, value: `${exp}|${recipientId}`, ttlMs },
    }));
  }

  /**
   * The state change, its jobs, the receipt keys and the completion of the job that caused it are
   * one script. Keys and completion apply even when the state had moved on (see Transition).
   */
  async transition(recipientId: string, t: Transition): Promise<TransitionResult | undefined> {
    const keys = t.smscKeys?.keys.length ? t.smscKeys : undefined;
    const result = await this.casLoop(
      recipientId,
      (cur) => {
        const applies = t.from.includes(cur.state);
        if (!applies && !keys && !t.completeJob) return undefined;
        let next: RecipientRecord = applies
          ? {
              ...cur,
              ...t.patch,
              state: t.to,
              updatedAt: t.at,
              history: [...cur.history, t.note ? { state: t.to, at: t.at, note: t.note } : { state: t.to, at: t.at }],
            }
          : cur;
        const events = applies ? [changeEvent(cur, next, eventExtra(t)), ...(t.events ?? [])] : undefined;
        if (keys) next = { ...next, smscKeys: [...new Set([...(next.smscKeys ?? []), ...keys.keys])] };
        const index = keys && { keys: keys.keys, value: `${this.now() + keys.ttlMs}|${recipientId}`, ttlMs: keys.ttlMs };
        return { next, jobs: applies ? t.jobs : undefined, index, complete: t.completeJob, changed: applies, events };
      },
    );
    if (result === undefined && t.completeJob) await this.completeJob(t.completeJob);
    else if (t.completeJob) this.held.delete(t.completeJob.id);
    return result;
  }

  async updateRecipient(recipientId: string, patch: RecipientPatch | ((current: RecipientRecord) => RecipientPatch)): Promise<RecipientRecord | undefined> {
    const r = await this.casLoop(recipientId, (cur) => ({ next: { ...cur, ...(typeof patch === 'function' ? patch(cur) : patch), updatedAt: this.now() } }));
    return r?.record;
  }

  /**
   * Reads a recipient, lets `change` compute its next value (undefined = leave as is) and commits it
   * only if nobody wrote the record meanwhile; on a conflict it starts over with the fresh value.
   */
  private async casLoop(
    recipientId: string,
    change: (
      cur: RecipientRecord,
    ) =>
      | {
          next: RecipientRecord;
          jobs?: NewJob[];
          index?: { keys: string[]; value: string; ttlMs: number };
          complete?: JobRecord;
          changed?: boolean;
          events?: StreamEvent[];
        }
      | undefined,
  ): Promise<TransitionResult | undefined> {
    const key = this.rcpKey(recipientId);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await this.client.hget(key, 'j');
      if (raw === null) return undefined;
      const cur = JSON.parse(raw) as RecipientRecord;
      const c = change(cur);
      if (!c) return { record: cur, changed: false };
      const index = c.index || { keys: [], value: '', ttlMs: 1 };
      const jobs = c.jobs ?? [];
      const json = JSON.stringify(c.next);
      const events = c.events ?? [];
      const res = await CAS_RECIPIENT.run(
        this.client,
        [key, this.countsKey, this.queueKey, this.jobDataKey, this.jobKeysKey, this.streamKey, this.inflightKey, this.eventsKey, ...index.keys.map((k) => this.smscKey(k))],
        [
          raw,
          json,
          cur.state,
          c.next.state,
          Math.max(1, Math.ceil(index.ttlMs)),
          index.keys.length,
          ...index.keys.map(() => index.value),
          jobs.length,
          ...this.jobArgs(jobs),
          c.complete?.id ?? '',
          c.complete?.key ?? '',
          events.length,
          ...events.map((e) => JSON.stringify(e)),
        ],
      );
      if (res === 1) return { record: c.next, changed: c.changed ?? true };
      if (res === 0) return undefined;
    }
    throw new Error(`recipient ${recipientId}: too many concurrent writers`);
  }

  // --- jobs -------------------------------------------------------------------------------------

  /** Groups of (id, key, dueAt, json) as put_jobs reads them. */
  private jobArgs(jobs: NewJob[]): (string | number)[] {
    const now = this.now();
    const out: (string | number)[] = [];
    for (const j of jobs) {
      const rec: JobRecord = { ...j, id: randomBytes(9).toString('base64url'), attempts: 0, createdAt: now, dueAt: j.dueAt > 0 ? j.dueAt : now };
      out.push(rec.id, j.key ?? '', rec.dueAt, JSON.stringify(rec));
    }
    return out;
  }

  async scheduleJobs(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await SCHEDULE.run(this.client, [this.queueKey, this.jobDataKey, this.jobKeysKey], [jobs.length, ...this.jobArgs(jobs)]);
  }

  async claimDueJobs(now: number, limit: number, leaseMs: number): Promise<JobRecord[]> {
    if (limit <= 0) return [];
    const raw = (await CLAIM.run(
      this.client,
      [this.queueKey, this.jobDataKey, this.streamKey, this.inflightKey, this.cursorKey],
      [now, limit, leaseMs, this.consumer],
    )) as string[];
    return raw.map((s) => {
      const job = JSON.parse(s) as JobRecord;
      this.held.set(job.id, job.dueAt);
      return job;
    });
  }

  async completeJob(job: JobRecord, followUps: NewJob[] = []): Promise<void> {
    await COMPLETE.run(
      this.client,
      [this.queueKey, this.jobDataKey, this.jobKeysKey, this.streamKey, this.inflightKey],
      [job.id, job.key ?? '', followUps.length, ...this.jobArgs(followUps)],
    );
    this.held.delete(job.id);
  }

  async retryJob(job: JobRecord, dueAt: number, error: string): Promise<void> {
    const next: JobRecord = { ...job, dueAt, attempts: job.attempts + 1, lastError: error };
    await RETRY.run(this.client, [this.queueKey, this.jobDataKey, this.streamKey, this.inflightKey], [job.id, dueAt, JSON.stringify(next)]);
    this.held.delete(job.id);
  }

  async pendingJobKeys(keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const ids = await this.client.hmget(this.jobKeysKey, ...keys);
    return keys.filter((_, i) => ids[i] !== null);
  }

  /**
   * The earliest due time of a scheduled job. Jobs held by a node are not counted: a runner finds
   * the ones whose lease ran out on its regular poll.
   */
  async nextDueAt(): Promise<number | undefined> {
    const first = await this.client.zrange(this.queueKey, '0', '0', 'WITHSCORES');
    return first.length === 2 ? Number(first[1]) : undefined;
  }

  /** Scheduled and running jobs. */
  async countJobs(): Promise<number> {
    return this.client.hlen(this.jobDataKey);
  }

  // --- the state-change stream ------------------------------------------------------------------

  async appendEvents(events: StreamEvent[]): Promise<void> {
    if (events.length === 0) return;
    const multi = this.client.multi();
    for (const e of events) multi.xadd(this.eventsKey, '*', 'e', JSON.stringify(e));
    const res = await multi.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }

  /** Consumer groups this instance knows exist (created at the oldest entry on first read). */
  private readonly groups = new Set<string>();

  private async ensureGroup(consumer: string): Promise<void> {
    if (this.groups.has(consumer)) return;
    try {
      await this.client.xgroup('CREATE', this.eventsKey, consumer, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    this.groups.add(consumer);
  }

  /** When this instance last looked for another member's expired leases, per consumer (its clock). */
  private readonly lastClaim = new Map<string, number>();

  async readEvents(consumer: string, limit: number, opts: { leaseMs: number; now: number }): Promise<StreamEntry[]> {
    await this.ensureGroup(consumer);
    // Leases expire after leaseMs: looking for expired ones (XAUTOCLAIM scans the pending list) a
    // few times per lease is enough, not on every read.
    const last = this.lastClaim.get(consumer);
    const claim = last === undefined || opts.now - last >= opts.leaseMs / 4 || opts.now < last;
    if (claim) this.lastClaim.set(consumer, opts.now);
    const args = [consumer, this.consumer, limit, opts.leaseMs, opts.now, claim ? '1' : '0'];
    let raw: string[];
    try {
      raw = (await READ_EVENTS.run(this.client, [this.eventsKey], args)) as string[];
    } catch (err) {
      // The stream (and its groups) went away, e.g. a flushed database: create the group again.
      if (!/NOGROUP/.test((err as Error).message)) throw err;
      this.groups.delete(consumer);
      await this.ensureGroup(consumer);
      raw = (await READ_EVENTS.run(this.client, [this.eventsKey], args)) as string[];
    }
    const out: StreamEntry[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) out.push({ pos: raw[i]!, event: JSON.parse(raw[i + 1]!) as StreamEvent });
    // Own retries, claimed and new entries come in three runs: one order for the consumer.
    return out.sort((a, b) => compareIds(a.pos, b.pos));
  }

  async ackEvents(consumer: string, acks: EventAck[]): Promise<number> {
    if (acks.length === 0) return 0;
    const keys = [this.eventsKey, this.queueKey, this.jobDataKey, this.jobKeysKey];
    const slot = new Map<string, number>();
    const args: (string | number)[] = [consumer, acks.length];
    for (const a of acks) {
      const jobs = a.jobs ?? [];
      const counters = a.counters ?? [];
      args.push(a.pos, jobs.length, ...this.jobArgs(jobs), counters.length);
      for (const c of counters) {
        const [group, name] = splitCounterKey(c.key);
        const k = this.counterKey(group);
        let i = slot.get(k);
        if (i === undefined) {
          keys.push(k);
          i = keys.length;
          slot.set(k, i);
        }
        args.push(i, name, Math.trunc(c.delta), c.ttlMs && c.ttlMs > 0 ? Math.ceil(c.ttlMs) : 0);
      }
    }
    return Number(await ACK_EVENTS.run(this.client, keys, args));
  }

  private async groupInfo(): Promise<Record<string, unknown>[]> {
    try {
      return ((await this.client.call('XINFO', 'GROUPS', this.eventsKey)) as unknown[]).map(fields);
    } catch (err) {
      if (/no such key/i.test((err as Error).message)) return [];
      throw err;
    }
  }

  /** The oldest entry of `group` not yet acknowledged: [id to keep from, unacknowledged count]. */
  private async unacked(g: Record<string, unknown>): Promise<{ from: string; events: number; oldest?: string }> {
    const pending = Number(g.pending);
    const last = String(g['last-delivered-id']);
    let undelivered = g.lag === null || g.lag === undefined ? undefined : Number(g.lag);
    if (undelivered === undefined) {
      // Redis cannot tell after deletions in the middle: count (bounded) what follows the group's position.
      undelivered = ((await this.client.xrange(this.eventsKey, `(${last}`, '+', 'COUNT', 100_000)) as unknown[]).length;
    }
    if (pending > 0) {
      const summary = (await this.client.xpending(this.eventsKey, String(g.name))) as [number, string, string, unknown];
      return { from: summary[1], events: pending + undelivered, oldest: summary[1] };
    }
    const from = nextId(last);
    if (undelivered === 0) return { from, events: 0 };
    const next = (await this.client.xrange(this.eventsKey, `(${last}`, '+', 'COUNT', 1)) as [string, string[]][];
    return { from, events: undelivered, oldest: next[0]?.[0] };
  }

  async eventLag(names?: string[]): Promise<ConsumerLag[]> {
    const groups = await this.groupInfo();
    const out: ConsumerLag[] = [];
    for (const consumer of names ?? groups.map((g) => String(g.name)).sort()) {
      const g = groups.find((x) => String(x.name) === consumer);
      if (!g) {
        out.push({ consumer, events: await this.client.xlen(this.eventsKey) });
        continue;
      }
      const u = await this.unacked(g);
      const lag: ConsumerLag = { consumer, events: u.events };
      if (u.oldest) {
        const entry = (await this.client.xrange(this.eventsKey, u.oldest, '+', 'COUNT', 1)) as [string, string[]][];
        const json = entry[0]?.[1]?.[1];
        lag.oldestAt = json ? (JSON.parse(json) as StreamEvent).at : Number(u.oldest.split('-')[0]);
      }
      out.push(lag);
    }
    return out;
  }

  async trimEvents(maxEvents: number): Promise<TrimResult> {
    const groups = await this.groupInfo();
    const result: TrimResult = { trimmed: 0, forced: 0, lost: [] };
    const behind: { consumer: string; events: number }[] = [];
    if (groups.length > 0) {
      let min: string | undefined;
      for (const g of groups) {
        const u = await this.unacked(g);
        behind.push({ consumer: String(g.name), events: u.events });
        if (min === undefined || compareIds(u.from, min) < 0) min = u.from;
      }
      result.trimmed = Number(await this.client.xtrim(this.eventsKey, 'MINID', min!));
    }
    const len = await this.client.xlen(this.eventsKey);
    if (len > maxEvents) {
      result.forced = Number(await this.client.xtrim(this.eventsKey, 'MAXLEN', maxEvents));
      // What survives is the newest maxEvents entries: a consumer lost what it had not acknowledged beyond them.
      for (const b of behind) if (b.events > maxEvents) result.lost.push({ consumer: b.consumer, events: Math.min(result.forced, b.events - maxEvents) });
    }
    return result;
  }

  async dropEventConsumer(consumer: string): Promise<void> {
    await this.client.xgroup('DESTROY', this.eventsKey, consumer).catch((err: Error) => {
      if (!/no such key|requires the key to exist/i.test(err.message)) throw err;
    });
    this.groups.delete(consumer);
  }

  async countEvents(): Promise<number> {
    return this.client.xlen(this.eventsKey);
  }

  // --- counters ---------------------------------------------------------------------------------

  async applyOnce(consumer: string, eventId: string, counters: CounterDelta[], markerTtlMs: number): Promise<boolean> {
    const keys = [this.onceKey(consumer, eventId)];
    const args: (string | number)[] = [Math.max(1, Math.ceil(markerTtlMs)), counters.length];
    for (const c of counters) {
      const [group, name] = splitCounterKey(c.key);
      keys.push(this.counterKey(group));
      args.push(keys.length, name, Math.trunc(c.delta), c.ttlMs && c.ttlMs > 0 ? Math.ceil(c.ttlMs) : 0);
    }
    return Number(await APPLY_ONCE.run(this.client, keys, args)) === 1;
  }

  async readCounter(key: string): Promise<number> {
    const [group, name] = splitCounterKey(key);
    return Number((await this.client.hget(this.counterKey(group), name)) ?? 0);
  }

  async readCounters(groups: string[]): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    if (groups.length === 0) return out;
    const pipe = this.client.pipeline();
    for (const g of groups) pipe.hgetall(this.counterKey(g));
    const res = (await pipe.exec()) ?? [];
    groups.forEach((g, i) => {
      const [err, all] = res[i] ?? [new Error('no reply'), undefined];
      if (err) throw err;
      const values: Record<string, number> = {};
      for (const [name, v] of Object.entries((all ?? {}) as Record<string, string>)) values[name] = Number(v);
      out[g] = values;
    });
    return out;
  }

  // --- cache ------------------------------------------------------------------------------------

  async cacheGet(namespace: string, key: string): Promise<Buffer | undefined> {
    const [v, e] = await this.client.hmgetBuffer(this.cacheKey(namespace, key), 'v', 'e');
    if (!v || !e || Number(e.toString()) < this.now()) return undefined;
    return v;
  }

  async cacheSet(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    const k = this.cacheKey(namespace, key);
    const res = await this.client
      .multi()
      .hset(k, 'v', Buffer.from(value.buffer, value.byteOffset, value.byteLength), 'e', String(this.now() + ttlMs))
      .pexpire(k, Math.max(1, Math.ceil(ttlMs)))
      .exec();
    for (const [err] of res ?? []) if (err) throw err;
  }

  async cacheSetIfAbsent(namespace: string, key: string, value: Uint8Array, ttlMs: number): Promise<Buffer | undefined> {
    const now = this.now();
    const res = await CACHE_SET_IF_ABSENT.runBuffer(
      this.client,
      [this.cacheKey(namespace, key)],
      [Buffer.from(value.buffer, value.byteOffset, value.byteLength), now + ttlMs, now, Math.max(1, Math.ceil(ttlMs))],
    );
    return Buffer.isBuffer(res) ? res : undefined;
  }

  async cacheAdd(namespace: string, key: string, delta: number, ttlMs: number): Promise<number> {
    const now = this.now();
    const res = await CACHE_ADD.run(this.client, [this.cacheKey(namespace, key)], [Math.trunc(delta), now, now + ttlMs, Math.max(1, Math.ceil(ttlMs))]);
    return Number(res);
  }

  // --- campaign records ---------------------------------------------------------------------------

  async batchGet(keys: string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    const pipe = this.client.pipeline();
    for (const k of keys) pipe.hmgetBuffer(this.batchKey(k), 'v', 'e');
    const now = this.now();
    return ((await pipe.exec()) ?? []).map(([err, res]) => {
      if (err) throw err;
      const [v, e] = res as [Buffer | null, Buffer | null];
      return v && e && Number(e.toString()) >= now ? v : undefined;
    });
  }

  async batchWrite(w: BatchWrite): Promise<boolean> {
    const now = this.now();
    const puts = w.put ?? [];
    const dels = w.del ?? [];
    const keys = [this.queueKey, this.jobDataKey, this.jobKeysKey, this.batchKey(w.expect?.key ?? ''), ...dels.map((k) => this.batchKey(k)), ...puts.map((p) => this.batchKey(p.key))];
    const expect = w.expect ? (w.expect.value === undefined ? '1' : '2') : '0';
    const expected = w.expect?.value ? Buffer.from(w.expect.value.buffer, w.expect.value.byteOffset, w.expect.value.byteLength) : '';
    const args: (string | number | Buffer)[] = [now, expect, expected, dels.length, puts.length];
    for (const p of puts) args.push(Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength), now + p.ttlMs, Math.max(1, Math.ceil(p.ttlMs + this.graceMs)));
    const jobs = w.jobs ?? [];
    args.push(jobs.length, ...this.jobArgs(jobs));
    return Number(await BATCH_WRITE.run(this.client, keys, args)) === 1;
  }

  // --- housekeeping -----------------------------------------------------------------------------

  async stateCounts(): Promise<Partial<Record<RecipientState, number>>> {
    const all = await this.client.hgetall(this.countsKey);
    const out: Partial<Record<RecipientState, number>> = {};
    for (const [state, n] of Object.entries(all)) out[state as RecipientState] = Number(n);
    return out;
  }

  /**
   * Redis expires keys itself. What is left are the consumer groups (of the job stream and of the
   * event stream): every node that ever ran (a new name per process) stays a member until
   * removed, so members without pending entries that have been idle for a day are dropped.
   * Returns how many were.
   */
  async sweep(_now: number): Promise<number> {
    let removed = await this.dropStaleMembers(this.streamKey, 'workers');
    // The same for the members (nodes) of each consumer group of the event stream.
    for (const g of await this.groupInfo()) removed += await this.dropStaleMembers(this.eventsKey, String(g.name));
    return removed;
  }

  private async dropStaleMembers(stream: string, group: string): Promise<number> {
    let consumers: unknown[];
    try {
      consumers = (await this.client.call('XINFO', 'CONSUMERS', stream, group)) as unknown[];
    } catch (err) {
      if (/no such key|NOGROUP/i.test((err as Error).message)) return 0;
      throw err;
    }
    let removed = 0;
    for (const c of consumers) {
      const f = fields(c);
      if (f.name === this.consumer || Number(f.pending) !== 0 || Number(f.idle) < STALE_CONSUMER_MS) continue;
      removed += Number(await DROP_CONSUMER.run(this.client, [stream], [String(f.name), group]));
    }
    return removed;
  }

  /** Fails within `timeoutMs` while Redis is unreachable (the PING may sit in ioredis' offline queue). */
  async ping(timeoutMs = 2000): Promise<void> {
    if (this.closed) throw new Error('store closed');
    const pong = this.client.ping().catch((err: Error) => {
      throw new Error(`Redis did not answer PING (status ${this.client.status}): ${err.message}`);
    });
    await withTimeout(pong, timeoutMs, () => `Redis did not answer PING within ${timeoutMs} ms (status ${this.client.status})`);
  }

  /**
   * Hands back the leases of jobs claimed but not settled, so other nodes (or this one after a
   * restart) take them at once instead of after the lease; a node that dies keeps them until then.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.held.size > 0) {
      const args: (string | number)[] = [this.consumer];
      for (const [id, dueAt] of this.held) args.push(id, dueAt);
      this.held.clear();
      // Best effort: without Redis the leases simply run out.
      await withTimeout(RELEASE.run(this.client, [this.queueKey, this.streamKey, this.inflightKey], args), 2000, () => 'lease release timed out').catch(
        () => undefined,
      );
    }
    if (this.ownsClient) await this.client.quit();
  }
}

/**
 * Logs losing and regaining Redis once per outage instead of once per reconnect attempt. A listener
 * on 'error' is needed anyway: without one ioredis prints every failed attempt to stderr.
 */
function watchConnection(client: RedisClient, logger?: Pick<Logger, 'warn' | 'info'>): void {
  let down = false;
  let since = 0;
  let errors = 0;
  const lost = (reason: string) => {
    if (down) return;
    down = true;
    since = Date.now();
    logger?.warn({ reason }, 'Redis connection lost; requests needing the store fail until it is back');
  };
  client.on('error', (err: Error) => {
    errors++;
    lost(err.message);
  });
  client.on('reconnecting', () => lost('connection closed'));
  client.on('ready', () => {
    if (!down) return;
    logger?.info({ downMs: Date.now() - since, failedAttempts: errors }, 'Redis connection restored');
    down = false;
    errors = 0;
  });
}

/** A CREATE reply saying the submission key named a live message with the same digest. */
function isRetransmission(res: unknown): boolean {
  return Array.isArray(res) && res[0] === 0;
}

/** Orders stream ids ('<ms>-<seq>') numerically. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as ?? 0) - Number(bs ?? 0);
}

/** The smallest id after `id`. */
function nextId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq ?? 0) + 1}`;
}

/** XINFO replies are flat [name, value, name, value, ...] lists. */
function fields(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes a body file durably under its final name, refusing to replace an existing one (link(2)
 * fails with EEXIST), so a duplicate message id never clobbers another message's content.
 */
async function writeFileExclusive(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`message exists: body file ${path}`);
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
