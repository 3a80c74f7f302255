import t from 'tap';
import { encode, MESSAGE_TYPES, type MmsPdu } from '../../protocol/mms/index.js';
import { httpPostPcap } from '../support/pcap.js';
import { requiresTshark } from '../support/requires.js';
import { problems, tsharkVerbose } from '../support/tshark.js';
import { randomPdu, rng } from './gen.js';

const skip = requiresTshark();

t.test('tshark decodes every message type we encode', { skip }, async (t) => {
  const r = rng(99);
  // Wireshark 4.0's MMSE dissector knows message types up to m-mbox-descr (0x93); the MMS 1.3
  // additions (m-delete-*, m-cancel-*) it shows as "Unknown type", so it cannot vouch for them.
  const known = MESSAGE_TYPES.filter((_, i) => 0x80 + i <= 0x93);
  // Its header table likewise ends at 0xB3, so MMS 1.3 fields such as X-Mms-Status-Text (0xB6) are
  // left out of what we ask it to check.
  const pdus: MmsPdu[] = known.map((type) => {
    const pdu = randomPdu(r, type);
    delete pdu.statusText;
    return pdu;
  });
  const out = tsharkVerbose(httpPostPcap(pdus.map((p) => encode(p))));
  const packets = out.split(/\n(?=Frame \d+:)/).filter((p) => /MMS Message Encapsulation/.test(p));
  t.equal(packets.length, pdus.length, 'one MMSE packet per PDU');
  pdus.forEach((pdu, i) => {
    const pkt = packets[i] ?? '';
    t.same(problems(pkt), [], `${pdu.type}: no malformed or expert-error marks`);
    t.match(pkt, new RegExp(`X-Mms-Message-Type: ${pdu.type}`), `${pdu.type}: message type shown`);
    if (pdu.transactionId) t.ok(pkt.includes(`X-Mms-Transaction-ID: ${pdu.transactionId}`), `${pdu.type}: transaction id shown`);
    t.match(pkt, new RegExp(`X-Mms-MMS-Version: ${pdu.mmsVersion!.replace('.', '\\.')}`), `${pdu.type}: version shown`);
    if (pdu.contentLocation) t.ok(pkt.includes(pdu.contentLocation), `${pdu.type}: content location shown`);
    for (const to of pdu.to ?? []) if (/^[\x20-\x7e]+$/.test(to)) t.ok(pkt.includes(`To: ${to}`), `${pdu.type}: To ${to}`);
    // Every part, in order, with its content type: no more, no fewer.
    const shown = [...pkt.matchAll(/^\s*Part: (\d+), content-type: (\S+)/gm)].map((m) => `${m[1]} ${m[2]!.toLowerCase()}`);
    t.same(shown, (pdu.parts ?? []).map((p, k) => `${k + 1} ${p.contentType.type.toLowerCase()}`), `${pdu.type}: parts shown`);
  });
});
