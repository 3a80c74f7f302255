import type { Mm7Time } from './datetime.js';
import type { MimeEntity } from './mime.js';

/** An MM7 address element (TS 23.140 addressType): the element name says what kind of address it is. */
export interface Mm7Address {
  kind: 'Number' | 'ShortCode' | 'RFC2822Address';
  value: string;
  /** `displayOnly="true"`: shown to recipients, not delivered to. */
  displayOnly?: boolean;
}

export interface Mm7Recipients {
  to: Mm7Address[];
  cc: Mm7Address[];
  bcc: Mm7Address[];
}

export interface Mm7StatusValue {
  code: number;
  text?: string;
  details?: string;
}

export interface Mm7ContentRef {
  href: string;
  allowAdaptations?: boolean;
}

export type Mm7MessageClass = 'Personal' | 'Informational' | 'Advertisement' | 'Auto';
export type Mm7Priority = 'High' | 'Normal' | 'Low';
export type Mm7ChargedParty = 'Sender' | 'Recipient' | 'Both' | 'Neither' | 'ThirdParty';

export interface SubmitReq {
  type: 'SubmitReq';
  mm7Version: string;
  vaspId?: string;
  vasId?: string;
  senderAddress?: Mm7Address;
  recipients: Mm7Recipients;
  serviceCode?: string;
  linkedId?: string;
  messageClass?: string;
  timeStamp?: Date;
  replyCharging?: { size?: number; deadline?: Mm7Time };
  earliestDeliveryTime?: Mm7Time;
  expiryDate?: Mm7Time;
  deliveryReport?: boolean;
  readReply?: boolean;
  priority?: string;
  subject?: string;
  chargedParty?: string;
  chargedPartyId?: string;
  distributionIndicator?: boolean;
  contentClass?: string;
  drmContent?: boolean;
  content?: Mm7ContentRef;
}

export interface DeliverReq {
  type: 'DeliverReq';
  mm7Version: string;
  mmsRelayServerId?: string;
  vaspId?: string;
  vasId?: string;
  linkedId?: string;
  sender?: Mm7Address;
  recipients: Mm7Recipients;
  timeStamp?: Date;
  replyChargingId?: string;
  priority?: string;
  subject?: string;
  content?: Mm7ContentRef;
}

export interface CancelReq {
  type: 'CancelReq';
  mm7Version: string;
  vaspId?: string;
  vasId?: string;
  senderAddress?: Mm7Address;
  messageId: string;
}

export interface ReplaceReq {
  type: 'ReplaceReq';
  mm7Version: string;
  vaspId?: string;
  vasId?: string;
  messageId: string;
  serviceCode?: string;
  timeStamp?: Date;
  readReply?: boolean;
  earliestDeliveryTime?: Mm7Time;
  distributionIndicator?: boolean;
  content?: Mm7ContentRef;
}

/** MMStatus values of DeliveryReportReq (REL-5 list; later releases may add more, kept as strings). */
export type Mm7DeliveryStatus = 'Expired' | 'Retrieved' | 'Rejected' | 'Indeterminate' | 'Forwarded' | 'Unrecognised' | 'Deferred' | (string & {});
export type Mm7ReadStatus = 'Read' | 'Deleted' | 'Indeterminate' | (string & {});

export interface DeliveryReportReq {
  type: 'DeliveryReportReq';
  mm7Version: string;
  mmsRelayServerId?: string;
  messageId: string;
  recipient?: Mm7Address;
  sender?: Mm7Address;
  date?: Date;
  mmStatus: Mm7DeliveryStatus;
  statusText?: string;
}

export interface ReadReplyReq {
  type: 'ReadReplyReq';
  mm7Version: string;
  mmsRelayServerId?: string;
  messageId: string;
  recipient?: Mm7Address;
  sender?: Mm7Address;
  timeStamp?: Date;
  mmStatus: Mm7ReadStatus;
  statusText?: string;
}

export type Mm7ResponseType =
  | 'SubmitRsp'
  | 'DeliverRsp'
  | 'CancelRsp'
  | 'ReplaceRsp'
  | 'DeliveryReportRsp'
  | 'ReadReplyRsp'
  | 'RSErrorRsp'
  | 'VASPErrorRsp';

/** Every MM7 response shares this shape; MessageID only on SubmitRsp, ServiceCode only on DeliverRsp. */
export interface Mm7Response {
  type: Mm7ResponseType;
  mm7Version: string;
  mmsRelayServerId?: string;
  status: Mm7StatusValue;
  messageId?: string;
  serviceCode?: string;
}

export interface SoapFault {
  type: 'Fault';
  faultcode: string;
  faultstring: string;
  /** RSErrorRsp / VASPErrorRsp found in `detail`. */
  error?: Mm7Response;
}

export type Mm7Operation = SubmitReq | DeliverReq | CancelReq | ReplaceReq | DeliveryReportReq | ReadReplyReq | Mm7Response | SoapFault;

export interface Mm7Message<Op extends Mm7Operation = Mm7Operation> {
  /** Namespace of the SOAP envelope (1.1 normally). */
  soapNs: string;
  /** MM7 namespace the sender used (of the operation element, else of TransactionID); '' if none. */
  namespace: string;
  transactionId?: string;
  operation: Op;
  /** The MM the Content element points at, for SubmitReq, ReplaceReq and DeliverReq. */
  content?: MimeEntity;
  /** How `content` was found: by Content-ID, by Content-Location, or as the only attachment. */
  contentMatchedBy?: 'cid' | 'location' | 'only-attachment';
  /** Every part besides the envelope, in order. */
  attachments: MimeEntity[];
}

/** A request that cannot be accepted; `statusCode` goes into the RSErrorRsp / fault detail. */
export class Mm7Error extends Error {
  override readonly name = 'Mm7Error';
  constructor(
    readonly statusCode: number,
    message: string,
    /** What was learned before failing, to answer in the sender's namespace. */
    readonly context: { namespace?: string; transactionId?: string; soapNs?: string } = {},
  ) {
    super(message);
  }
}
