#!/usr/bin/env bash
# Usage: scripts/gen-std-packages.sh
# Writes sql/std_packages.txt: every standard-library package path of Go
# 1.22–1.27 (`go list std` of each, merged), used by the is_std() SQL macro to
# tell standard-library frames from application frames.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp); trap 'rm -f "$TMP"' EXIT
for v in 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3; do
  GO=$("$ROOT/scripts/go-toolchain.sh" "$v")
  (cd "${TMPDIR:-/tmp}" && GOTOOLCHAIN=local GOWORK=off GOFLAGS= "$GO" list std) >> "$TMP"
done
sort -u "$TMP" > "$ROOT/sql/std_packages.txt"
echo "wrote $(wc -l < "$ROOT/sql/std_packages.txt") packages to sql/std_packages.txt" >&2
