/**
 * SMSC message ids come back in two spellings: submit_sm_resp may say hex ('1A2B') while the receipt
 * text says decimal ('6699'), or the reverse (Kannel's msg-id-type, protocol-notes §4.5). Both sides
 * index every plausible reading, so a receipt finds its submit whichever way the SMSC wrote it.
 */

const DECIMAL = /^[0-9]+$/;
const HEX = /^[0-9a-fA-F]+$/;
/** Longer ids are opaque tokens (UUIDs, base64), not numbers: compare them verbatim. */
const MAX_NUMERIC_LENGTH = 32;

function stripZeros(s: string): string {
  const t = s.replace(/^0+/, '');
  return t === '' ? '0' : t;
}

/**
 * Every key form of one id: the trimmed id itself, and when it reads as a number, its canonical
 * decimal and lowercase hex forms (leading zeros dropped). Order: verbatim first; no duplicates.
 */
export function normaliseSmscId(id: string): string[] {
  const raw = id.trim();
  if (raw === '') return [];
  const out = new Set<string>([raw]);
  if (raw.length <= MAX_NUMERIC_LENGTH) {
    if (DECIMAL.test(raw)) {
      const n = BigInt(raw);
      out.add(n.toString(10));
      out.add(n.toString(16));
    }
    if (HEX.test(raw)) {
      const n = BigInt(`0x${raw}`);
      out.add(stripZeros(raw.toLowerCase()));
      out.add(n.toString(10));
    }
  }
  return [...out];
}

/** Receipt keys for one link: ids from different SMSCs may collide, so keys carry the link's scope. */
export function receiptKeys(scope: string, ids: readonly string[]): string[] {
  const out = new Set<string>();
  for (const id of ids) for (const form of normaliseSmscId(id)) out.add(`${scope}:${form}`);
  return [...out];
}
