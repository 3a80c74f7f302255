export { RDF_NS, PRF_NS_2001, PRF_NS_2002, MMS_NS_2001, MMS_NS_12, CCPP_NS } from './namespaces.js';
export { parseUaProf, mergeCapabilities, emptyCapabilities, normaliseMediaType, UaProfError, type DeviceCapabilities, type Dimensions } from './capabilities.js';
export { parseProfileHeader, parseProfileDiffHeader, type ProfileReference, type ProfileDiffRef } from './header.js';
