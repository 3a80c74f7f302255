/**
 * The dependency direction of docs/architecture.md, checked on the sources: protocol/ never reaches
 * into src/, the rooms of src/ import one another without cycles, and the rooms at the bottom
 * (records, config) import nothing above them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Room of a file: 'protocol/<dir>' or 'src/<dir>' (top-level files of src/ are the composition root). */
function roomOf(path: string): string {
  const [top, sub] = relative(root, path).split('/');
  return sub !== undefined && !sub.endsWith('.ts') ? `${top}/${sub}` : `${top}/(root)`;
}

const edges = new Map<string, Set<string>>();
for (const f of [...files(join(root, 'src')), ...files(join(root, 'protocol'))]) {
  const from = roomOf(f);
  for (const m of readFileSync(f, 'utf8').matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const to = roomOf(resolve(dirname(f), m[1]!));
    if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
  }
}
const importsOf = (room: string): string[] => [...(edges.get(room) ?? [])].sort();

t.test('protocol/ never imports from src/', async (t) => {
  for (const [from, tos] of edges) if (from.startsWith('protocol/')) t.same([...tos].filter((r) => r.startsWith('src/')), [], from);
});

t.test('records and config sit at the bottom', async (t) => {
  t.same(importsOf('src/records').filter((r) => r.startsWith('src/')), [], 'records import no other room');
  t.same(importsOf('src/config').filter((r) => r.startsWith('src/') && r !== 'src/records'), [], 'config imports only records');
  t.same(importsOf('src/address').filter((r) => r.startsWith('src/')), [], 'address sits below the relay and the interfaces: protocol/ only');
  t.notOk(importsOf('src/store').includes('src/relay'), 'the store does not reach up into the relay');
  t.notOk(importsOf('src/smsc').includes('src/smsc-sim'), 'the SMPP layer does not depend on the simulator');
  t.notOk(importsOf('src/smsc-sim').includes('src/emulator'), 'the simulator does not live among the test tools');
});

t.test('no cycles between rooms', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (room: string, path: string[]): void => {
    if (state.get(room) === 'done') return;
    if (state.get(room) === 'open') {
      cycles.push([...path.slice(path.indexOf(room)), room].join(' -> '));
      return;
    }
    state.set(room, 'open');
    for (const to of importsOf(room)) if (to !== 'src/(root)') visit(to, [...path, room]);
    state.set(room, 'done');
  };
  for (const room of [...edges.keys()].sort()) visit(room, []);
  t.same(cycles, []);
});
