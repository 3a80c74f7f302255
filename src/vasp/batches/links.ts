import type { FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
export { DEFAULT_BOT_AGENTS } from '../../config/bot-agents.js';


/**
 * iMessage's preview fetcher presents itself as a desktop Safari with the Facebook crawler's token
 * added ("... facebookexternalhit/1.1 Facebot Twitterbot/1.0"), which the list above catches; an
 * empty user agent is no person's browser either.
 */
export function isBot(userAgent: string, agents: readonly string[]): boolean {
  if (userAgent.trim() === '') return true;
  const ua = userAgent.toLowerCase();
  return agents.some((a) => ua.includes(a.toLowerCase()));
}

/**
 * GET /l/<code>: the tracked link's 302 to the original URL (public, no key), rate-limited per
 * client address. An unknown code is a 404.
 */
export function linkRoutes(o: { click: (code: string, userAgent: string, method: string) => Promise<string | undefined>; perMinute: number }): FastifyPluginAsync {
  return async (app) => {
    await app.register(rateLimit, { global: false });
    app.get(
      '/l/:code',
      { config: { rateLimit: { max: o.perMinute, timeWindow: 60_000 } }, schema: { params: { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 64 } } } } },
      async (req, reply) => {
        const { code } = req.params as { code: string };
        const ua = String(req.headers['user-agent'] ?? '');
        const url = await o.click(code, ua, req.method);
        reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
        if (!url) return reply.code(404).type('text/plain').send('unknown link\n');
        return reply.redirect(url, 302);
      },
    );
  };
}
