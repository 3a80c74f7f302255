// Reads the TAP stream of `npm test` on stdin, echoes it, and ends with "N passed, N failed, N skipped",
// counting leaf assertions across all nested subtests. Skips and todos are not passes: they are
// counted as skipped and listed with their reasons. In CI (`CI` set) a skip whose reason names a
// required area ("requires: redis", see test/support/requires.ts and required-areas.json) is a
// failure, because .ci/run provides everything those tests need.
import { readFileSync } from 'node:fs';
import { Parser } from 'tap-parser';

const areas = JSON.parse(readFileSync(new URL('../test/support/required-areas.json', import.meta.url), 'utf8'));
const requiredSkip = new RegExp(`\\brequires: (${areas.join('|')})\\b`);
const ci = (() => {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
})();

let passed = 0;
let failed = 0;
let bailed = false;
const skipped = [];
const failures = [];
const root = new Parser({ passes: true });

/** "file > subtest > assertion", from the parser chain. */
function where(p, name) {
  const names = [];
  for (let q = p; q && q !== root; q = q.parent) if (q.name) names.unshift(q.name);
  names.push(name);
  return names.filter(Boolean).join(' > ');
}

function watch(p) {
  p.on('child', watch);
  p.on('bailout', () => { bailed = true; });
  p.on('assert', (a) => {
    if (a.closingTestPoint) return; // a subtest's own summary point, not an assertion
    if (a.skip || a.todo) {
      const kind = a.skip ? 'skip' : 'todo';
      const reason = typeof a[kind] === 'string' ? a[kind] : '(no reason given)';
      const name = where(p, a.name);
      if (ci && requiredSkip.test(reason)) {
        failed++;
        failures.push(`${name}: skipped in CI: ${reason}`);
      } else skipped.push(`${kind}: ${name}: ${reason}`);
      return;
    }
    if (a.ok) passed++;
    else {
      failed++;
      failures.push(where(p, a.name));
    }
  });
  p.on('complete', (r) => {
    // A subtest that failed without any failing leaf (timeout, crash) still counts as one failure.
    if (p === root) return;
    if (!r.ok && r.fail === 0) {
      failed++;
      failures.push(`${where(p.parent, p.name)}: failed without a failing assertion (timeout or crash)`);
    }
  });
}
watch(root);
root.on('complete', (r) => {
  if (!r.ok && failed === 0) { failed = 1; failures.push('the test run failed (a file crashed before its plan?)'); }
  if (bailed && failed === 0) { failed = 1; failures.push('bailed out'); }
  if (skipped.length) console.log(`# skipped (${skipped.length}):\n${skipped.map((s) => `#   ${s}`).join('\n')}`);
  if (failures.length) console.log(`# failed (${failures.length}):\n${failures.map((s) => `#   ${s}`).join('\n')}`);
  console.log(`${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  process.exitCode = failed === 0 ? 0 : 1;
});
process.stdin.on('data', (d) => process.stdout.write(d));
process.stdin.pipe(root);
