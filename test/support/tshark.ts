import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tsharkAvailable(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs tshark over a pcap and returns its verbose text output (packet details). */
export function tsharkVerbose(pcap: Buffer, extraArgs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-tshark-'));
  const file = join(dir, 'capture.pcap');
  writeFileSync(file, pcap);
  return execFileSync('tshark', ['-r', file, '-V', ...extraArgs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: dir } });
}

/** Lines tshark uses to flag a packet it could not dissect cleanly. */
export function problems(output: string): string[] {
  return output.split('\n').filter((l) => /Malformed|\[Expert Info \(Error|Dissector bug|Unknown \(0x|Unknown type|Unknown field/.test(l));
}
