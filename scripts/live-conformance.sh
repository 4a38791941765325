#!/usr/bin/env bash
# Usage: scripts/live-conformance.sh VERSION...   (e.g. 1.23.9 1.27.3)
#
# Regenerates every generator scenario live with each Go VERSION, asks Go
# 1.27.3's `go tool trace -d=parsed` for its view of each fresh trace, and
# requires `schedstat dump` to print exactly the same bytes (and to fail
# exactly when Go fails). Unlike the committed fixtures, these traces are new
# on every run: timings, goroutine counts and batch layouts differ each time.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: live-conformance.sh VERSION..." >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/schedstat/target}

cargo build --release --quiet -p schedstat --manifest-path "$ROOT/Cargo.toml"
SCHEDSTAT=$CARGO_TARGET_DIR/release/schedstat

OUT=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-live.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
"$ROOT/scripts/gen-fixtures.sh" --out "$OUT" "$@"

pass=0; fail=0
for trace in "$OUT"/go*/*.trace; do
  name=${trace#"$OUT"/}
  want=${trace%.trace}.parsed.gz
  rc=0
  "$SCHEDSTAT" dump "$trace" > "$OUT/ours.txt" 2> "$OUT/ours.err" || rc=$?
  if ! gzip -dc "$want" | cmp -s - "$OUT/ours.txt"; then
    echo "FAIL $name: schedstat dump differs from go tool trace -d=parsed:" >&2
    diff <(gzip -dc "$want") "$OUT/ours.txt" | head -20 >&2 || true
    fail=$((fail + 1)); continue
  fi
  if [ -f "${trace%.trace}.err" ] && [ "$rc" = 0 ]; then
    echo "FAIL $name: Go rejects it ($(cat "${trace%.trace}.err")) but schedstat accepted it" >&2
    fail=$((fail + 1)); continue
  fi
  if [ ! -f "${trace%.trace}.err" ] && [ "$rc" != 0 ]; then
    echo "FAIL $name: schedstat failed: $(cat "$OUT/ours.err")" >&2
    fail=$((fail + 1)); continue
  fi
  pass=$((pass + 1))
done
echo "live conformance ($*): $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
