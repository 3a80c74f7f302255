import {
  WspReader,
  WspWriter,
  readContentType,
  writeContentType,
  WSP_HEADER,
  WSP_HEADER_NAMES,
  type ContentType,
} from '../wsp/index.js';

/** X-Wap-Application-Id values (OMNA push application ids) that matter to an MMSC. */
export const APP_ID_MMS_UA = 0x04;

export interface WspPush {
  /** Transaction id octet (any value; a rolling counter is customary). */
  tid: number;
  /** 0x06 Push or 0x07 ConfirmedPush. */
  pduType: number;
  contentType: ContentType;
  /** X-Wap-Application-Id: a registered code (4 = mms.ua) or a URI. */
  applicationId?: number | string;
  /** Other push headers, kept raw: [wsp header code, encoded value]. */
  otherHeaders?: Array<{ code: number; name: string; raw: Uint8Array }>;
  /** The pushed content (an MMS PDU for application/vnd.wap.mms-message); a view into the input. */
  body: Uint8Array;
}

/**
 * Connectionless WSP Push PDU (WAP-230 8.2.4.1): TID, PDU type, HeadersLen (uintvar, covering the
 * content type and the headers), content type, headers, data. For MMS: `<tid> 06 03 BE AF 84`.
 */
export function encodeWspPush(push: Omit<WspPush, 'pduType'> & { pduType?: number }): Buffer {
  const w = new WspWriter(64);
  w.u8(push.tid & 0xff);
  w.u8(push.pduType ?? 0x06);
  w.uintvarPrefixed(() => {
    writeContentType(w, push.contentType);
    if (push.applicationId !== undefined) {
      w.u8(0x80 | WSP_HEADER.xWapApplicationId);
      if (typeof push.applicationId === 'number') w.integerValue(push.applicationId);
      else w.textString(push.applicationId, 'X-Wap-Application-Id');
    }
    for (const h of push.otherHeaders ?? []) {
      w.u8(0x80 | h.code);
      w.bytes(h.raw);
    }
  });
  w.body(push.body);
  return w.finish();
}

/** The push that carries an MMS PDU to the handset's MMS user agent. */
export function mmsPush(tid: number, mmsPdu: Uint8Array): Buffer {
  return encodeWspPush({
    tid,
    contentType: { type: 'application/vnd.wap.mms-message', params: {} },
    applicationId: APP_ID_MMS_UA,
    body: mmsPdu,
  });
}

export function decodeWspPush(input: Uint8Array): WspPush {
  const r = new WspReader(input);
  r.field = 'WSP TID';
  const tid = r.u8();
  r.field = 'WSP PDU type';
  const pduType = r.u8();
  if (pduType !== 0x06 && pduType !== 0x07) r.fail(`not a Push PDU (type 0x${pduType.toString(16)})`, 1);
  r.field = 'WSP Headers-Length';
  const headersLen = r.uintvar();
  if (headersLen === 0) r.fail('empty header block: no Content-Type');
  const prev = r.limitTo(headersLen);
  r.field = 'Content-Type';
  const contentType = readContentType(r);
  const push: WspPush = { tid, pduType, contentType, body: new Uint8Array(0) };
  while (!r.atEnd()) {
    const b = r.peek();
    if (b < 0x80) {
      r.field = 'push header';
      // Application header (Token-text + Text-string): kept out of the typed fields.
      r.tokenText();
      r.textString();
      continue;
    }
    r.pos++;
    const code = b & 0x7f;
    r.field = WSP_HEADER_NAMES[code] ?? `header 0x${b.toString(16)}`;
    if (code === WSP_HEADER.xWapApplicationId) {
      const v = r.peek();
      push.applicationId = v >= 0x80 || v <= 30 ? r.integerValue() : r.textString();
    } else {
      (push.otherHeaders ??= []).push({ code, name: r.field, raw: r.skipValue() });
    }
  }
  r.pos = r.end;
  r.end = prev;
  push.body = r.bytes(r.remaining);
  return push;
}

