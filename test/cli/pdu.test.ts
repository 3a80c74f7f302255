import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decode, encode } from '../../protocol/mms/index.js';

const root = resolve(import.meta.dirname, '../..');
const run = (args: string[], input?: Buffer) =>
  spawnSync(process.execPath, ['--import', resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs'), resolve(root, 'src/cli/pdu.ts'), ...args], { input, encoding: 'buffer' });

t.test('decode then encode reproduces an equivalent PDU', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-pdu-'));
  const original = encode({
    type: 'm-send-req',
    transactionId: 'T1',
    mmsVersion: '1.2',
    from: '<insert-address-token>',
    to: ['+15551234567/TYPE=PLMN'],
    subject: 'Grüße',
    contentType: { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<s>' } },
    parts: [
      { contentType: { type: 'application/smil', params: {} }, contentId: '<s>', data: Buffer.from('<smil/>') },
      { contentType: { type: 'image/jpeg', params: { name: 'a.jpg' } }, contentLocation: 'a.jpg', data: Buffer.from([0xff, 0xd8, 0, 1, 2]) },
    ],
  });
  writeFileSync(join(dir, 'in.mms'), original);
  const dec = run(['decode', join(dir, 'in.mms'), '--data']);
  t.equal(dec.status, 0, dec.stderr.toString());
  const json = JSON.parse(dec.stdout.toString());
  t.equal(json.subject, 'Grüße');
  writeFileSync(join(dir, 'pdu.json'), dec.stdout);
  const enc = run(['encode', join(dir, 'pdu.json')]);
  t.equal(enc.status, 0, enc.stderr.toString());
  t.same(decode(enc.stdout), decode(original), 'equivalent after the round trip');

  const summary = JSON.parse(run(['decode', join(dir, 'in.mms')]).stdout.toString());
  t.match(summary.parts[1].data, { size: 5, sha256: /^[0-9a-f]{64}$/ }, 'bodies summarised by default');
  void readFileSync;
});

t.test('errors go to stderr with a non-zero exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-pdu-'));
  writeFileSync(join(dir, 'bad.mms'), Buffer.from('8c20', 'hex'));
  const bad = run(['decode', join(dir, 'bad.mms')]);
  t.not(bad.status, 0);
  t.match(bad.stderr.toString(), /decode error at offset \d+/);
  t.equal(bad.stdout.length, 0);
  const usage = run([]);
  t.equal(usage.status, 2);
  writeFileSync(join(dir, 'x.json'), '{"type":"m-send-conf","mmsVersion":"1.2"}');
  const enc = run(['encode', join(dir, 'x.json')]);
  t.equal(enc.status, 1);
  t.match(enc.stderr.toString(), /missing mandatory transactionId, responseStatus/);
});
