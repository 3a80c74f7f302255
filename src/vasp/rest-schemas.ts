import { WEBHOOK_EVENTS } from './events.js';

/** JSON Schemas of the REST API: route validation and the OpenAPI document are both built from these. */

export function sendBodySchema(o: { maxRecipients: number; maxMedia: number }): Record<string, unknown> {
  return {
    type: 'object',
    required: ['to'],
    additionalProperties: false,
    properties: {
      to: { type: 'array', minItems: 1, maxItems: o.maxRecipients, items: { type: 'string', minLength: 1, maxLength: 40 }, description: 'Recipients: E.164 numbers (national numbers are normalised with the configured country code) or short codes' },
      from: { type: 'string', maxLength: 20, description: "One of the account's short codes; the first one when absent" },
      subject: { type: 'string', maxLength: 200 },
      text: { type: 'string', maxLength: 5000 },
      media: {
        type: 'array',
        maxItems: o.maxMedia,
        items: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', maxLength: 2048, pattern: '^https?://' },
            contentType: { type: 'string', maxLength: 100, pattern: '^[a-zA-Z0-9!#$&^_.+-]+/[a-zA-Z0-9!#$&^_.+-]+$' },
            name: { type: 'string', maxLength: 64 },
          },
        },
        description: 'Media fetched by the gateway (size and time limited; private addresses refused)',
      },
      smil: { type: 'string', maxLength: 65536, description: 'Presentation; generated when absent' },
      webhookUrl: { type: 'string', maxLength: 2048, pattern: '^https?://' },
      events: {
        type: 'array',
        uniqueItems: true,
        maxItems: WEBHOOK_EVENTS.length,
        items: { type: 'string', enum: [...WEBHOOK_EVENTS] },
        description:
          "Recipient events sent to the webhook: 'delivery-report' (the default), state names (notified, deferred, retrieved, ...) or 'final' (every outcome state). Default: the account's webhookEvents, else ['delivery-report']",
      },
      deliveryReport: { type: 'boolean', description: 'Default: true when a webhook URL is known' },
      readReport: { type: 'boolean' },
      messageClass: { type: 'string', enum: ['personal', 'advertisement', 'informational', 'auto'] },
      priority: { type: 'string', enum: ['low', 'normal', 'high'] },
      expiresAt: { type: 'string', format: 'date-time' },
      sendAt: { type: 'string', format: 'date-time', description: 'Earliest delivery' },
      idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
    },
  };
}

const recipientVerdict = {
  type: 'object',
  required: ['to', 'status'],
  properties: {
    to: { type: 'string' },
    address: { type: 'string' },
    status: { type: 'string', enum: ['accepted', 'opted-out', 'invalid', 'duplicate'] },
    reason: { type: 'string' },
  },
};

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    recipients: { type: 'array', items: recipientVerdict },
  },
};

export const sendResponseSchema = {
  type: 'object',
  required: ['messageId', 'recipients'],
  properties: {
    messageId: { type: 'string' },
    recipients: { type: 'array', items: recipientVerdict },
    deferredUntil: { type: 'string', format: 'date-time', description: 'Held back until then (quiet hours or sendAt)' },
  },
};

export const recipientStatusSchema = {
  type: 'object',
  required: ['to', 'state', 'updatedAt'],
  properties: {
    to: { type: 'string' },
    state: { type: 'string' },
    updatedAt: { type: 'string', format: 'date-time' },
    lastError: { type: 'string' },
    webhookFailures: {
      type: 'array',
      description: 'Webhook events about this recipient that were given up (the latest 10)',
      items: {
        type: 'object',
        properties: { event: { type: 'string' }, state: { type: 'string' }, at: { type: 'string', format: 'date-time' }, attempts: { type: 'integer' }, reason: { type: 'string' } },
      },
    },
    history: { type: 'array', items: { type: 'object', properties: { state: { type: 'string' }, at: { type: 'string', format: 'date-time' }, note: { type: 'string' } } } },
  },
};

export const messageStatusSchema = {
  type: 'object',
  required: ['messageId', 'createdAt', 'recipients'],
  properties: {
    messageId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    from: { type: 'string' },
    subject: { type: 'string' },
    recipients: { type: 'array', items: recipientStatusSchema },
  },
};

export const messageIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' } },
};

export const recipientParams = {
  type: 'object',
  required: ['id', 'to'],
  properties: { ...messageIdParams.properties, to: { type: 'string', minLength: 1, maxLength: 40 } },
};

export const authHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'Bearer <API key>' },
    'x-api-key': { type: 'string' },
    'idempotency-key': { type: 'string', maxLength: 200 },
  },
};
