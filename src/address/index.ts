/**
 * Addresses for the whole gateway, below the relay and the interfaces (MM1, MM7/REST, adaptation,
 * MM4/MM3 routing): what kind an address is and the number it carries (classify.ts), and phone
 * numbers in E.164 with their country (number.ts, on libphonenumber-js). The wire grammar of MMS
 * addresses stays with the codec in protocol/mms/address.ts.
 */
export {
  classifyAddress,
  addressKind,
  isRoutable,
  msisdnOf,
  sameSubscriber,
  plmnAddress,
  type Address,
  type AddressKind,
} from './classify.js';
export {
  normaliseNumber,
  isPossibleNumber,
  isValidNumber,
  countryOf,
  callingCodeOf,
  timeZonesOf,
  type NumberingPlan,
  type NormalisedNumber,
} from './number.js';
