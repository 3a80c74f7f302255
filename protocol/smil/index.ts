export { SMIL_MEDIA_KINDS, SmilError, type SmilMedia, type SmilMediaKind, type SmilPresentation, type SmilRegion, type SmilRootLayout, type SmilSlide } from './model.js';
export { parseClockValue, formatClockValue } from './clock.js';
export { parseSmil } from './parse.js';
export { buildSmil, serializeSmil, smilKindFor, IMAGE_REGION, TEXT_REGION, type BuildSmilOptions, type SmilPartInput } from './build.js';
export { rewriteSmil, findSmilPart, type SmilSrcMapping, type SmilRewriteResult, type SmilPartRef } from './rewrite.js';
