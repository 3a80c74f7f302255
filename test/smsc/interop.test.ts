/**
 * tshark (Wireshark's dissectors, which we did not write) decodes the SMPP traffic the gateway
 * emits: the WAP Push of a real send - MM1 m-send-req in, notification out through the relay, the
 * push encoder, WDP segmentation and the SMPP link - for a notification that fits one SMS and for
 * one that takes several concatenated ones; and a live capture on the loopback interface.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { decode, encode, type NotificationInd } from '../../protocol/mms/index.js';
import { defaultConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';
import type { SimulatedPush } from '../../src/smsc-sim/simulator.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { SmscPool } from '../../src/smsc/pool.js';
import { SmppPushTransport } from '../../src/smsc/push-transport.js';
import { recordingProxy } from '../support/pcap.js';
import { CONFORMANCE_DIR, requiresConformance, requiresTshark } from '../support/requires.js';
import { problems } from '../support/tshark.js';
import { boundLink, linkConfig, simulator, until } from './helpers.js';

const tsharkSkip = requiresTshark();
const corpusSkip = requiresConformance();

/** tshark's verbose decode of the SMPP frames in `pcap` (the SMPP port named, as a capture filter would). */
function tsharkSmpp(t: Test, pcap: Buffer, port: number): string {
  const dir = t.testdir({});
  const file = join(dir, 'smpp.pcap');
  writeFileSync(file, pcap);
  const r = spawnSync('tshark', ['-r', file, '-d', `tcp.port==${port},smpp`, '-V', '-Y', 'smpp'], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, HOME: dir } });
  return `${r.stdout}${r.stderr}`;
}

/** A gateway on an SMSC simulator reached through a recording relay; sends one m-send-req over MM1. */
async function gatewaySend(t: Test, subject: string): Promise<{ text: string; pushes: SimulatedPush[]; notification: NotificationInd; messageId: string }> {
  const sim = await simulator(t, { receiptDelayMs: false });
  const proxy = await recordingProxy(sim.port);
  t.teardown(() => proxy.close());
  const pushes: SimulatedPush[] = [];
  sim.onPush((p) => pushes.push(p));
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${proxy.port}` };
  const gw = await startGateway({ config, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  t.teardown(() => gw.stop());
  const to = '+15550001234';
  const res = await fetch(`${gw.url}/mms`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.wap.mms-message', 'x-msisdn': '15550000001' },
    body: encode({
      type: 'm-send-req',
      transactionId: 'interop-1',
      mmsVersion: '1.2',
      from: '<insert-address-token>',
      to: [`${to}/TYPE=PLMN`],
      subject,
      contentType: { type: 'application/vnd.wap.multipart.mixed', params: {} },
      parts: [{ contentType: { type: 'text/plain', params: { charset: 'utf-8' } }, data: Buffer.from('hello') }],
    }),
  });
  const conf = decode(Buffer.from(await res.arrayBuffer()));
  if (conf.type !== 'm-send-conf' || conf.responseStatus !== 'ok') throw new Error(`m-send-req answered ${JSON.stringify(conf)}`);
  await until(() => pushes.some((p) => p.to === to), 'the notification push', 15_000);
  // The submit_sm_resp too must have passed the relay before the capture is read.
  await until(() => /Submit_sm - resp/.test(tsharkSmpp(t, proxy.pcap(), sim.port)) || false, 'the submit_sm_resp in the capture', 15_000);
  const push = pushes.find((p) => p.to === to)!;
  const notification = decode(decodeWspPush(push.payload).body, { strict: true }) as NotificationInd;
  return { text: tsharkSmpp(t, proxy.pcap(), sim.port), pushes, notification, messageId: conf.messageId! };
}

/** What tshark must show for the gateway's m-notification-ind, wherever it was reassembled. */
function checkNotification(t: Test, text: string, n: NotificationInd): void {
  t.match(text, /Wireless Session Protocol/);
  t.match(text, /PDU Type: Push \(0x06\)/);
  t.match(text, /Content-Type: application\/vnd\.wap\.mms-message/);
  t.match(text, /X-Wap-Application-Id: x-wap-application:mms\.ua/);
  t.match(text, /MMS Message Encapsulation/);
  t.match(text, /X-Mms-Message-Type: m-notification-ind/);
  t.ok(text.includes(`X-Mms-Transaction-ID: ${n.transactionId}`), `transaction id ${n.transactionId} shown`);
  t.ok(text.includes(`X-Mms-Content-Location: ${n.contentLocation}`), 'content location shown as the gateway wrote it');
  t.match(text, new RegExp(`X-Mms-Message-Size: ${n.messageSize}\\b`), 'message size shown');
  // SMPP's own "Unknown (0x00)" is a legitimate type of number / numbering plan, not a dissector complaint.
  t.same(problems(text).filter((l) => !/Type of number|Numbering plan indicator/.test(l)), [], 'no malformed or expert-error marks');
  t.notMatch(text, /Expert Info \((Error|Warning)/, 'no expert errors or warnings');
}

t.test("the gateway's WAP Push of a real send, as tshark decodes it", { skip: tsharkSkip }, async (t) => {
  t.test('a notification that fits one SMS', async (t) => {
    const { text, pushes, notification } = await gatewaySend(t, 'hi');
    t.equal(pushes[0]!.segments, 1, 'one segment');
    t.equal((text.match(/Operation: Submit_sm \(0x00000004\)/g) ?? []).length, 1, 'one submit_sm');
    t.match(text, /Destination port: .*\(2948\)/, 'UDH 16-bit WAP Push port');
    t.notMatch(text, /Concatenated short messages/i, 'no concatenation element');
    checkNotification(t, text, notification);
  });

  t.test('a notification that takes several concatenated SMS', async (t) => {
    const subject = 'A subject long enough that the m-notification-ind cannot fit one 140-octet SMS, not even close';
    const { text, pushes, notification } = await gatewaySend(t, subject);
    const n = pushes[0]!.segments;
    t.ok(n >= 2, `${n} segments`);
    t.equal((text.match(/Operation: Submit_sm \(0x00000004\)/g) ?? []).length, n, 'one submit_sm per segment');
    t.match(text, /Concatenated short messages/i, 'a concatenation element');
    const seqs = [...text.matchAll(/Message part number: (\d+)/g)].map((m) => Number(m[1]));
    t.same([...new Set(seqs)].sort(), Array.from({ length: n }, (_, i) => i + 1), 'every part number, 1..n');
    t.ok([...text.matchAll(/Message parts: (\d+)/g)].every((m) => Number(m[1]) === n), `every segment says ${n} parts`);
    t.match(text, /Reassembled in|Short Message body reassembled|\[\d+ Short Message fragments/i, 'tshark reassembled the segments');
    t.ok(text.includes(`Subject: ${subject}`), 'the subject, split over segments, is whole again');
    checkNotification(t, text, notification);
  });
});

t.test('a live capture on lo: submit_sm -> UDH -> WSP push -> MMS notification without malformed marks', { skip: tsharkSkip || corpusSkip }, async (t) => {
  const NOTIFICATION = join(CONFORMANCE_DIR, 'mms/gammu/notification-ind-1.2-fr-lab.mms');
  const sim = await simulator(t, { receiptDelayMs: false });
  const dir = t.testdir({});
  const pcap = join(dir, 'smpp.pcap');
  const cap = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${sim.port}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: dir } });
  let stderr = '';
  cap.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cap.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (cap.exitCode === null) cap.kill('SIGKILL');
  });
  await until(() => /Capturing on/.test(stderr) || cap.exitCode !== null, 'tshark to start capturing', 15_000);
  t.equal(cap.exitCode, null, `tshark capturing (${stderr.trim()})`);
  // "Capturing on" can precede the filter being live: probe with bare TCP connects until one shows up.
  for (let i = 0; !/SYN/.test(existsSync(pcap) ? liveDecode(pcap, sim.port, false) : ''); i++) {
    if (i > 100) throw new Error('the capture never saw traffic');
    await new Promise<void>((resolve) => {
      const s = connect(sim.port, '127.0.0.1', () => s.end());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
  }

  // A carrier's m-notification-ind from the corpus in a connectionless WSP Push: TID 1, Push,
  // HeadersLen 3, CT 0xBE, X-Wap-Application-Id mms.ua.
  const payload = Buffer.concat([Buffer.from([0x01, 0x06, 0x03, 0xbe, 0xaf, 0x84]), readFileSync(NOTIFICATION)]);
  const link = await boundLink(t, linkConfig(sim.port));
  const transport = new SmppPushTransport(new SmscPool([link]));
  const got = sim.nextPush();
  const outcome = await transport.push('+33612345678', payload, 'interop');
  t.equal(outcome.ok, true, 'the SMSC accepted the push');
  t.same((await got).payload, payload, 'the simulator reassembled the same push');
  await link.stop();
  // tshark writes in batches: wait until the capture holds the unbind, then stop it.
  await until(() => existsSync(pcap) && /Unbind/.test(liveDecode(pcap, sim.port, false)), 'the capture to contain the session', 15_000);
  cap.kill('SIGINT');
  await exited;

  const text = liveDecode(pcap, sim.port, true);
  t.match(text, /Operation: Submit_sm \(0x00000004\)/);
  t.match(text, /Destination port: .*\(2948\)/, 'UDH 16-bit port element decoded');
  t.match(text, /PDU Type: Push \(0x06\)/);
  t.match(text, /X-Wap-Application-Id: x-wap-application:mms\.ua/);
  t.match(text, /X-Mms-Message-Type: m-notification-ind/);
  t.notMatch(text, /Malformed/i, 'no malformed packet marks');
  t.notMatch(text, /Expert Info \((Error|Warning)/, 'no expert errors or warnings');
});

function liveDecode(pcap: string, port: number, verbose: boolean): string {
  // Verbose output only for SMPP frames: the probe connections carry no SMPP.
  const r = spawnSync('tshark', ['-r', pcap, '-d', `tcp.port==${port},smpp`, ...(verbose ? ['-V', '-Y', 'smpp'] : [])], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}
