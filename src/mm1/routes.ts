import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  decode,
  encode,
  INSERT_ADDRESS,
  missingMandatory,
  type ForwardConf,
  type MmsPdu,
  type ResponseStatus,
  type RetrieveConf,
  type SendConf,
  type SendReq,
} from '../../protocol/mms/index.js';
import { DecodeError, WspWriter, isMultipart, writeMultipart, type Part } from '../../protocol/wsp/index.js';
import type { Mm1Config } from '../config/index.js';
import type { Metrics } from '../metrics.js';
import type { ContentTypeRecord, MessageRecord, RecipientRecord } from '../records/model.js';
import { Relay, SubmitError, type NotifyRespStatus, type SubmitInput, type SubmitRefusal, type TimeValue } from '../relay/relay.js';
import { describeValues, type SenderResolver } from './identity.js';
import type { Adaptation } from '../adapt/service.js';

const MMS_TYPE = 'application/vnd.wap.mms-message';

export interface Mm1Deps {
  config: Mm1Config;
  relay: Relay;
  sender: SenderResolver;
  metrics: Metrics;
  /** Content adaptation of retrievals; absent = messages served as stored. */
  adaptation?: Adaptation;
}

/** Relay refusals -> X-Mms-Response-Status (OMA-MMS-ENC 7.3.48). */
const REFUSAL_STATUS: Record<SubmitRefusal, ResponseStatus> = {
  'no-recipients': 'error-permanent-message-format-corrupt',
  'too-many-recipients': 'error-permanent-service-denied',
  'unroutable-recipients': 'error-permanent-sending-address-unresolved',
  'bad-expiry': 'error-permanent-message-format-corrupt',
};

class Refusal extends Error {
  constructor(
    readonly status: ResponseStatus,
    readonly reason: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function time(v: { kind: 'absolute' | 'relative'; value: number } | undefined): TimeValue | undefined {
  return v ? { kind: v.kind, seconds: v.value } : undefined;
}

function contentTypeRecord(ct: { type: string; params: Record<string, string | number> }): ContentTypeRecord {
  return { mediaType: ct.type, params: { ...ct.params } };
}

function typeAllowed(type: string, allowed: readonly string[]): boolean {
  const t = type.toLowerCase();
  return allowed.some((a) => a === '*' || a === '*/*' || a.toLowerCase() === t || (a.endsWith('/*') && t.startsWith(a.slice(0, -1).toLowerCase())));
}

/** Every leaf part (nested multiparts flattened) for content checks. */
function leafTypes(parts: readonly Part[]): string[] {
  return parts.flatMap((p) => (p.parts ? leafTypes(p.parts) : [p.contentType.type]));
}

/**
 * The MM1 interface (OMA MMS CTR over HTTP): handsets POST PDUs to `config.path` (and `/`, where
 * many devices are configured) and GET their messages from `<retrievalPath>/<token>`.
 */
export function mm1Routes(deps: Mm1Deps): FastifyPluginAsync {
  const { config, relay, sender, metrics } = deps;
  const windowMs = config.retransmissionWindowSeconds * 1000;
  return async (app) => {
    // Any content type on the MM1 POST: some handsets send the PDU as application/octet-stream.
    const asBuffer = { parseAs: 'buffer' as const, bodyLimit: config.maxMessageSize + 64 * 1024 };
    const keepBody = (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) => done(null, body);
    app.addContentTypeParser('*', asBuffer, keepBody);
    // The same parser under the MMS type by name: Fastify caches the parser it found only for named
    // types, and parsed the header anew on every request that fell through to '*'.
    app.addContentTypeParser(MMS_TYPE, asBuffer, keepBody);

    // Who may POST is settled on the headers, before the body is read (docs/operations.md "Security").
    const unidentified = new WeakSet<FastifyRequest>();
    app.addHook('onRequest', async (req, reply) => {
      if (req.method !== 'POST') return;
      const verdict = sender.headerVerdict(req.ip, req.headers);
      if (verdict.kind === 'conflict') req.log.warn({ peer: req.ip, headers: describeValues(verdict.values) }, 'MSISDN headers name different numbers: the sender is not identified (mm1.msisdnConflict "refuse")');
      else if (verdict.kind === 'msisdn' && verdict.overrode) {
        req.log.warn({ peer: req.ip, msisdn: verdict.msisdn, header: verdict.header, overrode: describeValues(verdict.overrode) }, 'MSISDN headers name different numbers: the first by mm1.msisdnHeaders order is taken (mm1.msisdnConflict "prefer-first")');
      }
      // Lab mode: the PDU's own From may identify the sender, so the body has to be read.
      if (config.allowClientFrom || verdict.kind === 'msisdn') return;
      if (verdict.kind === 'untrusted') {
        // Not our WAP gateway, so not a handset behind it: nothing it posts could be accepted.
        metrics.refused.inc({ interface: 'mm1', reason: 'untrusted-peer' });
        req.log.info({ peer: req.ip, url: req.url }, 'MM1 POST refused before its body: the peer is not a trusted proxy (mm1.trustedProxies)');
        return reply.code(403).header('connection', 'close').send();
      }
      unidentified.add(req);
    });
    // A trusted proxy without a (consistent) MSISDN: the PDU type and Transaction-ID are in the first
    // octets, enough to answer a send or forward with its conf without reading the rest.
    app.addHook('preParsing', async (req, reply, payload) => {
      if (!unidentified.has(req)) return payload;
      const { head, ended } = await peek(payload, PEEK_OCTETS);
      const type = head[0] === 0x8c ? head[1] : undefined;
      if (type === 0x80 || type === 0x89 || type === 0x87) {
        const pdu = type === 0x80 ? 'm-send-req' : type === 0x89 ? 'm-forward-req' : 'm-read-rec-ind';
        const identity = sender.resolve(req.ip, req.headers, undefined);
        const detail = identity.ok ? '' : identity.detail;
        const tid = tidOf(head);
        metrics.refused.inc({ interface: 'mm1', reason: 'unidentified' });
        metrics.mm1Requests.inc({ pdu, result: 'refused' });
        req.log.info({ tid, peer: req.ip, status: type === 0x87 ? 'HTTP 403' : 'error-permanent-sending-address-unresolved', reason: 'unidentified', detail }, `${pdu} refused before its body`);
        reply.header('connection', 'close');
        if (type === 0x87) return reply.code(403).send();
        if (type === 0x80) return sendConf(reply, tid, 'error-permanent-sending-address-unresolved');
        const conf: ForwardConf = { type: 'm-forward-conf', transactionId: tid, mmsVersion: '1.2', responseStatus: 'error-permanent-sending-address-unresolved' };
        return reply.code(200).type(MMS_TYPE).send(encode(conf));
      }
      // m-notifyresp-ind, m-acknowledge-ind: no sender needed; the body goes on to the parser whole.
      return ended ? Readable.from([head], { objectMode: false }) : (payload.unshift(head), payload);
    });

    /** `token`: the PDU was posted to that retrieval URL rather than to the MMSC URL. */
    const handle = async (req: FastifyRequest, reply: FastifyReply, token?: string): Promise<void> => {
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        req.log.info({ peer: req.ip }, 'MM1 POST without a PDU');
        return reply.code(400).send();
      }
      let pdu: MmsPdu;
      try {
        pdu = decode(body, { maxPduSize: config.maxMessageSize + 64 * 1024 });
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        metrics.mm1Requests.inc({ pdu: 'undecodable', result: 'refused' });
        req.log.info({ peer: req.ip, offset: e.offset, field: e.field, reason: e.reason }, 'MM1 PDU refused: not decodable');
        // A send-req that cannot be decoded still gets an m-send-conf, so the handset stops retrying.
        if (body[0] === 0x8c && body[1] === 0x80) return sendConf(reply, tidOf(body), 'error-permanent-message-format-corrupt');
        return reply.code(400).send();
      }
      if (token !== undefined && pdu.type !== 'm-notifyresp-ind' && pdu.type !== 'm-acknowledge-ind') {
        metrics.mm1Requests.inc({ pdu: pdu.type, result: 'unsupported' });
        req.log.info({ peer: req.ip, pdu: pdu.type }, 'MM1 PDU refused: only m-notifyresp-ind and m-acknowledge-ind may be posted to a retrieval URL');
        return reply.code(400).send();
      }
      switch (pdu.type) {
        case 'm-send-req':
          return onSendReq(req, reply, pdu, body.length);
        case 'm-notifyresp-ind':
          return onNotifyResp(req, reply, pdu.transactionId, pdu.status, pdu.reportAllowed, token);
        case 'm-acknowledge-ind':
          return onAcknowledge(req, reply, pdu.transactionId, pdu.reportAllowed, token);
        case 'm-read-rec-ind':
          return onReadRec(req, reply, pdu.messageId, pdu.readStatus, pdu.from, pdu.date);
        case 'm-forward-req':
          return onForward(req, reply, pdu);
        default:
          metrics.mm1Requests.inc({ pdu: pdu.type, result: 'unsupported' });
          req.log.info({ peer: req.ip, pdu: pdu.type }, 'MM1 PDU type not handled by this MMSC');
          return reply.code(400).send();
      }
    };

    function sendConf(reply: FastifyReply, transactionId: string, status: ResponseStatus, messageId?: string, text?: string): FastifyReply {
      const conf: SendConf = { type: 'm-send-conf', transactionId, mmsVersion: '1.2', responseStatus: status };
      if (messageId) conf.messageId = messageId;
      if (text) conf.responseText = text;
      // Android marks the send failed unless the HTTP status is exactly 200 (notes, gotcha 3).
      return reply.code(200).type(MMS_TYPE).send(encode(conf));
    }

    async function onSendReq(req: FastifyRequest, reply: FastifyReply, pdu: SendReq, size: number): Promise<void> {
      // Fields merged per line rather than a child logger per request (a measurable cost at high rates).
      const tid = pdu.transactionId;
      const log = req.log;
      try {
        const missing = missingMandatory(pdu);
        if (missing.length > 0) throw new Refusal('error-permanent-message-format-corrupt', 'format', `missing ${missing.join(', ')}`);
        const identity = sender.resolve(req.ip, req.headers, pdu.from === INSERT_ADDRESS ? 'insert' : pdu.from);
        if (!identity.ok) {
          throw identity.reason === 'from-mismatch'
            ? new Refusal('error-permanent-service-denied', 'from-mismatch', identity.detail)
            : new Refusal('error-permanent-sending-address-unresolved', 'unidentified', identity.detail);
        }
        if (identity.overwrote) log.info({ tid, pduFrom: identity.overwrote, from: identity.address }, 'From overwritten with the authenticated number');
        if (size > config.maxMessageSize) {
          throw new Refusal('error-permanent-content-not-accepted', 'too-large', `${size} octets exceed the limit of ${config.maxMessageSize}`);
        }
        // Store a multipart body always: AOSP rejects a retrieve-conf that is not multipart (gotcha 1).
        let parts: Part[];
        let contentType = pdu.contentType;
        if (isMultipart(contentType.type)) parts = pdu.parts ?? [];
        else {
          parts = [{ contentType, data: pdu.body ?? new Uint8Array(0) }];
          contentType = { type: 'application/vnd.wap.multipart.mixed', params: {} };
        }
        if (parts.length === 0) throw new Refusal('error-permanent-message-format-corrupt', 'format', 'message without content');
        const refusedTypes = leafTypes(parts).filter((t) => !typeAllowed(t, config.allowedContentTypes));
        if (refusedTypes.length > 0) throw new Refusal('error-permanent-content-not-accepted', 'content-type', `content types not accepted: ${refusedTypes.join(', ')}`);
        const w = new WspWriter(1024);
        writeMultipart(w, parts);
        const stored = w.finish();

        let result;
        try {
          const input: SubmitInput = {
            from: identity.address,
            to: pdu.to ?? [],
            cc: pdu.cc,
            bcc: pdu.bcc,
            subject: pdu.subject !== undefined ? { text: pdu.subject, charset: 'utf-8' } : undefined,
            messageClass: typeof pdu.messageClass === 'string' ? pdu.messageClass : 'personal',
            priority: typeof pdu.priority === 'string' ? pdu.priority : undefined,
            deliveryReport: pdu.deliveryReport,
            readReport: pdu.readReport,
            senderVisibility: typeof pdu.senderVisibility === 'string' ? pdu.senderVisibility : undefined,
            expiry: time(pdu.expiry),
            deliveryTime: time(pdu.deliveryTime),
            date: pdu.date,
            contentType: contentTypeRecord(contentType),
            body: stored,
            mmsVersion: pdu.mmsVersion ?? '1.0',
            origin: { kind: 'mm1', address: identity.address, userAgent: req.headers['user-agent'] },
            extraHeaders: (pdu.unknownHeaders ?? []).flatMap((u) => ('name' in u ? [{ name: u.name, value: u.value }] : [])),
          };
          result = await relay.submitOnce(input, { maxRecipients: config.maxRecipients }, { kind: 'mm1-send', sender: identity.address, requestId: tid, windowMs });
        } catch (e) {
          if (e instanceof SubmitError) throw new Refusal(REFUSAL_STATUS[e.reason], e.reason, e.message);
          log.error({ tid, err: e }, 'm-send-req could not be stored');
          throw new Refusal('error-transient-failure', 'store-failure', 'the message could not be stored');
        }
        if (result.retransmission) {
          // The handset did not get our m-send-conf and sent the same request again: same answer, no second message.
          metrics.retransmissions.inc({ pdu: 'm-send-req' });
          metrics.mm1Requests.inc({ pdu: 'm-send-req', result: 'retransmission' });
          log.info({ tid, msgId: result.messageId, from: identity.address }, 'm-send-req retransmission: answered with the first Message-ID, nothing created');
          return void sendConf(reply, pdu.transactionId, 'ok', result.messageId);
        }
        if (result.supersedes) {
          log.warn({ tid, msgId: result.message.id, previous: result.supersedes, from: identity.address }, 'transaction id reused by this sender for different content: accepted as a new message');
        }
        metrics.accepted.inc({ interface: 'mm1' });
        metrics.mm1Requests.inc({ pdu: 'm-send-req', result: 'ok' });
        log.info({ tid, msgId: result.message.id, from: result.message.from, recipients: result.recipients.length, size: stored.length }, 'm-send-req accepted');
        sendConf(reply, pdu.transactionId, 'ok', result.message.id);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        metrics.refused.inc({ interface: 'mm1', reason: e.reason });
        metrics.mm1Requests.inc({ pdu: 'm-send-req', result: 'refused' });
        log.info({ tid, peer: req.ip, status: e.status, reason: e.reason, detail: e.detail }, 'm-send-req refused');
        sendConf(reply, pdu.transactionId, e.status, undefined, e.status.startsWith('error-transient') ? 'Temporary failure, retry later' : undefined);
      }
    }

    async function onNotifyResp(req: FastifyRequest, reply: FastifyReply, tid: string, status: unknown, reportAllowed?: boolean, token?: string): Promise<void> {
      const s: NotifyRespStatus = status === 'retrieved' || status === 'rejected' || status === 'deferred' ? status : 'unrecognised';
      const r = await relay.notifyResp(tid, s, reportAllowed, token);
      metrics.mm1Requests.inc({ pdu: 'm-notifyresp-ind', result: r ? 'ok' : 'unknown-tid' });
      req.log.info({ tid, status: s, recipient: r?.id, msgId: r?.messageId, state: r?.state }, r ? 'm-notifyresp-ind' : 'm-notifyresp-ind for an unknown transaction');
      // The handset expects an empty 200 whatever we make of it; an error would only make it retry.
      reply.code(200).send();
    }

    async function onAcknowledge(req: FastifyRequest, reply: FastifyReply, tid: string, reportAllowed?: boolean, token?: string): Promise<void> {
      const r = await relay.acknowledge(tid, reportAllowed, token);
      metrics.mm1Requests.inc({ pdu: 'm-acknowledge-ind', result: r ? 'ok' : 'unknown-tid' });
      req.log.info({ tid, recipient: r?.id, msgId: r?.messageId, state: r?.state }, r ? 'm-acknowledge-ind' : 'm-acknowledge-ind for an unknown transaction');
      reply.code(200).send();
    }

    async function onReadRec(req: FastifyRequest, reply: FastifyReply, messageId: string, readStatus: unknown, from: string, date?: number): Promise<void> {
      const identity = sender.resolve(req.ip, req.headers, from === INSERT_ADDRESS ? 'insert' : from);
      if (!identity.ok) {
        metrics.mm1Requests.inc({ pdu: 'm-read-rec-ind', result: 'refused' });
        req.log.info({ msgId: messageId, reason: identity.reason, detail: identity.detail }, 'm-read-rec-ind refused: reader not identified');
        return void reply.code(403).send();
      }
      const status = readStatus === 'read' ? 'read' : 'deleted';
      const outcome = await relay.readReport(identity.address, messageId, status, date !== undefined ? date * 1000 : undefined);
      metrics.mm1Requests.inc({ pdu: 'm-read-rec-ind', result: outcome });
      req.log.info({ msgId: messageId, reader: identity.address, status, outcome }, 'm-read-rec-ind');
      reply.code(200).send();
    }

    async function onForward(req: FastifyRequest, reply: FastifyReply, pdu: Extract<MmsPdu, { type: 'm-forward-req' }>): Promise<void> {
      const conf = (status: ResponseStatus, messageId?: string): void => {
        const c: ForwardConf = { type: 'm-forward-conf', transactionId: pdu.transactionId, mmsVersion: '1.2', responseStatus: status };
        if (messageId) c.messageId = messageId;
        reply.code(200).type(MMS_TYPE).send(encode(c));
      };
      const identity = sender.resolve(req.ip, req.headers, pdu.from === INSERT_ADDRESS ? 'insert' : pdu.from);
      if (!identity.ok) {
        req.log.info({ tid: pdu.transactionId, detail: identity.detail }, 'm-forward-req refused: forwarder not identified');
        return conf('error-permanent-sending-address-unresolved');
      }
      const token = pdu.contentLocation.split('/').pop() ?? '';
      try {
        const result = await relay.forward(
          identity.address,
          token,
          {
            to: pdu.to ?? [],
            cc: pdu.cc,
            bcc: pdu.bcc,
            expiry: time(pdu.expiry),
            deliveryTime: time(pdu.deliveryTime),
            deliveryReport: pdu.deliveryReport,
            readReport: pdu.readReport,
            mmsVersion: pdu.mmsVersion ?? '1.1',
            date: pdu.date,
            reportAllowed: pdu.reportAllowed,
          },
          { maxRecipients: config.maxRecipients },
          { requestId: pdu.transactionId, windowMs },
        );
        if (result === 'not-found') return conf('error-permanent-message-not-found');
        if (result === 'not-the-recipient') return conf('error-permanent-service-denied');
        if (result.retransmission) {
          metrics.retransmissions.inc({ pdu: 'm-forward-req' });
          req.log.info({ tid: pdu.transactionId, msgId: result.messageId, forwarder: identity.address }, 'm-forward-req retransmission: answered with the first Message-ID, nothing created');
          return conf('ok', result.messageId);
        }
        if (result.supersedes) {
          req.log.warn({ tid: pdu.transactionId, msgId: result.message.id, previous: result.supersedes, forwarder: identity.address }, 'transaction id reused by this forwarder for a different request: accepted as a new message');
        }
        metrics.accepted.inc({ interface: 'mm1-forward' });
        req.log.info({ tid: pdu.transactionId, msgId: result.message.id, forwarder: identity.address }, 'm-forward-req accepted');
        return conf('ok', result.message.id);
      } catch (e) {
        if (e instanceof SubmitError) {
          req.log.info({ tid: pdu.transactionId, reason: e.reason }, 'm-forward-req refused');
          return conf(REFUSAL_STATUS[e.reason]);
        }
        req.log.error({ err: e }, 'm-forward-req failed');
        return conf('error-transient-failure');
      }
    }

    app.post(config.path, (req, reply) => handle(req, reply));
    if (config.path !== '/') app.post('/', (req, reply) => handle(req, reply));
    // Android's carrier option MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED sends m-notifyresp-ind (and some
    // clients m-acknowledge-ind) to the Content-Location URL instead of the MMSC URL; refusing it
    // there means the handset is notified again and again (duplicate MMS).
    app.post<{ Params: { token: string } }>(`${config.retrievalPath}/:token`, (req, reply) => handle(req, reply, req.params.token));

    app.get<{ Params: { token: string } }>(`${config.retrievalPath}/:token`, async (req, reply) => {
      const { token } = req.params;
      const found = /^[A-Za-z0-9_-]{16,64}$/.test(token) ? await relay.openRetrieval(token) : undefined;
      if (!found) {
        metrics.retrievals.inc({ result: 'not-found' });
        req.log.info({ peer: req.ip }, 'retrieval of an unknown or expired message');
        // Nothing about why: the token is the only secret.
        return reply.code(404).send();
      }
      const { message, recipient, body } = found;
      let pduBytes: Uint8Array;
      let adapted: Record<string, unknown> | undefined;
      if (deps.adaptation) {
        // The headers' share of the handset's limit, plus a margin for recipient-specific lengths.
        const reserve = encode(retrieveConf(message, recipient, new Uint8Array(0))).length + 64;
        try {
          const v = await deps.adaptation.forRetrieval(message, body, req.headers, reserve);
          pduBytes = encode(retrieveConf(message, recipient, v.body, v.contentType));
          adapted = { handset: v.handset.source, class: v.handset.className, maxSize: v.handset.maxMessageSize, fits: v.fits, cached: v.cached, changes: v.changes.length ? v.changes : undefined };
          if (!v.fits) req.log.warn({ msgId: message.id, size: pduBytes.length, maxSize: v.handset.maxMessageSize }, 'adapted message still exceeds the handset limit');
        } catch (err) {
          // Adaptation is a service to the handset; its failure must not lose the message.
          req.log.warn({ err, msgId: message.id }, 'adaptation failed; message served as stored');
          pduBytes = encode(retrieveConf(message, recipient, body));
        }
      } else {
        pduBytes = encode(retrieveConf(message, recipient, body));
      }
      metrics.retrievals.inc({ result: 'ok' });
      req.log.info({ msgId: message.id, recipient: recipient.id, size: pduBytes.length, ua: req.headers['user-agent'], profile: req.headers['x-wap-profile'], adapted }, 'm-retrieve-conf served');
      reply.raw.once('finish', () => {
        relay.retrievalCompleted(recipient).catch((err) => req.log.warn({ err, recipient: recipient.id }, 'could not record the retrieval'));
      });
      return reply.code(200).type(MMS_TYPE).send(pduBytes);
    });
  };
}

/** Octets enough for the type, the Transaction-ID (at most 200 octets, see tidOf) and its terminator. */
const PEEK_OCTETS = 256;

/** Reads at least `n` octets of `s` (fewer if it ends first) and leaves `s` paused after them. */
function peek(s: Readable, n: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let len = 0;
    const settle = (ended: boolean): void => {
      s.pause();
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('error', onError);
      s.off('close', onClose);
      resolve({ head: Buffer.concat(chunks, len), ended });
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      len += c.length;
      if (len >= n) settle(false);
    };
    const onEnd = (): void => settle(true);
    const onError = (err: Error): void => {
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('close', onClose);
      reject(err);
    };
    const onClose = (): void => onError(new Error('request closed before its first octets'));
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('error', onError);
    s.once('close', onClose);
  });
}

/** The X-Mms-Transaction-Id of a PDU we could not decode, when it is where ENC says it must be. */
function tidOf(body: Buffer): string {
  if (body[2] !== 0x98) return '';
  const end = body.indexOf(0, 3);
  if (end < 0 || end - 3 > 200) return '';
  return body.toString('latin1', body[3] === 0x7f ? 4 : 3, end);
}

/**
 * m-retrieve-conf for one recipient: the recipient's TID (Android acknowledges only then, gotcha 5),
 * the Message-ID the originator got in m-send-conf (reports match on it, gotcha 4); no Expiry,
 * Delivery-Time or Retrieve-Status (gotcha 9). `body` is the stored multipart body, written as is.
 */
export function retrieveConf(message: MessageRecord, recipient: RecipientRecord, body: Uint8Array, contentType: ContentTypeRecord = message.contentType): RetrieveConf {
  const pdu: RetrieveConf = {
    type: 'm-retrieve-conf',
    transactionId: recipient.transactionId,
    mmsVersion: '1.2',
    messageId: message.id,
    date: message.date,
    contentType: { type: contentType.mediaType, params: { ...contentType.params } },
    body,
  };
  if (message.senderVisibility !== 'hide') pdu.from = message.from;
  if (message.to.length) pdu.to = message.to;
  if (message.cc.length) pdu.cc = message.cc;
  if (message.subject?.text) pdu.subject = message.subject.text;
  pdu.messageClass = message.messageClass;
  if (message.priority) pdu.priority = message.priority;
  pdu.deliveryReport = message.deliveryReport;
  pdu.readReport = message.readReport;
  if (message.previouslySent?.length) {
    pdu.previouslySentBy = message.previouslySent.map((p, i) => ({ count: i + 1, address: p.by }));
    pdu.previouslySentDate = message.previouslySent.map((p, i) => ({ count: i + 1, date: p.date }));
  }
  return pdu;
}
