/** Bounds on everything an attacker controls; every decoder takes them as options. */
export interface DecodeLimits {
  /** Largest PDU accepted at all. */
  maxPduSize: number;
  /** Entries in one multipart body. */
  maxParts: number;
  /** Header fields in one PDU or one part. */
  maxHeaders: number;
  /** Multipart nested inside multipart. */
  maxDepth: number;
  /** Octets of one text value (subject, address, URL, ...). */
  maxStringLength: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxPduSize: 16 * 1024 * 1024,
  maxParts: 256,
  maxHeaders: 512,
  maxDepth: 4,
  maxStringLength: 16 * 1024,
});
