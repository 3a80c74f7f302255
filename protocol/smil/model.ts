/** MMS SMIL (a subset of SMIL 2.0 Basic; protocol-notes §8) as a typed presentation. Times are milliseconds. */

export type SmilMediaKind = 'img' | 'text' | 'audio' | 'video' | 'ref' | 'animation' | 'textstream';

export const SMIL_MEDIA_KINDS: readonly SmilMediaKind[] = ['img', 'text', 'audio', 'video', 'ref', 'animation', 'textstream'];

export interface SmilMedia {
  kind: SmilMediaKind;
  /** `cid:<Content-ID>` or a name matching a part's Content-Location / name. */
  src: string;
  region?: string;
  begin?: number;
  end?: number;
  dur?: number;
  alt?: string;
}

export interface SmilSlide {
  dur?: number;
  media: SmilMedia[];
}

/** Region geometry as written (`0%`, `176`, `176px`): players interpret it, we only carry it. */
export interface SmilRegion {
  id: string;
  left?: string;
  top?: string;
  width?: string;
  height?: string;
  fit?: string;
}

export interface SmilRootLayout {
  width?: string;
  height?: string;
  backgroundColor?: string;
}

export interface SmilPresentation {
  rootLayout?: SmilRootLayout;
  regions: SmilRegion[];
  slides: SmilSlide[];
}

export class SmilError extends Error {
  override readonly name = 'SmilError';
}
