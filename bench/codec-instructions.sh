#!/bin/sh
# Instructions per codec operation, which the machine's load does not move: callgrind counts a run of
# LOW and of HIGH iterations of dist/bench/codec-loop.js; (HIGH run - LOW run) / (HIGH - LOW) cancels
# node's start-up, compilation and warm-up. Fixed hash and random seeds make runs repeatable. Needs
# valgrind and a build (npm run build); DIST names another build to compare (a copy of dist/ made
# at an earlier commit, with bench/codec-loop.js and bench/codec-vectors.js copied into it).
#   bench/codec-instructions.sh [OPERATION...]   (default: all three; LOW=10000 HIGH=40000)
set -eu
cd "$(dirname "$0")/.."
LOW=${LOW:-10000}
HIGH=${HIGH:-40000}
DIST=${DIST:-dist}
[ $# -gt 0 ] || set -- parseNotification parseRetrieveConf composeSendReq
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out/cg" \
    node --single-threaded --hash-seed=1 --random-seed=1 "$DIST/bench/codec-loop.js" "$1" "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for op in "$@"; do
  low=$(count "$op" "$LOW")
  high=$(count "$op" "$HIGH")
  echo "$op: $(( (high - low) / (HIGH - LOW) )) instructions per operation ($LOW: $low, $HIGH: $high)"
done
