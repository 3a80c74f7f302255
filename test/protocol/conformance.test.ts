import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode, type MmsPdu } from '../../protocol/mms/index.js';
import { DecodeError } from '../../protocol/wsp/index.js';
import { decodeUserData, Reassembler } from '../../protocol/push/wdp.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { CONFORMANCE_DIR as dir, requiresConformance } from '../support/requires.js';

const indexPath = join(dir, 'index.json');
const skip = requiresConformance();

interface Entry {
  file: string;
  kind: string;
  message_type?: string;
  transaction_id?: string | null;
  mms_version?: string | null;
  from?: string | null;
  to?: string[];
  subject?: string | null;
  content_type?: string | null;
  part_count?: number | null;
  part_content_types?: string[] | null;
  parts?: Array<Record<string, unknown>>;
  other_fields?: Record<string, unknown>;
  undetermined?: string[];
  expect_decode_error?: boolean;
  embedded_mms?: string;
  udh?: { concat?: { ref: number; total: number; seq: number }; dest_port?: number; src_port?: number; udh_length: number };
  payload_size?: number;
  reassembles_to?: string;
  tid?: number;
  body_size?: number;
  content_type_wsp?: string;
}

const token = (s: unknown): string => String(s).toLowerCase().replace(/ /g, '-');

/** Maps the index's field names to ours and compares the values the index recorded. */
function checkFields(t: Test, pdu: MmsPdu, e: Entry): void {
  const undetermined = new Set(e.undetermined ?? []);
  t.equal(pdu.type, e.message_type, 'message type');
  if (!undetermined.has('transaction_id')) t.equal(pdu.transactionId ?? null, e.transaction_id ?? null, 'transaction id');
  if (!undetermined.has('mms_version')) t.equal(pdu.mmsVersion ?? null, e.mms_version ?? null, 'version');
  if (!undetermined.has('from')) t.equal(pdu.from ?? null, e.from ?? null, 'from');
  t.same(pdu.to ?? [], e.to ?? [], 'to');
  if (e.subject !== null && e.subject !== undefined && !undetermined.has('subject')) t.equal(pdu.subject, e.subject, 'subject');
  if (e.subject === null && !undetermined.has('subject') && !('subject_hex' in e)) t.equal(pdu.subject, undefined, 'no subject');
  t.equal(pdu.contentType?.type ?? null, e.content_type ?? null, 'content type');
  t.equal(pdu.parts?.length ?? null, e.part_count ?? null, 'part count');
  if (e.part_content_types) t.same(pdu.parts?.map((p) => p.contentType.type.toLowerCase()), e.part_content_types.map((c) => c.toLowerCase()), 'part types');
  (e.parts ?? []).forEach((want, i) => {
    const got = pdu.parts?.[i];
    if (!got) return t.fail(`part ${i} missing`);
    t.equal(got.data.length, want.size, `part ${i} size`);
    if (want.content_id !== undefined) t.equal(got.contentId?.replace(/^"/, ''), want.content_id, `part ${i} content-id`);
    if (want.content_location !== undefined) t.equal(got.contentLocation, want.content_location, `part ${i} content-location`);
    if (want.charset !== undefined) t.equal(got.contentType.params.charset, want.charset, `part ${i} charset`);
    if (want.name !== undefined) t.equal(got.contentType.params.name ?? got.contentType.params.filename, want.name, `part ${i} name`);
    const cd = want.content_disposition as { value?: string; filename?: string } | undefined;
    if (cd) {
      t.equal(got.contentDisposition?.type, cd.value, `part ${i} disposition`);
      if (cd.filename) t.equal(got.contentDisposition?.params.filename, cd.filename, `part ${i} disposition filename`);
    }
  });
  const o = e.other_fields ?? {};
  const rec = pdu as unknown as Record<string, unknown>;
  const direct: Record<string, string> = {
    message_size: 'messageSize',
    content_location: 'contentLocation',
    date: 'date',
    message_id: 'messageId',
    response_text: 'responseText',
    retrieve_text: 'retrieveText',
  };
  for (const [k, v] of Object.entries(o)) {
    if (undetermined.has(k)) continue;
    if (direct[k]) t.equal(rec[direct[k]!], v, k);
    else if (k === 'expiry') t.same(pdu.expiry, v, k);
    else if (k === 'message_class') t.equal(token(pdu.messageClass), token(v), k);
    else if (k === 'application_headers') {
      const names = (pdu.unknownHeaders ?? []).flatMap((u) => ('name' in u ? [u.name] : []));
      t.same(names, v, k);
    } else if (k === 'other_headers') {
      t.ok(pdu.previouslySentBy?.length && pdu.previouslySentDate?.length, k);
    } else if (k.startsWith('X-Mms-')) {
      const field = k.slice(6).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      const f = field[0]!.toLowerCase() + field.slice(1);
      const got = rec[f];
      if (v === 'Yes' || v === 'No') t.equal(got, v === 'Yes', k);
      else t.equal(token(got), token(v), k);
    } else t.fail(`unmapped expectation ${k}`);
  }
}

t.test('conformance corpus', { skip }, async (t) => {
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { files: Entry[] };
  let checked = 0;
  for (const e of index.files) {
    const bytes = readFileSync(join(dir, e.file));
    if (e.kind === 'mms-pdu') {
      checked++;
      if (e.expect_decode_error) {
        t.throws(() => decode(bytes, { strict: true }), DecodeError, `${e.file}: strict decoding refuses it`);
        try {
          const pdu = decode(bytes);
          t.ok(pdu.warnings && pdu.warnings.length > 0, `${e.file}: lenient decoding recovers with warnings`);
        } catch (err) {
          t.type(err, DecodeError, `${e.file}: lenient decoding gives a DecodeError`);
        }
        continue;
      }
      await t.test(e.file, async (t) => {
        const pdu = decode(bytes, { strict: true });
        checkFields(t, pdu, e);
        // Equivalent after our own encoding.
        const again = decode(encode(pdu), { strict: true });
        checkFields(t, again, e);
      });
    } else if (e.kind === 'wsp-push-pdu') {
      checked++;
      if (e.expect_decode_error) {
        // Either refused, or its body is not a well-formed MMS PDU.
        let failed = false;
        try {
          decode(decodeWspPush(bytes).body, { strict: true });
        } catch (err) {
          failed = err instanceof DecodeError;
        }
        t.ok(failed, `${e.file}: refused`);
        continue;
      }
      const push = decodeWspPush(bytes);
      t.equal(push.tid, e.tid, `${e.file}: tid`);
      t.equal(push.body.length, e.body_size, `${e.file}: body size`);
      if (e.embedded_mms) t.same(Buffer.from(push.body), readFileSync(join(dir, e.embedded_mms)), `${e.file}: carries ${e.embedded_mms}`);
    }
  }
  t.comment(`checked ${checked} conformance files from ${dir}`);
  t.ok(checked > 0, 'the corpus is present, so files must have been checked');
});

t.test("carriers' SMS segments reassemble into the corpus' WSP pushes and decode", { skip }, async (t) => {
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { files: Entry[] };
  const byFile = new Map(index.files.map((e) => [e.file, e]));
  const segments = index.files.filter((e) => e.kind === 'sms-user-data');
  t.ok(segments.length >= 13, `${segments.length} SMS user-data segments in the corpus`);
  // Each segment's UDH as the index recorded it.
  for (const e of segments) {
    const ud = decodeUserData(readFileSync(join(dir, e.file)));
    const want = e.udh!;
    t.equal(ud.body.length, e.payload_size, `${e.file}: payload after a ${want.udh_length}-octet UDH`);
    t.equal(ud.header.ports?.destination, want.dest_port, `${e.file}: destination port`);
    t.equal(ud.header.ports?.source, want.src_port, `${e.file}: source port`);
    if (want.concat) t.match(ud.header.concat, { reference: want.concat.ref, total: want.concat.total, sequence: want.concat.seq }, `${e.file}: concatenation`);
    else t.equal(ud.header.concat, undefined, `${e.file}: not concatenated`);
  }
  // Segments of one push, fed in reverse order (a network does not promise order), give the push.
  const sets = new Map<string, Entry[]>();
  for (const e of segments) sets.set(e.reassembles_to!, [...(sets.get(e.reassembles_to!) ?? []), e]);
  t.ok(sets.size >= 7, `${sets.size} pushes`);
  for (const [wspFile, segs] of sets) {
    await t.test(wspFile, async (t) => {
      const reassembler = new Reassembler();
      const ordered = [...segs].sort((a, b) => (b.udh!.concat?.seq ?? 1) - (a.udh!.concat?.seq ?? 1));
      let result;
      for (const [i, e] of ordered.entries()) {
        result = reassembler.accept('+33600000000', readFileSync(join(dir, e.file)), 0);
        if (i < ordered.length - 1) t.match(result, { status: 'pending', received: i + 1, total: segs.length }, `after ${e.file}: waiting for the rest`);
      }
      if (result?.status !== 'complete') return t.fail(`not reassembled: ${JSON.stringify(result)}`);
      t.equal(result.datagram.segments, segs.length, 'every segment used');
      t.equal(result.datagram.ports?.destination, 2948, 'to the WAP Push port');
      t.same(result.datagram.payload, readFileSync(join(dir, wspFile)), `the bytes of ${wspFile}`);
      const w = byFile.get(wspFile)!;
      if (w.expect_decode_error) {
        t.throws(() => decode(decodeWspPush(result.datagram.payload).body, { strict: true }), DecodeError, 'known malformed: refused');
        return;
      }
      const push = decodeWspPush(result.datagram.payload);
      t.equal(push.tid, w.tid, 'tid');
      t.equal(push.body.length, w.body_size, 'body size');
      if (!w.embedded_mms) {
        t.not(push.contentType.type, 'application/vnd.wap.mms-message', `not an MMS push (${push.contentType.type})`);
        return;
      }
      t.equal(push.contentType.type, 'application/vnd.wap.mms-message', 'an MMS push');
      t.same(Buffer.from(push.body), readFileSync(join(dir, w.embedded_mms)), `carries ${w.embedded_mms}`);
      const mms = byFile.get(w.embedded_mms)!;
      if (mms.expect_decode_error) {
        const pdu = decode(push.body);
        t.ok(pdu.warnings?.length, 'known malformed notification: decoded leniently, with warnings');
      } else checkFields(t, decode(push.body, { strict: true }), mms);
    });
  }
});
