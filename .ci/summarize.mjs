// Reads the TAP stream of `npm test` on stdin, echoes it, and ends with "N passed, N failed",
// counting leaf assertions across all nested subtests (skips and todos count as passed, as tap does).
import { Parser } from 'tap-parser';

let passed = 0;
let failed = 0;
let bailed = false;
const root = new Parser({ passes: true });

function watch(p) {
  p.on('child', watch);
  p.on('bailout', () => { bailed = true; });
  p.on('assert', (a) => {
    if (a.closingTestPoint) return; // a subtest's own summary point, not an assertion
    if (a.ok) passed++;
    else failed++;
  });
  p.on('complete', (r) => {
    // A subtest that failed without any failing leaf (timeout, crash) still counts as one failure.
    if (p === root) return;
    if (!r.ok && r.fail === 0) failed++;
  });
}
watch(root);
root.on('complete', (r) => {
  if (!r.ok && failed === 0) failed = 1; // e.g. a file that crashed before its plan
  if (bailed && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
});
process.stdin.on('data', (d) => process.stdout.write(d));
process.stdin.pipe(root);
