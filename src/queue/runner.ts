import type { Logger } from 'pino';
import type { JobRecord, NewJob } from '../records/model.js';
import type { Store } from '../store/types.js';

/** What a handler decides about a job. Throwing counts as `retry` with the runner's back-off. */
/**
 * What a handler decides about a job. `completed` says the handler already completed the job in its
 * own last write (Transition.completeJob), so the runner must not write again.
 */
export type JobOutcome = { done: true; followUps?: NewJob[]; completed?: boolean } | { retryAt: number; error: string };

export type JobHandler = (job: JobRecord) => Promise<JobOutcome>;

export interface JobRunnerOptions {
  store: Store;
  logger: Logger;
  handlers: Record<string, JobHandler>;
  concurrency: number;
  /** How long a claimed job may run before another claim may take it. */
  leaseMs?: number;
  /** Upper bound on the sleep between two looks at the store (other nodes may schedule jobs). */
  pollMs?: number;
  clock?: () => number;
  /** Back-off for handlers that throw: min(base * 2^attempts, max). */
  errorBackoff?: { baseMs: number; maxMs: number; maxAttempts: number };
  onJobSettled?: (job: JobRecord, outcome: 'done' | 'retry' | 'dropped', ms: number) => void;
}

/**
 * Runs due jobs from the store with bounded concurrency. Jobs are leased, so a job whose node died
 * is handed out again once its lease runs out; handlers must be idempotent (the relay's CAS state
 * transitions make them so).
 */
export class JobRunner {
  private readonly o: Required<Omit<JobRunnerOptions, 'onJobSettled'>> & Pick<JobRunnerOptions, 'onJobSettled'>;
  private inFlight = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private idle: (() => void)[] = [];

  constructor(opts: JobRunnerOptions) {
    this.o = {
      ...opts,
      leaseMs: opts.leaseMs ?? 60_000,
      pollMs: opts.pollMs ?? 1000,
      clock: opts.clock ?? Date.now,
      errorBackoff: opts.errorBackoff ?? { baseMs: 1000, maxMs: 300_000, maxAttempts: 20 },
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.nudge();
  }

  /** Look for due jobs now (called after scheduling work that is due at once). */
  nudge(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        const free = this.o.concurrency - this.inFlight;
        if (free <= 0) break;
        const now = this.o.clock();
        let jobs: JobRecord[];
        try {
          jobs = await this.o.store.claimDueJobs(now, free, this.o.leaseMs);
        } catch (err) {
          this.o.logger.error({ err }, 'claiming jobs failed');
          break;
        }
        for (const job of jobs) this.run(job);
        if (jobs.length === free) this.again = true;
      } while (this.again && this.running);
    } finally {
      this.pumping = false;
    }
    await this.arm();
  }

  private async arm(): Promise<void> {
    if (!this.running) return;
    clearTimeout(this.timer);
    let wait = this.o.pollMs;
    if (this.inFlight < this.o.concurrency) {
      try {
        const next = await this.o.store.nextDueAt();
        if (next !== undefined) wait = Math.min(wait, Math.max(0, next - this.o.clock()));
      } catch {
        // keep the poll interval
      }
    }
    if (!this.running) return;
    this.timer = setTimeout(() => this.nudge(), wait);
  }

  private run(job: JobRecord): void {
    const handler = this.o.handlers[job.type];
    this.inFlight++;
    const started = this.o.clock();
    const settle = async (): Promise<'done' | 'retry' | 'dropped'> => {
      if (!handler) {
        this.o.logger.error({ job: job.id, type: job.type }, 'no handler for job type; dropping it');
        await this.o.store.completeJob(job);
        return 'dropped';
      }
      let outcome: JobOutcome;
      try {
        outcome = await handler(job);
      } catch (err) {
        const b = this.o.errorBackoff;
        if (job.attempts + 1 >= b.maxAttempts) {
          this.o.logger.error({ err, job: job.id, type: job.type, attempts: job.attempts + 1 }, 'job failed too often; dropping it');
          await this.o.store.completeJob(job);
          return 'dropped';
        }
        const delay = Math.min(b.baseMs * 2 ** job.attempts, b.maxMs);
        this.o.logger.warn({ err, job: job.id, type: job.type, retryInMs: delay }, 'job failed; will retry');
        await this.o.store.retryJob(job, this.o.clock() + delay, (err as Error).message ?? String(err));
        return 'retry';
      }
      if ('done' in outcome) {
        if (!outcome.completed) await this.o.store.completeJob(job, outcome.followUps);
        return 'done';
      }
      await this.o.store.retryJob(job, outcome.retryAt, outcome.error);
      return 'retry';
    };
    settle()
      .then(
        (result) => this.o.onJobSettled?.(job, result, this.o.clock() - started),
        (err) => this.o.logger.error({ err, job: job.id }, 'could not record job outcome; the lease will expire and it will run again'),
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
        this.nudge();
      });
  }

  /** Stops claiming new jobs and waits (bounded) for running ones to finish. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  get busy(): number {
    return this.inFlight;
  }
}
