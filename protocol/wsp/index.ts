export { DecodeError, EncodeError } from './errors.js';
export { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
export { WspReader } from './reader.js';
export { WspWriter, uintvarSize } from './writer.js';
export { CHARSETS, charsetMib, charsetName } from './charsets.js';
export { WELL_KNOWN_MEDIA, mediaCodeOf, mediaTypeOf } from './media-types.js';
export { readParams, writeParams, type Params, type ParamValue } from './parameters.js';
export {
  readContentType,
  writeContentType,
  type ContentType,
} from './content-type.js';
export { readEncodedString, writeEncodedString } from './encoded-string.js';
export { decodePlainText, decodeCharsetText, isAsciiString } from './text.js';
export { WSP_HEADER, WSP_HEADER_NAMES } from './header-names.js';
export {
  readMultipart,
  writeMultipart,
  isMultipart,
  type Part,
  type ContentDisposition,
  type OtherPartHeader,
  type Warn,
} from './multipart.js';
