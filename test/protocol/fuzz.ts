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

/**
 * Part bodies are zero-copy views into the input (design rule), in order and without overlap. A part
 * whose length lied - past the input's end, or into a neighbour - shows here as a view outside the
 * input or overlapping the previous part; indexing a typed array past its end would not throw, so
 * reading the views proves nothing.
 */
export function partViewProblem(input: Uint8Array, parts: ReadonlyArray<{ data: Uint8Array }>): string | undefined {
  const start = input.byteOffset;
  const end = start + input.byteLength;
  let prevEnd = start;
  for (const [i, p] of parts.entries()) {
    const d = p.data;
    if (d.buffer !== input.buffer) return `part ${i + 1} is not a view into the input`;
    if (d.byteOffset < prevEnd) return `part ${i + 1} starts at ${d.byteOffset - start}, inside what came before (${prevEnd - start})`;
    if (d.byteOffset + d.byteLength > end) return `part ${i + 1} ends at ${d.byteOffset + d.byteLength - start}, past the input's ${input.byteLength} octets`;
    prevEnd = d.byteOffset + d.byteLength;
  }
  return undefined;
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
        const lie = partViewProblem(input, pdu.parts ?? []);
        if (lie) return { runs: i, errors, bad: { input, error: new Error(lie) } };
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
