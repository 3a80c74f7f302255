import t from 'tap';
import { decode, encode } from '../../protocol/mms/index.js';
import { CONFORMANCE_DIR, requiresConformance } from '../support/requires.js';
import { corpus, fuzz, partViewProblem } from './fuzz.js';
import { randomPdu, rng } from './gen.js';

// The corpus seeds the mutations (real handsets' PDUs reach paths random ones do not).
const noCorpus = requiresConformance();

t.test('bounded mutation fuzz: only a PDU or a DecodeError', async (t) => {
  const r = rng(7);
  const seeds = noCorpus ? [] : corpus(CONFORMANCE_DIR);
  if (noCorpus) t.comment(`fuzzing without the corpus: ${noCorpus}`);
  for (let i = 0; i < 30; i++) seeds.push(encode(randomPdu(r)));
  const result = fuzz(seeds, 4000, r);
  if (result.bad) t.fail(`non-DecodeError on ${result.bad.input.toString('hex')}: ${String(result.bad.error)}`);
  t.equal(result.runs, 4000, `ran 4000 mutated inputs over ${seeds.length} seeds`);
  t.ok(result.errors > 0, 'mutations do produce DecodeErrors (the fuzzer reaches the error paths)');
});

t.test('the fuzz oracle catches a part whose length lied', async (t) => {
  const pdu = randomPdu(rng(3), 'm-send-req');
  pdu.parts = [
    { contentType: { type: 'text/plain', params: {} }, data: Buffer.from('first part') },
    { contentType: { type: 'text/plain', params: {} }, data: Buffer.from('second part') },
  ];
  const input = encode(pdu);
  const parts = decode(input).parts!;
  t.equal(partViewProblem(input, parts), undefined, 'the real decoder gives in-bounds, ordered views');
  const a = parts[0]!;
  const b = parts[1]!;
  const at = (d: Uint8Array, len: number) => new Uint8Array(d.buffer, d.byteOffset, len);
  t.match(partViewProblem(input.subarray(0, input.length - 1), [a, b]), /past the input's/, 'the last part runs past a truncated input');
  t.match(partViewProblem(input, [{ data: at(a.data, b.data.byteOffset - a.data.byteOffset + 1) }, b]), /inside what came before/, 'a length that runs into the next part');
  t.match(partViewProblem(input, [a, { data: new Uint8Array(b.data) }]), /not a view/, 'a copy');
});
