#!/usr/bin/env bash
# Fuzzes the trace reader with cargo-fuzz (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh [SECONDS]     total fuzzing time, split evenly between the targets (default 30)
#
# Targets (fuzz/fuzz_targets/):
#   reader               arbitrary bytes into gotrace::Reader, every event formatted
#   reader_header_fixed  a valid header chosen by the first byte, then the rest
#   reader_v1            the old format (Go <= 1.21): an old header chosen by the first byte
#
# The corpus lives outside the clone and grows from run to run:
#   ${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}/fuzz-corpus/TARGET
# and is seeded on every run from testdata/fixtures/*/*.trace,
# testdata/oracle/corpus/fuzz/*.trace and the old-format traces of the shared
# corpus (../shared/testdata/go-corpus, when present). Crash, leak, timeout and out-of-memory
# inputs go to .../fuzz-artifacts/TARGET/, logs to .../fuzz-logs/.
# Exits non-zero on any finding and prints the reproducer's path.
set -euo pipefail

SECS=${1:-30}
case "$SECS" in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
FUZZ_TARGET_DIR=$CARGO_TARGET_DIR/fuzz
TARGETS=(reader reader_header_fixed reader_v1)
PER_TARGET=$((SECS / ${#TARGETS[@]}))
if [ "$PER_TARGET" -lt 1 ]; then PER_TARGET=1; fi

# Toolchain: cargo-fuzz needs nightly (-Zsanitizer).
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi
echo "fuzz.sh: $(cargo +nightly --version), $(cargo fuzz --version)"

# Seeds. For reader_header_fixed and reader_v1 a seed is one selector byte (the
# index into the target's HEADERS; for reader_header_fixed 0 = go 1.22,
# 1 = go 1.23, 2 = go 1.25, 3 = go 1.26) followed by the trace minus its 16-byte header.
seed() {
    local target=$1 dir=$2 f name hdr sel
    shopt -s nullglob
    local shared=$ROOT/../shared/testdata/go-corpus/golang-go
    for f in "$ROOT"/testdata/fixtures/*/*.trace "$ROOT"/testdata/oracle/corpus/fuzz/*.trace \
        "$shared"/tracev1-testdata/*_good "$shared"/legacy-internal-trace-testdata/*_good; do
        name=$(basename "$(dirname "$f")")-$(basename "$f")
        if [ "$target" = reader ]; then
            cp -f "$f" "$dir/seed-$name"
            continue
        fi
        hdr=$(head -c 16 "$f" | tr -d '\0')
        case "$target:$hdr" in
        "reader_header_fixed:go 1.22 trace") sel='\000' ;;
        "reader_header_fixed:go 1.23 trace") sel='\001' ;;
        "reader_header_fixed:go 1.25 trace") sel='\002' ;;
        "reader_header_fixed:go 1.26 trace") sel='\003' ;;
        "reader_v1:go 1.11 trace") sel='\000' ;;
        "reader_v1:go 1.19 trace") sel='\001' ;;
        "reader_v1:go 1.21 trace") sel='\002' ;;
        "reader_v1:go 1.5 trace") sel='\003' ;;
        "reader_v1:go 1.7 trace") sel='\004' ;;
        "reader_v1:go 1.8 trace") sel='\005' ;;
        "reader_v1:go 1.9 trace") sel='\006' ;;
        "reader_v1:go 1.10 trace") sel='\007' ;;
        *) continue ;; # not a 16-byte header this target can rebuild
        esac
        { printf "$sel"; tail -c +17 "$f"; } >"$dir/seed-$name"
    done
    shopt -u nullglob
}

cd "$ROOT"
echo "fuzz.sh: building fuzz targets (target dir $FUZZ_TARGET_DIR)"
cargo +nightly fuzz build --target-dir "$FUZZ_TARGET_DIR"

LOGS=$CACHE/fuzz-logs
mkdir -p "$LOGS"
status=0
summary=()
for t in "${TARGETS[@]}"; do
    corpus=$CACHE/fuzz-corpus/$t
    artifacts=$CACHE/fuzz-artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    seed "$t" "$corpus"
    log=$LOGS/$t.log
    echo "fuzz.sh: $t for ${PER_TARGET}s, corpus $corpus ($(find "$corpus" -type f | wc -l) files), log $log"
    set +e
    cargo +nightly fuzz run --target-dir "$FUZZ_TARGET_DIR" "$t" "$corpus" -- \
        -max_total_time="$PER_TARGET" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    summary+=("$t: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, rc $rc")
    if [ "$rc" -ne 0 ] && ! grep -q '^INFO: Seed:' "$log"; then
        status=1
        echo "fuzz.sh: $t did not start (exit $rc); see $log" >&2
        tail -n 20 "$log" >&2
    elif [ "$rc" -ne 0 ]; then
        status=1
        kind=$(grep -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+[^(]*' "$log" | head -n 1 || true)
        repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "fuzz.sh: FINDING in $t (exit $rc): ${kind:-see log}" >&2
        grep -m 1 -A 1 "panicked at" "$log" >&2 || true
        grep -m 3 -E "^SUMMARY|==ERROR" "$log" >&2 || true
        echo "fuzz.sh: reproducer: ${repro:-none written; see $log}" >&2
        echo "fuzz.sh: replay with: cargo +nightly fuzz run --target-dir $FUZZ_TARGET_DIR $t ${repro:-FILE}" >&2
    fi
done

for s in "${summary[@]}"; do echo "fuzz.sh: $s"; done
exit "$status"
