import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { Metrics } from '../metrics.js';
import type { JobHandler } from '../queue/runner.js';
import type { ReportPort } from '../relay/ports.js';
import type { Relay } from '../relay/relay.js';
import type { Store } from '../store/types.js';
import { VaspAccounts } from './accounts.js';
import { VaspLimits } from './limits.js';
import { mm7Routes } from './mm7-route.js';
import { OptOutList } from './opt-out.js';
import { restRoutes } from './rest-routes.js';
import { relayControl } from './control.js';
import { moNotifier } from './mo.js';
import type { NotificationPort } from '../relay/ports.js';
import { VaspReports } from './reports.js';
import { VaspSender } from './send.js';
import { BatchService } from './batches/service.js';
import { batchFunnelConsumer } from './batches/funnel.js';
import type { EventConsumer } from '../stream/runner.js';
import { linkRoutes } from './batches/links.js';
import type { PushTransport } from '../relay/transport.js';

export interface VaspDeps {
  config: GatewayConfig;
  store: Store;
  relay: Relay;
  logger: Logger;
  metrics: Metrics;
  clock?: () => number;
  nudge?: () => void;
  /** Where keyword replies (STOP, START, HELP) go out as text SMS. */
  transport?: PushTransport;
  /** Wakes the stream consumers (events written outside the relay: clicks). */
  nudgeEvents?: () => void;
}

/** The VASP side of one node: accounts, sending rules, the MM7 and REST routes, reports back. */
export interface Vasp {
  accounts: VaspAccounts;
  optOut: OptOutList;
  sender: VaspSender;
  plugin: FastifyPluginAsync;
  reports: { mm7: ReportPort; rest: ReportPort };
  outbound: VaspReports;
  /** Wraps the handset notifier: recipients that are VASP short codes get a DeliverReq instead. */
  moNotifier(inner: NotificationPort): NotificationPort;
  jobHandlers: Record<string, JobHandler>;
  batches: BatchService;
  /** The stream consumers of the VASP side (campaign funnels). */
  consumers: EventConsumer[];
}

export function createVasp(deps: VaspDeps): Vasp {
  const cfg = deps.config.vasp;
  const accounts = new VaspAccounts(cfg.accounts, { limits: cfg.auth });
  const optOut = new OptOutList(deps.store, cfg.optOut);
  const limits = new VaspLimits(deps.store, deps.clock, cfg.batches.bulkReserve);
  const sender = new VaspSender({
    relay: deps.relay,
    limits,
    optOut,
    plan: { countryCode: cfg.defaultCountryCode, nationalPrefix: cfg.nationalPrefix },
    maxRecipients: cfg.maxRecipients,
    retransmissionWindowSeconds: cfg.retransmissionWindowSeconds,
    logger: deps.logger,
    clock: deps.clock,
  });
  const control = relayControl(deps.relay, deps.store);
  const batches = new BatchService({
    config: deps.config,
    store: deps.store,
    relay: deps.relay,
    accounts,
    limits,
    optOut,
    logger: deps.logger,
    clock: deps.clock,
    nudge: deps.nudge,
    nudgeEvents: () => deps.nudgeEvents?.(),
  });
  const mm7 = mm7Routes({ config: cfg, maxMessageSize: deps.config.mm1.maxMessageSize, accounts, sender, control, metrics: deps.metrics });
  const rest = restRoutes({ config: cfg, maxMessageSize: deps.config.mm1.maxMessageSize, accounts, sender, store: deps.store, control, metrics: deps.metrics, batches });
  const plugin: FastifyPluginAsync = async (app) => {
    await app.register(mm7);
    await app.register(rest, { prefix: cfg.apiPrefix });
    await app.register(linkRoutes({ click: (code, ua, method) => batches.click(code, ua, method), perMinute: cfg.links.rateLimitPerMinute }));
  };
  const outbound = new VaspReports({
    config: cfg,
    accounts,
    store: deps.store,
    logger: deps.logger,
    clock: deps.clock,
    nudge: deps.nudge,
    onDelivered: (r) => deps.relay.retrievalCompleted(r),
    onGiveUp: (type) => deps.metrics.vaspGiveUps.inc({ type }),
    onReadReport: (m, status) => batches.onReadReport(m, status),
  });
  return {
    accounts,
    optOut,
    sender,
    plugin,
    reports: { mm7: outbound.mm7, rest: outbound.rest },
    outbound,
    jobHandlers: { ...outbound.jobHandlers(), ...batches.jobHandlers() },
    moNotifier: (inner) => moNotifier(inner, { config: cfg, accounts, optOut, outbound, store: deps.store, relay: deps.relay, logger: deps.logger, transport: deps.transport }),
    batches,
    consumers: [batchFunnelConsumer(deps.store, deps.config.relay.retentionSeconds * 1000)],
  };
}
