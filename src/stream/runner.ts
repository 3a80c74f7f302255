import type { Logger } from 'pino';
import type { CounterDelta, StreamEntry, StreamEvent } from '../records/events.js';
import type { NewJob } from '../records/model.js';
import type { EventAck, Store, TrimResult } from '../store/types.js';

/** What a consumer does about one event: written with its position, exactly once. */
export interface Effects {
  jobs?: NewJob[];
  counters?: CounterDelta[];
}

/**
 * A consumer of the state-change stream. `handle` is called once per event, in stream order; what
 * it returns is applied atomically with the consumer's position (each event's effects exactly
 * once, however often the event is handed out). It throws to have the event (and the ones after
 * it) handed out again after a back-off; effects of the events before it are kept. It must not
 * do anything that cannot be repeated: work with outside effects goes into jobs (which have keys).
 */
export interface EventConsumer {
  /** Its position's name in the store: a contract, keep it stable (renaming starts over). */
  readonly name: string;
  handle(event: StreamEvent): Effects | undefined | void | Promise<Effects | undefined | void>;
}

export interface EventRunnerOptions {
  store: Store;
  logger: Logger;
  consumers: EventConsumer[];
  /** Events read and acknowledged at once per consumer. */
  batchSize?: number;
  /** How long a node may hold events it read before another node takes them over (Redis). */
  leaseMs?: number;
  /** Upper bound on the sleep between two looks at the stream (other nodes write events too). */
  pollMs?: number;
  /**
   * How long a nudge waits before the consumers look, so that the events of a few changes are read
   * and acknowledged together: at a moderate rate every acknowledgement is a commit of its own
   * otherwise. Delays reports and webhooks by at most this much. 0 = at once.
   */
  lingerMs?: number;
  clock?: () => number;
  /** Back-off for a consumer whose handler throws: min(base * 2^attempts, max); the event is dropped after maxAttempts. */
  backoff?: { baseMs: number; maxMs: number; maxAttempts: number };
  /** Retention cap of the outbox (Store.trimEvents) and how often trimming runs. */
  maxEvents?: number;
  trimIntervalMs?: number;
  /** A consumer this many events behind is reported as lagging (/healthz). */
  lagAlertEvents?: number;
  /** Jobs were scheduled by consumers: wake the job runner. */
  onJobs?: () => void;
  /** Per batch: events applied / failed (handler threw) / dropped (given up). */
  onEvents?: (consumer: string, outcome: 'applied' | 'failed' | 'dropped', n: number) => void;
  onTrim?: (result: TrimResult) => void;
}

export interface ConsumerStatus {
  consumer: string;
  /** running: reading as events come; retrying: its handler threw, waiting for the back-off; stopped. */
  state: 'running' | 'retrying' | 'stopped';
  /** Events written and not yet acknowledged by it. */
  lag: number;
  /** Age of the oldest of them (seconds, by the store clock). */
  oldestSeconds?: number;
  /** Failed attempts at the event it is stuck on. */
  attempts: number;
  lastError?: string;
}

interface State {
  c: EventConsumer;
  busy: Promise<boolean> | undefined;
  again: boolean;
  attempts: number;
  retryAt: number;
  lastError?: string;
  timer?: NodeJS.Timeout;
}

/**
 * Runs the consumers of the state-change stream on this node: each reads from its own position in
 * bounded batches, applies what its handler returns with its acknowledgement, and retries from its
 * position with back-off when the handler throws. The write side never waits for it: a slow
 * consumer only lags (mmsc_stream_lag, /healthz), and the outbox is trimmed once every consumer
 * passed, up to a hard cap (`maxEvents`) past which the oldest events go with a loud log line.
 */
export class EventRunner {
  private readonly o: Required<Omit<EventRunnerOptions, 'onJobs' | 'onEvents' | 'onTrim'>> & Pick<EventRunnerOptions, 'onJobs' | 'onEvents' | 'onTrim'>;
  private readonly states: State[];
  private running = false;
  private poller: NodeJS.Timeout | undefined;
  private linger: NodeJS.Timeout | undefined;
  private trimmer: NodeJS.Timeout | undefined;

  constructor(opts: EventRunnerOptions) {
    this.o = {
      ...opts,
      batchSize: opts.batchSize ?? 256,
      leaseMs: opts.leaseMs ?? 60_000,
      pollMs: opts.pollMs ?? 1000,
      lingerMs: opts.lingerMs ?? 10,
      clock: opts.clock ?? Date.now,
      backoff: opts.backoff ?? { baseMs: 1000, maxMs: 300_000, maxAttempts: 20 },
      maxEvents: opts.maxEvents ?? 1_000_000,
      trimIntervalMs: opts.trimIntervalMs ?? 60_000,
      lagAlertEvents: opts.lagAlertEvents ?? 100_000,
    };
    const names = new Set<string>();
    for (const c of opts.consumers) {
      if (names.has(c.name)) throw new Error(`two stream consumers named ${c.name}`);
      names.add(c.name);
    }
    this.states = opts.consumers.map((c) => ({ c, busy: undefined, again: false, attempts: 0, retryAt: 0 }));
  }

  get consumers(): string[] {
    return this.states.map((s) => s.c.name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.poller = setInterval(() => this.pumpAll(), this.o.pollMs);
    this.poller.unref();
    this.startTrimming();
    this.pumpAll();
  }

  /** Trims the outbox every `trimIntervalMs` (start() does it too; alone on a node that runs no consumers). */
  startTrimming(): void {
    if (this.trimmer) return;
    this.trimmer = setInterval(() => void this.trim().catch((err) => this.o.logger.warn({ err }, 'stream trim failed')), this.o.trimIntervalMs);
    this.trimmer.unref();
  }

  /** Events were written: every consumer not waiting for a back-off looks (after `lingerMs`). */
  nudge(): void {
    if (!this.running || this.linger) return;
    if (this.o.lingerMs <= 0) return this.pumpAll();
    this.linger = setTimeout(() => {
      this.linger = undefined;
      this.pumpAll();
    }, this.o.lingerMs);
  }

  private pumpAll(): void {
    if (!this.running) return;
    for (const s of this.states) this.pump(s);
  }

  private pump(s: State): void {
    if (!this.running) return;
    if (s.busy) {
      s.again = true;
      return;
    }
    if (s.retryAt > this.o.clock()) return;
    void this.loop(s);
  }

  private async loop(s: State): Promise<void> {
    // Straight on only while full batches come; events written meanwhile wait for the linger, so
    // that under load each acknowledgement carries many events instead of one commit per few.
    while ((await this.round(s)) && this.running && s.retryAt <= this.o.clock());
    if (s.again) {
      s.again = false;
      this.nudge();
    }
  }

  /** One batch of one consumer, never two at once. True when there may be more to read at once. */
  private round(s: State): Promise<boolean> {
    const run = (s.busy ?? Promise.resolve(false)).then(() => this.batch(s));
    const mine = run.finally(() => {
      if (s.busy === mine) s.busy = undefined;
    });
    s.busy = mine;
    return mine;
  }

  private async batch(s: State): Promise<boolean> {
    const name = s.c.name;
    let entries: StreamEntry[];
    try {
      entries = await this.o.store.readEvents(name, this.o.batchSize, { leaseMs: this.o.leaseMs, now: this.o.clock() });
    } catch (err) {
      this.o.logger.error({ err, consumer: name }, 'reading the event stream failed');
      return false;
    }
    if (entries.length === 0) return false;
    const acks: EventAck[] = [];
    let failed: { entry: StreamEntry; err: unknown } | undefined;
    for (const entry of entries) {
      try {
        const r = s.c.handle(entry.event);
        const effects = r instanceof Promise ? await r : r;
        acks.push(effects ? { pos: entry.pos, ...effects } : { pos: entry.pos });
      } catch (err) {
        failed = { entry, err };
        break;
      }
    }
    let dropped = 0;
    if (failed && s.attempts + 1 >= this.o.backoff.maxAttempts) {
      // Given up like a job that failed too often: acknowledged without effects, loudly.
      this.o.logger.error({ err: failed.err, consumer: name, event: failed.entry.event.id, attempts: s.attempts + 1 }, 'stream consumer failed on this event too often; skipping it');
      acks.push({ pos: failed.entry.pos });
      dropped = 1;
      s.attempts = 0;
      s.lastError = undefined;
      failed = undefined;
    }
    if (acks.length > 0) {
      try {
        await this.o.store.ackEvents(name, acks);
      } catch (err) {
        // Nothing acknowledged: the same events come again (their effects apply once whatever happens).
        this.o.logger.error({ err, consumer: name }, 'acknowledging stream events failed');
        return false;
      }
      if (acks.length > dropped) this.o.onEvents?.(name, 'applied', acks.length - dropped);
      if (dropped) this.o.onEvents?.(name, 'dropped', dropped);
      if (acks.some((a) => a.jobs?.length)) this.o.onJobs?.();
    }
    if (failed) {
      s.attempts++;
      s.lastError = (failed.err as Error)?.message ?? String(failed.err);
      const b = this.o.backoff;
      const delay = Math.min(b.baseMs * 2 ** (s.attempts - 1), b.maxMs);
      s.retryAt = this.o.clock() + delay;
      this.o.onEvents?.(name, 'failed', 1);
      this.o.logger.warn({ err: failed.err, consumer: name, event: failed.entry.event.id, attempt: s.attempts, retryInMs: delay }, 'stream consumer failed; will retry from this event');
      clearTimeout(s.timer);
      s.timer = setTimeout(() => this.pump(s), delay);
      s.timer.unref();
      return false;
    }
    s.attempts = 0;
    s.lastError = undefined;
    s.retryAt = 0;
    return entries.length >= this.o.batchSize;
  }

  /**
   * Runs every consumer until it has read all there is (or is waiting for a back-off). For tests and
   * tools; works whether or not the runner was started.
   */
  async drain(consumers?: string[]): Promise<void> {
    for (const s of this.states) {
      if (consumers && !consumers.includes(s.c.name)) continue;
      if (s.retryAt > this.o.clock()) continue;
      // A round that read a full batch may have left more.
      while ((await this.round(s)) && s.retryAt <= this.o.clock());
    }
  }

  /** Each consumer's lag and state, for /healthz. */
  async status(): Promise<ConsumerStatus[]> {
    const lags = await this.o.store.eventLag(this.consumers);
    const now = this.o.clock();
    return this.states.map((s, i) => {
      const lag = lags[i]!;
      const st: ConsumerStatus = { consumer: s.c.name, state: !this.running ? 'stopped' : s.retryAt > now ? 'retrying' : 'running', lag: lag.events, attempts: s.attempts };
      if (lag.oldestAt !== undefined) st.oldestSeconds = Math.max(0, Math.round((now - lag.oldestAt) / 1000));
      if (s.lastError) st.lastError = s.lastError;
      return st;
    });
  }

  /** For /healthz: ok while no consumer lags more than lagAlertEvents or is stuck retrying. */
  async health(): Promise<{ ok: boolean; detail: ConsumerStatus[] }> {
    const detail = await this.status();
    return { ok: detail.every((d) => d.lag < this.o.lagAlertEvents && d.state !== 'retrying'), detail };
  }

  /** Removes what every consumer passed; beyond the cap the oldest events go, logged as an error. */
  async trim(): Promise<TrimResult> {
    const r = await this.o.store.trimEvents(this.o.maxEvents);
    if (r.forced > 0) {
      this.o.logger.error(
        { forced: r.forced, lost: r.lost, maxEvents: this.o.maxEvents },
        'stream retention cap reached: events removed before every consumer read them (a consumer is down or too slow; see mmsc_stream_lag)',
      );
    }
    this.o.onTrim?.(r);
    return r;
  }

  /** Stops reading and waits (bounded) for batches in progress; what was not acknowledged is read again later. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    clearInterval(this.poller);
    clearInterval(this.trimmer);
    this.trimmer = undefined;
    clearTimeout(this.linger);
    this.linger = undefined;
    for (const s of this.states) clearTimeout(s.timer);
    const busy = this.states.map((s) => s.busy).filter((b): b is Promise<boolean> => b !== undefined);
    if (busy.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(busy), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
