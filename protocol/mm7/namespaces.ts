/** SOAP and MM7 schema namespaces (protocol-notes §6.1, §6.2). */

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** Not MM7's transport, but some SOAP stacks send it; we answer in the envelope namespace we got. */
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';

export const MM7_SCHEMA_BASE = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/';

/**
 * The published MM7 schemas and the MM7Version most often seen with each. Mismatched pairs are
 * common in the wild (notes §9 #19), so the version is only a default for messages we originate.
 * The versions for REL-5-MM7-1-1 and REL-6-MM7-1-1..1-3 are inferred from the spec's version
 * sequence, not seen in samples (unverified).
 */
export const MM7_SCHEMAS: readonly { schema: string; namespace: string; defaultVersion: string }[] = [
  ['REL-5-MM7-1-0', '5.3.0'],
  ['REL-5-MM7-1-1', '5.3.0'],
  ['REL-5-MM7-1-2', '5.3.0'],
  ['REL-5-MM7-1-3', '5.6.0'],
  ['REL-6-MM7-1-0', '6.3.0'],
  ['REL-6-MM7-1-1', '6.5.0'],
  ['REL-6-MM7-1-2', '6.6.0'],
  ['REL-6-MM7-1-3', '6.7.0'],
  ['REL-6-MM7-1-4', '6.8.0'],
].map(([schema, defaultVersion]) => ({ schema: schema!, namespace: MM7_SCHEMA_BASE + schema!, defaultVersion: defaultVersion! }));

/** Used to answer a request that named no MM7 namespace at all (REL-5-MM7-1-2 is what most VASP kits speak). */
export const DEFAULT_MM7_NAMESPACE = MM7_SCHEMA_BASE + 'REL-5-MM7-1-2';

const SCHEMA_IN_NS = /23\.140\/schema\/(REL-(\d+)-MM7-(\d+)-(\d+))\/?$/;

/** True for any `23.140/schema/REL-*-MM7-*-*` namespace, published or not, whatever the host spelling. */
export function isMm7Namespace(ns: string): boolean {
  return SCHEMA_IN_NS.test(ns);
}

/** `REL-6-MM7-1-4` -> { schema, release: 6 }; undefined for other namespaces. */
export function mm7Schema(ns: string): { schema: string; release: number } | undefined {
  const m = SCHEMA_IN_NS.exec(ns);
  return m ? { schema: m[1]!, release: Number(m[2]) } : undefined;
}

/** The MM7Version to put in a message we originate towards a VASP that spoke `ns`. */
export function defaultVersionFor(ns: string): string {
  const s = mm7Schema(ns)?.schema;
  return MM7_SCHEMAS.find((x) => x.schema === s)?.defaultVersion ?? (mm7Schema(ns)?.release === 6 ? '6.8.0' : '5.3.0');
}
