/**
 * IANA MIBenum numbers (the WSP Well-known-charset) and the WHATWG labels TextDecoder knows them by.
 * ucs-2 (1000) is big-endian UTF-16 without surrogates in practice; utf-16 (1015) is BOM-led, BE by
 * default (RFC 2781 4.3), which TextDecoder('utf-16be') does not strip, so it is handled by label.
 */
export const CHARSETS: ReadonlyArray<readonly [mib: number, name: string, label: string]> = [
  [0, '*', 'utf-8'],
  [3, 'us-ascii', 'utf-8'],
  [4, 'iso-8859-1', 'latin1'],
  [5, 'iso-8859-2', 'iso-8859-2'],
  [6, 'iso-8859-3', 'iso-8859-3'],
  [7, 'iso-8859-4', 'iso-8859-4'],
  [8, 'iso-8859-5', 'iso-8859-5'],
  [9, 'iso-8859-6', 'iso-8859-6'],
  [10, 'iso-8859-7', 'iso-8859-7'],
  [11, 'iso-8859-8', 'iso-8859-8'],
  [12, 'iso-8859-9', 'windows-1254'],
  [13, 'iso-8859-10', 'iso-8859-10'],
  [17, 'shift_jis', 'shift_jis'],
  [18, 'euc-jp', 'euc-jp'],
  [36, 'ks_c_5601-1987', 'euc-kr'],
  [38, 'euc-kr', 'euc-kr'],
  [39, 'iso-2022-jp', 'iso-2022-jp'],
  [106, 'utf-8', 'utf-8'],
  [109, 'iso-8859-13', 'iso-8859-13'],
  [110, 'iso-8859-14', 'iso-8859-14'],
  [111, 'iso-8859-15', 'iso-8859-15'],
  [112, 'iso-8859-16', 'iso-8859-16'],
  [113, 'gbk', 'gbk'],
  [114, 'gb18030', 'gb18030'],
  [1000, 'iso-10646-ucs-2', 'utf-16be'],
  [1013, 'utf-16be', 'utf-16be'],
  [1014, 'utf-16le', 'utf-16le'],
  [1015, 'utf-16', 'utf-16'],
  [2025, 'gb2312', 'gbk'],
  [2026, 'big5', 'big5'],
  [2084, 'koi8-r', 'koi8-r'],
  [2252, 'windows-1252', 'windows-1252'],
  [2251, 'windows-1251', 'windows-1251'],
];

const BY_MIB = new Map(CHARSETS.map(([mib, name, label]) => [mib, { name, label }]));
const BY_NAME = new Map(CHARSETS.map(([mib, name]) => [name, mib]));

export function charsetLabel(mib: number): string | undefined {
  const e = BY_MIB.get(mib);
  if (!e) return undefined;
  // utf-16 with a BOM: TextDecoder('utf-16be') keeps the BOM; let the BOM decide instead.
  return e.label === 'utf-16' ? 'utf-16be' : e.label;
}

export function charsetName(mib: number): string {
  return BY_MIB.get(mib)?.name ?? `mib-${mib}`;
}

export function charsetMib(name: string): number | undefined {
  // Names are nearly always lower case already: the lower-cased copy only on a miss.
  const direct = BY_NAME.get(name);
  if (direct !== undefined) return direct;
  const n = name.toLowerCase();
  const folded = BY_NAME.get(n);
  if (folded !== undefined) return folded;
  const m = /^mib-(\d+)$/.exec(n);
  if (m) return Number(m[1]);
  if (n === 'utf8') return 106;
  if (n === 'ascii') return 3;
  if (n === 'latin1') return 4;
  return undefined;
}
