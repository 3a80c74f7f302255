import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/index.js';
import type { QuietHours, VaspAccount, WebhookEvent } from '../../config/vasp.js';
import type { JobOutcome } from '../../queue/runner.js';
import { RandomPool } from '../../records/ids.js';
import type { JobRecord, MessageRecord, NewJob, RecipientState } from '../../records/model.js';
import type { Relay, SubmitInput } from '../../relay/relay.js';
import type { Store } from '../../store/types.js';
import type { VaspAccounts } from '../accounts.js';
import { contentFromParts, type MediaInput } from '../content.js';
import { fetchMedia } from '../fetch-guard.js';
import type { VaspLimits } from '../limits.js';
import type { OptOutList } from '../opt-out.js';
import { quietUntil } from '../quiet-hours.js';
import { senderOf } from '../send.js';
import { BATCH_FUNNEL, funnelCounters, readFunnel, type FunnelField } from './funnel.js';
import { isBot } from './links.js';
import {
  CHUNK,
  chunkKey,
  controlKey,
  dec,
  deferredKey,
  emptyTally,
  enc,
  linkKey,
  mediaKey,
  metaKey,
  outcomeKey,
  progressKey,
  variantOf,
  type BatchControl,
  type BatchMeta,
  type BatchProgress,
  type MediaSpec,
  type Outcome,
  type ReleaseTally,
  type Row,
  type VariantSpec,
} from './model.js';
import { compile, linkCode, render, RenderError, rewriteLinks, TemplateError, type Compiled } from './template.js';
import { recipientZone } from './time-zones.js';
import { RowSink, UploadError } from './upload.js';

export const RELEASE_JOB = 'batch-release';

const DAY = 86_400_000;
/** How long one run of the release job goes on before it hands over (lease, fairness). */
const RUN_BUDGET_MS = 2000;

export interface BatchServiceDeps {
  config: GatewayConfig;
  store: Store;
  relay: Relay;
  accounts: VaspAccounts;
  limits: VaspLimits;
  optOut: OptOutList;
  logger: Logger;
  clock?: () => number;
  nudge?: () => void;
  /** Wakes the stream consumers (a click was written). */
  nudgeEvents?: () => void;
}

/** A variant as the API takes it (the top-level subject/text/media are variant 0's defaults). */
export interface VariantInput {
  name?: string;
  split?: number;
  subject?: string;
  text?: string;
  media?: { url: string; contentType?: string; name?: string }[];
}

export interface BatchSettings {
  from?: string;
  subject?: string;
  text?: string;
  media?: { url: string; contentType?: string; name?: string }[];
  /** Uploaded files (multipart): media of every variant, after the URL ones. */
  files?: MediaInput[];
  variants?: VariantInput[];
  defaults?: Record<string, unknown>;
  sendAt?: number;
  window?: { start: string; end: string };
  trackLinks?: boolean;
  webhookUrl?: string;
  events?: WebhookEvent[];
  priority?: 'low' | 'normal' | 'high';
  deliveryReport?: boolean;
  readReport?: boolean;
  messageClass?: string;
  expirySeconds?: number;
}

export class BatchError extends Error {
  override readonly name = 'BatchError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Counts = Record<string, number>;

interface CompiledVariant {
  subject?: Compiled;
  text?: Compiled;
  media: ({ stored: number; contentType: string; name?: string } | { url: Compiled; contentType?: string; name?: string })[];
}

/**
 * Campaigns (issue 19): a batch is one content (or 2-4 variants) and a recipient list stored in
 * chunks, released by a durable job at the account's throughput into one relay message per
 * recipient, rendered from the templates at release time. See docs/campaigns.md.
 */
export class BatchService {
  private readonly now: () => number;
  private readonly random = new RandomPool();
  /** Compiled templates and stored media of batches this node is releasing. */
  private readonly compiled = new Map<string, { variants: CompiledVariant[]; stored: Map<number, MediaInput> }>();
  /** Media fetched from templated URLs: once per distinct URL per batch on this node. */
  private readonly fetched = new Map<string, Promise<MediaInput | Error>>();

  constructor(private readonly d: BatchServiceDeps) {
    this.now = d.clock ?? Date.now;
  }

  private get cfg() {
    return this.d.config.vasp.batches;
  }

  private get plan() {
    return { countryCode: this.d.config.vasp.defaultCountryCode, nationalPrefix: this.d.config.vasp.nationalPrefix };
  }

  /** The gateway's public URL once it listens (http.publicUrl may be empty before). */
  publicUrl = '';

  /** Public base of tracked links: vasp.links.publicUrl, else the gateway's public URL. */
  get linkBase(): string {
    return (this.d.config.vasp.links.publicUrl || this.publicUrl || this.d.config.http.publicUrl).replace(/\/+$/, '');
  }

  // ------------------------------------------------------------------ upload

  newId(): string {
    return `b${Date.now().toString(36)}${this.random.base64url(8)}`;
  }

  /** A sink for the recipient list of batch `id` (chunks are written as it fills). */
  sink(id: string): RowSink {
    return new RowSink({ store: this.d.store, batchId: id, plan: this.plan, ttlMs: this.recordTtl(this.cfg.maxScheduleDays * DAY), maxRows: this.cfg.maxRecipients, maxVariableBytes: this.cfg.maxVariableBytes });
  }

  /** Records live until the last possible message of the batch has expired and its retention ended. */
  private recordTtl(untilSend: number): number {
    const r = this.d.config.relay;
    return untilSend + this.cfg.releaseDays * DAY + (r.maxExpirySeconds + r.retentionSeconds) * 1000;
  }

  /** Checks everything but the list (templates, sender, media, schedule): before the list is read when it can be. */
  validate(account: VaspAccount, s: BatchSettings): void {
    const sender = senderOf(account, s.from);
    if (!sender.ok) throw new BatchError(403, 'sender-not-allowed', sender.detail);
    const now = this.now();
    if (s.sendAt !== undefined && s.sendAt > now + this.cfg.maxScheduleDays * DAY) throw new BatchError(400, 'bad-send-at', `sendAt is more than ${this.cfg.maxScheduleDays} days ahead`);
    if (s.events && !(s.webhookUrl ?? account.webhookUrl)) throw new BatchError(400, 'no-webhook', 'events were asked for, but neither the request nor the account names a webhook URL');
    const variants = this.variantSpecs(s, []);
    if (variants.length > 4) throw new BatchError(400, 'too-many-variants', 'at most 4 variants');
    for (const [i, v] of variants.entries()) {
      if (!v.text && !v.subject && v.media.length === 0 && !(s.files?.length)) throw new BatchError(400, 'no-content', `variant ${i}: a message needs text or media`);
      try {
        compileVariant(v, i);
      } catch (e) {
        if (e instanceof TemplateError) throw new BatchError(400, 'bad-template', e.message);
        throw e;
      }
    }
  }

  private variantSpecs(s: BatchSettings, storedFiles: MediaSpec[]): VariantSpec[] {
    const base = { subject: s.subject, text: s.text, media: s.media ?? [] };
    const inputs = s.variants?.length ? s.variants : [{}];
    return inputs.map((v, i) => ({
      name: v.name ?? (inputs.length > 1 ? String.fromCharCode(65 + i) : 'default'),
      split: v.split ?? 1,
      ...(v.subject ?? base.subject ? { subject: v.subject ?? base.subject } : {}),
      ...(v.text ?? base.text ? { text: v.text ?? base.text } : {}),
      media: [...(v.media ?? base.media).map((m): MediaSpec => ({ url: m.url, ...(m.contentType ? { contentType: m.contentType } : {}), ...(m.name ? { name: m.name } : {}) })), ...storedFiles],
    }));
  }

  /**
   * Completes an upload whose rows are in `sink`: media fetched from fixed URLs and uploaded files
   * stored, then settings, control, progress and the release job in one write. Until that write the
   * batch does not exist (its chunks are unreferenced and expire).
   */
  async create(account: VaspAccount, id: string, s: BatchSettings, sink: RowSink): Promise<{ meta: BatchMeta; control: BatchControl }> {
    this.validate(account, s);
    if (sink.accepted === 0) throw new BatchError(422, 'no-valid-recipients', 'no valid recipient');
    await sink.flush();
    const now = this.now();
    const sendAt = Math.max(now, s.sendAt ?? now);
    const ttlMs = this.recordTtl(sendAt - now);
    const puts: { key: string; value: Uint8Array; ttlMs: number }[] = [];
    // Media: uploaded files and fixed URLs are stored once now; URLs with variables are fetched at release.
    const storedFiles: MediaSpec[] = [];
    let stored = 0;
    for (const f of s.files ?? []) {
      puts.push({ key: mediaKey(id, stored), value: f.data, ttlMs });
      storedFiles.push({ stored: stored++, contentType: f.contentType, ...(f.name ? { name: f.name } : {}) });
    }
    const variants = this.variantSpecs(s, storedFiles);
    const fixed = new Map<string, MediaSpec>();
    for (const v of variants) {
      for (const [k, m] of v.media.entries()) {
        if (!('url' in m) || m.url.includes('{{') || m.url.includes('{%')) continue;
        let spec = fixed.get(m.url);
        if (!spec) {
          let media: MediaInput;
          try {
            media = await this.fetch(m.url, m.contentType);
          } catch (e) {
            throw new BatchError(422, 'media-fetch-failed', `media ${m.url.slice(0, 200)}: ${(e as Error).message}`);
          }
          puts.push({ key: mediaKey(id, stored), value: media.data, ttlMs });
          spec = { stored: stored++, contentType: media.contentType, ...((m.name ?? media.name) ? { name: m.name ?? media.name } : {}) };
          fixed.set(m.url, spec);
        }
        v.media[k] = spec;
      }
    }
    const maxMedia = this.d.config.vasp.media.maxItems;
    if (variants.some((v) => v.media.length > maxMedia)) throw new BatchError(400, 'too-many-media', `at most ${maxMedia} media items`);
    const meta: BatchMeta = {
      id,
      vaspId: account.id,
      createdAt: now,
      total: sink.accepted,
      chunks: sink.chunks,
      ...(s.from ? { from: s.from } : {}),
      variants,
      defaults: s.defaults ?? {},
      trackLinks: s.trackLinks ?? false,
      linkKey: this.random.base64url(32),
      ...(s.webhookUrl ?? account.webhookUrl ? { webhookUrl: s.webhookUrl ?? account.webhookUrl } : {}),
      ...(s.events ?? account.webhookEvents ? { events: s.events ?? account.webhookEvents } : { events: ['delivery-report', 'clicked'] }),
      priority: s.priority ?? 'low',
      deliveryReport: s.deliveryReport ?? (s.webhookUrl ?? account.webhookUrl) !== undefined,
      readReport: s.readReport ?? false,
      ...(s.messageClass ? { messageClass: s.messageClass } : { messageClass: 'advertisement' }),
      ...(s.window ? { window: s.window } : {}),
      ...(s.expirySeconds ? { expirySeconds: s.expirySeconds } : {}),
      expiresAt: now + ttlMs,
      variantTotals: variantTotals(sink.accepted, variants),
    };
    const control: BatchControl = { status: 'active', sendAt, v: 1 };
    const progress: BatchProgress = { cursor: 0, deferred: {}, tally: variants.map(emptyTally), done: false, v: 1 };
    puts.push({ key: metaKey(id), value: enc(meta), ttlMs }, { key: controlKey(id), value: enc(control), ttlMs }, { key: progressKey(id), value: enc(progress), ttlMs });
    await this.d.store.batchWrite({ put: puts, jobs: [releaseJob(id, 1, sendAt)] });
    this.d.nudge?.();
    return { meta, control };
  }

  private async fetch(url: string, contentType?: string): Promise<MediaInput> {
    const m = this.d.config.vasp.media;
    return fetchMedia(url, { maxBytes: m.maxBytes, timeoutMs: m.timeoutMs, allowPrivate: m.allowPrivateHosts }, contentType);
  }

  // ------------------------------------------------------------------ control

  async load(account: VaspAccount | undefined, id: string): Promise<{ meta: BatchMeta; control: BatchControl; progress: BatchProgress; raw: Buffer[] } | undefined> {
    const raw = await this.d.store.batchGet([metaKey(id), controlKey(id), progressKey(id)]);
    const meta = dec<BatchMeta>(raw[0]);
    const control = dec<BatchControl>(raw[1]);
    const progress = dec<BatchProgress>(raw[2]);
    // Another VASP's batch is as absent as a missing one.
    if (!meta || !control || !progress || (account && meta.vaspId !== account.id)) return undefined;
    return { meta, control, progress, raw: raw as Buffer[] };
  }

  /**
   * pause, resume, cancel, reschedule: a compare-and-set on the control record. Each change bumps
   * its version; resume and reschedule start a release job of the new version, and a job of an
   * older version stops at its next look.
   */
  async control(account: VaspAccount, id: string, action: 'pause' | 'resume' | 'cancel' | 'reschedule', sendAt?: number): Promise<{ id: string; status: string }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const b = await this.load(account, id);
      if (!b) throw new BatchError(404, 'not-found', `no batch ${id}`);
      const { control, progress, meta } = b;
      if (control.status === 'cancelled') throw new BatchError(409, 'cancelled', 'the batch was cancelled');
      if (progress.done) throw new BatchError(409, 'completed', 'every recipient of the batch has been released');
      const now = this.now();
      let next: BatchControl;
      if (action === 'pause') {
        if (control.status === 'paused') return { id, status: 'paused' };
        next = { ...control, status: 'paused', v: control.v + 1 };
      } else if (action === 'resume') {
        if (control.status === 'active') return { id, status: this.statusOf(meta, control, progress) };
        next = { ...control, status: 'active', v: control.v + 1 };
      } else if (action === 'cancel') {
        next = { ...control, status: 'cancelled', v: control.v + 1 };
      } else {
        if (sendAt === undefined) throw new BatchError(400, 'bad-send-at', 'sendAt is required');
        if (sendAt > now + this.cfg.maxScheduleDays * DAY) throw new BatchError(400, 'bad-send-at', `sendAt is more than ${this.cfg.maxScheduleDays} days ahead`);
        next = { ...control, sendAt: Math.max(now, sendAt), v: control.v + 1 };
      }
      const jobs = next.status === 'active' ? [releaseJob(id, next.v, next.sendAt)] : [];
      const ok = await this.d.store.batchWrite({ expect: { key: controlKey(id), value: b.raw[1] }, put: [{ key: controlKey(id), value: enc(next), ttlMs: Math.max(1, meta.expiresAt - now) }], jobs });
      if (!ok) continue;
      this.d.logger.info({ vasp: account.id, batch: id, action, version: next.v }, 'batch control');
      if (jobs.length) this.d.nudge?.();
      return { id, status: this.statusOf(meta, next, progress) };
    }
    throw new BatchError(409, 'conflict', 'the batch is being changed; try again');
  }

  statusOf(_meta: BatchMeta, control: BatchControl, progress: BatchProgress): string {
    if (control.status === 'cancelled') return 'cancelled';
    if (progress.done) return 'completed';
    if (control.status === 'paused') return 'paused';
    if (this.now() < control.sendAt && progress.cursor === 0) return 'scheduled';
    return 'sending';
  }

  // ------------------------------------------------------------------ report

  async report(account: VaspAccount, id: string): Promise<Record<string, unknown> | undefined> {
    const b = await this.load(account, id);
    if (!b) return undefined;
    const { meta, control, progress } = b;
    const funnel = await readFunnel(this.d.store, id, meta.variants.length);
    const perVariant = meta.variants.map((_, i) => countsOf(meta.variantTotals[i] ?? 0, progress.tally[i] ?? emptyTally(), funnel[i]!, control.status === 'cancelled'));
    const total = sumCounts(perVariant);
    const out: Record<string, unknown> = {
      id,
      status: this.statusOf(meta, control, progress),
      createdAt: iso(meta.createdAt),
      sendAt: iso(control.sendAt),
      counts: total,
      rates: ratesOf(total),
      variants: meta.variants.map((v, i) => ({ name: v.name, split: v.split, counts: perVariant[i], rates: ratesOf(perVariant[i]!) })),
    };
    return out;
  }

  /** The per-recipient export, CSV rows in list order (header first). */
  async *exportRows(account: VaspAccount, id: string): AsyncGenerator<string[]> {
    const b = await this.load(account, id);
    if (!b) return;
    const { meta, control, progress } = b;
    yield ['row', 'to', 'variant', 'status', 'reason', 'messageId', 'state', 'notifiedAt', 'retrievedAt', 'acknowledgedAt', 'clickedAt'];
    for (let n = 0; n < meta.chunks; n++) {
      const [rawRows, rawOut] = await this.d.store.batchGet([chunkKey(id, n), outcomeKey(id, n)]);
      const rows = dec<Row[]>(rawRows) ?? [];
      const outcomes = dec<Outcome[]>(rawOut) ?? [];
      const records = await Promise.all(rows.map((_, k) => (outcomes[k]?.[0] ? this.d.store.getRecipient(`${outcomes[k]![0]}/0`) : Promise.resolve(undefined))));
      for (const [k, row] of rows.entries()) {
        const i = n * CHUNK + k;
        const o = outcomes[k];
        const r = records[k];
        const status = o ? (o[0] ? 'released' : o[1] === 'opted-out' || o[1] === 'duplicate' ? o[1] : 'failed') : control.status === 'cancelled' ? 'cancelled' : i < progress.cursor ? 'waiting' : 'scheduled';
        const first = (s: RecipientState): string => {
          const h = r?.history.find((x) => x.state === s);
          return h ? iso(h.at) : '';
        };
        const click = r?.history.find((h) => h.note?.startsWith('click'));
        yield [String(i), row[0], meta.variants[variantOf(i, meta.variants)]!.name, status, o && !o[0] ? o[1] : '', o?.[0] ?? '', r?.state ?? '', first('notified') || first('fallback-sms'), first('retrieved') || (r?.history.some((h) => h.state === 'acknowledged') ? first('acknowledged') : ''), first('acknowledged'), click ? iso(click.at) : ''];
      }
    }
  }

  // ------------------------------------------------------------------ release

  jobHandlers(): Record<string, (job: JobRecord) => Promise<JobOutcome>> {
    return { [RELEASE_JOB]: (j) => this.release(j) };
  }

  /**
   * One run of a batch's release job: held-back rows that are due first, then the list from its
   * cursor, a slice at a time as the account's throughput allows, until the run's time budget is
   * spent; then it hands over to its own follow-up. Between slices it waits until most of the
   * previous slice's notifications are out, so the job queue never holds more than about a slice of
   * this batch ahead of the account's other messages.
   */
  async release(job: JobRecord): Promise<JobOutcome> {
    const id = String(job.payload.id);
    const v = Number(job.payload.v);
    const started = this.now();
    let b = await this.load(undefined, id);
    if (!b || b.control.v !== v || b.control.status !== 'active' || b.progress.done) return { done: true };
    const account = this.d.accounts.get(b.meta.vaspId);
    if (!account) {
      this.d.logger.warn({ batch: id, vasp: b.meta.vaspId }, 'batch of an account that no longer exists: not released');
      return { done: true };
    }
    if (started < b.control.sendAt) return { done: true, followUps: [releaseJob(id, v, b.control.sendAt)] };
    let progressRaw = b.raw[2]!;
    let progress = b.progress;
    let pendingNotify: string[] = [];
    while (this.now() - started < RUN_BUDGET_MS) {
      const now = this.now();
      const work = await this.nextWork(b.meta, progress, now);
      if (work.kind === 'done' || work.kind === 'later') {
        if (work.kind === 'later') return { done: true, followUps: [releaseJob(id, v, work.at)] };
        const next: BatchProgress = { ...progress, done: true, v };
        await this.d.store.batchWrite({ expect: { key: progressKey(id), value: progressRaw }, put: [{ key: progressKey(id), value: enc(next), ttlMs: Math.max(1, b.meta.expiresAt - now) }] });
        this.d.logger.info({ batch: id, vasp: account.id }, 'batch released completely');
        return { done: true };
      }
      const grant = await this.d.limits.takeBulk(account, work.rows.length, b.meta.priority === 'high');
      if (grant.granted === 0) return { done: true, followUps: [releaseJob(id, v, now + grant.retryAfterMs)] };
      const rows = work.rows.slice(0, grant.granted);
      const res = await this.releaseRows(b.meta, account, rows, now);
      await grant.giveBack(rows.length - res.released);
      const next = advance(progress, work, rows.length, res, v);
      const puts = [{ key: progressKey(id), value: enc(next), ttlMs: Math.max(1, b.meta.expiresAt - now) }, ...(await this.outcomePuts(b.meta, res.outcomes, now))];
      for (const [due, list] of res.deferred) {
        const d = next.deferred[due]!;
        puts.push({ key: deferredKey(id, Number(due), d.pieces - 1), value: enc(list), ttlMs: Math.max(1, b.meta.expiresAt - now) });
      }
      const nextRaw = enc(next);
      puts[0]!.value = nextRaw;
      if (!(await this.d.store.batchWrite({ expect: { key: progressKey(id), value: progressRaw }, put: puts }))) {
        this.d.logger.info({ batch: id, version: v }, 'batch progress written by another release job; this one stops');
        return { done: true };
      }
      progressRaw = nextRaw;
      progress = next;
      // Back-pressure: the previous slice's notifications first (transactional messages queue behind at most a slice).
      await this.drain(pendingNotify, started);
      pendingNotify = res.notifyKeys;
      const fresh = await this.load(undefined, id);
      if (!fresh || fresh.control.v !== v || fresh.control.status !== 'active') return { done: true };
      b = fresh;
    }
    return { done: true, followUps: [releaseJob(id, v, 0)] };
  }

  private async drain(keys: string[], started: number): Promise<void> {
    if (keys.length === 0) return;
    const half = Math.floor(keys.length / 2);
    let pending = keys;
    for (;;) {
      pending = await this.d.store.pendingJobKeys(pending);
      if (pending.length <= half || this.now() - started >= RUN_BUDGET_MS) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async nextWork(meta: BatchMeta, p: BatchProgress, now: number): Promise<Work> {
    const dues = Object.entries(p.deferred).filter(([, d]) => d.done < d.pieces).map(([due]) => Number(due)).sort((a, b) => a - b);
    const due = dues.find((t) => t <= now);
    if (due !== undefined) {
      const d = p.deferred[String(due)]!;
      const [raw] = await this.d.store.batchGet([deferredKey(meta.id, due, d.done)]);
      const all = dec<number[]>(raw) ?? [];
      const offset = d.offset ?? 0;
      return { kind: 'deferred', due, rows: all.slice(offset, offset + this.cfg.releaseSlice), pieceRows: all.length, offset };
    }
    if (p.cursor < meta.total) {
      const end = Math.min(meta.total, p.cursor + this.cfg.releaseSlice);
      return { kind: 'main', rows: Array.from({ length: end - p.cursor }, (_, k) => p.cursor + k) };
    }
    if (dues.length > 0) return { kind: 'later', at: dues[0]! };
    return { kind: 'done' };
  }

  private async outcomePuts(meta: BatchMeta, outcomes: Map<number, Outcome>, now: number): Promise<{ key: string; value: Uint8Array; ttlMs: number }[]> {
    const byChunk = new Map<number, [number, Outcome][]>();
    for (const [i, o] of outcomes) {
      const n = Math.floor(i / CHUNK);
      (byChunk.get(n) ?? byChunk.set(n, []).get(n)!).push([i % CHUNK, o]);
    }
    const chunks = [...byChunk.keys()];
    const current = await this.d.store.batchGet(chunks.map((n) => outcomeKey(meta.id, n)));
    return chunks.map((n, k) => {
      const list = dec<Outcome[]>(current[k]) ?? [];
      for (const [at, o] of byChunk.get(n)!) list[at] = o;
      for (let j = 0; j < list.length; j++) list[j] ??= ['', ''];
      return { key: outcomeKey(meta.id, n), value: enc(list), ttlMs: Math.max(1, meta.expiresAt - now) };
    });
  }

  private async compiledOf(meta: BatchMeta): Promise<{ variants: CompiledVariant[]; stored: Map<number, MediaInput> }> {
    let c = this.compiled.get(meta.id);
    if (c) return c;
    const variants = meta.variants.map((v, i) => compileVariant(v, i));
    const ids = [...new Set(meta.variants.flatMap((v) => v.media.flatMap((m) => ('stored' in m ? [m] : []))))];
    const raw = await this.d.store.batchGet(ids.map((m) => mediaKey(meta.id, m.stored)));
    const stored = new Map<number, MediaInput>();
    ids.forEach((m, k) => {
      if (raw[k]) stored.set(m.stored, { contentType: m.contentType, data: raw[k]!, ...(m.name ? { name: m.name } : {}) });
    });
    c = { variants, stored };
    // Bounded: each entry holds a batch's stored media (up to vasp.media.maxItems x maxBytes).
    if (this.compiled.size >= 10) this.compiled.delete(this.compiled.keys().next().value!);
    this.compiled.set(meta.id, c);
    return c;
  }

  /**
   * Media of a templated URL, fetched once per distinct URL and batch: kept in the store's cache
   * (so other nodes and a restarted one reuse it; a failure is remembered for 10 minutes) behind a
   * small per-node map of fetches in flight or recent.
   */
  private fetchOnce(meta: BatchMeta, url: string, contentType?: string): Promise<MediaInput | Error> {
    const key = `${meta.id} ${url}`;
    let p = this.fetched.get(key);
    if (!p) {
      p = this.fetchShared(meta, url, contentType);
      // Bounded (each entry up to vasp.media.maxBytes); what falls out is read from the store again.
      if (this.fetched.size >= 100) this.fetched.delete(this.fetched.keys().next().value!);
      this.fetched.set(key, p);
    }
    return p;
  }

  private async fetchShared(meta: BatchMeta, url: string, contentType?: string): Promise<MediaInput | Error> {
    const ck = `${meta.id}:${createHash('sha256').update(url).digest('base64url')}`;
    const cached = await this.d.store.cacheGet('bmedia', ck);
    if (cached) {
      const n = cached.readUInt16BE(0);
      const head = JSON.parse(cached.subarray(2, 2 + n).toString('utf8')) as { contentType?: string; name?: string; error?: string };
      if (head.error) return new Error(head.error);
      return { contentType: head.contentType!, data: cached.subarray(2 + n), ...(head.name ? { name: head.name } : {}) };
    }
    const pack = (head: object, data: Uint8Array = Buffer.alloc(0)): Buffer => {
      const h = Buffer.from(JSON.stringify(head));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(h.length);
      return Buffer.concat([len, h, data]);
    };
    try {
      const m = await this.fetch(url, contentType);
      await this.d.store.cacheSet('bmedia', ck, pack({ contentType: m.contentType, ...(m.name ? { name: m.name } : {}) }, m.data), Math.max(1, meta.expiresAt - this.now()));
      return m;
    } catch (e) {
      const err = e as Error;
      await this.d.store.cacheSet('bmedia', ck, pack({ error: err.message.slice(0, 300) }), 10 * 60_000).catch(() => undefined);
      return err;
    }
  }

  /**
   * Releases rows: opted-out numbers skipped, rows in their quiet hours or outside the send window
   * held back until then, the others rendered and submitted to the relay as one message each
   * (submitOnce under the batch and the number: a row released again after a crash, or a number
   * listed twice, creates nothing).
   */
  private async releaseRows(meta: BatchMeta, account: VaspAccount, rows: number[], now: number): Promise<ReleaseResult> {
    const res: ReleaseResult = { outcomes: new Map(), deferred: new Map(), tally: meta.variants.map(emptyTally), released: 0, notifyKeys: [] };
    const chunkIds = [...new Set(rows.map((i) => Math.floor(i / CHUNK)))];
    const chunkData = await this.d.store.batchGet(chunkIds.map((n) => chunkKey(meta.id, n)));
    const chunks = new Map(chunkIds.map((n, k) => [n, dec<Row[]>(chunkData[k]) ?? []]));
    const { variants, stored } = await this.compiledOf(meta);
    const sender = senderOf(account, meta.from);
    const from = sender.ok ? sender.address : `${account.id}@vasp.invalid`;
    const quiet = account.quietHours;
    const links: { key: string; value: Uint8Array; ttlMs: number }[] = [];
    const submits: { i: number; variant: number; input: SubmitInput; to: string }[] = [];
    const fail = (i: number, variant: number, reason: string): void => {
      res.outcomes.set(i, ['', reason]);
      res.tally[variant]!.failed[reason] = (res.tally[variant]!.failed[reason] ?? 0) + 1;
    };
    const optedOut = await Promise.all(rows.map((i) => {
      const row = chunks.get(Math.floor(i / CHUNK))?.[i % CHUNK];
      return row ? this.d.optOut.isOptedOut(account.id, row[0]) : Promise.resolve(false);
    }));
    for (const [k, i] of rows.entries()) {
      const variant = variantOf(i, meta.variants);
      const row = chunks.get(Math.floor(i / CHUNK))?.[i % CHUNK];
      if (!row) {
        fail(i, variant, 'lost');
        continue;
      }
      const [to, vars] = row;
      if (optedOut[k]) {
        res.outcomes.set(i, ['', 'opted-out']);
        res.tally[variant]!.optedOut++;
        continue;
      }
      if (quiet || meta.window) {
        const zone = recipientZone(to, vars ? vars.timeZone : undefined) ?? quiet?.timeZone ?? 'UTC';
        const until = heldUntil(now, zone, quiet, meta.window);
        if (until !== undefined) {
          (res.deferred.get(String(until)) ?? res.deferred.set(String(until), []).get(String(until))!).push(i);
          continue;
        }
      }
      const cv = variants[variant]!;
      const context = vars ? { ...meta.defaults, ...vars } : meta.defaults;
      let subject: string | undefined;
      let text: string | undefined;
      const media: MediaInput[] = [];
      try {
        subject = cv.subject !== undefined ? render(cv.subject, context) : undefined;
        text = cv.text !== undefined ? render(cv.text, context) : undefined;
        for (const m of cv.media) {
          if ('stored' in m) {
            const s = stored.get(m.stored);
            if (s) media.push(s);
            continue;
          }
          const url = render(m.url, context).trim();
          if (!/^https?:\/\//i.test(url)) throw new RenderError('template', `media URL "${url.slice(0, 100)}" is not http(s)`);
          const got = await this.fetchOnce(meta, url, m.contentType);
          if (got instanceof Error) throw Object.assign(new Error(got.message), { mediaFetch: true });
          media.push(m.name ? { ...got, name: m.name } : got);
        }
      } catch (e) {
        if (e instanceof RenderError) fail(i, variant, e.reason);
        else if ((e as { mediaFetch?: boolean }).mediaFetch) fail(i, variant, 'media-fetch-failed');
        else throw e;
        continue;
      }
      if (text !== undefined && meta.trackLinks) {
        const rw = rewriteLinks(text, (l) => linkCode(meta.linkKey, i, l), this.linkBase);
        text = rw.text;
        for (const [l, link] of rw.links.entries()) links.push({ key: linkKey(link.code), value: enc({ b: meta.id, r: i, l, u: link.url, v: variant }), ttlMs: Math.max(1, meta.expiresAt - now) });
      }
      let content;
      try {
        content = contentFromParts({ text, media });
      } catch {
        fail(i, variant, 'no-content');
        continue;
      }
      if (content.body.length > this.d.config.mm1.maxMessageSize) {
        fail(i, variant, 'too-large');
        continue;
      }
      submits.push({
        i,
        variant,
        to,
        input: {
          from,
          to: [`${to}/TYPE=PLMN`],
          ...(subject ? { subject: { text: subject, charset: 'utf-8' } } : {}),
          messageClass: meta.messageClass,
          priority: meta.priority,
          deliveryReport: meta.deliveryReport,
          readReport: meta.readReport,
          ...(meta.expirySeconds ? { expiry: { kind: 'relative', seconds: meta.expirySeconds } } : {}),
          contentType: content.contentType,
          body: content.body,
          mmsVersion: '1.2',
          origin: { kind: 'rest', vaspId: account.id, ...(meta.webhookUrl ? { webhookUrl: meta.webhookUrl } : {}), ...(meta.events ? { events: meta.events } : {}), batch: { id: meta.id, row: i, variant } },
        },
      });
    }
    // The links exist before any handset can see them.
    if (links.length) await this.d.store.batchWrite({ put: links });
    const windowMs = Math.max(1, meta.expiresAt - now);
    await Promise.all(
      submits.map(async (s) => {
        const r = await this.d.relay.submitOnce(s.input, { maxRecipients: 1 }, { kind: 'batch', sender: meta.id, requestId: s.to, windowMs });
        let messageId: string;
        if (r.retransmission) {
          // This row released before a crash, or the same number earlier in the list.
          const m = await this.d.store.getMessage(r.messageId);
          const o = m?.origin;
          if (!(o?.kind === 'rest' && o.batch?.row === s.i)) {
            res.outcomes.set(s.i, ['', 'duplicate']);
            res.tally[s.variant]!.duplicate++;
            return;
          }
          messageId = r.messageId;
        } else messageId = r.message.id;
        res.outcomes.set(s.i, [messageId, '']);
        res.tally[s.variant]!.released++;
        res.released++;
        res.notifyKeys.push(`notify:${messageId}/0`);
      }),
    );
    return res;
  }

  // ------------------------------------------------------------------ funnel

  /**
   * A read report about a batch message (not in the stream: the relay's read-report job calls the
   * REST port): counted once per message.
   */
  async onReadReport(message: MessageRecord, status: string): Promise<void> {
    const o = message.origin;
    if (o.kind !== 'rest' || !o.batch || status !== 'read') return;
    const ttl = Math.max(DAY, message.expiresAt + this.d.config.relay.retentionSeconds * 1000 - this.now());
    await this.d.store.applyOnce(BATCH_FUNNEL, `${message.id}:read`, funnelCounters(o.batch.id, o.batch.variant, { read: 1 }, ttl), ttl);
  }

  // ------------------------------------------------------------------ clicks

  /**
   * A request for a tracked link: its original URL (to redirect to), or undefined when the code is
   * unknown. A person's first click of a link is recorded on the recipient (history, with a 'clicked'
   * webhook in the same write) and counts the recipient as clicked once; link-preview bots and HEAD
   * requests count apart and record nothing.
   */
  async click(code: string, userAgent: string, method: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{16}$/.test(code)) return undefined;
    const [raw] = await this.d.store.batchGet([linkKey(code)]);
    const link = dec<{ b: string; r: number; l: number; u: string; v: number }>(raw);
    if (!link) return undefined;
    const now = this.now();
    const ttl = DAY * 400;
    try {
      if (method === 'HEAD' || isBot(userAgent, this.d.config.vasp.links.botUserAgents)) {
        await this.d.store.applyOnce(BATCH_FUNNEL, `bot:${code}`, funnelCounters(link.b, link.v, { botClicks: 1 }, ttl), ttl);
        return link.u;
      }
      const first = (await this.d.store.cacheSetIfAbsent('bclick', code, enc({ at: now, ua: userAgent.slice(0, 300) }), ttl)) === undefined;
      if (!first) return link.u;
      const [rawOut] = await this.d.store.batchGet([outcomeKey(link.b, Math.floor(link.r / CHUNK))]);
      const messageId = dec<Outcome[]>(rawOut)?.[link.r % CHUNK]?.[0];
      // The funnel's 'clicked' and the webhook come from the click's stream event.
      if (messageId) await this.recordClick(`${messageId}/0`, link, userAgent, now);
    } catch (e) {
      // The redirect matters more to the person than our count.
      this.d.logger.warn({ err: e, code }, 'click could not be recorded');
    }
    return link.u;
  }

  /**
   * The click goes into the recipient's history as an entry without a change of state: the store
   * writes its stream event (kind 'clicked', with its own sequence number) in the same write, and the
   * stream's consumers make the funnel count and the 'clicked' webhook of it.
   */
  private async recordClick(rid: string, link: { b: string; l: number; u: string }, userAgent: string, at: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.d.store.getRecipient(rid);
      if (!r) return;
      const data = { link: link.u, linkIndex: link.l, userAgent: userAgent.slice(0, 300), batchId: link.b };
      const res = await this.d.store.transition(rid, { from: [r.state], to: r.state, at, note: `click ${link.l}`, eventKind: 'clicked', eventData: data });
      if (!res || res.changed) {
        this.d.nudgeEvents?.();
        return;
      }
    }
  }
}

type Work =
  | { kind: 'main'; rows: number[] }
  | { kind: 'deferred'; due: number; rows: number[]; pieceRows: number; offset: number }
  | { kind: 'later'; at: number }
  | { kind: 'done' };

interface ReleaseResult {
  outcomes: Map<number, Outcome>;
  /** Rows held back, by the instant (ms, as a string key) they may go. */
  deferred: Map<string, number[]>;
  tally: ReleaseTally[];
  released: number;
  notifyKeys: string[];
}

function advance(p: BatchProgress, work: Work, taken: number, res: ReleaseResult, v: number): BatchProgress {
  const deferred = Object.fromEntries(Object.entries(p.deferred).map(([k, d]) => [k, { ...d }]));
  let cursor = p.cursor;
  if (work.kind === 'main') cursor += taken;
  else if (work.kind === 'deferred') {
    const d = deferred[String(work.due)]!;
    const offset = work.offset + taken;
    if (offset >= work.pieceRows) {
      d.done++;
      d.offset = 0;
    } else d.offset = offset;
  }
  for (const [due, list] of res.deferred) {
    const d = (deferred[due] ??= { pieces: 0, done: 0, rows: 0 });
    d.pieces++;
    d.rows += list.length;
  }
  const tally = p.tally.map((t, i) => {
    const a = res.tally[i]!;
    const failed = { ...t.failed };
    for (const [k, n] of Object.entries(a.failed)) failed[k] = (failed[k] ?? 0) + n;
    return { released: t.released + a.released, optedOut: t.optedOut + a.optedOut, duplicate: t.duplicate + a.duplicate, failed };
  });
  return { cursor, deferred, tally, done: false, v };
}

function releaseJob(id: string, v: number, dueAt: number): NewJob {
  return { type: RELEASE_JOB, dueAt, key: `brel:${id}:${v}`, payload: { id, v } };
}

function compileVariant(v: VariantSpec, i: number): CompiledVariant {
  const at = (f: string) => `variants[${i}].${f}`;
  return {
    ...(v.subject !== undefined ? { subject: compile(v.subject, at('subject')) } : {}),
    ...(v.text !== undefined ? { text: compile(v.text, at('text')) } : {}),
    media: v.media.map((m, k) => ('stored' in m ? m : { url: compile(m.url, at(`media[${k}].url`)), ...(m.contentType ? { contentType: m.contentType } : {}), ...(m.name ? { name: m.name } : {}) })),
  };
}

/**
 * When a recipient in `zone` may get a message at `now`: undefined (now), else the end of the
 * account's quiet hours or the start of the batch's send window, whichever holds it back last.
 */
export function heldUntil(now: number, zone: string, quiet: QuietHours | undefined, window: { start: string; end: string } | undefined): number | undefined {
  let t = now;
  for (let k = 0; k < 4; k++) {
    const q = quiet ? quietUntil(t, { start: quiet.start, end: quiet.end, timeZone: zone }) : undefined;
    const w = window ? quietUntil(t, { start: window.end, end: window.start, timeZone: zone }) : undefined;
    const next = Math.max(q ?? t, w ?? t);
    if (next === t) break;
    t = next;
  }
  return t === now ? undefined : t;
}

function variantTotals(total: number, variants: readonly VariantSpec[]): number[] {
  const out = variants.map(() => 0);
  for (let i = 0; i < total; i++) out[variantOf(i, variants)]!++;
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The counts of one variant. accepted: rows stored; scheduled: not yet handed to the relay (their
 * time, quiet hours or the throughput have yet to come); released: handed to the relay (one message
 * each); then the cumulative stages of the funnel.
 */
function countsOf(accepted: number, t: ReleaseTally, f: Record<FunnelField, number>, cancelled: boolean): Counts {
  const failedRelease = Object.values(t.failed).reduce((n, x) => n + x, 0);
  const notYet = Math.max(0, accepted - t.released - t.optedOut - t.duplicate - failedRelease);
  const failedByReason: Record<string, number> = { ...t.failed };
  for (const r of ['rejected', 'unreachable', 'expired'] as const) if (f[`failed-${r}`]) failedByReason[r] = f[`failed-${r}`];
  const failed = Object.values(failedByReason).reduce((n, x) => n + x, 0);
  return {
    accepted,
    scheduled: cancelled ? 0 : notYet,
    released: t.released,
    notified: f.notified,
    retrieved: f.retrieved,
    acknowledged: f.acknowledged,
    read: f.read,
    clicked: f.clicked,
    failed,
    optedOut: t.optedOut,
    fallbackSms: f.fallbackSms,
    duplicate: t.duplicate,
    cancelled: (cancelled ? notYet : 0) + f.cancelled,
    forwarded: f.forwarded,
    botClicks: f.botClicks,
    failedByReason: failedByReason as unknown as number,
  };
}

function sumCounts(list: Counts[]): Counts {
  const out: Record<string, unknown> = {};
  for (const c of list) {
    for (const [k, v] of Object.entries(c)) {
      if (k === 'failedByReason') {
        const acc = (out.failedByReason ??= {}) as Record<string, number>;
        for (const [r, n] of Object.entries(v as unknown as Record<string, number>)) acc[r] = (acc[r] ?? 0) + n;
      } else out[k] = ((out[k] as number | undefined) ?? 0) + v;
    }
  }
  out.failedByReason ??= {};
  return out as Counts;
}

/**
 * retrievalRate: retrieved / reached (notified + fallback SMS); readRate: read / retrieved;
 * clickThroughRate: clicked / reached. 0 while a denominator is 0.
 */
function ratesOf(c: Counts): Record<string, number> {
  const reached = (c.notified ?? 0) + (c.fallbackSms ?? 0);
  const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : 0);
  return { retrievalRate: ratio(c.retrieved ?? 0, reached), readRate: ratio(c.read ?? 0, c.retrieved ?? 0), clickThroughRate: ratio(c.clicked ?? 0, reached) };
}

export { UploadError };
