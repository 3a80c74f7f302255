#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SmscSimulator, type SimulatorAccount, type SmscSimulatorOptions } from './simulator.js';

const usage = `mmsc-smsc-sim: an SMPP v3.4 SMSC simulator that reassembles WAP Push and sends receipts.

Options:
  --host ADDR             listen address (default 127.0.0.1)
  --port N                listen port (default 2775; 0 = any free port)
  --account ID:PASSWORD   accepted credentials (repeatable; none = accept every bind)
  --receipt-delay MS      delay before each delivery receipt (default 1000)
  --no-receipts           never send delivery receipts
  --receipt-mode MODE     tlv+text | tlv | text (default tlv+text)
  --receipt-stat STAT     stat word of receipts: DELIVRD, UNDELIV, EXPIRED, ... (default DELIVRD)
  --id-format FMT         submit_sm_resp message ids: hex | decimal (default hex)
  --receipt-id-format FMT receipt ids: same | hex | decimal (default same)
  --throttle-ratio R      answer this fraction (0..1) of submits with ESME_RTHROTTLED
  --response-delay MS     hold every response this long
  --log-level LEVEL       pino level (default info; logs go to stderr)
  --quiet                 do not print pushes
  --help

Prints one JSON line per reassembled push on stdout: {"event":"push","to",...,"payload":"<hex>"}.`;

function main(): void {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2775' },
      account: { type: 'string', multiple: true },
      'receipt-delay': { type: 'string', default: '1000' },
      'no-receipts': { type: 'boolean', default: false },
      'receipt-mode': { type: 'string', default: 'tlv+text' },
      'receipt-stat': { type: 'string', default: 'DELIVRD' },
      'id-format': { type: 'string', default: 'hex' },
      'receipt-id-format': { type: 'string', default: 'same' },
      'throttle-ratio': { type: 'string', default: '0' },
      'response-delay': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const num = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const oneOf = <T extends string>(name: string, v: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(v)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const accounts: SimulatorAccount[] = (values.account ?? []).map((a) => {
    const i = a.indexOf(':');
    if (i <= 0) throw new Error(`--account must be ID:PASSWORD, got ${JSON.stringify(a)}`);
    return { systemId: a.slice(0, i), password: a.slice(i + 1) };
  });
  // Logs on stderr: stdout carries the push lines a script may read.
  const logger = pino({ name: 'smsc-sim', level: values['log-level'], timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  const opts: SmscSimulatorOptions = {
    host: values.host,
    port: num('port', values.port, 0, 65535),
    accounts,
    receiptDelayMs: values['no-receipts'] ? false : num('receipt-delay', values['receipt-delay'], 0, 86_400_000),
    receiptMode: oneOf('receipt-mode', values['receipt-mode'], ['tlv+text', 'tlv', 'text'] as const),
    receiptStat: values['receipt-stat'].toUpperCase(),
    messageIdFormat: oneOf('id-format', values['id-format'], ['hex', 'decimal'] as const),
    receiptIdFormat: oneOf('receipt-id-format', values['receipt-id-format'], ['same', 'hex', 'decimal'] as const),
    logger,
  };
  const sim = new SmscSimulator(opts);
  sim.throttleRatio(num('throttle-ratio', values['throttle-ratio'], 0, 1));
  sim.delayResponses(num('response-delay', values['response-delay'], 0, 3_600_000));
  if (!values.quiet) sim.onPush((p) => {
    process.stdout.write(`${JSON.stringify({ event: 'push', to: p.to, from: p.from, port: p.port, segments: p.segments, messageIds: p.messageIds, payload: p.payload.toString('hex') })}\n`);
  });
  sim.start().then(
    (port) => {
      logger.info({ host: values.host, port, accounts: accounts.map((a) => a.systemId), receipts: opts.receiptDelayMs !== false }, 'SMSC simulator ready');
    },
    (err: Error) => {
      logger.error({ err: err.message }, 'SMSC simulator could not listen');
      process.exitCode = 1;
    },
  );
  const stop = () => {
    logger.info({ stats: sim.stats }, 'SMSC simulator stopping');
    sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

try {
  main();
} catch (err) {
  process.stderr.write(`mmsc-smsc-sim: ${(err as Error).message}\n\n${usage}\n`);
  process.exitCode = 2;
}
