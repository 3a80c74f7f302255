export { XmlError, type XmlErrorCode } from './error.js';
export { decodeXmlBytes } from './decode.js';
export { parseXml, DEFAULT_XML_LIMITS, type XmlLimits, type XmlParseOptions } from './parse.js';
export { serializeXml, escapeText, escapeAttribute, type XmlSerializeOptions } from './serialize.js';
export {
  XML_NS,
  XMLNS_NS,
  element,
  childNamed,
  childrenNamed,
  attrValue,
  descendants,
  type XmlAttribute,
  type XmlElement,
} from './tree.js';
