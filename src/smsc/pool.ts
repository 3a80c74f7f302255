import type { Logger } from '../log.js';
import type { SmscLinkConfig } from '../config/smsc.js';
import { SmscLink, type LinkStatus } from './link.js';
import type { DeliveryReceipt } from './receipt.js';

/**
 * Several SMSC links. A destination goes to the links whose prefix matches it longest (links without
 * prefixes take the rest); within that group, round robin over the links that are up, the others
 * following in order for failover.
 */
export class SmscPool {
  readonly links: SmscLink[];
  private readonly rr = new Map<string, number>();

  constructor(links: (SmscLink | SmscLinkConfig)[], logger?: Logger) {
    this.links = links.map((l) => (l instanceof SmscLink ? l : new SmscLink(l, logger)));
    if (this.links.length === 0) throw new Error('an SMSC pool needs at least one link');
  }

  start(): void {
    for (const l of this.links) l.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.links.map((l) => l.stop()));
  }

  get up(): boolean {
    return this.links.some((l) => l.up);
  }

  status(): LinkStatus[] {
    return this.links.map((l) => l.status());
  }

  link(name: string): SmscLink | undefined {
    return this.links.find((l) => l.name === name);
  }

  onReceipt(listener: (r: DeliveryReceipt) => void): () => void {
    const offs = this.links.map((l) => l.onReceipt(listener));
    return () => offs.forEach((off) => off());
  }

  /** The links that serve `destination`, in the order to try them; links that are down come last. */
  route(destination: string): SmscLink[] {
    const digits = destination.replace(/\/TYPE=.*$/i, '').replace(/^\+/, '');
    let best = -1;
    let group: SmscLink[] = [];
    for (const l of this.links) {
      const len = l.cfg.prefixes.length === 0 ? 0 : Math.max(-1, ...l.cfg.prefixes.map((p) => (digits.startsWith(p) ? p.length : -1)));
      if (len > best) {
        best = len;
        group = [l];
      } else if (len === best && len >= 0) group.push(l);
    }
    if (best < 0) return [];
    const key = group.map((l) => l.name).join('\u0000');
    const start = this.rr.get(key) ?? 0;
    this.rr.set(key, (start + 1) % group.length);
    const rotated = [...group.slice(start % group.length), ...group.slice(0, start % group.length)];
    return [...rotated.filter((l) => l.up), ...rotated.filter((l) => !l.up)];
  }
}
