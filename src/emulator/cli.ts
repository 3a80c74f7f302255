#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino from 'pino';
import { BEHAVIOURS, HandsetDirectory } from './handset.js';
import { runLoad, formatLoadReport, type LoadOptions } from './load.js';
import { Mm1Client } from './mm1-client.js';
import { SimulatorPushSource, SmppReceiverPushSource, type PushSource } from './receiver.js';
import { loadScenario, runScenario } from './scenario.js';
import { SmscSimulator } from '../smsc-sim/simulator.js';

const usage = `mmsc-emulator: emulated handsets against an MMSC (MM1 over HTTP, notifications by WAP Push over SMPP).

  mmsc-emulator scenario FILE [options]
  mmsc-emulator load --handsets N --rate R (--duration S | --count C) [options]

Where the handsets get their notifications (one of):
  --simulate-smsc [HOST:]PORT  run an SMSC simulator here; point the MMSC's SMPP link at it
                               (default 127.0.0.1:2775; needed for "smsc" outage steps)
  --smsc HOST:PORT             bind as an SMPP receiver to this SMSC (yours, or mmsc-smsc-sim)
  --system-id ID --password PW credentials of that receiver bind (default handsets / none)
  --address-range RANGE        destinations the receiver bind asks for (default: the handsets' common prefix)

Options:
  --mmsc URL            where handsets POST (default http://127.0.0.1:8080/mms)
  --msisdn-header NAME  header carrying the handset's number (default x-msisdn)
  --allow-remote        allow a non-loopback MMSC or Content-Location (off: a test tool, not a crawler)
  --json                print the result as JSON on stdout (progress goes to stderr)

Load options:
  --handsets N          emulated handsets (1..100000), numbers from --first-msisdn (default +15551000000)
  --rate R              messages per second offered (0 = as fast as --window allows)
  --window W            messages in flight at most (default 500)
  --duration S | --count C   stop sending after S seconds or C messages (bounded: 3600 s, 1000000)
  --size BYTES          media bytes per message (default 1024)
  --behaviour NAME      receiving handsets' behaviour (default android)
  --reports-to WHERE    where handsets post m-notifyresp-ind / m-acknowledge-ind: mmsc (default) or
                        content-location (Android with MMS_CONFIG_NOTIFY_WAP_MMSC_ENABLED)
  --drain S             after sending, wait at most S seconds for outstanding deliveries (default 30)

Exit status: 0 all expectations passed (load: no errors), 1 something failed, 2 bad usage.`;

class UsageError extends Error {}

function hostPort(v: string, name: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--${name} must be [HOST:]PORT, got ${JSON.stringify(v)}`);
  return { host: m[1] ?? defaultHost, port };
}

function num(v: string | undefined, name: string, min: number, max: number, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

function commonPrefix(numbers: string[]): string {
  const ds = numbers.map((n) => n.replace(/\D/g, ''));
  let p = ds[0] ?? '';
  for (const d of ds) while (!d.startsWith(p)) p = p.slice(0, -1);
  return p.slice(0, 40);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      mmsc: { type: 'string', default: 'http://127.0.0.1:8080/mms' },
      'msisdn-header': { type: 'string' },
      'simulate-smsc': { type: 'string' },
      smsc: { type: 'string' },
      'system-id': { type: 'string', default: 'handsets' },
      password: { type: 'string', default: '' },
      'address-range': { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      handsets: { type: 'string' },
      rate: { type: 'string' },
      window: { type: 'string' },
      duration: { type: 'string' },
      count: { type: 'string' },
      size: { type: 'string' },
      behaviour: { type: 'string' },
      'reports-to': { type: 'string' },
      drain: { type: 'string' },
      'first-msisdn': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const [command, ...rest] = positionals;
  if (command !== 'scenario' && command !== 'load') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (values.smsc && values['simulate-smsc']) throw new UsageError('give --smsc or --simulate-smsc, not both');
  const log = pino({ name: 'mmsc-emulator', level: 'warn' }, pino.destination(2));
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const out = values.json ? err : (s: string) => process.stdout.write(`${s}\n`);

  const client = new Mm1Client({ mmscUrl: values.mmsc, msisdnHeader: values['msisdn-header'], allowRemote: values['allow-remote'], maxSockets: 64 });
  const directory = new HandsetDirectory();
  let sim: SmscSimulator | undefined;
  let source: PushSource;

  let scenarioFile: Awaited<ReturnType<typeof loadScenario>> | undefined;
  if (command === 'scenario') {
    if (rest.length !== 1) throw new UsageError('scenario takes one FILE');
    scenarioFile = await loadScenario(rest[0]!);
  }
  const loadOpts: LoadOptions | undefined =
    command === 'load'
      ? {
          handsets: num(values.handsets, 'handsets', 1, 100_000),
          rate: num(values.rate, 'rate', 0, 100_000),
          window: num(values.window, 'window', 1, 100_000, 500),
          durationSeconds: values.duration !== undefined ? num(values.duration, 'duration', 0.1, 3600) : undefined,
          count: values.count !== undefined ? num(values.count, 'count', 1, 1_000_000) : undefined,
          mediaBytes: num(values.size, 'size', 0, 1_000_000, 1024),
          behaviour: (values.behaviour ?? 'android') as LoadOptions['behaviour'],
          reportsTo: (values['reports-to'] ?? 'mmsc') as LoadOptions['reportsTo'],
          drainSeconds: num(values.drain, 'drain', 0, 600, 30),
          firstMsisdn: values['first-msisdn'] ?? '+15551000000',
        }
      : undefined;
  if (loadOpts && loadOpts.durationSeconds === undefined && loadOpts.count === undefined) throw new UsageError('load needs --duration or --count');
  if (loadOpts && !/^\+\d{4,15}$/.test(loadOpts.firstMsisdn!)) throw new UsageError("--first-msisdn must be '+' and digits");
  if (loadOpts && !BEHAVIOURS.includes(loadOpts.behaviour!)) throw new UsageError(`--behaviour must be one of ${BEHAVIOURS.join(', ')}`);
  if (loadOpts && loadOpts.reportsTo !== 'mmsc' && loadOpts.reportsTo !== 'content-location') throw new UsageError('--reports-to must be mmsc or content-location');

  if (values.smsc) {
    const { host, port } = hostPort(values.smsc, 'smsc');
    const numbers = scenarioFile ? Object.values(scenarioFile.scenario.handsets).map((h) => h.msisdn) : [loadOpts!.firstMsisdn!, `+${BigInt(loadOpts!.firstMsisdn!.slice(1)) + BigInt(loadOpts!.handsets - 1)}`];
    const range = values['address-range'] ?? commonPrefix(numbers);
    source = new SmppReceiverPushSource({ host, port, systemId: values['system-id'], password: values.password, addressRange: range, logger: log });
  } else {
    const { host, port } = hostPort(values['simulate-smsc'] ?? '2775', 'simulate-smsc');
    sim = new SmscSimulator({ host, port, receiptDelayMs: 50, logger: log });
    await sim.start();
    err(`SMSC simulator listening on ${host}:${sim.port} (any system_id); point the MMSC's SMPP link here`);
    source = new SimulatorPushSource(sim);
  }
  source.onPush((p) => directory.deliver(p.to, p.payload, p.segments));
  try {
    await source.start();
    if (scenarioFile) {
      out(`scenario: ${scenarioFile.scenario.name}`);
      const r = await runScenario(scenarioFile.scenario, { client, directory, simulator: sim, baseDir: scenarioFile.baseDir, print: out });
      const passed = r.results.filter((x) => x.pass).length;
      out(`${r.pass ? 'PASSED' : 'FAILED'}: ${passed}/${r.results.length} expectations${r.error ? `; stopped: ${r.error}` : ''}`);
      if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      return r.pass ? 0 : 1;
    }
    const report = await runLoad({ ...loadOpts!, client, directory, progress: (line) => err(line) });
    out(formatLoadReport(report));
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    return Object.keys(report.errors).length === 0 && report.counts.completed === report.counts.sent ? 0 : 1;
  } finally {
    await source.stop();
    client.close();
    await sim?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    if (e instanceof UsageError || String((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mmsc-emulator: ${e.message}\n\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`mmsc-emulator: ${e.message}\n`);
    process.exitCode = e.name === 'ScenarioError' ? 2 : 1;
  },
);
