import type { WspReader } from './reader.js';
import type { WspWriter } from './writer.js';
import { charsetMib, charsetName } from './charsets.js';
import { mediaCodeOf, mediaTypeOf } from './media-types.js';
import { EncodeError } from './errors.js';

export type ParamValue = string | number;
export type Params = Record<string, ParamValue>;

type ParamCodec = 'charset' | 'text' | 'integer' | 'constrained' | 'qvalue' | 'version' | 'date' | 'short' | 'none' | 'field';

/**
 * WSP Table 38 (typed parameters). Codes 0x00-0x10 are WSP 1.1-1.3, 0x11-0x1D WSP 1.4; the 1.4
 * table re-assigns name/filename/start/start-info/comment/domain/path, so both codes decode to one
 * name. We emit the 1.1-1.3 codes: every handset decodes those (AOSP PduComposer writes them).
 */
const TYPED: ReadonlyArray<readonly [code: number, name: string, codec: ParamCodec]> = [
  [0x00, 'q', 'qvalue'],
  [0x01, 'charset', 'charset'],
  [0x02, 'level', 'version'],
  [0x03, 'type', 'integer'],
  [0x05, 'name', 'text'],
  [0x06, 'filename', 'text'],
  [0x07, 'differences', 'field'],
  [0x08, 'padding', 'short'],
  [0x09, 'type', 'constrained'], // multipart/related type (WSP 1.2)
  [0x0a, 'start', 'text'], // multipart/related start (WSP 1.2)
  [0x0b, 'start-info', 'text'],
  [0x0c, 'comment', 'text'],
  [0x0d, 'domain', 'text'],
  [0x0e, 'max-age', 'integer'],
  [0x0f, 'path', 'text'],
  [0x10, 'secure', 'none'],
  [0x11, 'sec', 'short'],
  [0x12, 'mac', 'text'],
  [0x13, 'creation-date', 'date'],
  [0x14, 'modification-date', 'date'],
  [0x15, 'read-date', 'date'],
  [0x16, 'size', 'integer'],
  [0x17, 'name', 'text'],
  [0x18, 'filename', 'text'],
  [0x19, 'start', 'text'],
  [0x1a, 'start-info', 'text'],
  [0x1b, 'comment', 'text'],
  [0x1c, 'domain', 'text'],
  [0x1d, 'path', 'text'],
];

const BY_CODE: ReadonlyArray<readonly [string, ParamCodec] | undefined> = (() => {
  const t: Array<readonly [string, ParamCodec] | undefined> = [];
  for (const [code, name, codec] of TYPED) t[code] = [name, codec];
  return t;
})();

/** Which code we emit for a parameter name (first row wins, i.e. the WSP 1.1-1.3 code). */
const EMIT: ReadonlyMap<string, readonly [number, ParamCodec]> = (() => {
  const m = new Map<string, readonly [number, ParamCodec]>();
  for (const [code, name, codec] of TYPED) {
    if (name === 'type') continue;
    if (!m.has(name)) m.set(name, [code, codec]);
  }
  return m;
})();

function readCodec(r: WspReader, codec: ParamCodec): ParamValue {
  switch (codec) {
    case 'charset': {
      const b = r.peek();
      if (b === 0x80) {
        r.pos++;
        return '*';
      }
      // Some senders write the charset name as text.
      if (b >= 0x20 && b < 0x80) return r.tokenText().toLowerCase();
      return charsetName(r.integerValue());
    }
    case 'text':
      return r.textValue();
    case 'integer':
    case 'date':
      return r.integerValue();
    case 'qvalue':
      return r.uintvar();
    case 'short':
      return r.shortInteger();
    case 'none':
      if (r.peek() === 0) r.pos++;
      return '';
    case 'version':
    case 'field': {
      const b = r.peek();
      if (b >= 0x80) return r.u8() & 0x7f;
      return r.textString();
    }
    case 'constrained': {
      const b = r.peek();
      if (b >= 0x80) return mediaTypeOf(r.u8() & 0x7f);
      return r.textString();
    }
  }
}

/**
 * into[name] = value, with named stores for the parameters MMS content types carry: a keyed store
 * whose key varies is megamorphic in V8 and several times slower. Same result either way.
 */
function setParam(into: Params, name: string, value: ParamValue): void {
  switch (name) {
    case 'charset':
      into.charset = value;
      return;
    case 'name':
      into.name = value;
      return;
    case 'type':
      into.type = value;
      return;
    case 'start':
      into.start = value;
      return;
    case 'filename':
      into.filename = value;
      return;
    default:
      into[name] = value;
  }
}

/** Reads parameters until the reader's end (the enclosing Value-length). */
export function readParams(r: WspReader, into: Params): void {
  let count = 0;
  while (!r.atEnd()) {
    if (++count > r.limits.maxHeaders) r.fail('too many parameters');
    const b = r.peek();
    if (b >= 0x80 || b <= 30) {
      // Typed-parameter: Well-known-parameter-token = Integer-value
      const start = r.pos;
      const code = r.integerValue();
      const def = BY_CODE[code];
      if (!def) r.fail(`unknown parameter code 0x${code.toString(16)}`, start);
      setParam(into, def[0], readCodec(r, def[1]));
    } else {
      // Untyped-parameter: Token-text Untyped-value (Integer-value | Text-value)
      const name = r.tokenText().toLowerCase();
      const v = r.atEnd() ? '' : r.peek();
      if (v === '') into[name] = '';
      else if (v >= 0x80 || (v >= 1 && v <= 30)) into[name] = r.integerValue();
      else into[name] = r.textValue();
    }
  }
}

/** Parameter names writeParams knows, in lower case: a key found here needs no lower-cased copy. */
const KNOWN_NAMES: ReadonlySet<string> = new Set(['type', ...EMIT.keys()]);

export function writeParams(w: WspWriter, params: Params): void {
  for (const key in params) {
    const value = params[key];
    if (value === undefined) continue;
    const name = KNOWN_NAMES.has(key) ? key : key.toLowerCase();
    if (name === 'type') {
      // multipart/related type (0x09, Constrained-encoding); a number is the generic Type (0x03).
      if (typeof value === 'number') {
        w.u8(0x83);
        w.integerValue(value);
      } else {
        w.u8(0x89);
        const code = mediaCodeOf(value);
        if (code !== undefined && code < 0x80) w.shortInteger(code);
        else w.textString(value, 'type parameter');
      }
      continue;
    }
    const emit = EMIT.get(name);
    if (!emit) {
      w.tokenText(name, 'parameter name');
      if (typeof value === 'number') w.integerValue(value);
      else if (value === '') w.u8(0);
      else w.textString(value, name);
      continue;
    }
    const [code, codec] = emit;
    w.u8(code | 0x80);
    switch (codec) {
      case 'charset': {
        if (value === '*') {
          w.u8(0x80);
          break;
        }
        const mib = typeof value === 'number' ? value : charsetMib(value);
        if (mib === undefined) throw new EncodeError('charset', `unknown charset ${value}`);
        w.integerValue(mib);
        break;
      }
      case 'text':
        w.textString(String(value), name);
        break;
      case 'integer':
      case 'date':
        w.integerValue(Number(value));
        break;
      case 'qvalue':
        w.uintvar(Number(value));
        break;
      case 'short':
        w.shortInteger(Number(value));
        break;
      case 'none':
        w.u8(0);
        break;
      case 'version':
      case 'field':
      case 'constrained':
        if (typeof value === 'number') w.shortInteger(value);
        else w.textString(value, name);
        break;
    }
  }
}
