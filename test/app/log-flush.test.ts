/**
 * Issue 16, finding 6: error and fatal lines are on disk before the call that logs them returns,
 * so a kill -9 right after cannot lose them; a normal exit flushes every queued line.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** Runs the child with stdout on a file (as under systemd or a container runtime) and returns its lines. */
async function run(t: Test, mode: 'error' | 'fatal' | 'exit'): Promise<{ signal: NodeJS.Signals | null; lines: { level: number; msg: string }[] }> {
  const file = join(t.testdir({}), 'stdout.log');
  const fd = openSync(file, 'w');
  const child = spawn(process.execPath, ['--import', resolve(root, 'node_modules/@tapjs/typescript/dist/esm/import.mjs'), resolve(root, 'test/support/log-crash-child.ts'), mode], {
    stdio: ['ignore', fd, 'inherit'],
    // Without tap's NODE_OPTIONS hooks: the child logs as the gateway does.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  closeSync(fd);
  const signal = await new Promise<NodeJS.Signals | null>((ok) => child.once('exit', (_code, sig) => ok(sig)));
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: number; msg: string });
  return { signal, lines };
}

t.test('kill -9 right after an error line: the error line is in the log', async (t) => {
  const { signal, lines } = await run(t, 'error');
  t.equal(signal, 'SIGKILL');
  t.ok(lines.some((l) => l.level === 50 && l.msg === 'the line that explains the crash'), 'the error line');
  t.comment(`info lines in the log after the kill: ${lines.filter((l) => l.level === 30).length} of 1000 (not promised)`);
});

t.test('kill -9 right after a fatal line: it is in the log, after every line logged before it', async (t) => {
  const { signal, lines } = await run(t, 'fatal');
  t.equal(signal, 'SIGKILL');
  t.match(lines.at(-1), { level: 60, msg: 'and the last word' });
  t.equal(lines.filter((l) => l.level === 30).length, 1000, 'the queue was written out before it');
});

t.test('a normal exit flushes every queued line, in order', async (t) => {
  const { signal, lines } = await run(t, 'exit');
  t.equal(signal, null);
  const info = lines.filter((l) => l.level === 30) as unknown as { i: number }[];
  t.equal(info.length, 2000);
  t.same(
    info.map((l) => l.i),
    Array.from({ length: 2001 }, (_, i) => i).filter((i) => i !== 1000),
    'info lines in order',
  );
});
