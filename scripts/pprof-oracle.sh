#!/usr/bin/env bash
# Usage: scripts/pprof-oracle.sh [record|check] [SCENARIO...]
#
# With SCENARIO names, only those fixtures (in every version directory that
# has them) are recorded or checked: new scenarios get their oracle without
# rerunning Go on all the others.
# record (default): runs Go 1.27.3's `go tool trace -pprof=TYPE` on every
#   fixture (testdata/fixtures/go1.2X/*.trace) for TYPE in net sync syscall
#   sched, and records each profile as sorted canonical text (see
#   export::pprof::canonical_text; decoded with our own prost types by the
#   pprof_canon example) under testdata/oracle/pprof/go1.2X/SCENARIO.TYPE.txt.
#   crates/cli/tests/pprof.rs compares ours against these files without Go.
# check: needs Go too. For every fixture and type, writes our profile with
#   `schedstat pprof TYPE TRACE -o FILE`, checks that `go tool pprof -raw FILE`
#   opens it, and that the canonical text of ours equals that of Go's profile
#   computed now (not the recorded one). Exits non-zero on any difference.
set -euo pipefail

ORACLE_VERSION=1.27.3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=${1:-record}
case "$MODE" in record|check) ;; *) echo "usage: pprof-oracle.sh [record|check] [SCENARIO...]" >&2; exit 2 ;; esac
shift $(( $# > 0 ? 1 : 0 ))
ONLY=" $* "

GO=$("$ROOT/scripts/go-toolchain.sh" "$ORACLE_VERSION")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q -p schedstat-export --example pprof_canon)
CANON=$CARGO_TARGET_DIR/release/examples/pprof_canon
if [ "$MODE" = check ]; then
  (cd "$ROOT" && cargo build --release -q -p schedstat)
  SCHEDSTAT=$CARGO_TARGET_DIR/release/schedstat
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail=0
n=0
for dir in "$ROOT"/testdata/fixtures/go1.*; do
  ver=$(basename "$dir")
  out="$ROOT/testdata/oracle/pprof/$ver"
  [ "$MODE" = record ] && mkdir -p "$out"
  for trace in "$dir"/*.trace; do
    scen=$(basename "$trace" .trace)
    [ "$ONLY" = "  " ] || case "$ONLY" in *" $scen "*) ;; *) continue ;; esac
    for type in net sync syscall sched; do
      GOTOOLCHAIN=local GOWORK=off "$GO" tool trace -pprof="$type" "$trace" > "$TMP/go.pb.gz"
      "$CANON" "$TMP/go.pb.gz" > "$TMP/go.txt"
      if [ "$MODE" = record ]; then
        cp "$TMP/go.txt" "$out/$scen.$type.txt"
      else
        if ! "$SCHEDSTAT" pprof "$type" "$trace" -o "$TMP/ours.pb.gz" 2>"$TMP/ours.err"; then
          echo "FAIL $ver/$scen.$type: schedstat pprof: $(cat "$TMP/ours.err")"
          fail=1
          continue
        fi
        if ! GOTOOLCHAIN=local GOWORK=off "$GO" tool pprof -raw "$TMP/ours.pb.gz" > "$TMP/raw.txt" 2>"$TMP/raw.err"; then
          echo "FAIL $ver/$scen.$type: go tool pprof cannot open our file: $(head -1 "$TMP/raw.err")"
          fail=1
        fi
        "$CANON" "$TMP/ours.pb.gz" > "$TMP/ours.txt"
        if ! diff -u "$TMP/go.txt" "$TMP/ours.txt" > "$TMP/diff.txt"; then
          echo "FAIL $ver/$scen.$type differs from go tool trace -pprof:"
          head -20 "$TMP/diff.txt"
          fail=1
        fi
      fi
      n=$((n + 1))
    done
  done
done
# Traces cut short: the first 70% of the multigen fixtures (several generations),
# recorded as truncated/goVER.multigen.BYTES.TYPE.txt (the test cuts the same bytes).
[ "$MODE" = record ] && mkdir -p "$ROOT/testdata/oracle/pprof/truncated"
for ver in go1.22 go1.25 go1.27; do
  trace="$ROOT/testdata/fixtures/$ver/multigen.trace"
  size=$(stat -c %s "$trace")
  cut=$((size * 7 / 10))
  head -c "$cut" "$trace" > "$TMP/cut.trace"
  for type in net sync syscall sched; do
    GOTOOLCHAIN=local GOWORK=off "$GO" tool trace -pprof="$type" "$TMP/cut.trace" > "$TMP/go.pb.gz" 2>/dev/null
    "$CANON" "$TMP/go.pb.gz" > "$TMP/go.txt"
    if [ "$MODE" = record ]; then
      cp "$TMP/go.txt" "$ROOT/testdata/oracle/pprof/truncated/$ver.multigen.$cut.$type.txt"
    else
      "$SCHEDSTAT" pprof "$type" "$TMP/cut.trace" -o "$TMP/ours.pb.gz" 2>/dev/null || [ $? -eq 3 ]
      "$CANON" "$TMP/ours.pb.gz" > "$TMP/ours.txt"
      if ! diff -u "$TMP/go.txt" "$TMP/ours.txt" > "$TMP/diff.txt"; then
        echo "FAIL truncated $ver/multigen($cut bytes).$type differs:"; head -20 "$TMP/diff.txt"; fail=1
      fi
    fi
    n=$((n + 1))
  done
done

if [ "$MODE" = record ]; then
  echo "recorded $n profiles under testdata/oracle/pprof/"
else
  [ $fail -eq 0 ] && echo "pprof-oracle check: $n profiles equal go tool trace -pprof and open in go tool pprof"
fi
exit $fail
