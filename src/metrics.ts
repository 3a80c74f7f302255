import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RecipientState } from './records/model.js';
import type { ConsumerLag } from './store/types.js';

/** All gateway metrics on one registry owned by the gateway instance (no global registry). */
export interface Metrics {
  registry: Registry;
  accepted: Counter<'interface'>;
  refused: Counter<'interface' | 'reason'>;
  retrievals: Counter<'result'>;
  mm1Requests: Counter<'pdu' | 'result'>;
  /** Repeated m-send-req / m-forward-req / MM7 SubmitReq answered with the first Message-ID (duplicates not created). */
  retransmissions: Counter<'pdu'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  transitions: Counter<'to'>;
  jobs: Counter<'type' | 'outcome'>;
  jobDuration: Histogram<'type'>;
  /** Reports and webhooks to VASPs abandoned after their last retry, by job type. */
  vaspGiveUps: Counter<'type'>;
  /** Stream events per consumer: applied (with their effects), failed (handler threw, retried), dropped (given up). */
  streamEvents: Counter<'consumer' | 'outcome'>;
  /** Events removed from the outbox: 'passed' (every consumer had them) or 'cap' (the retention cap, unread by some). */
  streamTrimmed: Counter<'reason'>;
  /** Requests cut off by the HTTP guard: body-idle, body-slow, buffer-cap. */
  httpDropped: Counter<'reason'>;
  /** Octets of request bodies held in memory for unfinished requests (capped by http.maxBufferedBytes). */
  bufferedBytes: Gauge;
}

export function createMetrics(
  opts: {
    stateCounts?: () => Promise<Partial<Record<RecipientState, number>>>;
    jobCount?: () => Promise<number>;
    streamLag?: () => Promise<ConsumerLag[]>;
    clock?: () => number;
    defaults?: boolean;
  } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'mmsc_' });
  const m: Metrics = {
    registry,
    accepted: new Counter({ name: 'mmsc_messages_accepted_total', help: 'Messages accepted, by submitting interface', labelNames: ['interface'], registers: [registry] }),
    refused: new Counter({ name: 'mmsc_messages_refused_total', help: 'Submissions refused, by interface and reason', labelNames: ['interface', 'reason'], registers: [registry] }),
    retrievals: new Counter({ name: 'mmsc_retrievals_total', help: 'Retrieval requests, by result', labelNames: ['result'], registers: [registry] }),
    mm1Requests: new Counter({ name: 'mmsc_mm1_pdus_total', help: 'PDUs received on MM1, by type and result', labelNames: ['pdu', 'result'], registers: [registry] }),
    retransmissions: new Counter({
      name: 'mmsc_retransmissions_total',
      help: 'Submissions recognised as retransmissions (same sender, transaction id and content) and answered without creating a duplicate, by request (m-send-req, m-forward-req, mm7-submit)',
      labelNames: ['pdu'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'mmsc_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    transitions: new Counter({ name: 'mmsc_recipient_transitions_total', help: 'Recipient state changes, by new state', labelNames: ['to'], registers: [registry] }),
    jobs: new Counter({ name: 'mmsc_jobs_total', help: 'Jobs run, by type and outcome', labelNames: ['type', 'outcome'], registers: [registry] }),
    jobDuration: new Histogram({ name: 'mmsc_job_duration_seconds', help: 'Job handler latency', labelNames: ['type'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [registry] }),
    vaspGiveUps: new Counter({ name: 'mmsc_vasp_reports_given_up_total', help: 'MM7 reports and webhooks to VASPs given up after their last retry, by job type', labelNames: ['type'], registers: [registry] }),
    streamEvents: new Counter({
      name: 'mmsc_stream_events_total',
      help: 'State-change stream events handled on this node, by consumer and outcome (applied, failed = handler threw and will retry, dropped = given up)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    streamTrimmed: new Counter({
      name: 'mmsc_stream_trimmed_total',
      help: 'Events removed from the outbox by this node: passed (every consumer had them), cap (retention cap; some consumer had not read them)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    httpDropped: new Counter({
      name: 'mmsc_http_requests_dropped_total',
      help: 'Requests cut off before they were complete: body-idle (no octet for http.bodyIdleTimeoutMs), body-slow (below http.minBodyRate), buffer-cap (http.maxBufferedBytes reached)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    bufferedBytes: new Gauge({ name: 'mmsc_http_buffered_request_bytes', help: 'Octets of request bodies held in memory for unfinished requests', registers: [registry] }),
  };
  if (opts.streamLag) {
    const streamLag = opts.streamLag;
    const clock = opts.clock ?? Date.now;
    // One read of the lags serves both gauges of a scrape.
    let pending: Promise<ConsumerLag[]> | undefined;
    const lags = (): Promise<ConsumerLag[]> => {
      pending ??= streamLag().finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    new Gauge({
      name: 'mmsc_stream_lag',
      help: 'State-change stream events written and not yet acknowledged, per consumer',
      labelNames: ['consumer'],
      registers: [registry],
      async collect() {
        for (const l of await lags()) this.set({ consumer: l.consumer }, l.events);
      },
    });
    new Gauge({
      name: 'mmsc_stream_lag_seconds',
      help: 'Age of the oldest state-change stream event not yet acknowledged, per consumer (0 when caught up)',
      labelNames: ['consumer'],
      registers: [registry],
      async collect() {
        const now = clock();
        for (const l of await lags()) this.set({ consumer: l.consumer }, l.oldestAt === undefined ? 0 : Math.max(0, (now - l.oldestAt) / 1000));
      },
    });
  }
  if (opts.stateCounts) {
    const stateCounts = opts.stateCounts;
    new Gauge({
      name: 'mmsc_recipients',
      help: 'Delivery records per state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await stateCounts();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n ?? 0);
      },
    });
  }
  if (opts.jobCount) {
    const jobCount = opts.jobCount;
    new Gauge({
      name: 'mmsc_jobs_scheduled',
      help: 'Jobs waiting in the queue (notifications, re-notifications, reports, expiry)',
      registers: [registry],
      async collect() {
        this.set(await jobCount());
      },
    });
  }
  return m;
}
