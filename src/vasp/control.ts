export interface ControlResult {
  outcome: 'done' | 'not-found' | 'too-late';
  /** Recipients the operation applied to. */
  recipients: number;
}

/** Cancel and replace of a VASP's message while it is not yet retrieved (MM7 CancelReq/ReplaceReq, REST). */
export interface MessageControl {
  cancel(vaspId: string, messageId: string): Promise<ControlResult>;
  replace(vaspId: string, messageId: string, content: { contentType: import('../relay/model.js').ContentTypeRecord; body: Uint8Array } | undefined, earliestDelivery?: number): Promise<ControlResult>;
}
