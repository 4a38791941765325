#!/usr/bin/env bash
# Usage: scripts/corpus-oracle.sh [SHARED_CORPUS_DIR]
#
# Records Go 1.27.3's verdict on the shared corpus inputs that expected-parsed/
# does not cover, into testdata/oracle/corpus/:
#   - the v2 traces Go rejects (stdout printed before the error, and the error);
#   - Go's FuzzReader corpus, decoded from its "go test fuzz v1" wrapping into raw
#     trace bytes (NAME.trace), with Go's stdout (NAME.parsed) and error (NAME.err).
# The Rust tests compare our reader against these files without needing Go.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/testdata/go-corpus}
OUT=$ROOT/testdata/oracle/corpus
GO=$("$ROOT/scripts/go-toolchain.sh" 1.27.3)
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod

mkdir -p "$OUT/fuzz" "$OUT/rejected"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT/testdata/tools/fuzzcorpus" && "$GO" build -o "$TMP/fuzzcorpus" .)

record() { # TRACE OUTPREFIX
  local rc=0
  "$GO" tool trace -d=parsed "$1" > "$2.parsed" 2> "$2.err" || rc=$?
  if [ "$rc" = 0 ]; then rm -f "$2.err"; fi
}

for f in "$CORPUS"/golang-go/fuzz-FuzzReader/*; do
  name=$(basename "$f")
  "$TMP/fuzzcorpus" "$f" "$OUT/fuzz/$name.trace"
  record "$OUT/fuzz/$name.trace" "$OUT/fuzz/$name"
done
for name in go122-create-syscall-with-p go122-fail-first-gen-first; do
  record "$CORPUS/derived-from-txtar/$name.trace" "$OUT/rejected/$name"
done
echo "wrote $OUT"
