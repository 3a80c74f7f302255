import type { FastifyInstance, RouteOptions } from 'fastify';
import { packageVersion } from '../version.js';

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

/**
 * Collects the schemas of the routes registered after it in this plugin and serves them as an
 * OpenAPI 3.0 document: the validation schemas are the documentation, so the two cannot drift.
 */
export function openApiCollector(app: FastifyInstance, title: string): { document: () => Record<string, unknown> } {
  const routes: Collected[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    const s = r.schema as Record<string, unknown> | undefined;
    if (!s) return;
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) if (m !== 'HEAD') routes.push({ method: m.toLowerCase(), url: r.url, schema: s });
  });
  return {
    document() {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const r of routes) {
        const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const s = r.schema;
        const parameters: unknown[] = [];
        const params = s.params as { properties?: Record<string, unknown>; required?: string[] } | undefined;
        for (const [name, schema] of Object.entries(params?.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema });
        const headers = s.headers as { properties?: Record<string, { description?: string }> } | undefined;
        for (const [name, schema] of Object.entries(headers?.properties ?? {})) {
          if (name === 'authorization') continue;
          parameters.push({ name, in: 'header', required: false, schema, ...(schema.description ? { description: schema.description } : {}) });
        }
        const responses: Record<string, unknown> = {};
        for (const [code, schema] of Object.entries((s.response as Record<string, unknown>) ?? {})) {
          responses[code] = { description: (schema as { description?: string }).description ?? `HTTP ${code}`, content: { 'application/json': { schema } } };
        }
        const op: Record<string, unknown> = { summary: s.summary, description: s.description, tags: s.tags, parameters, responses, security: [{ bearer: [] }, { apiKey: [] }] };
        if (s.body) {
          op.requestBody = {
            required: true,
            content: {
              'application/json': { schema: s.body },
              ...(s['x-multipart'] ? { 'multipart/form-data': { schema: s['x-multipart'] } } : {}),
            },
          };
        }
        (paths[path] ??= {})[r.method] = op;
      }
      return {
        openapi: '3.0.3',
        info: { title, version: packageVersion() },
        paths,
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API key of the VASP account' },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          },
        },
      };
    },
  };
}
