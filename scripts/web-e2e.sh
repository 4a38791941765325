#!/usr/bin/env bash
# The web page's end-to-end tests (web/e2e/*.e2e.ts, vitest with
# web/vitest.e2e.config.ts): headless Debian Chromium, driven by
# playwright-core, uses the built page from a static host (a sub-path of a
# plain static server) and from `schedstat web`, and everything it shows is
# compared with the CLI's answers for the same traces. Screenshots of every
# view are kept in web/e2e/artifacts/ (git-ignored).
#
# Builds what is missing first: Chromium (scripts/chromium.sh), the wasm
# reader and the page (scripts/web-build.sh when web/src/wasm is missing,
# else `vite build` when web/dist is missing or older than its sources), and
# the CLI (cargo build --release -p schedstat, which embeds web/dist, so it
# runs every time: cargo does nothing when nothing changed).
# Ends with one summary line: "web-e2e: N passed, M failed"; exits non-zero
# on any failure.
#
# Usage: scripts/web-e2e.sh [vitest args, e.g. -t 'SQL']
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCHEDSTAT_CHROMIUM=$(scripts/chromium.sh) || { echo "web-e2e: 0 passed, 1 failed (no Chromium)"; exit 1; }
export SCHEDSTAT_CHROMIUM

if [ ! -f web/src/wasm/schedstat_wasm_bg.wasm ] || [ ! -f web/src/wasm/schedstat_wasm_toolbox_bg.wasm ] || [ ! -d web/node_modules ]; then
  scripts/web-build.sh >&2
elif [ ! -f web/dist/index.html ] \
  || [ -n "$(find web/src web/index.html web/vite.config.ts sql -newer web/dist/index.html -type f -print -quit)" ]; then
  echo "web-e2e: building the page (vite build)" >&2
  (cd web && npx --no-install vite build --logLevel error >&2)
fi

echo "web-e2e: building schedstat (cargo build --release -p schedstat)" >&2
cargo build --release -q -p schedstat >&2
export SCHEDSTAT_BIN="${CARGO_TARGET_DIR:-$root/target}/release/schedstat"
case $SCHEDSTAT_BIN in /*) ;; *) SCHEDSTAT_BIN="$root/$SCHEDSTAT_BIN" ;; esac

mkdir -p web/e2e/artifacts
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd web
set +e
npx --no-install vitest run -c vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json="$log" "$@" >&2
rc=$?
set -e
summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`web-e2e: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$log" 2>/dev/null || echo "web-e2e: 0 passed, 1 failed (the suite did not run)")
echo "$summary"
echo "web-e2e: screenshots in web/e2e/artifacts/" >&2
exit $rc
