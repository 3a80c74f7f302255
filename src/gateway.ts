import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildAdminApp, buildApp, type AppPlugin, type HealthSource } from './app.js';
import type { GatewayConfig } from './config/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { PushTransport } from './relay/transport.js';
import { startSmscBearer, type SmscBearer } from './smsc/index.js';
import { startLabSmsc } from './smsc-sim/simulator.js';
import { JobRunner } from './queue/runner.js';
import { EventRunner } from './stream/runner.js';
import { vaspCountersConsumer } from './vasp/counters.js';
import type { NotificationPort, ReportPort } from './relay/ports.js';
import { Relay } from './relay/relay.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';
import { SenderResolver } from './mm1/identity.js';
import { Mm1Notifier, Mm1ReportPort } from './mm1/pushes.js';
import { mm1Routes } from './mm1/routes.js';
import { Adaptation } from './adapt/service.js';
import { loadDeviceClasses } from './adapt/handset.js';
import { detectFfmpeg, FfmpegTranscoder } from './adapt/media.js';
import { NonMmsNotifier, nonMmsList, readNonMmsFile } from './adapt/non-mms.js';
import { webViewRoutes } from './adapt/web-view.js';
import { createVasp, type Vasp } from './vasp/index.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Replaces the configured push bearer (tests). */
  transport?: PushTransport;
  clock?: () => number;
}

/** One running node: store, relay, job runner, HTTP interfaces, push bearer. */
export interface Gateway {
  config: GatewayConfig;
  app: FastifyInstance;
  relay: Relay;
  store: Store;
  metrics: Metrics;
  runner: JobRunner;
  /** The state-change stream's consumers on this node. */
  events: EventRunner;
  transport: PushTransport;
  vasp: Vasp;
  /** Base URL the HTTP server listens on. */
  url: string;
  /** The admin listener (/metrics, /healthz, /readyz, admin API) when `http.admin.port` is set. */
  adminApp?: FastifyInstance;
  /** Base URL of the admin listener, when there is one. */
  adminUrl?: string;
  stop(): Promise<void>;
}

/** Late-bound ports: the relay needs them at construction, the MM1 layer provides them. */
class PortSwitch implements NotificationPort {
  target: NotificationPort | undefined;
  notify: NotificationPort['notify'] = (m, r) => {
    if (!this.target) return Promise.resolve({ ok: false, temporary: true, reason: 'notifier not ready' });
    return this.target.notify(m, r);
  };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger } = opts;
  // Read before anything is opened: a bad subscriber list or device class file stops the start with nothing to clean up.
  const deviceClasses = config.adapt.enabled ? loadDeviceClasses(resolve(config.adapt.deviceClassesFile)) : undefined;
  const nonMms = [...config.adapt.nonMmsRecipients, ...(config.adapt.nonMmsFile ? readNonMmsFile(resolve(config.adapt.nonMmsFile)) : [])];
  const store: Store = openStore(config, { clock: opts.clock, logger });
  logger.info({ store: store.kind, dataDir: resolve(config.dataDir), node: config.node.id }, 'store opened');

  const health: HealthSource[] = [];
  const metrics = createMetrics({ stateCounts: () => store.stateCounts(), jobCount: () => store.countJobs(), streamLag: () => store.eventLag(), clock: opts.clock });
  // The SMPP bearer (configured SMSCs, or the built-in simulator) unless a transport is injected.
  let bearer: SmscBearer | undefined;
  let relayRef: Relay | undefined;
  if (!opts.transport) {
    bearer = await startSmscBearer(config.smsc, {
      logger,
      startLab: startLabSmsc,
      sink: { smscReceipt: (key, state, delivered, error) => relayRef!.smscReceipt(key, state, delivered, error) },
    });
    health.push({ name: 'smsc', check: async () => ({ ok: true, detail: bearer!.pool.status() }) });
  }
  const transport: PushTransport = opts.transport ?? bearer!.transport;
  const notifier = new PortSwitch();
  const reports: Partial<Record<'mm1' | 'mm7' | 'rest', ReportPort>> = {};

  let runner: JobRunner | undefined;
  let events: EventRunner | undefined;
  const relay = new Relay({
    store,
    config: config.relay,
    logger,
    notifier,
    reports,
    clock: opts.clock,
    nudge: () => runner?.nudge(),
    nudgeEvents: () => events?.nudge(),
    onTransition: (r) => metrics.transitions.inc({ to: r.state }),
  });
  relayRef = relay;
  const vasp = createVasp({ config, store, relay, logger, metrics, clock: opts.clock, nudge: () => runner?.nudge(), transport, nudgeEvents: () => events?.nudge() });
  Object.assign(reports, vasp.reports);
  runner = new JobRunner({
    store,
    logger,
    handlers: { ...relay.jobHandlers(), ...vasp.jobHandlers },
    concurrency: config.relay.jobConcurrency,
    leaseMs: config.node.jobLeaseSeconds * 1000,
    clock: opts.clock,
    onJobSettled: (job, outcome, ms) => {
      metrics.jobs.inc({ type: job.type, outcome });
      metrics.jobDuration.observe({ type: job.type }, ms / 1000);
    },
  });

  events = new EventRunner({
    store,
    logger,
    consumers: [relay.reportConsumer(), vaspCountersConsumer(), ...vasp.consumers],
    batchSize: config.stream.batchSize,
    leaseMs: config.node.jobLeaseSeconds * 1000,
    maxEvents: config.stream.maxEvents,
    lagAlertEvents: config.stream.lagAlertEvents,
    clock: opts.clock,
    onJobs: () => runner?.nudge(),
    onEvents: (consumer, outcome, n) => metrics.streamEvents.inc({ consumer, outcome }, n),
    onTrim: (r) => {
      if (r.trimmed) metrics.streamTrimmed.inc({ reason: 'passed' }, r.trimmed);
      if (r.forced) metrics.streamTrimmed.inc({ reason: 'cap' }, r.forced);
    },
  });
  const eventRunner = events;
  health.push({ name: 'stream', check: () => eventRunner.health() });

  reports.mm1 = new Mm1ReportPort(transport);
  const sender = new SenderResolver(config.mm1);
  let adaptation: Adaptation | undefined;
  if (config.adapt.enabled) {
    const ffmpeg = await detectFfmpeg(config.adapt.media.ffmpegPath);
    if (ffmpeg) logger.info({ ffmpeg: ffmpeg.path, version: ffmpeg.version }, 'ffmpeg found: audio and video are adapted');
    else logger.warn({ ffmpegPath: config.adapt.media.ffmpegPath }, 'ffmpeg not found: audio and video the handset does not accept are replaced by a text part');
    health.push({ name: 'ffmpeg', check: async () => ({ ok: ffmpeg !== undefined, detail: ffmpeg ? { path: ffmpeg.path, version: ffmpeg.version } : 'not installed: audio/video adaptation off' }) });
    const media = ffmpeg ? new FfmpegTranscoder({ info: ffmpeg, concurrency: config.adapt.media.concurrency, timeoutMs: config.adapt.media.timeoutMs, logger }) : undefined;
    adaptation = new Adaptation({ config: config.adapt, store, logger, classes: deviceClasses!, media, clock: opts.clock });
  }
  const plugins = [
    { plugin: mm1Routes({ config: config.mm1, relay, sender, metrics, adaptation }) },
    { plugin: vasp.plugin },
    { plugin: webViewRoutes({ relay, webPath: config.adapt.webPath, maxInputPixels: config.adapt.images.maxInputPixels }) },
  ];
  // The admin listener's plugins (admin API, console) go here; /healthz, /readyz and /metrics come first.
  const adminPlugins: AppPlugin[] = [];
  const withAdmin = config.http.admin.port !== undefined;
  const draining = { value: false };
  const app = buildApp({ config, logger, metrics, store, health, plugins, draining, opsRoutes: !withAdmin });
  await app.listen({ host: config.http.host, port: config.http.port });
  const url = listeningUrl(app, config.http.host);
  let adminApp: FastifyInstance | undefined;
  let adminUrl: string | undefined;
  if (withAdmin) {
    adminApp = buildAdminApp({ config, logger, metrics, store, health, draining, plugins: adminPlugins });
    try {
      await adminApp.listen({ host: config.http.admin.host, port: config.http.admin.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    adminUrl = listeningUrl(adminApp, config.http.admin.host);
    logger.info({ url: adminUrl }, 'admin listener: /metrics, /healthz and /readyz are served here, not on the public port');
  }
  const publicUrl = (config.http.publicUrl || url).replace(/\/+$/, '');
  vasp.batches.publicUrl = publicUrl;
  const mm1Notifier = new Mm1Notifier({ transport, config: config.relay, retrievalBase: `${publicUrl}${config.mm1.retrievalPath}/`, logger, clock: opts.clock });
  const handsetNotifier =
    nonMms.length > 0
      ? new NonMmsNotifier({ inner: mm1Notifier, transport, isNonMms: nonMmsList(nonMms), webBase: `${publicUrl}${config.adapt.webPath}/`, smsText: config.adapt.smsText })
      : mm1Notifier;
  if (nonMms.length > 0) logger.info({ subscribers: nonMms.length }, 'non-MMS subscribers get an SMS with a web link');
  // VASP short codes first (MO messages to a VASP), then non-MMS handsets, then the WAP Push notification.
  notifier.target = vasp.moNotifier(handsetNotifier);
  runner.start();
  if (config.stream.run) events.start();
  else {
    // The retention cap holds all the same.
    events.startTrimming();
    logger.warn('stream.run is off: this node runs no stream consumers (reports, counters); another node must');
  }
  const sweeper = setInterval(() => {
    store.sweep((opts.clock ?? Date.now)()).catch((err) => logger.warn({ err }, 'store sweep failed'));
  }, 60_000);
  sweeper.unref();
  logger.info({ url, publicUrl: config.http.publicUrl, transport: transport.name }, 'gateway listening');

  let stopped: Promise<void> | undefined;
  const gateway: Gateway = {
    config,
    app,
    relay,
    store,
    metrics,
    runner,
    events,
    transport,
    vasp,
    url,
    adminApp,
    adminUrl,
    stop() {
      stopped ??= (async () => {
        clearInterval(sweeper);
        draining.value = true;
        // Stop accepting; in-flight requests finish (bounded by the grace period).
        const grace = setTimeout(() => {
          app.server.closeAllConnections?.();
          adminApp?.server.closeAllConnections?.();
        }, config.http.shutdownGraceMs);
        await Promise.all([app.close(), adminApp?.close()]);
        clearTimeout(grace);
        await runner!.stop(config.http.shutdownGraceMs);
        await eventRunner.stop(config.http.shutdownGraceMs);
        await bearer?.stop();
        await store.close();
        logger.info('gateway stopped');
      })();
      return stopped;
    },
  };
  return gateway;
}

/** `http://host:port` of a listening app; the wildcard addresses are reached on loopback. */
function listeningUrl(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
