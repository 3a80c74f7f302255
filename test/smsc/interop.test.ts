import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { SmscPool } from '../../src/smsc/pool.js';
import { SmppPushTransport } from '../../src/smsc/push-transport.js';
import { boundLink, linkConfig, simulator, until } from './helpers.js';

const TSHARK = '/usr/bin/tshark';
const NOTIFICATION = '/work/shared/conformance/mms/gammu/notification-ind-1.2-fr-lab.mms';

/** Connectionless WSP Push of an m-notification-ind: TID 1, Push, HeadersLen 3, CT 0xBE, X-Wap-Application-Id mms.ua. */
function wspPush(mms: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x01, 0x06, 0x03, 0xbe, 0xaf, 0x84]), mms]);
}

t.test('tshark decodes submit_sm -> UDH -> WSP push -> MMS notification without malformed marks', async (t) => {
  if (!existsSync(TSHARK)) {
    t.comment(`SKIP: ${TSHARK} is not installed, interop capture not run`);
    t.pass('skipped without tshark');
    return;
  }
  const sim = await simulator(t, { receiptDelayMs: false });
  const dir = t.testdir({});
  const pcap = join(dir, 'smpp.pcap');
  const cap = spawn(TSHARK, ['-i', 'lo', '-f', `tcp port ${sim.port}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  cap.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cap.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (cap.exitCode === null) cap.kill('SIGKILL');
  });
  await until(() => /Capturing on/.test(stderr) || cap.exitCode !== null, 'tshark to start capturing', 15_000);
  t.equal(cap.exitCode, null, `tshark capturing (${stderr.trim()})`);
  // "Capturing on" can precede the filter being live: probe with bare TCP connects until one shows up.
  for (let i = 0; !/SYN/.test(existsSync(pcap) ? decode(pcap, sim.port, false) : ''); i++) {
    if (i > 50) throw new Error('the capture never saw traffic');
    await new Promise<void>((resolve) => {
      const s = connect(sim.port, '127.0.0.1', () => s.end());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
  }

  const mms = readFileSync(NOTIFICATION);
  const payload = wspPush(mms);
  const link = await boundLink(t, linkConfig(sim.port));
  const transport = new SmppPushTransport(new SmscPool([link]));
  const got = sim.nextPush();
  const outcome = await transport.push('+33612345678', payload, 'interop');
  t.ok(outcome.ok);
  t.same((await got).payload, payload);
  await link.stop();
  // tshark writes in batches: wait until the capture holds the unbind, then stop it.
  await until(() => existsSync(pcap) && /Unbind/.test(decode(pcap, sim.port, false)), 'the capture to contain the session', 15_000);
  cap.kill('SIGINT');
  await exited;

  const text = decode(pcap, sim.port, true);
  t.match(text, /Short Message Peer to Peer/);
  t.match(text, /Operation: Submit_sm \(0x00000004\)/);
  t.match(text, /Destination port: .*\(2948\)/, 'UDH 16-bit port element decoded');
  t.match(text, /Wireless Session Protocol/);
  t.match(text, /PDU Type: Push \(0x06\)/);
  t.match(text, /application\/vnd\.wap\.mms-message/);
  t.match(text, /X-Wap-Application-Id: x-wap-application:mms\.ua/);
  t.match(text, /MMS Message Encapsulation/);
  t.match(text, /X-Mms-Message-Type: m-notification-ind/);
  t.notMatch(text, /Malformed/i, 'no malformed packet marks');
  t.notMatch(text, /Expert Info \((Error|Warning)/, 'no expert errors or warnings');
});

function decode(pcap: string, port: number, verbose: boolean): string {
  // Verbose output only for SMPP frames: the probe connections carry no SMPP.
  const r = spawnSync(TSHARK, ['-r', pcap, '-d', `tcp.port==${port},smpp`, ...(verbose ? ['-V', '-Y', 'smpp'] : [])], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}
