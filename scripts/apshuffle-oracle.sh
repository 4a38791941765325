#!/usr/bin/env bash
# Usage: scripts/apshuffle-oracle.sh SRC
#
# Rebuilds apshuffle from SRC, a checkout of github.com/rhysh/go-tracing-toolbox
# (a work tree, or a bare git directory such as the `fetch` tool's
# /work/.mirror/rhysh+go-tracing-toolbox/repo, whose HEAD is then exported),
# with Go 1.27.3 (GOTOOLCHAIN=local, GOFLAGS=-mod=mod: its dependencies come
# from the module proxy), outside this repository, and re-records its outputs
# on the committed bundles under testdata/oracle/toolbox/apshuffle/ (see
# testdata/oracle/toolbox/README.md). Not run in CI: CI compares ours with
# the recordings (crates/cli/tests/bundles.rs).
#
# apshuffle reads unpacked bundles, so every bundle of testdata/bundles
# (an uncompressed zip, as autoprof writes them) is unpacked into a directory
# of the same relative path first; apshuffle runs with -C on that tree.
#   CASE.txt     stdout of `apshuffle -C TREE FLAGS...` for each line of cases.tsv
#   links.txt    the symlinks `apshuffle -C TREE -write-links` made, one
#                `LINK -> TARGET` line each (paths relative to TREE), sorted
#   recorded.txt the toolbox commit and Go version used
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
SRC=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/testdata/oracle/toolbox/apshuffle
BUNDLES=$ROOT/testdata/bundles
GO=$("$ROOT/scripts/go-toolchain.sh" 1.27.3)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off TZ=UTC LC_ALL=C

WORK=$(mktemp -d "${TMPDIR:-/tmp}/apshuffle-oracle.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -d "$SRC/objects" ] && [ -f "$SRC/HEAD" ]; then
  mkdir "$WORK/src"
  git --git-dir="$SRC" archive HEAD | tar -x -C "$WORK/src"
  COMMIT=$(git --git-dir="$SRC" rev-parse HEAD)
else
  cp -r "$SRC" "$WORK/src"
  COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
fi
(cd "$WORK/src" && "$GO" build -o "$WORK/bin/" ./cmd/apshuffle)
APSHUFFLE=$WORK/bin/apshuffle
echo "apshuffle-oracle.sh: toolbox $COMMIT, $("$GO" version)" >&2

unpack() { # unpack BUNDLES into $1
  (cd "$BUNDLES" && find . -type f | sort) | while read -r f; do
    mkdir -p "$1/$f"
    unzip -q "$BUNDLES/$f" -d "$1/$f"
  done
}
unpack "$WORK/tree"

rm -f "$OUT"/*.txt
grep -v '^#' "$OUT/cases.tsv" | while IFS= read -r line; do
  IFS=$'\t' read -r -a cols <<< "$line"
  "$APSHUFFLE" -C "$WORK/tree" "${cols[@]:1}" > "$OUT/${cols[0]}.txt"
done

unpack "$WORK/links"
"$APSHUFFLE" -C "$WORK/links" -write-links
(cd "$WORK/links" && find . -type l | sed 's|^\./||' | sort | while read -r l; do
  printf '%s -> %s\n' "$l" "$(readlink "$l")"
done) > "$OUT/links.txt"

printf 'go-tracing-toolbox %s\n%s\n' "$COMMIT" "$("$GO" version)" > "$OUT/recorded.txt"
echo "apshuffle-oracle.sh: recorded $(grep -vc '^#' "$OUT/cases.tsv") cases and links.txt under $OUT" >&2
