import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MmsPdu } from '../../protocol/mms/index.js';
import type { Part } from '../../protocol/wsp/index.js';

/**
 * JSON form of a PDU for engineers: binary values become {size, sha256} (or {base64}); for encoding,
 * binary values may be {base64}, {hex}, {text} or {file} (relative to the JSON file).
 */
export function pduToJson(pdu: MmsPdu, withData: boolean): unknown {
  return JSON.parse(
    JSON.stringify(pdu, (key, value) => {
      const bytes = value instanceof Uint8Array ? value : value && value.type === 'Buffer' && Array.isArray(value.data) ? Buffer.from(value.data) : undefined;
      if (!bytes) return value;
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (key === 'raw') return { hex: b.toString('hex') };
      return withData ? { base64: b.toString('base64') } : { size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
    }),
  );
}

function toBytes(v: unknown, base: string, where: string): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  const o = v as { base64?: string; hex?: string; text?: string; file?: string; size?: number };
  if (o && typeof o === 'object') {
    if (typeof o.base64 === 'string') return Buffer.from(o.base64, 'base64');
    if (typeof o.hex === 'string') return Buffer.from(o.hex, 'hex');
    if (typeof o.text === 'string') return Buffer.from(o.text, 'utf8');
    if (typeof o.file === 'string') return readFileSync(resolve(base, o.file));
    if (typeof o.size === 'number') throw new Error(`${where}: only size/sha256 given; decode with --data to get re-encodable JSON`);
  }
  throw new Error(`${where}: expected {base64}, {hex}, {text} or {file}`);
}

function partsFromJson(parts: unknown[], base: string, where: string): Part[] {
  return parts.map((p, i) => {
    const part = p as Part & { data: unknown; parts?: unknown[] };
    const out: Part = { ...part, data: toBytes(part.data, base, `${where}[${i}].data`) };
    delete out.parts;
    out.otherHeaders = part.otherHeaders?.map((h) => ('raw' in h ? { ...h, raw: toBytes(h.raw, base, `${where}[${i}] header`) } : h));
    if (!out.otherHeaders) delete out.otherHeaders;
    return out;
  });
}

export function pduFromJson(json: unknown, file: string): MmsPdu {
  const base = dirname(resolve(file));
  const pdu = { ...(json as Record<string, unknown>) };
  delete pdu.warnings;
  if (Array.isArray(pdu.parts)) pdu.parts = partsFromJson(pdu.parts, base, 'parts');
  if (pdu.body !== undefined) pdu.body = toBytes(pdu.body, base, 'body');
  for (const k of ['content', 'additionalHeaders']) if (pdu[k] !== undefined) pdu[k] = toBytes(pdu[k], base, k);
  if (Array.isArray(pdu.unknownHeaders)) {
    pdu.unknownHeaders = pdu.unknownHeaders.map((u: Record<string, unknown>) => ('raw' in u ? { ...u, raw: toBytes(u.raw, base, 'unknownHeaders') } : u));
  }
  return pdu as unknown as MmsPdu;
}
