import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify';
import type { VaspAccount, VaspConfig } from '../../config/vasp.js';
import type { Metrics } from '../../metrics.js';
import type { Store } from '../../store/types.js';
import type { MediaInput } from '../content.js';
import { WEBHOOK_EVENTS } from '../events.js';
import { guardOf } from '../../http/guard.js';
import { authHeaders, errorSchema } from '../rest-schemas.js';
import { BatchError, type BatchService, type BatchSettings } from './service.js';
import { readCsv, readJsonLines, UploadError, type RowSink } from './upload.js';

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' };
const mediaItems = (max: number) => ({
  type: 'array',
  maxItems: max,
  items: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', maxLength: 2048, description: 'http(s) URL; may hold template variables ({{ image }}): fetched once per distinct URL' },
      contentType: { type: 'string', maxLength: 100, pattern: '^[a-zA-Z0-9!#$&^_.+-]+/[a-zA-Z0-9!#$&^_.+-]+$' },
      name: { type: 'string', maxLength: 64 },
    },
  },
});

export function batchBodySchema(c: VaspConfig): Record<string, unknown> {
  const content = {
    subject: { type: 'string', maxLength: 1000, description: 'Liquid template' },
    text: { type: 'string', maxLength: 20_000, description: 'Liquid template; links are tracked with trackLinks' },
    media: mediaItems(c.media.maxItems),
  };
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: { type: 'string', maxLength: 20, description: "One of the account's short codes; the first one when absent" },
      ...content,
      recipients: {
        type: 'array',
        maxItems: c.batches.maxInlineRecipients,
        items: {
          type: 'object',
          required: ['to'],
          additionalProperties: false,
          properties: { to: { type: 'string', minLength: 1, maxLength: 40 }, variables: { type: 'object', additionalProperties: true } },
        },
        description: 'Inline recipient list (or, in multipart/form-data, a `recipients` file: CSV with a header row naming `to` and the variables, or JSON Lines)',
      },
      defaults: { type: 'object', additionalProperties: true, description: 'Values of variables a recipient does not give' },
      sendAt: { type: 'string', format: 'date-time', description: `When the release starts (at most ${c.batches.maxScheduleDays} days ahead)` },
      window: { type: 'object', required: ['start', 'end'], additionalProperties: false, properties: { start: hhmm, end: hhmm }, description: "Daily send window in each recipient's time zone" },
      trackLinks: { type: 'boolean', description: 'Rewrite links of the text to tracked short links (<publicUrl>/l/<code>)' },
      variants: {
        type: 'array',
        minItems: 2,
        maxItems: 4,
        items: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 40 }, split: { type: 'number', exclusiveMinimum: 0, maximum: 100 }, ...content } },
        description: 'A/B content variants with their split; fields a variant leaves out come from the top level',
      },
      webhookUrl: { type: 'string', maxLength: 2048, pattern: '^https?://' },
      events: { type: 'array', uniqueItems: true, maxItems: WEBHOOK_EVENTS.length, items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, description: "Default: the account's webhookEvents, else delivery-report and clicked" },
      priority: { type: 'string', enum: ['low', 'normal', 'high'], description: "'high' competes with transactional messages for the account's tps; others leave them room" },
      deliveryReport: { type: 'boolean' },
      readReport: { type: 'boolean', description: 'Ask handsets for read reports (the funnel\'s "read")' },
      messageClass: { type: 'string', enum: ['personal', 'advertisement', 'informational', 'auto'] },
      expirySeconds: { type: 'integer', minimum: 60, description: 'Validity of each message from its release' },
    },
  };
}

const countsSchema = {
  type: 'object',
  additionalProperties: true,
  properties: Object.fromEntries(
    ['accepted', 'scheduled', 'released', 'notified', 'retrieved', 'acknowledged', 'read', 'clicked', 'failed', 'optedOut', 'fallbackSms', 'duplicate', 'cancelled', 'forwarded', 'botClicks'].map((k) => [k, { type: 'integer' }]),
  ),
};
const ratesSchema = { type: 'object', properties: { retrievalRate: { type: 'number' }, readRate: { type: 'number' }, clickThroughRate: { type: 'number' } } };

export const batchStatusSchema = {
  type: 'object',
  required: ['id', 'status', 'counts', 'rates', 'variants'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['scheduled', 'sending', 'paused', 'completed', 'cancelled'] },
    createdAt: { type: 'string', format: 'date-time' },
    sendAt: { type: 'string', format: 'date-time' },
    counts: countsSchema,
    rates: ratesSchema,
    variants: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, split: { type: 'number' }, counts: countsSchema, rates: ratesSchema } } },
  },
};

const createdSchema = {
  type: 'object',
  required: ['id', 'status'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    accepted: { type: 'integer' },
    refused: { type: 'integer' },
    refusals: { type: 'array', items: { type: 'object', properties: { row: { type: 'integer' }, to: { type: 'string' }, reason: { type: 'string' } } } },
  },
};

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } } };

interface BatchBody extends Omit<BatchSettings, 'sendAt' | 'files'> {
  recipients?: { to: string; variables?: Record<string, unknown> }[];
  sendAt?: string;
}

export interface BatchRouteDeps {
  config: VaspConfig;
  service: BatchService;
  store: Store;
  metrics: Metrics;
  accountOf: (req: FastifyRequest) => VaspAccount;
}

/**
 * Campaign routes of the REST API (registered inside its plugin: same API keys, errors and OpenAPI
 * document): POST /batches, GET /batches/{id}, GET /batches/{id}/recipients.csv and
 * POST /batches/{id}/pause|resume|cancel|reschedule.
 */
export function registerBatchRoutes(app: FastifyInstance, d: BatchRouteDeps): void {
  const { config, service } = d;
  const schema = batchBodySchema(config);
  const known = new Set(Object.keys(schema.properties as object));
  /** Upload state of a multipart request: its id, its rows (already stored) and its files. */
  const uploads = new WeakMap<FastifyRequest, { id: string; sink?: RowSink; files: MediaInput[]; done?: boolean }>();

  // A request refused after its list was stored leaves no chunks behind.
  app.addHook('onResponse', async (req) => {
    const u = uploads.get(req);
    if (u?.sink && !u.done) await u.sink.discard().catch(() => undefined);
  });

  app.post(
    '/batches',
    {
      // JSON is read whole before validation: bounded well below the streamed multipart upload.
      bodyLimit: Math.min(config.batches.maxUploadBytes, JSON_BODY_LIMIT),
      schema: {
        summary: 'Create a campaign: one content (or A/B variants) for a recipient list, with personalisation, scheduling and tracked links',
        description:
          'JSON with an inline `recipients` list, or multipart/form-data with the same fields (objects and arrays as JSON text) and a `recipients` file (CSV whose header row names `to` and the variables, or JSON Lines of {"to","variables"}), streamed into the store. Answered once every accepted recipient is stored.',
        tags: ['batches'],
        headers: authHeaders,
        body: schema,
        'x-multipart': { type: 'object', properties: { ...(schema.properties as Record<string, unknown>), recipients: { type: 'string', format: 'binary' }, media: { type: 'array', items: { type: 'string', format: 'binary' } } } },
        response: { 202: createdSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 413: errorSchema, 422: errorSchema, 502: errorSchema },
      },
      preValidation: async (req, reply) => {
        if (!req.isMultipart()) {
          refuseUnknown(req.body, known);
          return;
        }
        const u: { id: string; sink?: RowSink; files: MediaInput[] } = { id: service.newId(), files: [] };
        uploads.set(req, u);
        const fields: Record<string, unknown> = {};
        const parts = req.parts({ limits: { fileSize: config.batches.maxUploadBytes, files: 1 + config.media.maxItems, fields: 40, fieldSize: 1024 * 1024, parts: 41 + config.media.maxItems } });
        for await (const part of parts) {
          if (part.type === 'file') {
            if (part.fieldname === 'recipients') {
              if (u.sink) throw new UploadError('bad-recipients', 'one recipients file per batch');
              u.sink = service.sink(u.id);
              const jsonl = /json|ndjson|jsonl/i.test(part.mimetype) || /\.(jsonl|ndjson)$/i.test(part.filename ?? '');
              await (jsonl ? readJsonLines(part.file, u.sink) : readCsv(part.file, u.sink));
              if ((part.file as Readable & { truncated?: boolean }).truncated) throw new UploadError('too-large', `the upload is larger than ${config.batches.maxUploadBytes} octets`, 413);
            } else if (part.fieldname === 'media') {
              // Media files are held in memory: counted against http.maxBufferedBytes. The recipient
              // list is not: it goes to the store a chunk at a time and is never held whole.
              const guard = guardOf(req.server);
              const data = await readLimited(guard ? guard.count(part.file, reply.raw) : part.file, config.media.maxBytes);
              if (data.length > 0) u.files.push({ contentType: part.mimetype, data, ...(part.filename ? { name: part.filename } : {}) });
            } else {
              part.file.resume();
              throw new UploadError('bad-request', `unexpected file field "${part.fieldname}"`);
            }
            continue;
          }
          const value = String(part.value);
          fields[part.fieldname] = JSON_FIELDS.has(part.fieldname) ? parseJsonField(part.fieldname, value) : BOOL_FIELDS.has(part.fieldname) ? value === 'true' : NUM_FIELDS.has(part.fieldname) ? Number(value) : value;
        }
        req.body = fields;
        refuseUnknown(fields, known);
      },
    },
    async (req, reply) => {
      const account = d.accountOf(req);
      const body = req.body as BatchBody;
      const u = uploads.get(req) ?? { id: service.newId(), files: [] };
      uploads.set(req, u);
      const settings: BatchSettings = { ...body, sendAt: body.sendAt !== undefined ? Date.parse(body.sendAt) : undefined, files: u.files };
      delete (settings as { recipients?: unknown }).recipients;
      // Refuse what can be refused before the list is stored.
      service.validate(account, settings);
      if (!u.sink) {
        if (!body.recipients?.length) throw new BatchError(400, 'no-recipients', 'a batch needs recipients: `recipients` inline or a recipients file');
        u.sink = service.sink(u.id);
        for (const r of body.recipients) await u.sink.add(r.to, r.variables);
      } else if (body.recipients) throw new BatchError(400, 'bad-request', 'recipients inline and as a file');
      const key = header(req, 'idempotency-key');
      if (key) {
        const prior = await d.store.cacheSetIfAbsent('batch-idem', `${account.id}:${key}`, Buffer.from(u.id), config.idempotencyTtlSeconds * 1000);
        if (prior) {
          const existing = await service.load(account, prior.toString());
          if (existing) {
            req.log.info({ vasp: account.id, batch: prior.toString(), idempotencyKey: key }, 'batch upload replayed from its idempotency key');
            return reply.code(202).header('idempotent-replayed', 'true').send({ id: existing.meta.id, status: service.statusOf(existing.meta, existing.control, existing.progress), accepted: existing.meta.total });
          }
          throw new BatchError(409, 'in-progress', 'a batch with this Idempotency-Key is being created');
        }
      }
      let created;
      try {
        created = await service.create(account, u.id, settings, u.sink);
      } catch (e) {
        if (key) await d.store.cacheSet('batch-idem', `${account.id}:${key}`, Buffer.from(''), 1).catch(() => undefined);
        throw e;
      }
      Object.assign(u, { done: true });
      const status = service.statusOf(created.meta, created.control, { cursor: 0, deferred: {}, tally: [], done: false, v: 1 });
      req.log.info({ vasp: account.id, batch: u.id, accepted: u.sink.accepted, refused: u.sink.refused, chunks: created.meta.chunks, sendAt: new Date(created.control.sendAt).toISOString(), variants: created.meta.variants.length }, 'batch accepted');
      d.metrics.accepted.inc({ interface: 'rest' });
      return reply.code(202).send({ id: u.id, status, accepted: u.sink.accepted, refused: u.sink.refused, ...(u.sink.refusals.length ? { refusals: u.sink.refusals } : {}) });
    },
  );

  app.get(
    '/batches/:id',
    { schema: { summary: 'Status, funnel counts and rates of a campaign (per variant too)', tags: ['batches'], headers: authHeaders, params: idParams, response: { 200: batchStatusSchema, 401: errorSchema, 404: errorSchema } } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const r = await service.report(d.accountOf(req), id);
      if (!r) return reply.code(404).send({ error: 'not-found', message: `no batch ${id}` });
      return r;
    },
  );

  app.get(
    '/batches/:id/recipients.csv',
    {
      schema: {
        summary: 'Per-recipient export of a campaign (CSV, streamed)',
        description: 'Columns: row, to, variant, status (scheduled, waiting, released, opted-out, duplicate, failed, cancelled), reason, messageId, state, notifiedAt, retrievedAt, acknowledgedAt, clickedAt',
        tags: ['batches'],
        headers: authHeaders,
        params: idParams,
        response: { 200: { type: 'string', description: 'text/csv' }, 401: errorSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const account = d.accountOf(req);
      if (!(await service.load(account, id))) return reply.code(404).send({ error: 'not-found', message: `no batch ${id}` });
      const csv = stringify();
      const rows = service.exportRows(account, id);
      void (async () => {
        try {
          for await (const row of rows) if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
          csv.end();
        } catch (e) {
          req.log.warn({ err: e, batch: id }, 'batch export failed');
          csv.destroy(e as Error);
        }
      })();
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${id}.csv"`).send(csv);
    },
  );

  for (const action of ['pause', 'resume', 'cancel', 'reschedule'] as const) {
    app.post(
      `/batches/:id/${action}`,
      {
        schema: {
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a campaign (recipients not yet released)`,
          tags: ['batches'],
          headers: authHeaders,
          params: idParams,
          ...(action === 'reschedule' ? { body: { type: 'object', required: ['sendAt'], additionalProperties: false, properties: { sendAt: { type: 'string', format: 'date-time' } } } } : {}),
          response: { 200: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } }, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const sendAt = action === 'reschedule' ? Date.parse((req.body as { sendAt: string }).sendAt) : undefined;
        return service.control(d.accountOf(req), id, action, sendAt);
      },
    );
  }
}

/** Largest JSON body of POST /batches (larger lists go as a streamed file). */
const JSON_BODY_LIMIT = 32 * 1024 * 1024;

const JSON_FIELDS = new Set(['media', 'variants', 'defaults', 'window', 'events', 'recipients']);
const BOOL_FIELDS = new Set(['trackLinks', 'deliveryReport', 'readReport']);
const NUM_FIELDS = new Set(['expirySeconds']);

function parseJsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UploadError('invalid-request', `field "${name}" is not JSON`);
  }
}

function refuseUnknown(body: unknown, known: Set<string>): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length) throw Object.assign(new Error(`unknown field(s): ${unknown.slice(0, 5).join(', ')}`), { statusCode: 400, code: 'INVALID-REQUEST' });
}

async function readLimited(input: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of input as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      input.resume();
      throw new UploadError('too-large', `a media file is larger than ${max} octets`, 413);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Maps the errors of this module to HTTP answers (called by the REST plugin's error handler). */
export function batchErrorAnswer(err: unknown, reply: FastifyReply): FastifyReply | undefined {
  if (err instanceof BatchError || err instanceof UploadError) return reply.code(err.status).send({ error: err.code, message: err.message });
  return undefined;
}
