/**
 * WSP well-known header field names (WAP-230 Table 39, WSP 1.1-1.4), indexed by code. Used to name
 * part headers we keep but do not interpret, and for the WSP push header block.
 */
export const WSP_HEADER_NAMES: readonly string[] = [
  'Accept', 'Accept-Charset', 'Accept-Encoding', 'Accept-Language', 'Accept-Ranges', 'Age', 'Allow',
  'Authorization', 'Cache-Control', 'Connection', 'Content-Base', 'Content-Encoding', 'Content-Language',
  'Content-Length', 'Content-Location', 'Content-MD5', 'Content-Range', 'Content-Type', 'Date', 'Etag',
  'Expires', 'From', 'Host', 'If-Modified-Since', 'If-Match', 'If-None-Match', 'If-Range',
  'If-Unmodified-Since', 'Location', 'Last-Modified', 'Max-Forwards', 'Pragma', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Public', 'Range', 'Referer', 'Retry-After', 'Server', 'Transfer-Encoding',
  'Upgrade', 'User-Agent', 'Vary', 'Via', 'Warning', 'WWW-Authenticate', 'Content-Disposition',
  'X-Wap-Application-Id', 'X-Wap-Content-URI', 'X-Wap-Initiator-URI', 'Accept-Application',
  'Bearer-Indication', 'Push-Flag', 'Profile', 'Profile-Diff', 'Profile-Warning', 'Expect', 'TE',
  'Trailer', 'Accept-Charset', 'Accept-Encoding', 'Cache-Control', 'Content-Range', 'X-Wap-Tod',
  'Content-ID', 'Set-Cookie', 'Cookie', 'Encoding-Version', 'Profile-Warning', 'Content-Disposition',
  'X-WAP-Security', 'Cache-Control',
];

export const WSP_HEADER = {
  contentLength: 0x0d,
  contentLocation: 0x0e,
  contentDisposition: 0x2e,
  xWapApplicationId: 0x2f,
  pushFlag: 0x34,
  contentId: 0x40,
  contentDisposition14: 0x45,
} as const;
