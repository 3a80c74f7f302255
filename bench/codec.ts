/**
 * Codec benchmark (issue 2): single thread, on the vectors of ../shared/bench/perf-vectors.py.
 *   npm run bench:codec            (VECTOR_DIR to reuse generated vectors, ROUNDS, SECONDS per round)
 * Prints per-round figures, then one JSON line with the medians in ops/s.
 */
import { decode, encode, MmsEncoder, type SendReq } from '../protocol/mms/index.js';
import { buildSendReq as buildSendReqOf, loadVectors } from './codec-vectors.js';

/** Runs fn repeatedly for `seconds`, returns ops/s. Checks a result so the work cannot be elided. */
function measure(fn: () => number, seconds: number): number {
  let sink = 0;
  // warm-up
  for (let i = 0; i < 2000; i++) sink += fn();
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  const start = process.hrtime.bigint();
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 256; i++) sink += fn();
    ops += 256;
    now = process.hrtime.bigint();
  }
  if (sink === 0) throw new Error('benchmark produced nothing');
  return ops / (Number(now - start) / 1e9);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function main(): void {
  const { retrieveConf: rc, notification: ni, smil, jpeg, text, sendReq: expected } = loadVectors();

  const encoder = new MmsEncoder();
  const buildSendReq = (): SendReq => buildSendReqOf(smil, jpeg, text);
  // The hot-path API (reused output area) and the allocating one (a fresh buffer per PDU).
  const composeSendReq = (): Buffer => encoder.encode(buildSendReq());
  const composeSendReqFresh = (): Buffer => encode(buildSendReq());

  // The composer must produce what the reference generator produced, or the figure is meaningless.
  if (!composeSendReq().equals(expected) || !composeSendReqFresh().equals(expected)) throw new Error('composed m-send-req differs from the reference vector');
  const parsed = decode(rc);
  if (parsed.type !== 'm-retrieve-conf' || parsed.parts?.length !== 3) throw new Error('retrieve-conf vector did not parse');

  const rounds = Number(process.env.ROUNDS ?? 7);
  const seconds = Number(process.env.SECONDS ?? 1);
  const results: Record<string, number[]> = { parseRetrieveConf: [], composeSendReq: [], parseNotification: [], composeSendReqFresh: [] };
  for (let i = 0; i < rounds; i++) {
    results.parseRetrieveConf!.push(measure(() => decode(rc).parts!.length, seconds));
    results.composeSendReq!.push(measure(() => composeSendReq().length, seconds));
    results.parseNotification!.push(measure(() => (decode(ni) as { messageSize?: number }).messageSize ?? 0, seconds));
    results.composeSendReqFresh!.push(measure(() => composeSendReqFresh().length, seconds));
    console.log(
      `round ${i + 1}: ` +
        Object.entries(results)
          .map(([k, v]) => `${k} ${Math.round(v[v.length - 1]!)}`)
          .join('  '),
    );
  }
  const med = (k: string): number => Math.round(median(results[k]!));
  console.log(`composeSendReq with a fresh output buffer per PDU (encode()): ${med('composeSendReqFresh')} ops/s`);
  console.log(JSON.stringify({ parseRetrieveConf: med('parseRetrieveConf'), composeSendReq: med('composeSendReq'), parseNotification: med('parseNotification') }));
}

main();
