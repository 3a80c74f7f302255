import type { Test } from 'tap';
import { SmscSimulator, type SmscSimulatorOptions } from '../../src/smsc-sim/simulator.js';
import { smscLink, type SmscLinkConfig } from '../../src/config/smsc.js';
import { SmscLink } from '../../src/smsc/link.js';

/** Starts a simulator on a free loopback port, stopped at teardown. */
export async function simulator(t: Test, opts: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }], ...opts });
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

/** Link settings with short timers so that failures show within a test. */
export function linkConfig(port: number, over: Partial<SmscLinkConfig> = {}): SmscLinkConfig {
  return {
    ...smscLink(`smpp://mmsc:secret@127.0.0.1:${port}?source=%2B15550000`),
    responseTimeoutMs: 2000,
    reconnectInitialMs: 20,
    reconnectMaxMs: 200,
    throttleBackoffMs: 20,
    throttleBackoffMaxMs: 100,
    ...over,
  };
}

/** Resolves when `cond` holds, polling; rejects after `ms` with `what`. */
export async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A started link, stopped at teardown; resolves once bound. */
export async function boundLink(t: Test, cfg: SmscLinkConfig): Promise<SmscLink> {
  const link = new SmscLink(cfg);
  link.start();
  t.teardown(() => link.stop());
  await until(() => link.up, `link ${cfg.name} to bind`, 15_000);
  return link;
}

export const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff));
