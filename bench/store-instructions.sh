#!/bin/sh
# Instructions per delivery of bench/store.ts (every thread: the event loop and LMDB's writer), which
# the machine's load does not move: callgrind counts a run of LOW and of HIGH deliveries (each after
# a warm-up round of the same size) and (HIGH run - LOW run) / (2 * (HIGH - LOW)) cancels start-up.
# Caveats: valgrind counts a memset/memcpy one octet per instruction (LMDB zeroes and copies 4 KB
# pages), and 100-400 deliveries are not a fully warmed-up JIT; compare builds, not absolutes.
# Needs valgrind and a build (npm run build); DIST names another build (a copy of dist/ with
# node_modules reachable from it).
#   bench/store-instructions.sh      (LOW=100 HIGH=400, about 4 minutes)
set -eu
cd "$(dirname "$0")/.."
LOW=${LOW:-100}
HIGH=${HIGH:-400}
DIST=${DIST:-dist}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  ROUNDS=1 DELIVERIES=$1 valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out/cg" \
    node --single-threaded --hash-seed=1 --random-seed=1 "$DIST/bench/store.js" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
low=$(count "$LOW")
high=$(count "$HIGH")
echo "$(( (high - low) / (2 * (HIGH - LOW)) )) instructions per delivery (2x$LOW: $low, 2x$HIGH: $high)"
