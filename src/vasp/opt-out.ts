import type { Store } from '../store/types.js';

const TEN_YEARS_MS = 10 * 365 * 86_400_000;
const OPTED_IN = 0x2d;

/**
 * Recipients who do not want messages: a global list from the config, and per-VASP entries kept
 * in the store (a handset that texted STOP to the VASP's short code).
 */
export class OptOutList {
  private readonly global: ReadonlySet<string>;

  constructor(
    private readonly store: Store,
    globalList: readonly string[],
  ) {
    this.global = new Set(globalList);
  }

  async isOptedOut(vaspId: string, e164: string): Promise<boolean> {
    if (this.global.has(e164)) return true;
    const v = await this.store.cacheGet('vasp-optout', `${vaspId}:${e164}`);
    // '-' is an opt-in written over an earlier opt-out (START): the cache has no delete.
    return v !== undefined && v[0] !== OPTED_IN;
  }

  /** START/UNSTOP: the number may get the VASP's messages again (the config list still wins). */
  async remove(vaspId: string, e164: string): Promise<void> {
    await this.store.cacheSet('vasp-optout', `${vaspId}:${e164}`, Buffer.from([OPTED_IN]), TEN_YEARS_MS);
  }

  async add(vaspId: string, e164: string, reason: string): Promise<void> {
    await this.store.cacheSet('vasp-optout', `${vaspId}:${e164}`, Buffer.from(JSON.stringify({ at: Date.now(), reason })), TEN_YEARS_MS);
  }
}
