/**
 * The attacker of bench/hostile.ts, in a process of its own (so its sending does not run on the
 * measuring driver's event loop): `CONNECTIONS` clients that each open a connection, send a request
 * head and as much of a large body as the server takes, then stall. When the server closes one, it
 * comes back after `REOPEN_MS` - a steady population of stalled clients, not a connection flood.
 *   node dist/bench/hostile-attacker.js <kind> <url> <connections>
 * kinds:
 *   mm7    POST /mm7 without credentials, Content-Length 5 MB (vasp.maxRequestSize), sends all but the
 *          last octet (issue 16's attack);
 *   mms    POST /mms chunked from a trusted address with an MSISDN, 1 MB of chunks, no last chunk.
 * Prints one JSON line per second: connections opened, closed by the server, octets sent.
 */
import { connect, type Socket } from 'node:net';

const [kind = 'mm7', url = 'http://127.0.0.1:8080', connectionsArg = '100'] = process.argv.slice(2);
const CONNECTIONS = Number(connectionsArg);
const REOPEN_MS = Number(process.env.REOPEN_MS ?? 1000);
const u = new URL(url);
const MB = 1024 * 1024;
const block = Buffer.alloc(64 * 1024, 0x41);

let opened = 0;
let closed = 0;
let sent = 0;

function head(): string {
  if (kind === 'mm7') {
    return `POST /mm7 HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/related; type="text/xml"; boundary=b\r\nSOAPAction: ""\r\nContent-Length: ${5 * MB}\r\n\r\n`;
  }
  return `POST /mms HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/vnd.wap.mms-message\r\nX-MSISDN: 15550009999\r\nTransfer-Encoding: chunked\r\n\r\n`;
}

function one(): void {
  const s: Socket = connect({ host: u.hostname, port: Number(u.port) });
  opened++;
  let budget = kind === 'mm7' ? 5 * MB - 1 : 1 * MB;
  const pump = (): void => {
    // Write while the socket takes it; then wait for 'drain' (the server reads) or stall for good.
    while (budget > 0 && !s.destroyed) {
      const n = Math.min(block.length, budget);
      budget -= n;
      sent += n;
      const chunk = kind === 'mm7' ? block.subarray(0, n) : Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), block.subarray(0, n), Buffer.from('\r\n')]);
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
  };
  s.once('connect', () => {
    s.write(head());
    pump();
  });
  s.on('data', () => undefined);
  s.on('error', () => undefined);
  s.once('close', () => {
    closed++;
    setTimeout(one, REOPEN_MS);
  });
}

for (let i = 0; i < CONNECTIONS; i++) one();
setInterval(() => console.log(JSON.stringify({ opened, closed, sentMB: Math.round(sent / MB) })), 1000);
