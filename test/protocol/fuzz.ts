import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '../../protocol/mms/index.js';
import { decodeWspPush } from '../../protocol/push/wsp-push.js';
import { DecodeError } from '../../protocol/wsp/index.js';

/** Every PDU file under the conformance corpus. */
export function corpus(dir: string): Buffer[] {
  const out: Buffer[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(mms|wsp)$/.test(name)) out.push(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** One mutation: flip, overwrite with an interesting octet, insert, delete, truncate or splice. */
export function mutate(input: Buffer, r: () => number): Buffer {
  const b = Buffer.from(input);
  const at = Math.floor(r() * Math.max(1, b.length));
  const interesting = [0x00, 0x1e, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0x84, 0x8c, 0xff];
  switch (Math.floor(r() * 6)) {
    case 0:
      b[at] = (b[at] ?? 0) ^ (1 << Math.floor(r() * 8));
      return b;
    case 1:
      b[at] = interesting[Math.floor(r() * interesting.length)]!;
      return b;
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256)]), b.subarray(at)]);
    case 3:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    case 4:
      return b.subarray(0, at);
    default: {
      const len = Math.floor(r() * 8);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x1f, 0x8f, 0xff, 0xff, 0xff, 0x7f].slice(0, len)), b.subarray(at)]);
    }
  }
}

/** Runs `iterations` mutations; returns the first input that threw anything but a DecodeError. */
export function fuzz(seeds: Buffer[], iterations: number, r: () => number): { runs: number; errors: number; bad?: { input: Buffer; error: unknown } } {
  let errors = 0;
  for (let i = 0; i < iterations; i++) {
    let input = seeds[Math.floor(r() * seeds.length)]!;
    const rounds = 1 + Math.floor(r() * 4);
    for (let k = 0; k < rounds; k++) input = mutate(input, r);
    for (const strict of [false, true]) {
      try {
        const pdu = decode(input, { strict });
        // Touch the views so that a lying length would show.
        for (const p of pdu.parts ?? []) void p.data[p.data.length - 1];
      } catch (e) {
        if (!(e instanceof DecodeError)) return { runs: i, errors, bad: { input, error: e } };
        errors++;
      }
    }
    try {
      decodeWspPush(input);
    } catch (e) {
      if (!(e instanceof DecodeError)) return { runs: i, errors, bad: { input, error: e } };
    }
  }
  return { runs: iterations, errors };
}
