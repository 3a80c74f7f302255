import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/index.js';
import { RequestGuard } from './http/guard.js';
import { lazyRequestLogger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Store } from './store/types.js';
import { packageVersion } from './version.js';

/** Something /healthz reports on (SMSC links, ffmpeg, ...). */
export interface HealthSource {
  name: string;
  /** `ok: false` makes /readyz fail when `critical` is set; otherwise it is only reported. */
  check(): Promise<{ ok: boolean; critical?: boolean; detail?: unknown }>;
}

/** A Fastify plugin and the prefix it is registered under. */
export interface AppPlugin {
  plugin: FastifyPluginAsync;
  prefix?: string;
}

export interface AppDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  health?: HealthSource[];
  /** Interface plugins (MM1, VASP, web view), registered in order. */
  plugins?: AppPlugin[];
  /**
   * Whether /healthz, /readyz and /metrics are served here. The gateway turns them off on the
   * public app when the admin listener (`http.admin.port`) serves them instead. Default: on.
   */
  opsRoutes?: boolean;
  /** Shared with the admin app, so /readyz fails on both while the node shuts down. */
  draining?: { value: boolean };
}

export interface AdminAppDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  health?: HealthSource[];
  draining: { value: boolean };
  /** The admin API, the console, ...: registered after /healthz, /readyz and /metrics, in order. */
  plugins?: AppPlugin[];
}

export type GatewayApp = FastifyInstance & { draining: { value: boolean }; guard: RequestGuard };

/**
 * Builds the HTTP side of the gateway from explicit dependencies. No global state: two gateways in
 * one process (tests) do not share anything.
 */
export function buildApp(deps: AppDeps): GatewayApp {
  const app = baseApp(deps.config, deps.logger, deps.metrics, deps.store, deps.draining ?? { value: false });
  if (deps.opsRoutes !== false) void app.register(opsRoutes({ ...deps, draining: app.draining }));
  for (const p of deps.plugins ?? []) void app.register(p.plugin, p.prefix ? { prefix: p.prefix } : {});
  return app;
}

/**
 * The admin listener's app (`http.admin.port`, bound to `http.admin.host`, 127.0.0.1 by default):
 * /healthz, /readyz, /metrics, then `deps.plugins` - where the admin API and console register.
 * The same timeouts and limits as the public app: the admin port is not assumed to be friendly.
 */
export function buildAdminApp(deps: AdminAppDeps): GatewayApp {
  const app = baseApp(deps.config, deps.logger, deps.metrics, deps.store, deps.draining);
  void app.register(opsRoutes(deps));
  for (const p of deps.plugins ?? []) void app.register(p.plugin, p.prefix ? { prefix: p.prefix } : {});
  return app;
}

/** A Fastify instance with the gateway's timeouts, request guard, metrics and error answers. */
function baseApp(config: GatewayConfig, logger: Logger, metrics: Metrics, store: Store, draining: { value: boolean }): GatewayApp {
  const h = config.http;
  const app = Fastify({
    loggerInstance: logger,
    // Per-request lines are ours (with message id and recipient), not Fastify's generic ones.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    // Handsets reuse connections through the MMS proxy; keep them open a while.
    keepAliveTimeout: h.keepAliveTimeoutMs,
    // Node's own deadlines: headers within headersTimeoutMs, the whole request within requestTimeoutMs
    // (408 and close). Node checks them every connectionsCheckingInterval (30 s by default: too coarse
    // for a 10 s header deadline).
    requestTimeout: h.requestTimeoutMs,
    http: { headersTimeout: h.headersTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(h.headersTimeoutMs / 4))) },
    bodyLimit: config.mm1.maxMessageSize * 2 + 64 * 1024,
    return503OnClosing: true,
    trustProxy: false,
  }) as unknown as GatewayApp;
  app.decorate('draining', draining);
  const guard = new RequestGuard(h, logger, {
    dropped: (reason) => metrics.httpDropped.inc({ reason }),
    buffered: (bytes) => metrics.bufferedBytes.set(bytes),
  });
  app.decorate('guard', guard);
  app.addHook('onClose', async () => guard.close());

  // Every request is watched while its body arrives, and every body a parser reads is counted
  // against the buffered-bytes cap; hooks of the interface plugins (auth) run after these.
  app.addHook('onRequest', (req, reply, done) => {
    guard.watch(req.raw, reply.raw);
    done();
  });
  app.addHook('preParsing', (req, reply, payload, done) => {
    const h = req.headers;
    if (h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')) return done(null, payload);
    done(null, guard.count(payload, reply.raw));
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ route, method: req.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // Failures of our own (5xx) answer without internals; a store that does not answer makes it a
  // 503 with Retry-After, so clients and proxies retry instead of giving up. 4xx keep Fastify's form.
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'MMSC_BUFFER_CAP') {
      metrics.httpDropped.inc({ reason: 'buffer-cap' });
      req.log.warn({ peer: req.ip, url: req.url, buffered: guard.buffered, limit: h.maxBufferedBytes }, 'request refused: buffered-bytes cap reached (http.maxBufferedBytes)');
      return reply.code(503).header('connection', 'close').header('retry-after', '5').send({ error: 'temporarily unavailable' });
    }
    if (err.statusCode !== undefined && err.statusCode < 500) {
      // The rest of a body over its route's limit is not worth reading: the connection goes with the answer.
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') reply.header('connection', 'close');
      return reply.send(err);
    }
    let storeUp = true;
    try {
      await store.ping();
    } catch {
      storeUp = false;
    }
    req.log.error({ err, storeUp }, storeUp ? 'request failed' : 'request failed: store unavailable');
    if (!storeUp) return reply.code(503).header('retry-after', '5').send({ error: 'temporarily unavailable' });
    return reply.code(500).send({ error: 'internal error' });
  });
  return app;
}

/** /healthz (liveness), /readyz (readiness) and /metrics (Prometheus, when enabled). */
function opsRoutes(deps: { config: GatewayConfig; metrics: Metrics; store: Store; health?: HealthSource[]; draining: { value: boolean } }): FastifyPluginAsync {
  const { config, metrics, draining } = deps;
  return async (app) => {
    app.get('/healthz', async () => {
      const checks: Record<string, unknown> = {};
      for (const h of deps.health ?? []) {
        try {
          checks[h.name] = await h.check();
        } catch (err) {
          checks[h.name] = { ok: false, detail: (err as Error).message };
        }
      }
      return { status: 'ok', version: packageVersion(), uptimeSeconds: Math.round(process.uptime()), store: deps.store.kind, checks };
    });

    app.get('/readyz', async (req, reply) => {
      // The answer names the failing part only; the reason (addresses, driver messages) goes to the
      // log, since a probe endpoint is often reachable from further than the operator thinks.
      const problems: string[] = [];
      if (draining.value) problems.push('shutting down');
      try {
        await deps.store.ping();
      } catch (err) {
        problems.push('store unavailable');
        req.log.warn({ err: (err as Error).message }, 'not ready: store unavailable');
      }
      for (const h of deps.health ?? []) {
        try {
          const r = await h.check();
          if (!r.ok && r.critical) problems.push(`${h.name}: not ready`);
        } catch (err) {
          problems.push(`${h.name}: not ready`);
          req.log.warn({ err: (err as Error).message, check: h.name }, 'not ready: health check failed');
        }
      }
      if (problems.length) return reply.code(503).send({ ready: false, problems });
      return { ready: true };
    });

    if (config.metrics.enabled) {
      app.get(config.metrics.path, async (_req, reply) => {
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      });
    }
  };
}
