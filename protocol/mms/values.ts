import {
  EncodeError,
  readEncodedString,
  writeEncodedString,
  readContentType,
  writeContentType,
  mediaTypeOf,
  mediaCodeOf,
  type ContentType,
  type WspReader,
  type WspWriter,
} from '../wsp/index.js';

/** One codec per value grammar of OMA-MMS-ENC 7.3; `name` is the header's field name for errors. */
export interface ValueCodec<T> {
  read(r: WspReader): T;
  write(w: WspWriter, v: T, name: string): void;
}

/** A token from a value table, or the raw octet when the table does not know it (kept for round trips). */
export type Token<T extends string> = T | number;

/** Token values 0x80 + index; unknown octets decode to their number and are written back as-is. */
export function enumCodec<T extends string>(names: readonly T[], textAllowed = false): ValueCodec<Token<T> | string> {
  return {
    read(r) {
      const b = r.peek();
      if (textAllowed && b >= 0x20 && b < 0x80) return r.tokenText();
      if (b < 0x80) r.fail(`expected a token octet, got 0x${b.toString(16).padStart(2, '0')}`);
      r.pos++;
      return names[b - 0x80] ?? b;
    },
    write(w, v, name) {
      if (typeof v === 'number') {
        if (v < 0x80 || v > 0xff) throw new EncodeError(name, `token ${v} out of range`);
        return w.u8(v);
      }
      const i = names.indexOf(v as T);
      if (i >= 0) return w.u8(0x80 + i);
      if (textAllowed) return w.tokenText(v, name);
      throw new EncodeError(name, `unknown value ${JSON.stringify(v)} (one of ${names.join(', ')})`);
    },
  };
}

/** A token table with explicit codes (status tables with gaps: 0x80, 0xC0.., 0xE0..). */
export function codedEnum<T extends string>(table: ReadonlyArray<readonly [number, T]>): ValueCodec<Token<T>> {
  const byCode = new Map(table.map(([c, n]) => [c, n]));
  const byName = new Map(table.map(([c, n]) => [n, c]));
  return {
    read(r) {
      const b = r.u8();
      return byCode.get(b) ?? b;
    },
    write(w, v, name) {
      const code = typeof v === 'number' ? v : byName.get(v);
      if (code === undefined || code < 0x80 || code > 0xff) throw new EncodeError(name, `unknown value ${JSON.stringify(v)}`);
      w.u8(code);
    },
  };
}

export const yesNo: ValueCodec<boolean> = {
  read(r) {
    const b = r.u8();
    if (b === 0x80) return true;
    if (b === 0x81) return false;
    return r.fail(`expected Yes (0x80) or No (0x81), got 0x${b.toString(16)}`, r.pos - 1);
  },
  write(w, v) {
    w.u8(v ? 0x80 : 0x81);
  },
};

export const text: ValueCodec<string> = {
  read: (r) => r.textString(),
  write: (w, v, name) => w.textString(v, name),
};

export const encodedString: ValueCodec<string> = {
  read: (r) => readEncodedString(r),
  write: (w, v, name) => writeEncodedString(w, v, name),
};

export const longInteger: ValueCodec<number> = {
  // Message-Size and the like are Long-integer; a Short-integer is accepted since it is unambiguous.
  read: (r) => r.integerValue(),
  write: (w, v) => w.longInteger(v),
};

export const integer: ValueCodec<number> = {
  read: (r) => r.integerValue(),
  write: (w, v) => w.integerValue(v),
};

export const date: ValueCodec<number> = {
  read: (r) => r.dateValue(),
  write: (w, v) => w.dateValue(v),
};

/** Every Short-integer version as text, built once: no string is made per decoded PDU. */
const VERSION_NAMES: readonly string[] = Array.from({ length: 128 }, (_, v) => (v & 0x0f) === 0x0f ? `${v >> 4}` : `${v >> 4}.${v & 0x0f}`);

/** "major.minor" (or "major" when the minor is 0xF) of a 7-bit version value. */
export function versionName(v: number): string {
  return VERSION_NAMES[v & 0x7f]!;
}

/** X-Mms-MMS-Version: Short-integer, major in bits 6-4, minor in bits 3-0 (0xF = no minor). */
export const version: ValueCodec<string> = {
  read: (r) => versionName(r.shortInteger()),
  write(w, v, name) {
    const m = /^(\d)(?:\.(\d{1,2}))?$/.exec(v);
    if (!m) throw new EncodeError(name, `version ${JSON.stringify(v)} is not major.minor`);
    const minor = m[2] === undefined ? 0x0f : Number(m[2]);
    if (Number(m[1]) > 7 || minor > 15) throw new EncodeError(name, `version ${v} out of range`);
    w.shortInteger((Number(m[1]) << 4) | minor);
  },
};

export interface TimeValue {
  kind: 'absolute' | 'relative';
  /** Seconds since the epoch (absolute) or seconds from now (relative). */
  value: number;
}

/**
 * Expiry, Delivery-Time, Reply-Charging-Deadline: Value-length (Absolute-token Date-value |
 * Relative-token Delta-seconds-value). Decoding accepts a Short-integer delta (WSP allows it);
 * encoding always writes a Long-integer because AOSP and Wireshark only read that (notes 2.4).
 */
export const time: ValueCodec<TimeValue> = {
  read(r) {
    const len = r.valueLength();
    const prev = r.limitTo(len);
    const token = r.u8();
    if (token !== 0x80 && token !== 0x81) r.fail(`expected Absolute (0x80) or Relative (0x81), got 0x${token.toString(16)}`, r.pos - 1);
    const value = r.integerValue();
    r.restoreEnd(prev);
    return { kind: token === 0x80 ? 'absolute' : 'relative', value };
  },
  write(w, v) {
    const at = w.openLength();
    w.u8(v.kind === 'absolute' ? 0x80 : 0x81);
    w.longInteger(v.value);
    w.closeValueLength(at);
  },
};

/** What a handset sends instead of its own number: the MMSC inserts the sender (ENC 7.3.21). */
export const INSERT_ADDRESS = '<insert-address-token>';

/**
 * From: Value-length (Address-present-token Encoded-string-value | Insert-address-token).
 * A bare Encoded-string-value (no Value-length) is accepted: some MMSCs send it in notifications.
 */
export const from: ValueCodec<string> = {
  read(r) {
    if (r.peek() > 31) return readEncodedString(r);
    const len = r.valueLength();
    const prev = r.limitTo(len);
    const token = r.u8();
    let v: string;
    if (token === 0x81) v = INSERT_ADDRESS;
    else if (token === 0x80) v = r.atEnd() ? '' : readEncodedString(r);
    else return r.fail(`expected Address-present (0x80) or Insert-address (0x81), got 0x${token.toString(16)}`, r.pos - 1);
    r.restoreEnd(prev);
    return v;
  },
  write(w, v, name) {
    const at = w.openLength();
    if (v === INSERT_ADDRESS) w.u8(0x81);
    else {
      w.u8(0x80);
      writeEncodedString(w, v, name);
    }
    w.closeValueLength(at);
  },
};

export interface PreviouslySentBy {
  count: number;
  address: string;
}

export const previouslySentBy: ValueCodec<PreviouslySentBy> = {
  read(r) {
    const prev = r.limitTo(r.valueLength());
    const count = r.integerValue();
    const address = readEncodedString(r);
    r.restoreEnd(prev);
    return { count, address };
  },
  write(w, v, name) {
    w.lengthPrefixed(() => {
      w.integerValue(v.count);
      writeEncodedString(w, v.address, name);
    });
  },
};

export interface PreviouslySentDate {
  count: number;
  date: number;
}

export const previouslySentDate: ValueCodec<PreviouslySentDate> = {
  read(r) {
    const prev = r.limitTo(r.valueLength());
    const count = r.integerValue();
    const d = r.dateValue();
    r.restoreEnd(prev);
    return { count, date: d };
  },
  write(w, v) {
    w.lengthPrefixed(() => {
      w.integerValue(v.count);
      w.dateValue(v.date);
    });
  },
};

export interface MmFlags {
  op: 'add' | 'remove' | 'filter';
  value: string;
}

const FLAG_OPS = ['add', 'remove', 'filter'] as const;

export const mmFlags: ValueCodec<MmFlags> = {
  read(r) {
    const prev = r.limitTo(r.valueLength());
    const b = r.u8();
    const op = FLAG_OPS[b - 0x80];
    if (!op) r.fail(`unknown MM-Flags operation 0x${b.toString(16)}`, r.pos - 1);
    const value = readEncodedString(r);
    r.restoreEnd(prev);
    return { op, value };
  },
  write(w, v, name) {
    w.lengthPrefixed(() => {
      w.u8(0x80 + FLAG_OPS.indexOf(v.op));
      writeEncodedString(w, v.value, name);
    });
  },
};

export interface MboxCount {
  unit: 'messages' | 'bytes';
  value: number;
}

export const mboxCount: ValueCodec<MboxCount> = {
  read(r) {
    const prev = r.limitTo(r.valueLength());
    const b = r.u8();
    if (b !== 0x80 && b !== 0x81) r.fail(`expected Messages (0x80) or Bytes (0x81), got 0x${b.toString(16)}`, r.pos - 1);
    const value = r.integerValue();
    r.restoreEnd(prev);
    return { unit: b === 0x80 ? 'messages' : 'bytes', value };
  },
  write(w, v) {
    w.lengthPrefixed(() => {
      w.u8(v.unit === 'messages' ? 0x80 : 0x81);
      w.integerValue(v.value);
    });
  },
};

export interface ElementDescriptor {
  contentReference: string;
  /** MMS parameter table: only `type` (0x02) is defined; it carries a media type. */
  params: Record<string, string>;
}

export const elementDescriptor: ValueCodec<ElementDescriptor> = {
  read(r) {
    const prev = r.limitTo(r.valueLength());
    const contentReference = r.textString();
    const params: Record<string, string> = {};
    while (!r.atEnd()) {
      const b = r.peek();
      if (b >= 0x80) {
        r.pos++;
        const name = b === 0x82 ? 'type' : `param-${b & 0x7f}`;
        const v = r.peek();
        params[name] = v >= 0x80 ? mediaTypeOf(r.u8() & 0x7f) : r.textString();
      } else {
        const name = r.tokenText();
        params[name] = r.atEnd() ? '' : r.textString();
      }
    }
    r.restoreEnd(prev);
    return { contentReference, params };
  },
  write(w, v, name) {
    w.lengthPrefixed(() => {
      w.textString(v.contentReference, name);
      for (const k in v.params) {
        const value = v.params[k]!;
        if (k === 'type') {
          w.u8(0x82);
          const code = mediaCodeOf(value);
          if (code !== undefined && code < 0x80) w.shortInteger(code);
          else w.textString(value, name);
        } else {
          w.tokenText(k, name);
          w.textString(value, name);
        }
      }
    });
  },
};

/**
 * X-Mms-Content-Location: a Text-string URI; in m-mbox-delete-conf and m-delete-conf it is
 * Value-length Status-count-value Content-location-value (ENC 7.3.10). The count is not kept.
 */
export const contentLocation: ValueCodec<string> = {
  read(r) {
    if (r.peek() > 31) return r.textString();
    const prev = r.limitTo(r.valueLength());
    r.integerValue();
    const v = r.textString();
    r.restoreEnd(prev);
    return v;
  },
  write: (w, v, name) => w.textString(v, name),
};

/** Values we carry without interpreting (Content 0xAE, Additional-headers 0xB0): the raw encoded octets. */
export const raw: ValueCodec<Uint8Array> = {
  read: (r) => r.skipValue(),
  write: (w, v) => w.bytes(v),
};

export const contentType: ValueCodec<ContentType> = {
  read: (r) => readContentType(r),
  write: (w, v) => writeContentType(w, v),
};

/** X-Mms-Attributes: the header code of a field to return (Short-integer). */
export const headerCode: ValueCodec<number> = {
  read: (r) => r.shortInteger(),
  write: (w, v) => w.shortInteger(v),
};
