/** Why an XML document was refused. */
export type XmlErrorCode =
  | 'syntax'
  | 'encoding'
  | 'doctype'
  | 'entity'
  | 'namespace'
  | 'limit';

/**
 * `offset` counts UTF-16 code units into the decoded text; `line` and `column` (both 1-based, the
 * column in UTF-16 units) say the same for a person reading the document.
 */
export class XmlError extends Error {
  override readonly name = 'XmlError';
  constructor(
    readonly code: XmlErrorCode,
    message: string,
    readonly offset: number,
    readonly line = 1,
    readonly column = offset + 1,
  ) {
    super(`${message} at line ${line}, column ${column} (offset ${offset})`);
  }
}
