import type { WebhookEvent } from '../../config/vasp.js';

/**
 * The records of a campaign (batch), kept with Store.batchWrite under these keys:
 *   b:<id>        BatchMeta - written once, when the upload is complete
 *   bs:<id>       BatchControl - status and send time; changed by the API (compare-and-set)
 *   bp:<id>       BatchProgress - what the release job has done; written only by it (compare-and-set)
 *   bc:<id>:<n>   chunk n of the recipient list (CHUNK rows, the last one shorter)
 *   bo:<id>:<n>   outcomes of chunk n's rows once released (message id or why not)
 *   bd:<id>:<due>:<n>  rows held back until `due` (quiet hours, send window), n-th piece
 *   bm:<id>:<i>   stored media item i (uploaded, or fetched once from a fixed URL)
 *   bl:<code>     a tracked link: batch, row, link index, original URL
 */
export const CHUNK = 1000;

export const metaKey = (id: string): string => `b:${id}`;
export const controlKey = (id: string): string => `bs:${id}`;
export const progressKey = (id: string): string => `bp:${id}`;
export const chunkKey = (id: string, n: number): string => `bc:${id}:${n}`;
export const outcomeKey = (id: string, n: number): string => `bo:${id}:${n}`;
export const deferredKey = (id: string, due: number, n: number): string => `bd:${id}:${due}:${n}`;
export const mediaKey = (id: string, i: number): string => `bm:${id}:${i}`;
export const linkKey = (code: string): string => `bl:${code}`;

/** A media item of a variant: stored at upload (`stored` = index of its bm: entry) or a URL template fetched at release. */
export type MediaSpec = { stored: number; contentType: string; name?: string } | { url: string; contentType?: string; name?: string };

export interface VariantSpec {
  name: string;
  /** Share of the recipients (weights, normalised). */
  split: number;
  subject?: string;
  text?: string;
  media: MediaSpec[];
}

export interface BatchMeta {
  id: string;
  vaspId: string;
  createdAt: number;
  /** Rows stored (recipients accepted). */
  total: number;
  chunks: number;
  from?: string;
  variants: VariantSpec[];
  defaults: Record<string, unknown>;
  trackLinks: boolean;
  /** Per-batch key of the tracked-link codes (base64url). */
  linkKey: string;
  webhookUrl?: string;
  events?: WebhookEvent[];
  priority: 'low' | 'normal' | 'high';
  deliveryReport: boolean;
  readReport: boolean;
  messageClass?: string;
  /** Daily send window in the recipient's time zone ('HH:MM'), if any. */
  window?: { start: string; end: string };
  /** Relative validity of each message from its release, seconds (relay default when absent). */
  expirySeconds?: number;
  /** When every record of the batch goes (ms). */
  expiresAt: number;
  /** Rows per variant (variantOf of each row number). */
  variantTotals: number[];
}

export type BatchStatusWord = 'active' | 'paused' | 'cancelled';

export interface BatchControl {
  status: BatchStatusWord;
  sendAt: number;
  /** Bumped by every change; a release job of an older version stops. */
  v: number;
}

/** Per-variant tallies the release job keeps exactly (it is their only writer). */
export interface ReleaseTally {
  released: number;
  optedOut: number;
  duplicate: number;
  failed: Record<string, number>;
}

export interface BatchProgress {
  /** Next row of the main list to look at. */
  cursor: number;
  /** Held-back rows: due time (ms) -> pieces written / pieces done. */
  deferred: Record<string, { pieces: number; done: number; rows: number; /** Rows of piece `done` already released. */ offset?: number }>;
  tally: ReleaseTally[];
  done: boolean;
  /** Version of the release job that wrote this. */
  v: number;
}

/** A stored row: number (E.164) and variables (0 when none). */
export type Row = [string, Record<string, unknown> | 0];

/** The outcome of a row: [message id, ''] when released, ['', reason] when not. */
export type Outcome = [string, string];

export const enc = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
export const dec = <T>(b: Buffer | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(b.toString('utf8')) as T));

export function emptyTally(): ReleaseTally {
  return { released: 0, optedOut: 0, duplicate: 0, failed: {} };
}

/**
 * The variant of row `i`: a fixed hash of the row number against the cumulative split, so a
 * re-release after a crash picks the same one and variants interleave through the list.
 */
export function variantOf(i: number, variants: readonly VariantSpec[]): number {
  if (variants.length <= 1) return 0;
  let h = (i + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  const x = (h >>> 0) / 2 ** 32;
  const total = variants.reduce((n, v) => n + v.split, 0);
  let acc = 0;
  for (let k = 0; k < variants.length; k++) {
    acc += variants[k]!.split / total;
    if (x < acc) return k;
  }
  return variants.length - 1;
}
