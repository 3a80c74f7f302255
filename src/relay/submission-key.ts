import { createHash } from 'node:crypto';
import type { SubmissionKey } from '../store/types.js';
import type { ContentTypeRecord } from '../records/model.js';

/**
 * How an interface names a submission so that its retransmission is recognised: the originator as
 * the gateway authenticated it (never the PDU's own From) and the id the originator gave the
 * request (MM1: X-Mms-Transaction-ID), within a window after the first acceptance.
 */
export interface SubmissionId {
  /** Keeps kinds of request apart (an m-send-req and an m-forward-req may share a TID). */
  /** 'batch': a campaign's recipient (sender = batch id, request id = the number): one message per number, whatever was rendered. */
  kind: 'mm1-send' | 'mm1-forward' | 'mm7-submit' | 'batch';
  sender: string;
  /** '' = the originator gave none: nothing to recognise a repeat by, so no check. */
  requestId: string;
  /** 0 = the check is off. */
  windowMs: number;
}

/** The parts of a request that make it this message and not another. */
export interface SubmissionContent {
  to: readonly string[];
  cc?: readonly string[];
  bcc?: readonly string[];
  subject?: { text: string };
  contentType: ContentTypeRecord;
  body: Uint8Array;
}

/**
 * The key is a hash so that it has a fixed length whatever the handset put in its TID (LMDB keys
 * are limited, Redis keys should be short). The digest covers recipients, subject and content but
 * not the Date header or the report flags, so a client that re-stamps its retry is still recognised,
 * while a client that reuses a TID for a different message is not mistaken for a retry.
 */
export function submissionKey(id: SubmissionId, content: SubmissionContent): SubmissionKey {
  const key = createHash('sha256').update(`${id.kind}\u0000${id.sender}\u0000${id.requestId}`).digest('base64url').slice(0, 32);
  if (id.kind === 'batch') return { key, digest: 'batch', ttlMs: id.windowMs };
  const digest = createHash('sha256')
    .update(JSON.stringify([content.to, content.cc ?? [], content.bcc ?? [], content.subject?.text ?? null, content.contentType]))
    .update(content.body)
    .digest('base64url')
    .slice(0, 32);
  return { key, digest, ttlMs: id.windowMs };
}
