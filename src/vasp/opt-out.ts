import type { Store } from '../store/types.js';

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

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
    return (await this.store.cacheGet('vasp-optout', `${vaspId}:${e164}`)) !== undefined;
  }

  async add(vaspId: string, e164: string, reason: string): Promise<void> {
    await this.store.cacheSet('vasp-optout', `${vaspId}:${e164}`, Buffer.from(JSON.stringify({ at: Date.now(), reason })), TEN_YEARS_MS);
  }
}
