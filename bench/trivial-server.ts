/**
 * The ceilings for bench/mm1.ts: a Fastify POST route that reads the body and answers 200, and the
 * same route storing the body durably first (one LMDB put, answered once flushed to disk: the least
 * any durable gateway does per message), in a folder named by the second argument.
 */
import Fastify from 'fastify';
import { open } from 'lmdb';
import { randomBytes } from 'node:crypto';

const app = Fastify({ bodyLimit: 2 * 1024 * 1024 });
const db = process.argv[3] ? open({ path: process.argv[3], mapSize: 2 ** 32, encoding: 'binary' }) : undefined;
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
app.get('/healthz', async () => ({ ok: true }));
const answer = (body: Buffer): Buffer => Buffer.from([0x8c, 0x81, body.length & 0x7f]);
app.post('/mms', async (req, reply) => reply.code(200).send(answer(req.body as Buffer)));
app.post('/mms-durable', async (req, reply) => {
  if (!db) return reply.code(404).send();
  await db.put(randomBytes(16).toString('base64url'), req.body as Buffer);
  await db.flushed;
  return reply.code(200).send(answer(req.body as Buffer));
});
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 18081) });
process.stdout.write('ready\n');
