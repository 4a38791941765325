#!/usr/bin/env bash
# The web page's size and speed targets (issue #5), measured and printed, one
# line per target with the measured value, the budget and ok/FAIL:
#   - the reader's wasm (web/src/wasm/schedstat_wasm_bg.wasm), gzip -9: <= 300 KB;
#     the toolbox module's (schedstat_wasm_toolbox_bg.wasm, fetched only by the
#     States and Requests tabs): <= 500 KB;
#   - a ~20 MB trace to the first summary in headless Chromium, the file
#     chosen right after the page loaded from a static host: <= 3 s (the
#     times to the loaded tables and to the report are printed too);
#   - a ~200 MB trace still loads: it reaches the summary, then the loaded
#     tables (or the line says where it stopped and why), with its times
#     and the tab's memory; it is then followed to the report, whose time
#     or failure is printed for information (not part of the target).
# The browser part is web/e2e/bench.mjs. Traces come from our generator's
# `bench` scenario (as scripts/bench.py makes them), cached in
# ~/.cache/schedstat/web-bench/ (the 200 MB one takes minutes to generate,
# once). Builds the wasm and the page first when they are missing.
# Exits non-zero when a target is missed.
#
# Usage: scripts/web-bench.sh [--no-200] [bench.mjs options, e.g. --runs 5]
set -euo pipefail
cd "$(dirname "$0")/.."

big=1
if [ "${1:-}" = "--no-200" ]; then big=0; shift; fi

SCHEDSTAT_CHROMIUM=$(scripts/chromium.sh)
export SCHEDSTAT_CHROMIUM
if [ ! -f web/src/wasm/schedstat_wasm_bg.wasm ] || [ ! -f web/src/wasm/schedstat_wasm_toolbox_bg.wasm ] || [ ! -d web/node_modules ]; then
  scripts/web-build.sh >&2
elif [ ! -f web/dist/index.html ] \
  || [ -n "$(find web/src web/index.html web/vite.config.ts sql -newer web/dist/index.html -type f -print -quit)" ]; then
  echo "web-bench: building the page (vite build)" >&2
  (cd web && npx --no-install vite build --logLevel error >&2)
fi

failed=0

# 1. The reader's wasm, gzipped as a static host would send it.
wasm=web/src/wasm/schedstat_wasm_bg.wasm
gz=$(gzip -9 -c "$wasm" | wc -c)
budget=$((300 * 1024))
if [ "$gz" -le "$budget" ]; then verdict=ok; else verdict=FAIL; failed=1; fi
echo "web-bench: reader wasm gzipped: $((gz / 1024)) KB ($gz bytes; $(($(wc -c < "$wasm") / 1024)) KB raw) (budget 300 KB) $verdict"
wasm=web/src/wasm/schedstat_wasm_toolbox_bg.wasm
gz=$(gzip -9 -c "$wasm" | wc -c)
if [ "$gz" -le $((500 * 1024)) ]; then verdict=ok; else verdict=FAIL; failed=1; fi
echo "web-bench: toolbox wasm gzipped: $((gz / 1024)) KB ($gz bytes; $(($(wc -c < "$wasm") / 1024)) KB raw) (budget 500 KB) $verdict"

# 2 and 3. Traces of ~20 and ~200 MB from the generator, made once.
cache="${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}/web-bench"
mkdir -p "$cache"
trace() { # SIZE_MB -> path of a cached trace of at least that size
  local f="$cache/bench-$1mb.trace"
  if [ ! -s "$f" ]; then
    echo "web-bench: generating a >= $1 MB trace into $f (Go 1.27.3, scenario bench)" >&2
    local go
    go=$(scripts/go-toolchain.sh 1.27.3)
    (cd testdata/generator && GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod \
      "$go" run . -scenario bench -size-mb "$1" -o "$f.tmp") >&2
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
args=(--trace20 "$(trace 20)")
[ "$big" = 1 ] && args+=(--trace200 "$(trace 200)" --report200)

cd web
node e2e/bench.mjs "${args[@]}" "$@" || failed=1
exit $failed
