/** The perf vectors of ../shared/bench/perf-vectors.py and the m-send-req the compose benchmarks build. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SendReq } from '../protocol/mms/index.js';

function vectors(): string {
  const dir = process.env.VECTOR_DIR ?? join(tmpdir(), 'mmsc-perf-vectors');
  if (!existsSync(join(dir, 'manifest.json'))) {
    mkdirSync(dir, { recursive: true });
    const script = resolve(process.env.MMS_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'), 'bench/perf-vectors.py');
    execFileSync('python3', [script, dir], { stdio: 'ignore' });
  }
  return dir;
}

export interface Vectors {
  retrieveConf: Buffer;
  notification: Buffer;
  smil: Buffer;
  jpeg: Buffer;
  text: Buffer;
  /** The reference encoding of buildSendReq's PDU. */
  sendReq: Buffer;
}

export function loadVectors(): Vectors {
  const dir = vectors();
  const read = (name: string): Buffer => readFileSync(join(dir, name));
  return {
    retrieveConf: read('retrieve-conf-100k.mms'),
    notification: read('notification-ind.mms'),
    smil: read('part-smil.smil'),
    jpeg: read('part-image.jpg'),
    text: read('part-text.txt'),
    sendReq: read('send-req-100k.mms'),
  };
}

/** The m-send-req of the vectors, built afresh (as a caller would) on every call. */
export function buildSendReq(smil: Buffer, jpeg: Buffer, text: Buffer): SendReq {
  const pdu: SendReq = {
    type: 'm-send-req',
    transactionId: 'T-bench-000000000001',
    mmsVersion: '1.2',
    date: 1700000000,
    from: '+15551234567/TYPE=PLMN',
    to: ['+15557654321/TYPE=PLMN'],
    subject: 'Perf anchor \u2014 photo \u00e9t\u00e9',
    messageClass: 'personal',
    expiry: { kind: 'relative', value: 7 * 24 * 3600 },
    priority: 'normal',
    deliveryReport: false,
    readReport: false,
    contentType: { type: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    parts: [
      {
        contentType: { type: 'application/smil', params: { charset: 'utf-8', name: 'smil.smil' } },
        contentLocation: 'smil.smil',
        contentId: '<smil>',
        data: smil,
      },
      {
        contentType: { type: 'image/jpeg', params: { name: 'image1.jpg' } },
        contentLocation: 'image1.jpg',
        contentId: '<image1>',
        data: jpeg,
      },
      {
        contentType: { type: 'text/plain', params: { charset: 'utf-8', name: 'text1.txt' } },
        contentLocation: 'text1.txt',
        contentId: '<text1>',
        data: text,
      },
    ],
  };
  return pdu;
}
