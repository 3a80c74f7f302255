#!/usr/bin/env node
/**
 * mmsc-pdu: decode an MMS PDU to JSON, or encode JSON to a PDU.
 *   mmsc-pdu decode FILE [--data] [--strict]   (FILE "-" reads stdin)
 *   mmsc-pdu encode FILE.json > out.mms
 */
import { readFileSync } from 'node:fs';
import { decode, encode } from '../../protocol/mms/index.js';
import { DecodeError, EncodeError } from '../../protocol/wsp/index.js';
import { pduFromJson, pduToJson } from './pdu-json.js';

const USAGE = 'usage: mmsc-pdu decode FILE [--data] [--strict]\n       mmsc-pdu encode FILE.json > out.mms';

function main(argv: string[]): number {
  const [cmd, file, ...flags] = argv;
  if (!cmd || !file || (cmd !== 'decode' && cmd !== 'encode')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let input: Buffer;
  try {
    input = readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    process.stderr.write(`mmsc-pdu: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    if (cmd === 'decode') {
      const pdu = decode(input, { strict: flags.includes('--strict') });
      process.stdout.write(`${JSON.stringify(pduToJson(pdu, flags.includes('--data')), null, 2)}\n`);
    } else {
      const json = JSON.parse(input.toString('utf8')) as unknown;
      process.stdout.write(encode(pduFromJson(json, file)));
    }
    return 0;
  } catch (e) {
    if (e instanceof DecodeError) process.stderr.write(`mmsc-pdu: decode error at offset ${e.offset} (${e.field}): ${e.reason}\n`);
    else if (e instanceof EncodeError || e instanceof SyntaxError || e instanceof Error) process.stderr.write(`mmsc-pdu: ${e.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
