#!/usr/bin/env bash
# Usage: scripts/gen-bundles.sh [OUT]
#
# Writes a small fleet of Autoprof profile bundles with testdata/bundlegen
# (real runtime/pprof profiles of a program whose load changes between
# snapshots) under OUT (default testdata/bundles, replaced as a whole):
#   api-1.us-east.example.com   Go 1.27.3, load rising, 5 bundles, then the
#                               process restarts: 3 more bundles, another proc_id
#   api-2.us-east.example.com   Go 1.27.3, load falling, 5 bundles
#   db-1.eu-west.example.com    Go 1.25.5, one load spike, 5 bundles
# The first three processes run at the same time, so their capture times
# interleave. Each bundle is OUT/<hostname>/<proc_id>/<capture time> (an
# uncompressed zip, no extension, as autoprof's storage keys). Then one bundle
# is copied to OUT/copies/ (a duplicate: same proc_id and capture time).
# Every run differs (they are real runs); the apshuffle recordings in
# testdata/oracle/toolbox/apshuffle/ belong to the committed bundles, so
# re-record them (scripts/apshuffle-oracle.sh) after regenerating.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/testdata/bundles}
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gen-bundles.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for v in 1.27.3 1.25.5; do
  GO=$("$ROOT/scripts/go-toolchain.sh" "$v")
  mkdir -p "$WORK/go$v"
  (cd "$ROOT/testdata/bundlegen" && "$GO" build -trimpath -o "$WORK/go$v/bundlegen" .)
done
rm -rf "$OUT"
mkdir -p "$OUT"
"$WORK/go1.27.3/bundlegen" -o "$OUT" -hostname api-1.us-east.example.com -load rising -snapshots 5 &
p1=$!
"$WORK/go1.27.3/bundlegen" -o "$OUT" -hostname api-2.us-east.example.com -load falling -snapshots 5 &
p2=$!
"$WORK/go1.25.5/bundlegen" -o "$OUT" -hostname db-1.eu-west.example.com -load spiky -snapshots 5 &
p3=$!
wait "$p1" && wait "$p2" && wait "$p3"
"$WORK/go1.27.3/bundlegen" -o "$OUT" -hostname api-1.us-east.example.com -load rising -snapshots 3
dup=$(cd "$OUT" && find db-1.eu-west.example.com -type f | sort | sed -n 3p)
mkdir -p "$OUT/copies"
cp "$OUT/$dup" "$OUT/copies/"
echo "gen-bundles.sh: $(find "$OUT" -type f | wc -l) bundles, $(du -sh "$OUT" | cut -f1) under $OUT" >&2
