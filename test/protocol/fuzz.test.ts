import t from 'tap';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { encode } from '../../protocol/mms/index.js';
import { corpus, fuzz } from './fuzz.js';
import { randomPdu, rng } from './gen.js';

const dir = resolve(process.env.MMS_CONFORMANCE_DIR ?? resolve(import.meta.dirname, '../../../shared/conformance'));

t.test('bounded mutation fuzz: only a PDU or a DecodeError', async (t) => {
  const r = rng(7);
  const seeds = existsSync(dir) ? corpus(dir) : [];
  for (let i = 0; i < 30; i++) seeds.push(encode(randomPdu(r)));
  const result = fuzz(seeds, 4000, r);
  if (result.bad) t.fail(`non-DecodeError on ${result.bad.input.toString('hex')}: ${String(result.bad.error)}`);
  t.equal(result.runs, 4000, `ran 4000 mutated inputs over ${seeds.length} seeds`);
  t.ok(result.errors > 0, 'mutations do produce DecodeErrors (the fuzzer reaches the error paths)');
});
