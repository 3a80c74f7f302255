/**
 * SMPP over TLS (ssmpp://): the link verifies the SMSC's certificate against the CA it is given
 * (`tls_ca`), pushes go through a TLS-wrapped SMSC simulator, and a certificate from another CA is
 * refused before anything is bound. The certificates are made here with openssl.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import t, { type Test } from 'tap';
import { parseSmscUrl } from '../../src/config/smsc.js';
import { SmscLink } from '../../src/smsc/link.js';
import { SmscPool } from '../../src/smsc/pool.js';
import { SmppPushTransport } from '../../src/smsc/push-transport.js';
import { bytes, simulator, until } from './helpers.js';

/** A CA, and a server certificate for 127.0.0.1 signed by it. */
function makePki(dir: string, name: string): { ca: string; key: string; cert: string } {
  const f = (s: string) => join(dir, `${name}-${s}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', `/CN=${name} test CA`);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=smsc.test');
  const ext = f('ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${ext}`]);
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', ext);
  return { ca: f('ca.pem'), key: f('server.key'), cert: f('server.pem') };
}

/** TLS in front of a plain simulator: what an SMSC offering SMPP over TLS looks like to the link. */
async function tlsFront(t: Test, pki: { key: string; cert: string }, targetPort: number) {
  const stats = { secure: 0, clientErrors: [] as string[] };
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: readFileSync(pki.key), cert: readFileSync(pki.cert) }, (tlsSocket) => {
    stats.secure++;
    const plain = connect(targetPort, '127.0.0.1');
    for (const s of [tlsSocket, plain]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    tlsSocket.pipe(plain).pipe(tlsSocket);
    tlsSocket.on('close', () => plain.destroy());
    plain.on('close', () => tlsSocket.destroy());
  });
  server.on('tlsClientError', (err) => stats.clientErrors.push(err.message));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, stats };
}

const timers = '&response_timeout_ms=5000&reconnect_initial_ms=50&reconnect_max_ms=200&connect_timeout_ms=5000';

t.test('SMPP over TLS', async (t) => {
  const dir = t.testdir({});
  const good = makePki(dir, 'smsc');
  const other = makePki(dir, 'stranger');

  t.test('a push goes through a TLS SMSC whose certificate the configured CA signed', async (t) => {
    const sim = await simulator(t, { receiptDelayMs: false });
    const front = await tlsFront(t, good, sim.port);
    const cfg = parseSmscUrl(`ssmpp://mmsc:secret@127.0.0.1:${front.port}?tls_ca=${encodeURIComponent(good.ca)}${timers}`);
    t.match(cfg, { tls: true, tlsCa: good.ca });
    const link = new SmscLink(cfg);
    link.start();
    t.teardown(() => link.stop());
    await until(() => link.up, 'the TLS link to bind', 15_000);
    t.equal(front.stats.secure, 1, 'bound over one verified TLS connection');
    t.equal(sim.boundSessions, 1);
    const got = sim.nextPush();
    const payload = bytes(300, 7);
    const outcome = await new SmppPushTransport(new SmscPool([link])).push('+15551230000', payload, 'tls');
    t.equal(outcome.ok, true, 'the SMSC accepted the push');
    t.same((await got).payload, payload, 'the simulator got the push (two segments) intact through TLS');
  });

  t.test('a certificate from another CA is refused: no bind, the reason in the link status', async (t) => {
    const sim = await simulator(t, { receiptDelayMs: false });
    const front = await tlsFront(t, other, sim.port);
    const link = new SmscLink(parseSmscUrl(`ssmpp://mmsc:secret@127.0.0.1:${front.port}?tls_ca=${encodeURIComponent(good.ca)}${timers}`));
    link.start();
    t.teardown(() => link.stop());
    // Two refused handshakes: the link keeps trying (with back-off) and keeps refusing.
    await until(() => front.stats.clientErrors.length >= 2 || false, 'two refused TLS handshakes', 15_000);
    t.match(link.status().lastError ?? '', /certificate/i, `the link says why: ${link.status().lastError}`);
    t.equal(link.up, false, 'not bound');
    t.equal(sim.boundSessions, 0, 'the SMSC behind the TLS front never saw a bind');
    t.match(await link.submit({ destination: '+15551230000', userData: bytes(20) }), { ok: false, temporary: true, sent: false }, 'a push fails as temporary (the queue keeps it)');
  });

  t.test('without tls_ca the system roots decide: a private CA is refused too', async (t) => {
    const sim = await simulator(t, { receiptDelayMs: false });
    const front = await tlsFront(t, good, sim.port);
    const link = new SmscLink(parseSmscUrl(`ssmpp://mmsc:secret@127.0.0.1:${front.port}?${timers.slice(1)}`));
    link.start();
    t.teardown(() => link.stop());
    await until(() => front.stats.clientErrors.length >= 1 || false, 'a refused TLS handshake', 15_000);
    t.equal(sim.boundSessions, 0, 'no bind: the smpp package would have accepted any certificate');
  });

  t.test('tls_ca must name a readable PEM certificate, and only for ssmpp://', async (t) => {
    t.throws(() => parseSmscUrl(`ssmpp://u:p@h?tls_ca=${encodeURIComponent(join(dir, 'missing.pem'))}`), { name: 'ConfigError', key: 'smsc.url?tls_ca', message: /ENOENT/ });
    t.throws(() => parseSmscUrl(`ssmpp://u:p@h?tls_ca=${encodeURIComponent(good.key)}`), /smsc\.url\?tls_ca.*no PEM certificate/);
    t.throws(() => parseSmscUrl(`smpp://u:p@h?tls_ca=${encodeURIComponent(good.ca)}`), /only for TLS/);
  });
});
