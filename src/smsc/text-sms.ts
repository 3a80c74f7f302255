/**
 * A text SMS as SMPP user data (3GPP TS 23.038 / 23.040): GSM 7-bit default alphabet, one septet per
 * octet as SMPP carries it with data_coding 0, when every character is in the alphabet's basic
 * table; UCS-2 (data_coding 8) otherwise. Longer texts are split with an 8-bit concatenation UDH.
 */

// GSM 03.38 basic table: index = GSM code, value = character.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const TO_GSM = new Map<string, number>([...GSM_BASIC].map((c, i) => [c, i]));

export interface TextSegment {
  userData: Buffer;
  dataCoding: 0 | 8;
  udhi: boolean;
}

export function encodeTextSms(text: string, reference: number): TextSegment[] {
  const gsm = [...text].every((c) => c !== '\u001b' && TO_GSM.has(c));
  const units: Buffer = gsm ? Buffer.from([...text].map((c) => TO_GSM.get(c)!)) : Buffer.from(text, 'utf16le').swap16();
  const dataCoding = gsm ? 0 : 8;
  const single = gsm ? 160 : 140;
  if (units.length <= single) return [{ userData: units, dataCoding, udhi: false }];
  // 6 octets of UDH leave 153 septets (GSM, one per octet here) or 67 UCS-2 characters per part.
  const per = gsm ? 153 : 134;
  const chunks: Buffer[] = [];
  for (let i = 0; i < units.length; i += per) chunks.push(units.subarray(i, Math.min(units.length, i + per)));
  if (chunks.length > 255) throw new RangeError('text too long for a concatenated SMS');
  return chunks.map((c, i) => ({ userData: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, reference & 0xff, chunks.length, i + 1]), c]), dataCoding, udhi: true }));
}

/** The text of SMPP user data written by encodeTextSms (for tests and the simulator's users). */
export function decodeTextSms(s: { userData: Buffer; dataCoding: number; udhi: boolean }): string {
  const body = s.udhi ? s.userData.subarray(1 + s.userData[0]!) : s.userData;
  if (s.dataCoding === 8) return Buffer.from(body).swap16().toString('utf16le');
  return [...body].map((b) => GSM_BASIC[b] ?? '?').join('');
}
