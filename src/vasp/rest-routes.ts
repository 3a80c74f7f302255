import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { MessageRecord, RecipientRecord } from '../records/model.js';
import type { Store } from '../store/types.js';
import type { VaspAccounts } from './accounts.js';
import type { VaspAccount, VaspConfig } from '../config/vasp.js';
import { ContentError, contentFromParts, type MediaInput, type StoredContent } from './content.js';
import type { MessageControl } from './control.js';
import { normaliseNumber } from '../address/index.js';
import { FetchError } from '../net/guarded-request.js';
import { guardOf } from '../http/guard.js';
import { fetchMedia } from './fetch-guard.js';
import type { WebhookEvent } from './events.js';
import { openApiCollector } from './openapi.js';
import {
  authHeaders,
  errorSchema,
  messageIdParams,
  messageStatusSchema,
  recipientParams,
  recipientStatusSchema,
  sendBodySchema,
  sendResponseSchema,
} from './rest-schemas.js';
import type { SendRefusal, VaspSender } from './send.js';
import { batchErrorAnswer, registerBatchRoutes } from './batches/routes.js';
import type { BatchService } from './batches/service.js';

export interface RestRouteDeps {
  config: VaspConfig;
  maxMessageSize: number;
  accounts: VaspAccounts;
  sender: VaspSender;
  store: Store;
  control?: MessageControl;
  metrics: Metrics;
  batches?: BatchService;
}

interface SendBody {
  to: string[];
  from?: string;
  subject?: string;
  text?: string;
  media?: { url: string; contentType?: string; name?: string }[];
  smil?: string;
  webhookUrl?: string;
  events?: WebhookEvent[];
  deliveryReport?: boolean;
  readReport?: boolean;
  messageClass?: string;
  priority?: 'low' | 'normal' | 'high';
  expiresAt?: string;
  sendAt?: string;
  idempotencyKey?: string;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const REFUSAL_HTTP: Record<SendRefusal, [number, string]> = {
  sender: [403, 'sender-not-allowed'],
  'no-valid-recipients': [422, 'no-valid-recipients'],
  'all-opted-out': [422, 'all-opted-out'],
  tps: [429, 'throughput-limit'],
  quota: [429, 'daily-quota'],
  'too-many-recipients': [400, 'too-many-recipients'],
  'bad-expiry': [400, 'bad-expiry'],
  store: [503, 'unavailable'],
};

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The REST API for marketing platforms: POST messages as JSON (media by URL) or multipart/form-data
 * (uploaded files), GET the status of a message and of each recipient, API keys per VASP. Every
 * route has a schema; the OpenAPI document is generated from them and served at `/openapi.json`.
 */
export function restRoutes(deps: RestRouteDeps): FastifyPluginAsync {
  const { config, accounts, sender, store, metrics } = deps;
  return async (app) => {
    await app.register(multipart, {
      limits: { fileSize: config.media.maxBytes, files: config.media.maxItems, fields: 50 + config.maxRecipients, fieldSize: 64 * 1024, parts: 60 + config.maxRecipients + config.media.maxItems },
    });
    // Registered before the collector, so the document does not describe itself.
    app.get('/openapi.json', { schema: { response: { 200: { type: 'object', additionalProperties: true } } } }, async () => openapi.document());
    const openapi = openApiCollector(app, 'MMSC VASP REST API');

    /** Uploaded files of a multipart request, parsed before validation so the schema sees the fields. */
    const uploads = new WeakMap<FastifyRequest, MediaInput[]>();
    // Every route below needs an API key; the account goes on the request.
    const accountOf = new WeakMap<FastifyRequest, VaspAccount>();
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url?.endsWith('/openapi.json')) return;
      const auth = accounts.apiKey(req.headers.authorization, header(req, 'x-api-key'), req.ip);
      if (!auth.ok) {
        // Decided on the headers: the body of a refused request is never read, and its connection goes.
        reply.header('connection', 'close');
        if (auth.refusal === 'source') {
          metrics.refused.inc({ interface: 'rest', reason: 'source' });
          req.log.info({ peer: req.ip, reason: auth.reason }, "REST request refused: peer not among the VASPs' allowed sources");
          return reply.code(403).send({ error: 'forbidden', message: 'source address not allowed' });
        }
        metrics.refused.inc({ interface: 'rest', reason: 'auth' });
        req.log.info({ peer: req.ip, reason: auth.reason }, 'REST request refused: bad API key');
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid API key is required' });
      }
      accountOf.set(req, auth.account);
    });

    app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
      const batch = batchErrorAnswer(err, reply);
      if (batch) {
        metrics.refused.inc({ interface: 'rest', reason: (err as { code?: string }).code ?? 'batch' });
        req.log.info({ peer: req.ip, vasp: accountOf.get(req)?.id, reason: err.message }, 'REST request refused');
        return batch;
      }
      if (err.statusCode !== undefined && err.statusCode < 500) {
        req.log.info({ peer: req.ip, vasp: accountOf.get(req)?.id, reason: err.message, code: err.code }, 'REST request refused');
        // The rest of a body over its limit is not worth reading: the connection goes with the answer.
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') reply.header('connection', 'close');
        return reply.code(err.statusCode).send({ error: err.validation ? 'invalid-request' : (err.code ?? 'bad-request').toLowerCase(), message: err.message });
      }
      throw err;
    });

    const sendSchema = sendBodySchema({ maxRecipients: config.maxRecipients, maxMedia: config.media.maxItems });
    const known = new Set(Object.keys(sendSchema.properties as object));
    // Fastify's validator drops unknown properties silently; a misspelt field (webhookURL) must not be.
    const refuseUnknownFields = (body: unknown): void => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
      const unknown = Object.keys(body).filter((k) => !known.has(k));
      if (unknown.length) throw Object.assign(new Error(`unknown field(s): ${unknown.slice(0, 5).join(', ')}`), { statusCode: 400, code: 'INVALID-REQUEST' });
    };

    app.post(
      '/messages',
      {
        schema: {
          summary: 'Send a message to one or more recipients',
          description:
            'JSON with media by URL, or multipart/form-data with the same fields (to may repeat or be comma-separated) and files. Answers per recipient. The Idempotency-Key header (or idempotencyKey) makes retries safe.',
          tags: ['messages'],
          headers: authHeaders,
          body: sendSchema,
          'x-multipart': {
            type: 'object',
            properties: { ...(sendSchema.properties as Record<string, unknown>), media: { type: 'array', items: { type: 'string', format: 'binary' } } },
          },
          response: { 202: sendResponseSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema, 413: errorSchema, 422: errorSchema, 429: errorSchema, 502: errorSchema, 503: errorSchema },
        },
        // multipart/form-data: read fields and files before validation, so one schema covers both forms.
        preValidation: async (req, reply) => {
          if (!req.isMultipart()) return refuseUnknownFields(req.body);
          const fields: Record<string, unknown> = {};
          const files: MediaInput[] = [];
          // Multipart reads the raw request itself: count its octets against http.maxBufferedBytes
          // (attached in the same turn as the parser's pipe, so no chunk flows past).
          guardOf(req.server)?.countRaw(req.raw, reply.raw);
          for await (const part of req.parts()) {
            if (part.type === 'file') {
              const data = await part.toBuffer();
              if (data.length > 0) files.push({ contentType: part.mimetype, data, ...(part.filename ? { name: part.filename } : {}) });
              continue;
            }
            const value = String(part.value);
            if (part.fieldname === 'to' || part.fieldname === 'events') {
              const list = (fields[part.fieldname] as string[] | undefined) ?? [];
              list.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
              fields[part.fieldname] = list;
            } else if (part.fieldname === 'media') {
              const list = (fields.media as unknown[] | undefined) ?? [];
              list.push({ url: value });
              fields.media = list;
            } else fields[part.fieldname] = value;
          }
          uploads.set(req, files);
          req.body = fields;
          refuseUnknownFields(fields);
        },
      },
      async (req, reply) => send(req, reply, accountOf.get(req)!, req.body as SendBody),
    );

    app.get(
      '/messages/:id',
      { schema: { summary: 'Status of a message and of each recipient', tags: ['messages'], headers: authHeaders, params: messageIdParams, response: { 200: messageStatusSchema, 401: errorSchema, 404: errorSchema } } },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const found = await ownMessage(accountOf.get(req)!, id);
        if (!found) return reply.code(404).send({ error: 'not-found', message: `no message ${id}` });
        const recipients = await store.listRecipients(id);
        return statusOf(found, recipients);
      },
    );

    app.get(
      '/messages/:id/recipients/:to',
      { schema: { summary: 'Status of one recipient of a message', tags: ['messages'], headers: authHeaders, params: recipientParams, response: { 200: recipientStatusSchema, 401: errorSchema, 404: errorSchema } } },
      async (req, reply) => {
        const { id, to } = req.params as { id: string; to: string };
        const found = await ownMessage(accountOf.get(req)!, id);
        const n = normaliseNumber(to, { countryCode: config.defaultCountryCode, nationalPrefix: config.nationalPrefix });
        const r = found && n.ok ? (await store.listRecipients(id)).find((x) => x.address.replace(/\/TYPE=PLMN$/i, '') === n.value) : undefined;
        if (!r) return reply.code(404).send({ error: 'not-found', message: `no recipient ${to} in message ${id}` });
        return recipientStatus(r);
      },
    );

    if (deps.control) {
      const control = deps.control;
      app.delete(
        '/messages/:id',
        {
          schema: {
            summary: 'Cancel a message for every recipient that has not retrieved it yet',
            tags: ['messages'],
            headers: authHeaders,
            params: messageIdParams,
            response: { 200: { type: 'object', properties: { messageId: { type: 'string' }, cancelled: { type: 'integer' } } }, 401: errorSchema, 404: errorSchema, 409: errorSchema },
          },
        },
        async (req, reply) => {
          const { id } = req.params as { id: string };
          const account = accountOf.get(req)!;
          const res = await control.cancel(account.id, id);
          req.log.info({ vasp: account.id, msgId: id, result: res.outcome, recipients: res.recipients }, 'REST cancel');
          if (res.outcome === 'not-found') return reply.code(404).send({ error: 'not-found', message: `no message ${id}` });
          if (res.outcome === 'too-late') return reply.code(409).send({ error: 'too-late', message: 'every recipient has retrieved the message or it has ended' });
          return { messageId: id, cancelled: res.recipients };
        },
      );
    }

    if (deps.batches) registerBatchRoutes(app, { config, service: deps.batches, store, metrics, accountOf: (req) => accountOf.get(req)! });

    async function ownMessage(account: VaspAccount, id: string): Promise<MessageRecord | undefined> {
      const m = await store.getMessage(id);
      // Another VASP's message is as absent as a missing one.
      if (!m || (m.origin.kind !== 'rest' && m.origin.kind !== 'mm7') || m.origin.vaspId !== account.id) return undefined;
      return m;
    }

    async function send(req: FastifyRequest, reply: FastifyReply, account: VaspAccount, body: SendBody): Promise<FastifyReply> {
      const key = header(req, 'idempotency-key') ?? body.idempotencyKey;
      const files = uploads.get(req) ?? [];
      const fingerprint = createHash('sha256').update(JSON.stringify(body));
      for (const f of files) fingerprint.update(f.data);
      const digest = fingerprint.digest('base64');
      const ttl = config.idempotencyTtlSeconds * 1000;
      const idemKey = key ? `${account.id}:${key}` : undefined;
      if (idemKey) {
        // A short lease while pending: a node that dies mid-request must not block the key for a day.
        const prior = await store.cacheSetIfAbsent('vasp-idem', idemKey, Buffer.from(JSON.stringify({ state: 'pending', digest })), Math.min(ttl, 120_000));
        if (prior) {
          const p = JSON.parse(prior.toString('utf8')) as { state: string; digest: string; status?: number; body?: unknown };
          if (p.digest !== digest) return reply.code(422).send({ error: 'idempotency-key-reused', message: 'this Idempotency-Key was used for a different request' });
          if (p.state === 'pending') return reply.code(409).send({ error: 'in-progress', message: 'a request with this Idempotency-Key is being processed' });
          req.log.info({ vasp: account.id, idempotencyKey: key }, 'REST send replayed from its idempotency key');
          return reply.code(p.status!).header('idempotent-replayed', 'true').send(p.body);
        }
      }
      let status: number;
      let answer: Record<string, unknown>;
      try {
        answer = await accept(req, account, body, files, key);
        status = 202;
      } catch (e) {
        if (!(e instanceof HttpRefusal)) {
          if (idemKey) await store.cacheSet('vasp-idem', idemKey, Buffer.from('{}'), 1).catch(() => undefined);
          throw e;
        }
        metrics.refused.inc({ interface: 'rest', reason: e.code });
        req.log.info({ vasp: account.id, reason: e.code, detail: e.message }, 'REST send refused');
        status = e.status;
        answer = { error: e.code, message: e.message, ...e.extra };
        if (e.extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.extra.retryAfterSeconds));
        delete answer.retryAfterSeconds;
      }
      if (idemKey) {
        // Transient refusals are not remembered: the retry the key exists for should get another chance.
        const transient = status === 429 || status === 502 || status === 503;
        await store.cacheSet('vasp-idem', idemKey, Buffer.from(JSON.stringify({ state: 'done', digest, status, body: answer })), transient ? 1 : ttl);
      }
      return reply.code(status).send(answer);
    }

    async function accept(req: FastifyRequest, account: VaspAccount, body: SendBody, files: MediaInput[], key: string | undefined): Promise<Record<string, unknown>> {
      const media: MediaInput[] = [...files];
      for (const m of body.media ?? []) {
        try {
          media.push(await fetchMedia(m.url, { maxBytes: config.media.maxBytes, timeoutMs: config.media.timeoutMs, allowPrivate: config.media.allowPrivateHosts }, m.contentType));
        } catch (e) {
          if (!(e instanceof FetchError)) throw e;
          throw new HttpRefusal(e.temporary ? 502 : 422, 'media-fetch-failed', `media ${m.url.slice(0, 200)}: ${e.message}`);
        }
      }
      if (media.length > config.media.maxItems) throw new HttpRefusal(400, 'too-many-media', `at most ${config.media.maxItems} media items`);
      let content: StoredContent;
      try {
        content = contentFromParts({ text: body.text, media, smil: body.smil });
      } catch (e) {
        if (e instanceof ContentError) throw new HttpRefusal(400, 'no-content', e.message);
        throw e;
      }
      if (content.body.length > deps.maxMessageSize) throw new HttpRefusal(413, 'too-large', `content of ${content.body.length} octets exceeds ${deps.maxMessageSize}`);
      const webhookUrl = body.webhookUrl ?? account.webhookUrl;
      if (body.events && !webhookUrl) throw new HttpRefusal(400, 'no-webhook', 'events were asked for, but neither the request nor the account names a webhook URL');
      const events = body.events ?? account.webhookEvents;
      const expiresAt = body.expiresAt !== undefined ? Date.parse(body.expiresAt) : undefined;
      const sendAt = body.sendAt !== undefined ? Date.parse(body.sendAt) : undefined;
      const out = await sender.send({
        account,
        from: body.from,
        recipients: body.to.map((input) => ({ input, field: 'to' as const })),
        subject: body.subject,
        messageClass: body.messageClass,
        priority: body.priority,
        deliveryReport: body.deliveryReport ?? webhookUrl !== undefined,
        readReport: body.readReport ?? false,
        expiresAt,
        earliestDelivery: sendAt,
        content,
        origin: { kind: 'rest', vaspId: account.id, ...(webhookUrl ? { webhookUrl } : {}), ...(key ? { idempotencyKey: key } : {}), ...(events ? { events } : {}) },
      });
      const recipients = out.recipients.map((r) => ({ to: r.input, ...(r.address ? { address: r.address } : {}), status: r.status, ...(r.reason ? { reason: r.reason } : {}) }));
      if (!out.ok) {
        const [status, code] = REFUSAL_HTTP[out.refusal];
        throw new HttpRefusal(status, code, out.detail, { recipients, ...(out.retryAfterSeconds !== undefined ? { retryAfterSeconds: out.retryAfterSeconds } : {}) });
      }
      metrics.accepted.inc({ interface: 'rest' });
      const accepted = recipients.filter((r) => r.status === 'accepted').length;
      req.log.info({ vasp: account.id, msgId: out.messageId, recipients: accepted, refused: recipients.length - accepted, size: content.body.length, media: media.length, deferredUntil: out.deferredUntil }, 'REST send accepted');
      return { messageId: out.messageId, recipients, ...(out.deferredUntil !== undefined ? { deferredUntil: iso(out.deferredUntil) } : {}) };
    }
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function recipientStatus(r: RecipientRecord): Record<string, unknown> {
  return {
    to: r.address.replace(/\/TYPE=PLMN$/i, ''),
    state: r.state,
    updatedAt: iso(r.updatedAt),
    ...(r.lastError ? { lastError: r.lastError } : {}),
    ...(r.webhookFailures?.length ? { webhookFailures: r.webhookFailures.map((f) => ({ ...f, at: iso(f.at) })) } : {}),
    history: r.history.map((h) => ({ state: h.state, at: iso(h.at), ...(h.note ? { note: h.note } : {}) })),
  };
}

function statusOf(m: MessageRecord, recipients: RecipientRecord[]): Record<string, unknown> {
  return {
    messageId: m.id,
    createdAt: iso(m.createdAt),
    expiresAt: iso(m.expiresAt),
    from: m.from.replace(/\/TYPE=PLMN$/i, ''),
    ...(m.subject ? { subject: m.subject.text } : {}),
    recipients: recipients.map(recipientStatus),
  };
}
