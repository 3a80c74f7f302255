/** MM7 request status codes (3GPP TS 23.140 Table 19; notes §6.5). Classes: 1xxx success, 2xxx client, 3xxx server, 4xxx service. */

export interface Mm7StatusEntry {
  code: number;
  name: string;
  text: string;
  /** Release that introduced the code, when later than REL-5. */
  since?: 6;
}

export const MM7_STATUS: readonly Mm7StatusEntry[] = [
  { code: 1000, name: 'Success', text: 'Success' },
  { code: 1100, name: 'PartialSuccess', text: 'Partial success' },
  { code: 2000, name: 'ClientError', text: 'Client error' },
  { code: 2001, name: 'OperationRestricted', text: 'Operation restricted' },
  { code: 2002, name: 'AddressError', text: 'Address Error' },
  { code: 2003, name: 'AddressNotFound', text: 'Address Not Found' },
  { code: 2004, name: 'MultimediaContentRefused', text: 'Multimedia content refused' },
  { code: 2005, name: 'MessageIdNotFound', text: 'Message ID Not found' },
  { code: 2006, name: 'LinkedIdNotFound', text: 'LinkedID not found' },
  { code: 2007, name: 'MessageFormatCorrupt', text: 'Message format corrupt' },
  { code: 2008, name: 'ApplicationIdNotFound', text: 'Application ID not found', since: 6 },
  { code: 2009, name: 'ReplyApplicationIdNotFound', text: 'Reply Application ID not found', since: 6 },
  { code: 3000, name: 'ServerError', text: 'Server Error' },
  { code: 3001, name: 'NotPossible', text: 'Not Possible' },
  { code: 3002, name: 'MessageRejected', text: 'Message rejected' },
  { code: 3003, name: 'MultipleAddressesNotSupported', text: 'Multiple addresses not supported' },
  { code: 3004, name: 'ApplicationAddressingNotSupported', text: 'Application Addressing not supported', since: 6 },
  { code: 4000, name: 'GeneralServiceError', text: 'General service error' },
  { code: 4001, name: 'ImproperIdentification', text: 'Improper identification' },
  { code: 4002, name: 'UnsupportedVersion', text: 'Unsupported version' },
  { code: 4003, name: 'UnsupportedOperation', text: 'Unsupported operation' },
  { code: 4004, name: 'ValidationError', text: 'Validation error' },
  { code: 4005, name: 'ServiceError', text: 'Service error' },
  { code: 4006, name: 'ServiceUnavailable', text: 'Service unavailable' },
  { code: 4007, name: 'ServiceDenied', text: 'Service denied' },
  { code: 4008, name: 'ApplicationDenied', text: 'Application denied', since: 6 },
];

const BY_CODE = new Map(MM7_STATUS.map((s) => [s.code, s]));

/** The status codes by name, for call sites: `Mm7Status.AddressError` is 2002. */
export const Mm7Status = Object.freeze(Object.fromEntries(MM7_STATUS.map((s) => [s.name, s.code]))) as Readonly<Record<Mm7StatusName, number>>;

export type Mm7StatusName =
  | 'Success' | 'PartialSuccess' | 'ClientError' | 'OperationRestricted' | 'AddressError' | 'AddressNotFound'
  | 'MultimediaContentRefused' | 'MessageIdNotFound' | 'LinkedIdNotFound' | 'MessageFormatCorrupt'
  | 'ApplicationIdNotFound' | 'ReplyApplicationIdNotFound' | 'ServerError' | 'NotPossible' | 'MessageRejected'
  | 'MultipleAddressesNotSupported' | 'ApplicationAddressingNotSupported' | 'GeneralServiceError'
  | 'ImproperIdentification' | 'UnsupportedVersion' | 'UnsupportedOperation' | 'ValidationError' | 'ServiceError'
  | 'ServiceUnavailable' | 'ServiceDenied' | 'ApplicationDenied';

/** Standard text for a code; unknown codes get their class's text (a vendor's 3005 reads "Server Error"). */
export function mm7StatusText(code: number): string {
  return BY_CODE.get(code)?.text ?? BY_CODE.get(Math.floor(code / 1000) * 1000)?.text ?? 'Unknown status';
}

export function isMm7Success(code: number): boolean {
  return code >= 1000 && code < 2000;
}
