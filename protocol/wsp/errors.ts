/**
 * The only exception the decoders throw for bad input: it names where (byte offset) and what (field)
 * so that an MMSC log line can say why a handset's PDU was refused.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly offset: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} at offset ${offset}: ${reason}`);
  }
}

/** Thrown when asked to encode something the grammar cannot express or strict rules forbid. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
