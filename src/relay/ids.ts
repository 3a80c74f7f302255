import { randomBytes } from 'node:crypto';

/**
 * Identifiers handed to handsets and VASPs. Retrieval tokens carry 128 random bits in base64url
 * (22 characters, no '%', never ending in '=' so Android does not append its TID to the URL).
 */
export interface IdSource {
  messageId(): string;
  token(): string;
  transactionId(): string;
}

export const randomIds: IdSource = {
  messageId: () => `${Date.now().toString(36)}${randomBytes(8).toString('base64url')}`,
  token: () => randomBytes(16).toString('base64url'),
  transactionId: () => `T${randomBytes(9).toString('base64url')}`,
};
