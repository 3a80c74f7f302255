/** The ceiling for bench/mm1.ts: a Fastify POST route that reads the body and answers 200. */
import Fastify from 'fastify';

const app = Fastify({ bodyLimit: 2 * 1024 * 1024 });
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
app.get('/healthz', async () => ({ ok: true }));
app.post('/mms', async (req, reply) => reply.code(200).send(Buffer.from([0x8c, 0x81, (req.body as Buffer).length & 0x7f])));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 18081) });
process.stdout.write('ready\n');
