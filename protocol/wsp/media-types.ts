/**
 * Well-known content types (WAP-230 Table 40 as maintained by OMNA; codes 0x00-0x52), sent as
 * Short-integer code|0x80. 0x0A follows AOSP (text/vnd.wap.wta-event); Kannel has
 * application/vnd.wap.catc there - irrelevant to MMS.
 */
export const WELL_KNOWN_MEDIA: readonly string[] = [
  '*/*', 'text/*', 'text/html', 'text/plain', 'text/x-hdml', 'text/x-ttml', 'text/x-vCalendar',
  'text/x-vCard', 'text/vnd.wap.wml', 'text/vnd.wap.wmlscript', 'text/vnd.wap.wta-event', 'multipart/*',
  'multipart/mixed', 'multipart/form-data', 'multipart/byteranges', 'multipart/alternative',
  'application/*', 'application/java-vm', 'application/x-www-form-urlencoded', 'application/x-hdmlc',
  'application/vnd.wap.wmlc', 'application/vnd.wap.wmlscriptc', 'application/vnd.wap.wta-eventc',
  'application/vnd.wap.uaprof', 'application/vnd.wap.wtls-ca-certificate',
  'application/vnd.wap.wtls-user-certificate', 'application/x-x509-ca-cert', 'application/x-x509-user-cert',
  'image/*', 'image/gif', 'image/jpeg', 'image/tiff', 'image/png', 'image/vnd.wap.wbmp',
  'application/vnd.wap.multipart.*', 'application/vnd.wap.multipart.mixed',
  'application/vnd.wap.multipart.form-data', 'application/vnd.wap.multipart.byteranges',
  'application/vnd.wap.multipart.alternative', 'application/xml', 'text/xml', 'application/vnd.wap.wbxml',
  'application/x-x968-cross-cert', 'application/x-x968-ca-cert', 'application/x-x968-user-cert',
  'text/vnd.wap.si', 'application/vnd.wap.sic', 'text/vnd.wap.sl', 'application/vnd.wap.slc',
  'text/vnd.wap.co', 'application/vnd.wap.coc', 'application/vnd.wap.multipart.related',
  'application/vnd.wap.sia', 'text/vnd.wap.connectivity-xml', 'application/vnd.wap.connectivity-wbxml',
  'application/pkcs7-mime', 'application/vnd.wap.hashed-certificate', 'application/vnd.wap.signed-certificate',
  'application/vnd.wap.cert-response', 'application/xhtml+xml', 'application/wml+xml', 'text/css',
  'application/vnd.wap.mms-message', 'application/vnd.wap.rollover-certificate',
  'application/vnd.wap.locc+wbxml', 'application/vnd.wap.loc+xml', 'application/vnd.syncml.dm+wbxml',
  'application/vnd.syncml.dm+xml', 'application/vnd.syncml.notification', 'application/vnd.wap.xhtml+xml',
  'application/vnd.wv.csp.cir', 'application/vnd.oma.dd+xml', 'application/vnd.oma.drm.message',
  'application/vnd.oma.drm.content', 'application/vnd.oma.drm.rights+xml',
  'application/vnd.oma.drm.rights+wbxml', 'application/vnd.wv.csp+xml', 'application/vnd.wv.csp+wbxml',
  'application/vnd.syncml.ds.notification', 'audio/*', 'video/*', 'application/vnd.oma.dd2+xml',
  'application/mikey',
];

/** Registered two-octet codes (Long-integer Well-known-media); accepted on input, never emitted. */
const REGISTERED: ReadonlyMap<number, string> = new Map([
  [0x0201, 'application/vnd.uplanet.cacheop-wbxml'],
  [0x0202, 'application/vnd.uplanet.signal'],
  [0x0203, 'application/vnd.uplanet.alert-wbxml'],
  [0x0204, 'application/vnd.uplanet.list-wbxml'],
  [0x0205, 'application/vnd.uplanet.listcmd-wbxml'],
  [0x0206, 'application/vnd.uplanet.channel-wbxml'],
  [0x0207, 'application/vnd.uplanet.provisioning-status-uri'],
  [0x0208, 'x-wap.multipart/vnd.uplanet.header-set'],
  [0x0209, 'application/vnd.uplanet.bearer-choice-wbxml'],
  [0x020a, 'application/vnd.phonecom.mmc-wbxml'],
  [0x020b, 'application/vnd.nokia.syncset+wbxml'],
  [0x020c, 'image/x-up-wpng'],
  [0x0300, 'application/iota.mmc-wbxml'],
  [0x0301, 'application/iota.mmc-xml'],
  [0x0302, 'application/vnd.syncml+xml'],
  [0x0303, 'application/vnd.syncml+wbxml'],
  [0x0304, 'text/vnd.wap.emn+xml'],
  [0x0305, 'text/calendar'],
]);

const CODE_OF = new Map(WELL_KNOWN_MEDIA.map((t, i) => [t.toLowerCase(), i]));

/** Media type for a well-known code; unknown codes get a stable placeholder that encodes back. */
export function mediaTypeOf(code: number): string {
  return WELL_KNOWN_MEDIA[code] ?? REGISTERED.get(code) ?? `application/x-wsp-code-${code.toString(16)}`;
}

/** The one-octet code for a media type, or undefined when it must be sent as text. */
export function mediaCodeOf(type: string): number | undefined {
  // Media types are nearly always lower case already: the lower-cased copy only on a miss.
  const c = CODE_OF.get(type) ?? CODE_OF.get(type.toLowerCase());
  if (c !== undefined) return c;
  const m = /^application\/x-wsp-code-([0-9a-f]+)$/.exec(type);
  return m ? parseInt(m[1]!, 16) : undefined;
}
