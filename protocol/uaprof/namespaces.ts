/** Namespaces UAProf documents use (protocol-notes §7.2). Matching never depends on them; they are for callers and tests. */
export const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const PRF_NS_2001 = 'http://www.wapforum.org/profiles/UAPROF/ccppschema-20010430#';
export const PRF_NS_2002 = 'http://www.openmobilealliance.org/tech/profiles/UAPROF/ccppschema-20021212#';
export const MMS_NS_2001 = 'http://www.wapforum.org/profiles/MMS/ccppschema-20010111#';
export const MMS_NS_12 = 'http://www.openmobilealliance.org/tech/profiles/MMS/ccppschema-20050301-MMS1.2#';
export const CCPP_NS = 'http://www.w3.org/2002/11/08-ccpp-schema#';
