import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/index.js';
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

export interface AppDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  health?: HealthSource[];
  /** Interface plugins (MM1, VASP, web view), registered in order. */
  plugins?: { plugin: FastifyPluginAsync; prefix?: string }[];
}

/**
 * Builds the HTTP side of the gateway from explicit dependencies. No global state: two gateways in
 * one process (tests) do not share anything.
 */
export function buildApp(deps: AppDeps): FastifyInstance & { draining: { value: boolean } } {
  const { config, metrics } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request lines are ours (with message id and recipient), not Fastify's generic ones.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    // Handsets reuse connections through the MMS proxy; keep them open a while.
    keepAliveTimeout: 65_000,
    bodyLimit: config.mm1.maxMessageSize * 2 + 64 * 1024,
    return503OnClosing: true,
    trustProxy: false,
  }) as unknown as FastifyInstance & { draining: { value: boolean } };
  const draining = { value: false };
  app.decorate('draining', draining);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ route, method: req.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // Failures of our own (5xx) answer without internals; a store that does not answer makes it a
  // 503 with Retry-After, so clients and proxies retry instead of giving up. 4xx keep Fastify's form.
  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    if (err.statusCode !== undefined && err.statusCode < 500) return reply.send(err);
    let storeUp = true;
    try {
      await deps.store.ping();
    } catch {
      storeUp = false;
    }
    req.log.error({ err, storeUp }, storeUp ? 'request failed' : 'request failed: store unavailable');
    if (!storeUp) return reply.code(503).header('retry-after', '5').send({ error: 'temporarily unavailable' });
    return reply.code(500).send({ error: 'internal error' });
  });

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

  for (const p of deps.plugins ?? []) void app.register(p.plugin, p.prefix ? { prefix: p.prefix } : {});
  return app;
}
