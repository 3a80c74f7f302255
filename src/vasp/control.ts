import type { ContentTypeRecord } from '../records/model.js';
import type { Relay } from '../relay/relay.js';
import type { Store } from '../store/types.js';

export interface ControlResult {
  outcome: 'done' | 'not-found' | 'too-late';
  /** Recipients the operation applied to. */
  recipients: number;
}

/** Cancel (and, where supported, replace) of a VASP's message while it is not yet retrieved. */
export interface MessageControl {
  cancel(vaspId: string, messageId: string): Promise<ControlResult>;
  replace?(vaspId: string, messageId: string, content: { contentType: ContentTypeRecord; body: Uint8Array } | undefined, earliestDelivery?: number): Promise<ControlResult>;
}

/** Cancel and replace through the relay; a VASP can only touch its own messages (others' look absent). */
export function relayControl(relay: Relay, store: Store): MessageControl {
  return {
    async cancel(vaspId, messageId) {
      const m = await store.getMessage(messageId);
      if (!m || (m.origin.kind !== 'mm7' && m.origin.kind !== 'rest') || m.origin.vaspId !== vaspId) return { outcome: 'not-found', recipients: 0 };
      const r = await relay.cancel(messageId);
      return { outcome: r.cancelled > 0 ? 'done' : 'too-late', recipients: r.cancelled };
    },
    async replace(vaspId, messageId, content) {
      const m = await store.getMessage(messageId);
      if (!m || (m.origin.kind !== 'mm7' && m.origin.kind !== 'rest') || m.origin.vaspId !== vaspId) return { outcome: 'not-found', recipients: 0 };
      // Nothing to replace with: the other ReplaceReq fields alone do not change what handsets get.
      if (!content) return { outcome: 'done', recipients: 0 };
      const r = await relay.replace(messageId, content);
      return { outcome: r === 'replaced' ? 'done' : r, recipients: r === 'replaced' ? m.recipientCount : 0 };
    },
  };
}
