import { connect, createServer, type Socket } from 'node:net';

/**
 * Minimal pcap writer for interop tests: wraps payloads in Ethernet/IPv4/TCP (or UDP) frames so that
 * tshark's own dissectors (HTTP -> MMSE, SMPP, WSP) decode what we emit.
 */
function ipv4Header(payloadLen: number, proto: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLen, 2);
  h.writeUInt16BE(1, 4);
  h[8] = 64;
  h[9] = proto;
  Buffer.from([127, 0, 0, 1]).copy(h, 12);
  Buffer.from([127, 0, 0, 1]).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

function ethernet(ip: Buffer): Buffer {
  const e = Buffer.alloc(14);
  e.writeUInt16BE(0x0800, 12);
  return Buffer.concat([e, ip]);
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

export function tcpFrame(s: TcpSegment): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(s.srcPort, 0);
  tcp.writeUInt16BE(s.dstPort, 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp.writeUInt32BE(s.ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = s.flags;
  tcp.writeUInt16BE(65535, 14);
  const seg = Buffer.concat([tcp, s.payload]);
  return ethernet(Buffer.concat([ipv4Header(seg.length, 6), seg]));
}

export function udpFrame(srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const seg = Buffer.concat([udp, payload]);
  return ethernet(Buffer.concat([ipv4Header(seg.length, 17), seg]));
}

export function pcapFile(frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20); // Ethernet
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000 + i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([head, ...recs]);
}

/** One HTTP request per TCP connection (handshake, request in <= 1400-octet segments, close). */
export function httpPostPcap(bodies: Buffer[], contentType = 'application/vnd.wap.mms-message'): Buffer {
  const frames: Buffer[] = [];
  bodies.forEach((body, i) => {
    const cport = 40000 + i;
    const req = Buffer.concat([
      Buffer.from(`POST /mms HTTP/1.1\r\nHost: mmsc\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`),
      body,
    ]);
    let seq = 1000;
    frames.push(tcpFrame({ srcPort: cport, dstPort: 80, seq: seq - 1, ack: 0, flags: 0x02, payload: Buffer.alloc(0) }));
    frames.push(tcpFrame({ srcPort: 80, dstPort: cport, seq: 4999, ack: seq, flags: 0x12, payload: Buffer.alloc(0) }));
    for (let off = 0; off < req.length; off += 1400) {
      const chunk = req.subarray(off, off + 1400);
      frames.push(tcpFrame({ srcPort: cport, dstPort: 80, seq, ack: 5000, flags: 0x18, payload: chunk }));
      seq += chunk.length;
    }
  });
  return pcapFile(frames);
}

/**
 * A TCP relay between a client and `targetPort` that records both directions as they pass, so a
 * test can hand tshark exactly the bytes that went over the wire (no live capture, no race with a
 * capture process starting). `pcap()` writes each connection as a TCP stream: handshake, every
 * chunk read as one segment with running sequence numbers, so tshark reassembles PDUs that span
 * chunks as it would on a real capture.
 */
export async function recordingProxy(targetPort: number): Promise<{ port: number; pcap(): Buffer; close(): Promise<void> }> {
  type Chunk = { fromClient: boolean; data: Buffer };
  const conns: Array<{ cport: number; chunks: Chunk[] }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const rec = { cport: 30000 + conns.length, chunks: [] as Chunk[] };
    conns.push(rec);
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => {
      rec.chunks.push({ fromClient: true, data: d });
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      rec.chunks.push({ fromClient: false, data: d });
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    pcap() {
      const frames: Buffer[] = [];
      for (const c of conns) {
        let cseq = 1000;
        let sseq = 5000;
        frames.push(tcpFrame({ srcPort: c.cport, dstPort: targetPort, seq: cseq - 1, ack: 0, flags: 0x02, payload: Buffer.alloc(0) }));
        frames.push(tcpFrame({ srcPort: targetPort, dstPort: c.cport, seq: sseq - 1, ack: cseq, flags: 0x12, payload: Buffer.alloc(0) }));
        for (const ch of c.chunks) {
          // Frames of at most 1400 octets, as a 1500-octet MTU would cut them.
          for (let off = 0; off < ch.data.length; off += 1400) {
            const payload = ch.data.subarray(off, off + 1400);
            if (ch.fromClient) {
              frames.push(tcpFrame({ srcPort: c.cport, dstPort: targetPort, seq: cseq, ack: sseq, flags: 0x18, payload }));
              cseq += payload.length;
            } else {
              frames.push(tcpFrame({ srcPort: targetPort, dstPort: c.cport, seq: sseq, ack: cseq, flags: 0x18, payload }));
              sseq += payload.length;
            }
          }
        }
      }
      return pcapFile(frames);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
