// Imported rather than the global: Node's global Buffer is an accessor, which optimized code
// reads through a LoadGlobalIC and a getter call (~100 instructions per decode).
import { Buffer } from 'node:buffer';
import { DecodeError } from './errors.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { decodeNonAsciiText, latin1 } from './text.js';

/**
 * Octets of text made into one string at a time (see WspReader#latin1). A value of 13+ characters
 * is a V8 sliced string of its window and keeps the window alive as long as the value lives: the
 * window bounds that cost. 256 octets hold the header block of a usual PDU (a notification is ~170)
 * and each part's headers; 1 KB saved one window on a 100 KB m-retrieve-conf (-2% instructions) but
 * let every kept value hold 1 KB. Copying long values out of the window instead (one native call
 * each) would cost ~600 instructions per value, +16% on a notification parse.
 */
const TEXT_WINDOW = 256;

/**
 * A Buffer view of the input, made without Buffer#subarray: subarray goes through the typed-array
 * species lookup to the Buffer function, Buffer.from and its argument checks before it reaches
 * Node's own view constructor (~450 instructions under callgrind against ~300 for this). Instances
 * are Buffers by every test (prototype chain through Buffer.prototype, `constructor` is Buffer, so
 * their own subarray/slice make ordinary Buffers).
 */
class BufferView extends Uint8Array {
  constructor(buffer: ArrayBuffer, byteOffset: number, length: number) {
    super(buffer, byteOffset, length);
  }
}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);
Object.defineProperty(BufferView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

/**
 * Cursor over a PDU. Holds no copies: views it hands out share the input's memory.
 * `field` names what is being read so that a DecodeError can say so without every primitive taking
 * a name argument.
 */
export class WspReader {
  readonly buf: Buffer;
  pos: number;
  end: number;
  field = 'PDU';
  /** Strict decoding: values must fill their declared lengths exactly. */
  strict = false;
  /** Lenient decoding reports what it tolerated here. */
  warn: ((offset: number, field: string, reason: string) => void) | undefined;
  readonly limits: DecodeLimits;

  constructor(input: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS, start = 0, end = input.length) {
    this.buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.pos = start;
    this.end = end;
    this.limits = limits;
  }

  /** A reader over a view of this one's buffer (nested multipart), with the same limits. */
  sub(view: Uint8Array): WspReader {
    const r = new WspReader(view, this.limits);
    r.strict = this.strict;
    r.warn = this.warn;
    return r;
  }

  fail(reason: string, offset = this.pos): never {
    throw new DecodeError(offset, this.field, reason);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos]!;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos++]!;
  }

  /** A view of the next n octets (zero-copy). */
  bytes(n: number): Buffer {
    if (n < 0 || n > this.end - this.pos) this.fail(`length ${n} exceeds the ${this.end - this.pos} octets left`);
    const v = this.view(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Restricts reading to the next n octets; returns the previous end for `restoreEnd`. */
  limitTo(n: number): number {
    if (n > this.end - this.pos) this.fail(`length ${n} exceeds the ${this.end - this.pos} octets left`);
    const prev = this.end;
    this.end = this.pos + n;
    return prev;
  }

  /** Ends a restricted read; in strict mode the value must have used exactly its declared length. */
  restoreEnd(prevEnd: number): void {
    if (!this.strict && this.pos !== this.end && this.warn) {
      this.warn(this.pos, this.field, `value does not fill its declared length (${this.end - this.pos} octet(s) ${this.pos < this.end ? 'unused' : 'over'})`);
    }
    if (this.strict && this.pos !== this.end) this.fail(`${this.end - this.pos} octet(s) left unread inside the value`);
    this.pos = this.end;
    this.end = prevEnd;
  }

  // WAP-230 8.1.2: 7 bits per octet, at most 5 octets for a 32-bit value.
  uintvar(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      v = v * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) this.fail('uintvar exceeds 32 bits');
        return v;
      }
    }
    this.fail('uintvar longer than 5 octets');
  }

  shortInteger(): number {
    const b = this.u8();
    if (b < 0x80) this.fail(`expected Short-integer, got 0x${b.toString(16).padStart(2, '0')}`, this.pos - 1);
    return b & 0x7f;
  }

  longInteger(): number {
    const start = this.pos;
    const n = this.u8();
    if (n < 1 || n > 30) this.fail(`Long-integer length ${n} out of range`, start);
    // Values beyond 2^53 cannot be held exactly; no MMS field needs them.
    if (n > 6) this.fail(`Long-integer of ${n} octets is too large`, start);
    if (n > this.end - this.pos) this.fail(`Long-integer length ${n} exceeds the data`, start);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[this.pos++]!;
    return v;
  }

  /** Integer-value = Short-integer | Long-integer */
  integerValue(): number {
    return this.peek() >= 0x80 ? this.u8() & 0x7f : this.longInteger();
  }

  /** Value-length = Short-length (0..30) | Length-quote (31) Uintvar; checked against the data left. */
  valueLength(): number {
    const start = this.pos;
    const b = this.u8();
    let n: number;
    if (b <= 30) n = b;
    else if (b === 31) n = this.uintvar();
    else this.fail(`expected Value-length, got 0x${b.toString(16)}`, start);
    if (n > this.end - this.pos) this.fail(`Value-length ${n} exceeds the ${this.end - this.pos} octets left`, start);
    return n;
  }

  /**
   * Latin-1 text of buf[winStart, winStart + win.length): one native slice serves many header values,
   * each then a JS substring. Making a string from a Buffer costs a native call (~900 instructions
   * under callgrind for 170 octets, against ~300 for a substring) whatever its length, and an MMS PDU
   * has a dozen short values close together.
   */
  private win = '';
  private winStart = 0;

  /** Latin-1 text of buf[start, end) (any octets; callers use it for ASCII and for Latin-1 fallbacks). */
  latin1(start: number, end: number): string {
    const from = start - this.winStart;
    if (from < 0 || end - this.winStart > this.win.length) {
      this.winStart = start;
      this.win = latin1(this.buf, start, Math.min(this.buf.length, Math.max(end, start + TEXT_WINDOW)));
      return this.win.substring(0, end - start);
    }
    return this.win.substring(from, end - this.winStart);
  }

  /** Whether the text found by the last `scanText()` holds an octet >= 0x80. */
  textNonAscii = false;

  /**
   * The input as 32-bit words for scanText, made on first use: an Int32Array over the input's
   * memory from the 4-aligned offset at or before its start (a view, no copy). `wordBase` is the
   * input's distance past that offset.
   */
  private words: Int32Array | undefined = undefined;
  private wordBase = 0;

  private makeWords(): Int32Array {
    const buf = this.buf;
    const base = buf.byteOffset & 3;
    this.wordBase = base;
    return (this.words = new Int32Array(this.arrayBuffer(), buf.byteOffset - base, (buf.length + base) >>> 2));
  }

  /**
   * The input's ArrayBuffer, read once per reader: TypedArray#buffer is a call into the runtime
   * (~100 instructions) each time, and the word view and every part view need it.
   */
  private ab: ArrayBuffer | undefined = undefined;

  private arrayBuffer(): ArrayBuffer {
    return (this.ab ??= this.buf.buffer as ArrayBuffer);
  }

  private view(start: number, end: number): Buffer {
    return new BufferView(this.arrayBuffer(), this.buf.byteOffset + start, end - start) as unknown as Buffer;
  }

  /**
   * Offset of the first NUL in buf[from, limit), or limit when there is none; textNonAscii tells
   * whether an octet before it is >= 0x80. Text is most of what a decode reads octet by octet, and
   * an octet loop costs ~19 instructions per octet in V8 (a map check, a bounds check and a stack
   * check each): past a few octets it reads four at a time, (v - 0x01010101) & ~v & 0x80808080
   * being non-zero exactly when one of v's octets is zero (the octet loop then finds which).
   */
  scanText(from: number, limit: number): number {
    const buf = this.buf;
    let any = 0;
    let i = from;
    if (limit - i >= 8) {
      const words = this.words ?? this.makeWords();
      const base = this.wordBase;
      for (; ((i + base) & 3) !== 0; i++) {
        const b = buf[i]!;
        if (b === 0) {
          this.textNonAscii = any >= 0x80;
          return i;
        }
        any |= b;
      }
      let w = (i + base) >> 2;
      const wordsEnd = (limit + base) >> 2;
      for (; w < wordsEnd; w++) {
        const v = words[w]!;
        if (((v - 0x01010101) & ~v & 0x80808080) !== 0) break;
        any |= v;
      }
      i = (w << 2) - base;
    }
    for (; i < limit; i++) {
      const b = buf[i]!;
      if (b === 0) break;
      any |= b;
    }
    this.textNonAscii = (any & 0x80808080) !== 0;
    return i;
  }

  /** Offset of the NUL terminating a string that starts at pos. */
  private terminator(): number {
    // The NUL must come before `limit`: the data's end or the string length limit.
    const limit = Math.min(this.end, this.pos + this.limits.maxStringLength + 1);
    const nul = this.scanText(this.pos, limit);
    if (nul < limit) return nul;
    if (limit < this.end) this.fail(`text longer than ${this.limits.maxStringLength} octets`);
    return this.fail('unterminated text string');
  }

  /** Raw octets of a NUL-terminated string (terminator consumed, not included). */
  cstringBytes(): Buffer {
    const nul = this.terminator();
    const v = this.view(this.pos, nul);
    this.pos = nul + 1;
    return v;
  }

  /**
   * Text-string: a leading 0x7F quote is dropped (WSP 8.4.2.1: it is required only before an octet
   * >= 0x80, but some encoders add it anyway). Decoded as UTF-8 when valid, else Latin-1: a plain
   * Text-string is us-ascii by the spec, yet handsets put raw UTF-8 there.
   */
  textString(): string {
    if (this.pos < this.end && this.buf[this.pos] === 0x7f) this.pos++;
    const nul = this.terminator();
    const s = this.textNonAscii ? decodeNonAsciiText(this.buf, this.pos, nul) : this.latin1(this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** Quoted-string: 0x22 then text then NUL (no closing quote). */
  quotedString(): string {
    if (this.peek() !== 0x22) this.fail('expected Quoted-string');
    this.pos++;
    const nul = this.terminator();
    const s = this.textNonAscii ? decodeNonAsciiText(this.buf, this.pos, nul) : this.latin1(this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** Token-text / Extension-media: text up to NUL, no quote rule. */
  tokenText(): string {
    const nul = this.terminator();
    const s = this.latin1(this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** Text-value = No-value | Token-text | Quoted-string (WSP 1.4 parameters). */
  textValue(): string {
    const b = this.peek();
    if (b === 0) {
      this.pos++;
      return '';
    }
    if (b === 0x22) return this.quotedString();
    return this.textString();
  }

  /** Date-value: Long-integer seconds since the epoch. */
  dateValue(): number {
    return this.longInteger();
  }

  /**
   * Skips one value of a header we do not know, by the WSP first-octet rule (8.4.1.2):
   * 0..30 short length, 31 length quote, 32..127 text, 128..255 one-octet short integer.
   * Returns a view of the whole encoded value so that it can be written back unchanged.
   */
  skipValue(): Buffer {
    const start = this.pos;
    const b = this.peek();
    if (b <= 31) {
      const n = this.valueLength();
      this.pos += n;
    } else if (b < 0x80) {
      this.cstringBytes();
    } else {
      this.pos++;
    }
    return this.view(start, this.pos);
  }
}
