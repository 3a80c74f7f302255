export { decode, type MmsDecodeOptions } from './decode.js';
export { encode, MmsEncoder } from './encode.js';
export * from './pdu.js';
export * from './tokens.js';
export { HEADERS, HEADER_BY_CODE, HEADER_BY_FIELD, type HeaderDef } from './headers.js';
export { MESSAGE_TYPES, messageTypeCode, messageTypeName, type MessageTypeName } from './message-types.js';
export { INSERT_ADDRESS, type TimeValue, type Token, type PreviouslySentBy, type PreviouslySentDate, type MmFlags, type MboxCount, type ElementDescriptor } from './values.js';
export { parseAddress, formatAddress, type ParsedAddress, type AddressKind } from './address.js';
