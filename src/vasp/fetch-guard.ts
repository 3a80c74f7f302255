import { FetchError, guardedRequest, type GuardedRequest } from '../net/guarded-request.js';

export interface FetchedMedia {
  contentType: string;
  data: Buffer;
  name?: string;
}

/** GET of a media URL for a REST send: 2xx with a body, type from the response (or the caller). */
export async function fetchMedia(url: string, o: Omit<GuardedRequest, 'method' | 'body'>, declaredType?: string): Promise<FetchedMedia> {
  const res = await guardedRequest(url, { ...o, method: 'GET', headers: { accept: 'image/*, audio/*, video/*, text/plain;q=0.5', 'user-agent': 'mmsc-media-fetch' } });
  if (res.status < 200 || res.status >= 300) throw new FetchError('status', `${url.slice(0, 200)} answered ${res.status}`, res.status >= 500, res.status);
  if (res.body.length === 0) throw new FetchError('status', `${url.slice(0, 200)} answered an empty body`, false, res.status);
  const type = (declaredType ?? String(res.headers['content-type'] ?? 'application/octet-stream')).split(';')[0]!.trim().toLowerCase();
  const name = new URL(url).pathname.split('/').pop() || undefined;
  return name ? { contentType: type, data: res.body, name } : { contentType: type, data: res.body };
}
