#!/usr/bin/env bash
# Builds the web page's foundation (scripts/web-build.sh) and runs its vitest
# tests under Node (after a TypeScript type check): the wasm reader + DuckDB-WASM + the CLI's own sql/ files
# must give exactly the CLI's recorded numbers (testdata/oracle/web/).
# Ends with one summary line: "web: N passed, N failed".
#
# Usage: scripts/web-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/web-build.sh
cd web
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npx --no-install tsc --noEmit >&2 || { echo "web: 0 passed, 1 failed (TypeScript errors)"; exit 1; }
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$log" >&2
rc=$?
set -e
summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`web: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$log" 2>/dev/null || echo "web: 0 passed, 1 failed")
echo "$summary"
exit $rc
