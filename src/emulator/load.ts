import { Handset, type Behaviour, type HandsetDirectory, type HandsetEvent } from './handset.js';
import { Mm1Error, type Mm1Client } from './mm1-client.js';

export interface LoadOptions {
  handsets: number;
  /** Messages per second offered; 0 = as fast as the window allows. */
  rate: number;
  /** Messages not yet complete (or failed) at most; sending waits beyond it. */
  window?: number;
  /** Stop sending after this long or this many messages (whichever first; at least one is required). */
  durationSeconds?: number;
  count?: number;
  /** Media bytes per message: a real JPEG of this size (see loadJpeg), 0 for a text-only message. */
  mediaBytes?: number;
  /** How the receiving handsets behave (what "complete" means follows from it). */
  behaviour?: Behaviour;
  /** Where handsets send m-notifyresp-ind / m-acknowledge-ind (HandsetOptions.reportsTo). */
  reportsTo?: 'mmsc' | 'content-location';
  /** After sending, how long to wait for outstanding messages to complete. */
  drainSeconds?: number;
  /** Number of the first handset; the others follow it. */
  firstMsisdn?: string;
}

export interface LoadEnv {
  client: Mm1Client;
  /** Several MMSC nodes: handset i sends through clients[i % n] (load split across them). */
  clients?: Mm1Client[];
  directory: HandsetDirectory;
  progress?: (line: string) => void;
  progressIntervalMs?: number;
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  options: Required<Omit<LoadOptions, 'durationSeconds' | 'count'>> & { durationSeconds?: number; count?: number };
  /** Seconds spent sending, and in total (sending + drain). */
  sendSeconds: number;
  elapsedSeconds: number;
  counts: { sent: number; confirmed: number; notified: number; retrieved: number; acknowledged: number; reports: number; completed: number; failed: number; outstanding: number };
  /** Completed messages per second of the whole run, and sent per second of the sending phase. */
  perSecond: { sent: number; completed: number };
  errors: Record<string, number>;
  latencyMs: { sendToConf: Percentiles; sendToNotification: Percentiles; sendToRetrieved: Percentiles; sendToReport: Percentiles };
}

/** Hard bounds: a load run is a test, never an open-ended flood. */
export const LOAD_LIMITS = { handsets: 100_000, rate: 100_000, durationSeconds: 3600, count: 1_000_000, mediaBytes: 1_000_000, drainSeconds: 600, window: 100_000 };

interface Tracked {
  sentAt: number;
  confAt?: number;
  messageId?: string;
  notifiedAt?: number;
  retrievedAt?: number;
  ackAt?: number;
  reportAt?: number;
  reportStatus?: string;
  done?: 'completed' | 'failed';
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { n: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const v = Float64Array.from(values).sort();
  const at = (q: number) => Math.round(v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]! * 10) / 10;
  return { n: v.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(v[v.length - 1]! * 10) / 10 };
}

function check(name: keyof typeof LOAD_LIMITS, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < min || v > LOAD_LIMITS[name]) throw new Error(`${name} must be in ${min}..${LOAD_LIMITS[name]}, got ${v}`);
}

/**
 * N handsets send to each other (handset k to k+1) at an offered rate, each message tracked from
 * m-send-req to its delivery report; ends with counts, errors by kind and latency percentiles.
 */
export async function runLoad(o: LoadOptions & LoadEnv): Promise<LoadReport> {
  check('handsets', o.handsets, 1);
  check('rate', o.rate, 0);
  check('window', o.window, 1);
  check('durationSeconds', o.durationSeconds, 0);
  check('count', o.count, 1);
  check('mediaBytes', o.mediaBytes, 0);
  check('drainSeconds', o.drainSeconds, 0);
  if (o.durationSeconds === undefined && o.count === undefined) throw new Error('a load run needs a duration or a count');
  const options: LoadReport['options'] = {
    handsets: o.handsets,
    rate: o.rate,
    window: o.window ?? 500,
    mediaBytes: o.mediaBytes ?? 1024,
    behaviour: o.behaviour ?? 'android',
    reportsTo: o.reportsTo ?? 'mmsc',
    drainSeconds: o.drainSeconds ?? 30,
    firstMsisdn: o.firstMsisdn ?? '+15551000000',
  };
  if (o.durationSeconds !== undefined) options.durationSeconds = o.durationSeconds;
  if (o.count !== undefined) options.count = o.count;
  const maxCount = o.count ?? LOAD_LIMITS.count;
  const behaviour = options.behaviour;
  // What the receiving handset's behaviour lets a message reach.
  const needsAck = behaviour === 'android' || behaviour === 'slow';
  const needsRetrieve = needsAck || behaviour === 'never-ack';
  const expectReport = behaviour === 'reject' ? 'rejected' : needsRetrieve ? 'retrieved' : undefined;

  const first = BigInt(options.firstMsisdn.slice(1));
  const phones: Handset[] = [];
  const tracked = new Map<string, Tracked>();
  const byMessageId = new Map<string, Tracked>();
  const errors: Record<string, number> = {};
  const counts = { sent: 0, confirmed: 0, notified: 0, retrieved: 0, acknowledged: 0, reports: 0, completed: 0, failed: 0, outstanding: 0 };
  const lat = { sendToConf: [] as number[], sendToNotification: [] as number[], sendToRetrieved: [] as number[], sendToReport: [] as number[] };
  const error = (kind: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  const finish = (t: Tracked, how: 'completed' | 'failed') => {
    if (t.done) return;
    t.done = how;
    counts[how]++;
  };
  const maybeComplete = (t: Tracked) => {
    if (t.done || t.confAt === undefined || t.notifiedAt === undefined) return;
    if (needsRetrieve && t.retrievedAt === undefined) return;
    if (needsAck && t.ackAt === undefined) return;
    if (expectReport && t.reportAt === undefined) return;
    finish(t, 'completed');
  };
  const tagOf = (subject: unknown) => (typeof subject === 'string' && subject.startsWith('load-') ? subject : undefined);

  const onEvent = (e: HandsetEvent) => {
    const now = Date.now();
    switch (e.type) {
      case 'notified':
      case 'retrieved':
      case 'acknowledged': {
        const tag = tagOf(e.incoming.notification.subject) ?? tagOf(e.incoming.retrieved?.subject);
        // An MMSC that leaves the Subject out of notifications: the message is known once retrieved.
        if (!tag && e.type === 'notified') return;
        const t = tracked.get(tag ?? '');
        if (!t) return error(`${e.type}-unknown-message`);
        if (t.notifiedAt === undefined) {
          t.notifiedAt = e.incoming.notifiedAt;
          counts.notified++;
          lat.sendToNotification.push(e.incoming.notifiedAt - t.sentAt);
        }
        if (e.type === 'retrieved' && t.retrievedAt === undefined) {
          t.retrievedAt = now;
          counts.retrieved++;
          lat.sendToRetrieved.push(now - t.sentAt);
        } else if (e.type === 'acknowledged' && t.ackAt === undefined) {
          t.ackAt = now;
          counts.acknowledged++;
        }
        return maybeComplete(t);
      }
      case 'delivery-report': {
        const t = byMessageId.get(e.pdu.messageId);
        if (!t) {
          // Before its m-send-conf was read (a fast MMSC), or not ours; bounded.
          if (early.size < 10_000) early.set(e.pdu.messageId, { at: now, status: String(e.pdu.status) });
          else error('report-unknown-message');
          return;
        }
        return report(t, now, String(e.pdu.status));
      }
      case 'read-report':
        return;
      case 'error':
        return error(e.kind);
    }
  };
  const early = new Map<string, { at: number; status: string }>();
  const report = (t: Tracked, now: number, status: string): void => {
    if (t.reportAt !== undefined) return;
    t.reportAt = now;
    t.reportStatus = status;
    counts.reports++;
    lat.sendToReport.push(now - t.sentAt);
    if (expectReport && status !== expectReport) {
      error(`report-${status}`);
      return finish(t, 'failed');
    }
    maybeComplete(t);
  };

  for (let i = 0; i < options.handsets; i++) {
    const client = o.clients?.length ? o.clients[i % o.clients.length]! : o.client;
    const h = new Handset({ msisdn: `+${first + BigInt(i)}`, behaviour, client, maxInbox: 100, reportsTo: options.reportsTo });
    h.onEvent(onEvent);
    phones.push(h);
    o.directory.add(h);
  }
  const media = loadJpeg(options.mediaBytes);

  const sendOne = async (k: number): Promise<void> => {
    const from = phones[k % phones.length]!;
    const to = phones[(k + 1) % phones.length]!;
    const tag = `load-${k}`;
    const t: Tracked = { sentAt: Date.now() };
    tracked.set(tag, t);
    counts.sent++;
    try {
      const sent = await from.send({
        to: [to.msisdn],
        subject: tag,
        files: options.mediaBytes > 0 ? [{ name: 'load.jpg', contentType: 'image/jpeg', data: media }] : undefined,
        text: options.mediaBytes > 0 ? undefined : 'load',
        deliveryReport: true,
      });
      t.sentAt = sent.sentAt;
      t.confAt = sent.confAt;
      if (sent.httpStatus !== 200) {
        error(`send-http-${sent.httpStatus}`);
        return finish(t, 'failed');
      }
      if (sent.responseStatus !== 'ok' || !sent.messageId) {
        error(`send-${sent.responseStatus ?? 'no-conf'}`);
        return finish(t, 'failed');
      }
      counts.confirmed++;
      lat.sendToConf.push(sent.confAt - sent.sentAt);
      t.messageId = sent.messageId;
      byMessageId.set(sent.messageId, t);
      const e = early.get(sent.messageId);
      if (e) {
        early.delete(sent.messageId);
        report(t, e.at, e.status);
      }
      maybeComplete(t);
    } catch (e) {
      error(e instanceof Mm1Error ? `send-${e.kind}` : 'send-internal');
      finish(t, 'failed');
    }
  };

  const progress = o.progress ?? (() => undefined);
  const started = Date.now();
  const line = () => {
    const s = ((Date.now() - started) / 1000).toFixed(0);
    const errs = Object.values(errors).reduce((a, b) => a + b, 0);
    return `t=${s}s sent ${counts.sent} conf ${counts.confirmed} notified ${counts.notified} retrieved ${counts.retrieved} acked ${counts.acknowledged} reports ${counts.reports} complete ${counts.completed} errors ${errs}`;
  };
  const ticker = setInterval(() => progress(line()), o.progressIntervalMs ?? 1000);
  const inFlight = () => counts.sent - counts.completed - counts.failed;
  const sendUntil = o.durationSeconds !== undefined ? started + o.durationSeconds * 1000 : Infinity;
  let k = 0;
  try {
    while (k < maxCount && Date.now() < sendUntil) {
      const due = options.rate > 0 ? Math.min(maxCount, Math.floor(((Date.now() - started) / 1000) * options.rate) + 1) : maxCount;
      let burst = 0;
      while (k < due && inFlight() < options.window && burst < 1000) {
        void sendOne(k++);
        burst++;
      }
      // Let responses and pushes in; a short sleep keeps the offered rate smooth.
      await new Promise((r) => setTimeout(r, options.rate > 0 ? Math.max(1, Math.min(10, 1000 / options.rate)) : burst > 0 ? 0 : 2));
    }
    const sendEnded = Date.now();
    const drainUntil = Date.now() + options.drainSeconds * 1000;
    while (inFlight() > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
    const ended = Date.now();
    counts.outstanding = inFlight();
    if (counts.outstanding > 0) errors['incomplete-at-end'] = counts.outstanding;
    const elapsed = (ended - started) / 1000;
    const sendSeconds = (sendEnded - started) / 1000;
    return {
      options,
      sendSeconds: Math.round(sendSeconds * 100) / 100,
      elapsedSeconds: Math.round(elapsed * 100) / 100,
      counts,
      perSecond: { sent: Math.round(counts.sent / Math.max(sendSeconds, 0.001)), completed: Math.round(counts.completed / Math.max(elapsed, 0.001)) },
      errors,
      latencyMs: {
        sendToConf: percentiles(lat.sendToConf),
        sendToNotification: percentiles(lat.sendToNotification),
        sendToRetrieved: percentiles(lat.sendToRetrieved),
        sendToReport: percentiles(lat.sendToReport),
      },
    };
  } finally {
    clearInterval(ticker);
  }
}

export function formatLoadReport(r: LoadReport): string {
  const c = r.counts;
  const p = (x: Percentiles) => (x.n ? `p50 ${x.p50} ms  p90 ${x.p90} ms  p99 ${x.p99} ms  max ${x.max} ms  (n=${x.n})` : 'no samples');
  const errs = Object.entries(r.errors);
  return [
    `load: ${r.options.handsets} handsets, offered ${r.options.rate > 0 ? `${r.options.rate} msg/s` : `max (window ${r.options.window})`}, ${r.sendSeconds} s sending, ${r.elapsedSeconds} s in all`,
    `sent ${c.sent}  confirmed ${c.confirmed}  notified ${c.notified}  retrieved ${c.retrieved}  acknowledged ${c.acknowledged}  reports ${c.reports}`,
    `complete ${c.completed} (${r.perSecond.completed}/s)  failed ${c.failed}  outstanding ${c.outstanding}`,
    `send -> m-send-conf      ${p(r.latencyMs.sendToConf)}`,
    `send -> notification     ${p(r.latencyMs.sendToNotification)}`,
    `send -> retrieved        ${p(r.latencyMs.sendToRetrieved)}`,
    `send -> delivery report  ${p(r.latencyMs.sendToReport)}`,
    errs.length ? `errors: ${errs.map(([k, v]) => `${k} ${v}`).join(', ')}` : 'errors: none',
  ].join('\n');
}

/** A 16x16 baseline JPEG without metadata (what sharp writes for a plain colour at quality 70). */
const SMALL_JPEG = Buffer.from(
  '/9j/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wAARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABQb/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCOAAXT/9k=',
  'base64',
);

/**
 * A decodable JPEG of `size` octets (at least SMALL_JPEG's 269; up to 3 more when the padding would
 * be shorter than a segment): the small image padded with comment (COM) segments behind its SOI.
 * Load media must be a real image: the MMSC under test decodes what it adapts, and garbage would
 * measure its error path instead of its delivery path.
 */
export function loadJpeg(size: number): Buffer {
  if (size <= SMALL_JPEG.length) return SMALL_JPEG;
  // A segment is FF FE + a 2-octet length that counts itself: 4 octets at least, 65 537 at most.
  let pad = Math.max(4, size - SMALL_JPEG.length);
  const out = Buffer.alloc(SMALL_JPEG.length + pad);
  out[0] = 0xff;
  out[1] = 0xd8;
  let at = 2;
  while (pad > 0) {
    let seg = Math.min(pad, 65_537);
    if (pad - seg > 0 && pad - seg < 4) seg -= 4;
    out[at] = 0xff;
    out[at + 1] = 0xfe;
    out.writeUInt16BE(seg - 2, at + 2);
    out.fill(0x20, at + 4, at + seg);
    at += seg;
    pad -= seg;
  }
  SMALL_JPEG.copy(out, at, 2);
  return out;
}
