import type { Test } from 'tap';
import pino from 'pino';
import { defaultConfig, type GatewayConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { Handset, HandsetDirectory, type Behaviour, type HandsetOptions } from '../../src/emulator/handset.js';
import { Mm1Client } from '../../src/emulator/mm1-client.js';
import { SimulatorPushSource, SmppReceiverPushSource, type PushSource } from '../../src/emulator/receiver.js';
import { SmscSimulator } from '../../src/smsc-sim/simulator.js';

export interface Lab {
  gw: Gateway;
  sim: SmscSimulator;
  client: Mm1Client;
  handsets: HandsetDirectory;
  source: PushSource;
  handset(msisdn: string, behaviour?: Behaviour, extra?: Partial<HandsetOptions>): Handset;
}

/**
 * A gateway in this process bound over real SMPP to an SMSC simulator, and handsets reached over real
 * HTTP, getting their pushes from the simulator in-process or through their own SMPP receiver bind.
 */
export async function lab(t: Test, opts: { via?: 'simulator' | 'smpp'; tweak?: (c: GatewayConfig) => void } = {}): Promise<Lab> {
  const sim = new SmscSimulator({ accounts: [{ systemId: 'mmsc', password: 'secret' }, { systemId: 'phones', password: 'pw' }], receiptDelayMs: 10 });
  const smscPort = await sim.start();
  const config = defaultConfig();
  config.dataDir = t.testdir({});
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.log.level = 'silent';
  config.smsc = { url: `smpp://mmsc:secret@127.0.0.1:${smscPort}?reconnect_initial_ms=50&reconnect_max_ms=200` };
  config.relay.pushRetry = { initialSeconds: 0.2, maxSeconds: 1, maxAttempts: 200 };
  opts.tweak?.(config);
  const gw = await startGateway({ config, logger: pino({ level: 'silent' }) });
  const client = new Mm1Client({ mmscUrl: `${gw.url}/mms` });
  const handsets = new HandsetDirectory();
  const source: PushSource =
    opts.via === 'smpp' ? new SmppReceiverPushSource({ host: '127.0.0.1', port: smscPort, systemId: 'phones', password: 'pw', addressRange: '^1555' }) : new SimulatorPushSource(sim);
  source.onPush((p) => handsets.deliver(p.to, p.payload, p.segments));
  await source.start();
  t.teardown(async () => {
    await source.stop();
    await gw.stop();
    client.close();
    await sim.stop();
  });
  return {
    gw,
    sim,
    client,
    handsets,
    source,
    handset(msisdn, behaviour = 'android', extra = {}) {
      const h = new Handset({ msisdn, behaviour, client, ...extra });
      handsets.add(h);
      return h;
    },
  };
}

export { until } from '../support/until.js';
