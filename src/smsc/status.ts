import smpp from 'smpp';

/** command_status values the session layer acts on (SMPP v3.4 §5.1.3; protocol-notes §4.6). */
export const SmppStatus = {
  ROK: 0x00,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RSUBMITFAIL: 0x45,
  RINVSYSTYP: 0x53,
  RTHROTTLED: 0x58,
  RX_T_APPN: 0x64,
} as const;

const names = new Map<number, string>();
for (const [name, code] of Object.entries(smpp.errors)) if (!names.has(code)) names.set(code, name);

/** 'ESME_RTHROTTLED (0x58)' */
export function statusName(code: number): string {
  return `${names.get(code) ?? 'unknown status'} (0x${code.toString(16).padStart(2, '0').toUpperCase()})`;
}

/** The SMSC asks us to slow down: pause the link and resend the same PDU (Kannel does the same). */
export function isThrottle(code: number): boolean {
  return code === SmppStatus.RTHROTTLED || code === SmppStatus.RMSGQFUL;
}

/**
 * Worth trying again later (Kannel's list: RMSGQFUL, RTHROTTLED, RX_T_APPN, RSYSERR). RINVBNDSTS means
 * our session state is wrong, not the message. Everything else rejects the message itself.
 */
export function isTemporary(code: number): boolean {
  return isThrottle(code) || code === SmppStatus.RX_T_APPN || code === SmppStatus.RSYSERR || code === SmppStatus.RINVBNDSTS;
}

/** A bind refused for these will be refused again: stop retrying until reconfigured. */
export function isCredentialRefusal(code: number): boolean {
  return code === SmppStatus.RINVPASWD || code === SmppStatus.RINVSYSID || code === SmppStatus.RINVSYSTYP;
}
