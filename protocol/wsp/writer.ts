import { EncodeError } from './errors.js';
import { isAsciiString } from './text.js';

/**
 * Encoder output. Header octets go into a growable scratch area; large bodies (part data) are only
 * referenced, so `finish()` copies every body exactly once, into one buffer of the exact final size.
 */
export class WspWriter {
  private scratch: Buffer;
  pos = 0;
  /** Interleaving of scratch ranges and referenced bodies: [scratchEnd, body, scratchEnd, body, ...]. */
  private readonly segments: Array<number | Uint8Array> = [];
  private bodyBytes = 0;
  private out: Buffer | undefined;

  constructor(initialSize = 512) {
    this.scratch = Buffer.allocUnsafe(initialSize);
  }

  /** Total octets written so far (scratch + referenced bodies). */
  get length(): number {
    return this.pos + this.bodyBytes;
  }

  private grow(n: number): void {
    let size = this.scratch.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.scratch.copy(next, 0, 0, this.pos);
    this.scratch = next;
  }

  u8(b: number): void {
    if (this.pos >= this.scratch.length) this.grow(1);
    this.scratch[this.pos++] = b;
  }

  /** Copies small octet strings into the scratch area. */
  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.scratch.length) this.grow(b.length);
    this.scratch.set(b, this.pos);
    this.pos += b.length;
  }

  /** References a body to be copied once at `finish()`. */
  body(b: Uint8Array): void {
    if (b.length < 64) return this.bytes(b);
    this.segments.push(this.pos, b);
    this.bodyBytes += b.length;
  }

  uintvar(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError('uintvar', `${v} out of range`);
    if (v < 0x80) return this.u8(v);
    // v < 2^32 here, so unsigned shifts are exact (no float division per group).
    const n = uintvarSize(v);
    if (this.pos + n > this.scratch.length) this.grow(n);
    const buf = this.scratch;
    for (let i = n - 1; i > 0; i--) buf[this.pos++] = ((v >>> (7 * i)) & 0x7f) | 0x80;
    buf[this.pos++] = v & 0x7f;
  }

  shortInteger(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 127) throw new EncodeError('Short-integer', `${v} out of range`);
    this.u8(v | 0x80);
  }

  /** Long-integer with the minimum number of octets (WSP 8.4.2.1). */
  longInteger(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new EncodeError('Long-integer', `${v} out of range`);
    if (v <= 0xffffffff) {
      const n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
      if (this.pos + n + 1 > this.scratch.length) this.grow(n + 1);
      const buf = this.scratch;
      buf[this.pos++] = n;
      for (let i = n - 1; i >= 0; i--) buf[this.pos++] = (v >>> (8 * i)) & 0xff;
      return;
    }
    let n = 5;
    while (n < 7 && v >= 2 ** (8 * n)) n++;
    this.u8(n);
    for (let i = n - 1; i >= 0; i--) this.u8(Math.floor(v / 2 ** (8 * i)) & 0xff);
  }

  integerValue(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 128) this.shortInteger(v);
    else this.longInteger(v);
  }

  valueLength(n: number): void {
    if (n <= 30) this.u8(n);
    else {
      this.u8(31);
      this.uintvar(n);
    }
  }

  /**
   * Writes a value whose length is only known afterwards: reserves one octet, writes, then moves the
   * value right when the length needs more octets. Values written this way are headers (small),
   * never bodies.
   */
  lengthPrefixed(write: () => void): void {
    this.prefixed(write, false);
  }

  /** As lengthPrefixed, with a plain uintvar prefix (WSP push Headers-length). */
  uintvarPrefixed(write: () => void): void {
    this.prefixed(write, true);
  }

  /**
   * Multipart entry prefix (WSP 8.5.2): HeadersLen (uintvar, known only after `write`) followed by
   * DataLen (uintvar, known now), then the headers `write` produces.
   */
  uintvarPrefixedWithSecond(second: number, write: () => void): void {
    this.prefixed(write, true, second);
  }

  private prefixed(write: () => void, uintvar: boolean, second?: number): void {
    const lenAt = this.openLength();
    write();
    this.closeLength(lenAt, uintvar, second);
  }

  /**
   * lengthPrefixed without a closure, for hot paths: `const at = w.openLength(); ...write the value...;
   * w.closeValueLength(at)`.
   */
  openLength(): number {
    const lenAt = this.pos;
    this.u8(0);
    return lenAt;
  }

  closeValueLength(lenAt: number): void {
    this.closeLength(lenAt, false);
  }

  /** uintvarPrefixedWithSecond without a closure (see openLength). */
  closeUintvarLengthWithSecond(lenAt: number, second: number): void {
    this.closeLength(lenAt, true, second);
  }

  private closeLength(lenAt: number, uintvar: boolean, second?: number): void {
    // Bodies are referenced at the scratch offset where they go: one inside the value is past lenAt.
    const segs = this.segments;
    if (segs.length > 0 && (segs[segs.length - 2] as number) > lenAt) throw new EncodeError('Value-length', 'a length-prefixed value cannot hold a body');
    const n = this.pos - lenAt - 1;
    if (second === undefined && (uintvar ? n < 0x80 : n <= 30)) {
      this.scratch[lenAt] = n;
      return;
    }
    const prefix = (uintvar ? uintvarSize(n) : n <= 30 ? 1 : uintvarSize(n) + 1) + (second === undefined ? 0 : uintvarSize(second));
    if (this.pos + prefix - 1 > this.scratch.length) this.grow(prefix - 1);
    this.scratch.copy(this.scratch, lenAt + prefix, lenAt + 1, this.pos);
    const save = this.pos + prefix - 1;
    this.pos = lenAt;
    if (uintvar) this.uintvar(n);
    else this.valueLength(n);
    if (second !== undefined) this.uintvar(second);
    this.pos = save;
  }

  /** Raw octets followed by NUL; rejects embedded NULs, which would truncate the value on the wire. */
  private cstring(s: string, field: string): void {
    const len = s.length;
    if (len <= 64) {
      // Short ASCII (the common case for headers): a JS loop beats Buffer#write's call overhead.
      if (this.pos + len + 2 > this.scratch.length) this.grow(len + 2);
      const buf = this.scratch;
      let p = this.pos;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        if (c === 0) throw new EncodeError(field, 'text contains a NUL character');
        buf[p++] = c;
      }
      if (i === len) {
        buf[p++] = 0;
        this.pos = p;
        return;
      }
    }
    if (s.includes('\0')) throw new EncodeError(field, 'text contains a NUL character');
    const n = Buffer.byteLength(s, 'utf8');
    if (this.pos + n + 2 > this.scratch.length) this.grow(n + 2);
    this.pos += this.scratch.write(s, this.pos, 'utf8');
    this.scratch[this.pos++] = 0;
  }

  /** Text-string with the 0x7F quote exactly when the first octet is >= 0x80. */
  textString(s: string, field = 'Text-string'): void {
    if (s.length > 0 && s.charCodeAt(0) >= 0x80) this.u8(0x7f);
    this.cstring(s, field);
  }

  quotedString(s: string, field = 'Quoted-string'): void {
    this.u8(0x22);
    this.cstring(s, field);
  }

  tokenText(s: string, field = 'Token-text'): void {
    if (!isAsciiString(s)) throw new EncodeError(field, 'token must be ASCII');
    this.cstring(s, field);
  }

  dateValue(seconds: number): void {
    this.longInteger(Math.floor(seconds));
  }

  /** Forgets what was written, keeping the scratch area, for the next PDU. */
  reset(): void {
    this.pos = 0;
    this.segments.length = 0;
    this.bodyBytes = 0;
  }

  /**
   * Like finish(), but into an output area this writer keeps and reuses: the result is only valid
   * until the next PDU is written with this writer. Saves allocating (and page-faulting) a fresh
   * buffer per PDU where the caller consumes the bytes at once.
   */
  finishReusing(): Buffer {
    const total = this.pos + this.bodyBytes;
    if (!this.out || this.out.length < total) this.out = Buffer.allocUnsafeSlow(Math.max(total, (this.out?.length ?? 0) * 2, 4096));
    return this.copyInto(this.out.subarray(0, total));
  }

  /** Copies everything into one buffer of the exact size. */
  finish(): Buffer {
    return this.copyInto(Buffer.allocUnsafe(this.pos + this.bodyBytes));
  }

  private copyInto(out: Buffer): Buffer {
    let from = 0;
    let at = 0;
    for (let i = 0; i < this.segments.length; i += 2) {
      const end = this.segments[i] as number;
      const body = this.segments[i + 1] as Uint8Array;
      at += this.scratch.copy(out, at, from, end);
      out.set(body, at);
      at += body.length;
      from = end;
    }
    this.scratch.copy(out, at, from, this.pos);
    return out;
  }
}

export function uintvarSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  while (v >= 2 ** (7 * n)) n++;
  return n;
}
