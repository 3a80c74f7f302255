import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  buildCancelRsp,
  buildReplaceRsp,
  buildSoapFault,
  buildSubmitRsp,
  defaultVersionFor,
  Mm7Error,
  Mm7Status,
  parseMm7Message,
  type CancelReq,
  type Mm7Message,
  type ReplaceReq,
  type SubmitReq,
} from '../../protocol/mm7/index.js';
import type { Metrics } from '../metrics.js';
import type { VaspAccounts } from './accounts.js';
import type { VaspAccount, VaspConfig } from '../config/vasp.js';
import { ContentError, contentFromMime, type StoredContent } from './content.js';
import type { MessageControl } from './control.js';
import type { SendOutcome, SendRefusal, VaspSender } from './send.js';

export interface Mm7RouteDeps {
  config: VaspConfig;
  /** Largest MM accepted, in octets (the MM1 limit: handsets must be able to retrieve it). */
  maxMessageSize: number;
  accounts: VaspAccounts;
  sender: VaspSender;
  control?: MessageControl;
  metrics: Metrics;
}

/** Refusals of the send pipeline -> MM7 status codes (TS 23.140 Table 19, notes §6.5). */
const REFUSAL_STATUS: Record<SendRefusal, number> = {
  sender: Mm7Status.OperationRestricted,
  'no-valid-recipients': Mm7Status.AddressError,
  'all-opted-out': Mm7Status.OperationRestricted,
  tps: Mm7Status.ServiceUnavailable,
  quota: Mm7Status.ServiceDenied,
  'too-many-recipients': Mm7Status.ValidationError,
  'bad-expiry': Mm7Status.ValidationError,
  store: Mm7Status.ServerError,
};

interface Answer {
  namespace: string;
  soapNs: string;
  transactionId?: string;
  version: string;
}

const XML = 'text/xml; charset=utf-8';

/**
 * MM7 over HTTP (TS 23.140 §8, SOAP 1.1 with attachments): VASPs POST SubmitReq, CancelReq and
 * ReplaceReq to `config.mm7Path` with HTTP Basic credentials. Answers go out in the MM7 namespace
 * and SOAP envelope the request used; requests that cannot be read get a SOAP Fault with an
 * RSErrorRsp (HTTP 500), bad credentials a 401 with the same, a peer outside the account's allowed
 * sources a 403 - both decided on the headers, before the body is read.
 */
export function mm7Routes(deps: Mm7RouteDeps): FastifyPluginAsync {
  const { config, accounts, sender, metrics } = deps;
  return async (app) => {
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxRequestSize }, (_req, body, done) => done(null, body));

    const fault = (reply: FastifyReply, http: number, a: Partial<Answer>, code: number, faultstring: string, faultcode: 'Client' | 'Server' = 'Client'): FastifyReply =>
      reply
        .code(http)
        .type(XML)
        .send(
          buildSoapFault({
            namespace: a.namespace,
            soapNs: a.soapNs,
            transactionId: a.transactionId,
            mm7Version: a.version ?? defaultVersionFor(a.namespace ?? ''),
            status: { code },
            faultcode,
            faultstring,
            mmsRelayServerId: config.relayServerId,
          }),
        );

    // Credentials and source before the body is read: an unauthenticated client never gets to send
    // its (up to vasp.maxRequestSize) body, and its connection is closed with the answer.
    const accountOf = new WeakMap<FastifyRequest, VaspAccount>();
    app.addHook('onRequest', async (req, reply) => {
      if (req.method !== 'POST') return;
      const auth = await accounts.basic(req.headers.authorization, req.ip);
      if (auth.ok) {
        accountOf.set(req, auth.account);
        return;
      }
      reply.header('connection', 'close');
      if (auth.refusal === 'source') {
        metrics.refused.inc({ interface: 'mm7', reason: 'source' });
        req.log.info({ peer: req.ip, reason: auth.reason }, "MM7 request refused: peer not among the VASP's allowed sources");
        return fault(reply, 403, {}, Mm7Status.ImproperIdentification, 'Source address not allowed');
      }
      metrics.refused.inc({ interface: 'mm7', reason: 'auth' });
      req.log.info({ peer: req.ip, reason: auth.reason }, 'MM7 request refused: bad credentials');
      reply.header('www-authenticate', 'Basic realm="MM7", charset="UTF-8"');
      return fault(reply, 401, {}, Mm7Status.ImproperIdentification, 'Authentication failed');
    });

    app.post(config.mm7Path, async (req: FastifyRequest, reply: FastifyReply) => {
      const account = accountOf.get(req)!;
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        req.log.info({ peer: req.ip, vasp: account.id }, 'MM7 request refused: empty body');
        return fault(reply, 500, {}, Mm7Status.MessageFormatCorrupt, 'Empty request');
      }
      let msg: Mm7Message;
      try {
        msg = parseMm7Message(req.headers['content-type'], body);
      } catch (e) {
        if (!(e instanceof Mm7Error)) throw e;
        metrics.refused.inc({ interface: 'mm7', reason: 'malformed' });
        req.log.info({ peer: req.ip, vasp: account.id, status: e.statusCode, reason: e.message }, 'MM7 request refused: not readable');
        return fault(reply, 500, { namespace: e.context.namespace, soapNs: e.context.soapNs, transactionId: e.context.transactionId }, e.statusCode, e.message);
      }
      const op = msg.operation;
      const a: Answer = { namespace: msg.namespace, soapNs: msg.soapNs, version: 'mm7Version' in op && op.mm7Version ? op.mm7Version : defaultVersionFor(msg.namespace) };
      if (msg.transactionId !== undefined) a.transactionId = msg.transactionId;
      if ('vaspId' in op && op.vaspId !== undefined && op.vaspId !== account.id) {
        metrics.refused.inc({ interface: 'mm7', reason: 'vaspid' });
        req.log.info({ vasp: account.id, vaspId: op.vaspId, tid: a.transactionId }, 'MM7 request refused: VASPID is not the authenticated account');
        return fault(reply, 500, a, Mm7Status.ImproperIdentification, `VASPID ${op.vaspId} does not match the credentials`);
      }
      switch (op.type) {
        case 'SubmitReq':
          return onSubmit(req, reply, account, msg as Mm7Message<SubmitReq>, a);
        case 'CancelReq':
          if (deps.control) return onControl(req, reply, account, msg as Mm7Message<CancelReq | ReplaceReq>, a);
          break;
        case 'ReplaceReq':
          if (deps.control?.replace) return onControl(req, reply, account, msg as Mm7Message<CancelReq | ReplaceReq>, a);
          break;
      }
      req.log.info({ vasp: account.id, operation: op.type, tid: a.transactionId }, 'MM7 operation not supported');
      return fault(reply, 500, a, Mm7Status.UnsupportedOperation, `${op.type} is not supported by this relay`);
    });

    async function onSubmit(req: FastifyRequest, reply: FastifyReply, account: VaspAccount, msg: Mm7Message<SubmitReq>, a: Answer): Promise<FastifyReply> {
      const op = msg.operation;
      const log = req.log;
      const rsp = (code: number, details?: string, messageId?: string): FastifyReply =>
        reply.code(200).type(XML).send(buildSubmitRsp({ ...a, mm7Version: a.version, status: details ? { code, details } : { code }, messageId }));
      if (!msg.content) {
        metrics.refused.inc({ interface: 'mm7', reason: 'no-content' });
        log.info({ vasp: account.id, tid: a.transactionId }, 'MM7 SubmitReq refused: no content');
        return rsp(Mm7Status.ValidationError, 'SubmitReq without content');
      }
      let content: StoredContent;
      try {
        content = contentFromMime(msg.content);
      } catch (e) {
        if (!(e instanceof ContentError)) throw e;
        log.info({ vasp: account.id, tid: a.transactionId, reason: e.message }, 'MM7 SubmitReq refused: content');
        return rsp(Mm7Status.MultimediaContentRefused, e.message);
      }
      if (content.body.length > deps.maxMessageSize) {
        metrics.refused.inc({ interface: 'mm7', reason: 'too-large' });
        log.info({ vasp: account.id, tid: a.transactionId, size: content.body.length }, 'MM7 SubmitReq refused: content too large');
        return rsp(Mm7Status.MultimediaContentRefused, `content of ${content.body.length} octets exceeds ${deps.maxMessageSize}`);
      }
      const recipients = (['to', 'cc', 'bcc'] as const).flatMap((field) =>
        op.recipients[field].filter((r) => !r.displayOnly).map((r) => ({ input: r.value, field })),
      );
      const priority = op.priority?.toLowerCase();
      const messageClass = op.messageClass?.toLowerCase();
      const out = await sender.send({
        account,
        from: op.senderAddress?.value,
        recipients,
        subject: op.subject,
        messageClass: messageClass && ['personal', 'advertisement', 'informational', 'auto'].includes(messageClass) ? messageClass : undefined,
        priority: priority === 'low' || priority === 'normal' || priority === 'high' ? priority : undefined,
        deliveryReport: op.deliveryReport ?? false,
        readReport: op.readReply ?? false,
        expiresAt: op.expiryDate?.date.getTime(),
        earliestDelivery: op.earliestDeliveryTime?.date.getTime(),
        content,
        origin: { kind: 'mm7', vaspId: account.id, namespace: msg.namespace, version: a.version, ...(op.linkedId ? { linkedId: op.linkedId } : {}) },
        requestId: a.transactionId,
      });
      return answerSend(req, reply, account, a, out, rsp, content.body.length);
    }

    function answerSend(
      req: FastifyRequest,
      reply: FastifyReply,
      account: VaspAccount,
      a: Answer,
      out: SendOutcome,
      rsp: (code: number, details?: string, messageId?: string) => FastifyReply,
      size: number,
    ): FastifyReply {
      const refused = out.recipients.filter((r) => r.status !== 'accepted');
      const details = refused.map((r) => `${r.input}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
      if (!out.ok) {
        metrics.refused.inc({ interface: 'mm7', reason: out.refusal });
        req.log.info({ vasp: account.id, tid: a.transactionId, refusal: out.refusal, detail: out.detail }, 'MM7 SubmitReq refused');
        if (out.retryAfterSeconds !== undefined) reply.header('retry-after', String(out.retryAfterSeconds));
        return rsp(REFUSAL_STATUS[out.refusal], details ? `${out.detail}; ${details}` : out.detail);
      }
      const accepted = out.recipients.length - refused.length;
      if (out.retransmission) {
        // The VASP missed our SubmitRsp and sent the request again: same answer, no second message.
        metrics.retransmissions.inc({ pdu: 'mm7-submit' });
        req.log.info({ vasp: account.id, tid: a.transactionId, msgId: out.messageId }, 'MM7 SubmitReq retransmission: answered with the first MessageID, nothing created');
      } else {
        metrics.accepted.inc({ interface: 'mm7' });
        req.log.info({ vasp: account.id, tid: a.transactionId, msgId: out.messageId, recipients: accepted, refused: refused.length, size, deferredUntil: out.deferredUntil }, 'MM7 SubmitReq accepted');
      }
      // TS 23.140: 1100 when some recipients were not accepted; Details says which and why.
      return refused.length ? rsp(Mm7Status.PartialSuccess, details, out.messageId) : rsp(Mm7Status.Success, undefined, out.messageId);
    }

    async function onControl(req: FastifyRequest, reply: FastifyReply, account: VaspAccount, msg: Mm7Message<CancelReq | ReplaceReq>, a: Answer): Promise<FastifyReply> {
      const op = msg.operation;
      const build = op.type === 'CancelReq' ? buildCancelRsp : buildReplaceRsp;
      const rsp = (code: number, details?: string): FastifyReply =>
        reply.code(200).type(XML).send(build({ ...a, mm7Version: a.version, status: details ? { code, details } : { code } }));
      let content: StoredContent | undefined;
      if (op.type === 'ReplaceReq' && msg.content) {
        try {
          content = contentFromMime(msg.content);
        } catch (e) {
          if (!(e instanceof ContentError)) throw e;
          return rsp(Mm7Status.MultimediaContentRefused, e.message);
        }
        if (content.body.length > deps.maxMessageSize) return rsp(Mm7Status.MultimediaContentRefused, `content of ${content.body.length} octets exceeds ${deps.maxMessageSize}`);
      }
      const result =
        op.type === 'CancelReq'
          ? await deps.control!.cancel(account.id, op.messageId)
          : await deps.control!.replace!(account.id, op.messageId, content, op.earliestDeliveryTime?.date.getTime());
      req.log.info({ vasp: account.id, tid: a.transactionId, msgId: op.messageId, operation: op.type, result: result.outcome, recipients: result.recipients }, `MM7 ${op.type}`);
      switch (result.outcome) {
        case 'done':
          return rsp(Mm7Status.Success);
        case 'not-found':
          return rsp(Mm7Status.MessageIdNotFound);
        case 'too-late':
          return rsp(Mm7Status.NotPossible, 'every recipient has retrieved the message or it has ended');
      }
    }
  };
}
