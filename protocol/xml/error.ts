/** Why an XML document was refused. `offset` counts UTF-16 code units into the decoded text. */
export type XmlErrorCode =
  | 'syntax'
  | 'encoding'
  | 'doctype'
  | 'entity'
  | 'namespace'
  | 'limit';

export class XmlError extends Error {
  override readonly name = 'XmlError';
  constructor(
    readonly code: XmlErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}
