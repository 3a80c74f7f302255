import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Test } from 'tap';

export interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/**
 * A local HTTP endpoint standing in for a VASP: records every request, answers with `answer`
 * (which can fail the first attempts to exercise retries).
 */
export async function receiver(
  t: Test,
  answer: (req: { headers: IncomingHttpHeaders; body: Buffer; n: number }) => { status: number; type?: string; body?: string | Buffer },
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const a = answer({ headers: req.headers, body, n: received.length });
      received.push({ headers: req.headers, body, status: a.status });
      res.writeHead(a.status, a.type ? { 'content-type': a.type } : {}).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`, received };
}
