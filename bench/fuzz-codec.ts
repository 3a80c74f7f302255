/**
 * Long fuzz run (not part of npm test): node dist/bench/fuzz-codec.js [iterations] [seed]
 * Mutates the conformance corpus plus random valid PDUs; exits non-zero on anything but a PDU or a
 * DecodeError, printing the offending input in hex.
 */
import { resolve } from 'node:path';
import { encode } from '../protocol/mms/index.js';
import { corpus, fuzz } from '../test/protocol/fuzz.js';
import { randomPdu, rng } from '../test/protocol/gen.js';

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
const r = rng(seed);
const seeds = corpus(resolve(process.env.MMS_CONFORMANCE_DIR ?? resolve(import.meta.dirname, '../../../shared/conformance')));
for (let i = 0; i < 200; i++) seeds.push(encode(randomPdu(r)));
const started = Date.now();
const result = fuzz(seeds, iterations, r);
console.log(JSON.stringify({ seed, seeds: seeds.length, runs: result.runs, decodeErrors: result.errors, seconds: (Date.now() - started) / 1000 }));
if (result.bad) {
  console.error(`FAILED on input ${result.bad.input.toString('hex')}:`, result.bad.error);
  process.exit(1);
}
