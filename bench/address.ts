/**
 * Phone number normalisation benchmark (issue 21): numbers/s of src/address on the VASP batch path
 * (`normaliseNumber`: up to 1 000 000 recipients per send), beside, in the same run:
 *  - a full libphonenumber-js parse per number (`parsePhoneNumberFromString` with the plan's calling
 *    code, then `isPossible()`), what normalising through the library's front door would cost;
 *  - `countryOf` (per-recipient quiet hours) and `isValidNumber` on the normalised numbers;
 *  - BASELINE_E164=<file>: another build's `normaliseNumber` (e.g. src/vasp/e164.js of e79ebd1, the
 *    regex-only normaliser this replaced, which checked no numbering plan).
 * The recipients are a mix of spellings VASPs send: international with spaces, '00', national with
 * trunk prefix, NANP lab numbers, MM7 '/TYPE=PLMN'. Rounds alternate the variants; medians of ROUNDS
 * rounds over N numbers each; numbers per second of wall clock and per second of this process's CPU
 * time (less moved by other processes on a shared machine).
 *   npm run build && node dist/bench/address.js        (ROUNDS=5 N=200000)
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { countryOf, isValidNumber, normaliseNumber, type NumberingPlan, type NormalisedNumber } from '../src/address/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const N = Number(process.env.N ?? 200_000);
const plan: NumberingPlan = { countryCode: '44', nationalPrefix: '0' };

function recipients(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = String(100_000 + (i % 900_000)).slice(1);
    switch (i % 6) {
      case 0: out.push(`+44 7400 1${d}`); break;
      case 1: out.push(`07400 2${d}`); break;
      case 2: out.push(`0049 170 1${d}`); break;
      case 3: out.push(`+1555${String(10_000_000 + i).slice(1)}/TYPE=PLMN`); break;
      case 4: out.push(`+33 6 12 3${d}`); break;
      default: out.push(`+1 (202) 555-${String(10_000 + (i % 10_000)).slice(1)}`);
    }
  }
  return out;
}

type Variant = [string, (input: string) => unknown];

async function variants(normalised: string[]): Promise<[Variant[], string[]]> {
  let k = 0;
  const list: Variant[] = [
    ['normaliseNumber (src/address)', (s) => normaliseNumber(s, plan)],
    ['libphonenumber parse + isPossible', (s) => parsePhoneNumberFromString(s.replace(/\/TYPE=PLMN$/i, ''), { defaultCallingCode: plan.countryCode, extract: false })?.isPossible()],
    ['countryOf (normalised numbers)', () => countryOf(normalised[k++ % normalised.length]!)],
    ['isValidNumber (normalised numbers)', () => isValidNumber(normalised[k++ % normalised.length]!)],
  ];
  const file = process.env.BASELINE_E164;
  if (file) {
    const base = (await import(file)) as { normaliseNumber: (input: string, plan: NumberingPlan) => NormalisedNumber };
    list.push([`baseline (${file})`, (s) => base.normaliseNumber(s, plan)]);
  }
  return [list, normalised];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const inputs = recipients(N);
const normalised = inputs.map((s) => normaliseNumber(s, plan)).filter((n): n is Extract<NormalisedNumber, { ok: true }> => n.ok).map((n) => n.value);
if (normalised.length !== N) throw new Error(`${N - normalised.length} of the bench numbers were refused`);
const [list] = await variants(normalised);
const wall = list.map(() => [] as number[]);
const cpu = list.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  list.forEach(([, fn], i) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const s of inputs) fn(s);
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wall[i]!.push((N * 1000) / ms);
    cpu[i]!.push((N * 1e6) / (c.user + c.system));
  });
}
const countries = new Map<string, number>();
for (const n of normalised.slice(0, 6000)) countries.set(String(countryOf(n)), (countries.get(String(countryOf(n))) ?? 0) + 1);
console.log(`${N} recipients x ${ROUNDS} rounds; countries of the mix: ${[...countries].map(([c, n]) => `${c} ${n}`).join(', ')}`);
list.forEach(([label], i) => {
  console.log(`  ${label.padEnd(40)} ${Math.round(median(wall[i]!)).toString().padStart(10)} numbers/s  ${Math.round(median(cpu[i]!)).toString().padStart(10)} per CPU-second`);
});
