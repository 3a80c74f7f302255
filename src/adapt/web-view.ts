import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { findSmilPart, parseSmil, type SmilPartRef } from '../../protocol/smil/index.js';
import { DecodeError, WspReader, readMultipart, type Part } from '../../protocol/wsp/index.js';
import type { Relay } from '../relay/relay.js';
import { adaptImage } from './images.js';
import { decodeText } from './text.js';

export interface WebViewDeps {
  relay: Pick<Relay, 'openRetrieval' | 'retrievalCompleted'>;
  /** Path prefix, e.g. '/v': the page is `<webPath>/<token>`, its media `<webPath>/<token>/<n>`. */
  webPath: string;
  /** Decoder limit for images converted for the browser. */
  maxInputPixels: number;
}

/** Image types browsers show; others (TIFF, BMP, HEIC) are converted when the system can decode them. */
const BROWSER_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);

/** Nothing but our own media and inline styles; no scripts at all. */
const CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SHOWN = /^(image\/(jpeg|png|gif|webp|avif)|audio\/|video\/)/;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function parts(body: Uint8Array): Part[] {
  return readMultipart(new WspReader(body), { strict: false, warn: () => {}, depth: 0 });
}

function baseType(p: Part): string {
  return p.contentType.type.split(';')[0]!.trim().toLowerCase();
}

/** Part indexes slide by slide in SMIL order; parts no slide shows follow, one per slide. */
export function slidesOf(list: readonly Part[]): number[][] {
  const smilIdx = list.findIndex((p) => baseType(p) === 'application/smil');
  const slides: number[][] = [];
  const used = new Set<number>();
  if (smilIdx >= 0) {
    const refs: SmilPartRef[] = list.map((p) => ({ contentId: p.contentId?.replace(/^<(.*)>$/, '$1'), contentLocation: p.contentLocation, name: typeof p.contentType.params.name === 'string' ? p.contentType.params.name : undefined }));
    try {
      for (const s of parseSmil(list[smilIdx]!.data).slides) {
        const idx = s.media.map((m) => findSmilPart(m.src, refs)).filter((i) => i >= 0 && i !== smilIdx && !used.has(i));
        idx.forEach((i) => used.add(i));
        if (idx.length) slides.push(idx);
      }
    } catch {
      // unreadable SMIL: message order below
    }
  }
  list.forEach((_p, i) => {
    if (i !== smilIdx && !used.has(i)) slides.push([i]);
  });
  return slides;
}

/**
 * The mobile web view of a message for handsets that cannot receive MMS (issue 6): slides in SMIL
 * order with images, text, audio and video players. The retrieval token is the only key; the page
 * and its media disappear with the message (openRetrieval finds nothing after expiry).
 */
export function webViewRoutes(deps: WebViewDeps): FastifyPluginAsync {
  const { relay, webPath } = deps;
  const notFound = (reply: FastifyReply): FastifyReply => reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('This message is not available (it may have expired).');
  return async (app) => {
    app.get<{ Params: { token: string } }>(`${webPath}/:token`, async (req, reply) => {
      const { token } = req.params;
      const found = /^[A-Za-z0-9_-]{16,64}$/.test(token) ? await relay.openRetrieval(token) : undefined;
      if (!found) {
        req.log.info({ peer: req.ip }, 'web view of an unknown or expired message');
        return notFound(reply);
      }
      let list: Part[];
      try {
        list = parts(found.body);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        req.log.warn({ msgId: found.message.id, reason: e.reason }, 'web view: stored body not decodable');
        return reply.code(500).send();
      }
      const slides = slidesOf(list).map((idx, n) => {
        const items = idx.map((i) => {
          const p = list[i]!;
          const t = baseType(p);
          const src = `${webPath}/${token}/${i}`;
          if (t.startsWith('image/')) return `<img src="${src}" alt="${escapeHtml(p.contentLocation ?? 'image')}">`;
          if (t.startsWith('audio/')) return `<audio controls preload="none" src="${src}"></audio>`;
          if (t.startsWith('video/')) return `<video controls preload="metadata" src="${src}"></video>`;
          if (t === 'text/plain') return `<p>${escapeHtml(decodeText(p.data, typeof p.contentType.params.charset === 'string' ? p.contentType.params.charset : undefined)).replace(/\n/g, '<br>')}</p>`;
          return `<p><a href="${src}">${escapeHtml(p.contentLocation ?? t)}</a></p>`;
        });
        return `<section class="slide" id="s${n + 1}">${items.join('')}</section>`;
      });
      const m = found.message;
      const from = m.senderVisibility === 'hide' ? 'hidden number' : m.from.replace(/\/TYPE=.*$/i, '');
      const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(m.subject?.text ?? 'Message')}</title>
<style>body{font-family:sans-serif;margin:0 auto;max-width:40em;padding:1em}.slide{border-bottom:1px solid #ccc;padding:1em 0}img,video{max-width:100%;height:auto}audio{width:100%}</style></head>
<body><header><h1>${escapeHtml(m.subject?.text ?? 'Message')}</h1><p>From ${escapeHtml(from)}, ${new Date(m.date * 1000).toUTCString()}</p></header>
${slides.join('\n')}
<footer><p>Available until ${new Date(m.expiresAt).toUTCString()}.</p></footer></body></html>`;
      reply.raw.once('finish', () => {
        relay.retrievalCompleted(found.recipient).catch((err) => req.log.warn({ err, recipient: found.recipient.id }, 'could not record the web view'));
      });
      req.log.info({ msgId: m.id, recipient: found.recipient.id, slides: slides.length }, 'web view served');
      return reply
        .code(200)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'private, no-store')
        .type('text/html; charset=utf-8')
        .send(html);
    });

    app.get<{ Params: { token: string; n: string } }>(`${webPath}/:token/:n`, async (req, reply) => {
      const { token, n } = req.params;
      const found = /^[A-Za-z0-9_-]{16,64}$/.test(token) && /^\d{1,3}$/.test(n) ? await relay.openRetrieval(token) : undefined;
      if (!found) return notFound(reply);
      let list: Part[];
      try {
        list = parts(found.body);
      } catch {
        return notFound(reply);
      }
      const p = list[Number(n)];
      if (!p || baseType(p) === 'application/smil') return notFound(reply);
      const t = baseType(p);
      if (t.startsWith('image/') && !BROWSER_IMAGES.has(t)) {
        const r = await adaptImage(p.data, t, { accept: ['image/jpeg', 'image/png'], maxImage: { w: 2048, h: 2048 }, maxInputPixels: deps.maxInputPixels });
        if (r.ok) {
          return reply.code(200).header('content-security-policy', "default-src 'none'; sandbox").header('x-content-type-options', 'nosniff').header('cache-control', 'private, no-store').type(r.type).send(r.data);
        }
        req.log.info({ msgId: found.message.id, part: Number(n), reason: r.reason }, 'web view: image not convertible for the browser; offered as a download');
      }
      // Only media a browser shows inline is served as its type; anything else downloads.
      const shown = SHOWN.test(t) || t === 'text/plain';
      return reply
        .code(200)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .header('content-disposition', shown ? 'inline' : 'attachment')
        .type(shown ? (t === 'text/plain' ? 'text/plain; charset=utf-8' : t) : 'application/octet-stream')
        .send(t === 'text/plain' ? decodeText(p.data, typeof p.contentType.params.charset === 'string' ? p.contentType.params.charset : undefined) : Buffer.from(p.data));
    });
  };
}
