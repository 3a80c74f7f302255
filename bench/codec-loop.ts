/**
 * One codec operation in a loop, for instruction counts (bench/codec-instructions.sh runs it under
 * callgrind at two iteration counts; the difference cancels start-up and warm-up):
 *   node dist/bench/codec-loop.js parseNotification|parseRetrieveConf|composeSendReq ITERATIONS
 */
import { decode, MmsEncoder } from '../protocol/mms/index.js';
import { buildSendReq, loadVectors } from './codec-vectors.js';

const [op, count] = process.argv.slice(2);
const n = Number(count);
if (!Number.isInteger(n) || n < 0) throw new Error('usage: codec-loop.js OPERATION ITERATIONS');
const v = loadVectors();
const encoder = new MmsEncoder();
const ops: Record<string, () => number> = {
  parseNotification: () => (decode(v.notification) as { messageSize?: number }).messageSize ?? 0,
  parseRetrieveConf: () => decode(v.retrieveConf).parts!.length,
  composeSendReq: () => encoder.encode(buildSendReq(v.smil, v.jpeg, v.text)).length,
};
const fn = ops[op ?? ''];
if (!fn) throw new Error(`unknown operation ${op} (one of ${Object.keys(ops).join(', ')})`);
let sink = 0;
for (let i = 0; i < n; i++) sink += fn();
if (n > 0 && sink === 0) throw new Error('the loop produced nothing');
