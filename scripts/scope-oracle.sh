#!/usr/bin/env bash
# Usage: scripts/scope-oracle.sh SRC
#
# Rebuilds scope_tls and scope_chart from SRC, a checkout of
# github.com/rhysh/go-tracing-toolbox (a work tree, or a bare git directory
# such as the `fetch` tool's /work/.mirror/rhysh+go-tracing-toolbox/repo,
# whose HEAD is then exported), with Go 1.27.3 (GOTOOLCHAIN=local,
# GOFLAGS=-mod=mod: dependencies from the module proxy), outside this
# repository, and re-records their outputs under
# testdata/oracle/toolbox/scope/ (see README.md there). Not run in CI: CI
# compares `schedstat scope` with the recordings (crates/cli/tests/scope.rs).
#
# scope_tls reads the old format only, through a copy of Go 1.21's
# internal/trace (the six non-test .go files of Go 1.21.13's
# src/internal/trace, copied into internal/_vendor/trace as the toolbox's
# cp.sh does). Recorded, for every old-format trace (fixtures/go1.19,
# fixtures/go1.21, oracle/toolbox/traces/go1.21):
#   scope/scope.tsv           trace, lines and SHA-256 of `scope_tls -input TRACE -text`
#   scope/NAME.txt            that output in full where it is not empty
#   scope/NAME.pb.gz          scope_tls -input TRACE -output scope/NAME.pb.gz (its pprof profile)
#   scope/NAME.svg            scope_chart -input scope/NAME.txt (it writes /tmp/img.svg)
#   scope/all-go1.21.svg      scope_chart on the rows of every go1.21 trace, concatenated
#                             in `schedstat scope`'s order ("across many traces")
#   scope/unreadable.tsv      new-format traces scope_tls refuses, first stderr line
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
SRC=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/testdata/oracle/toolbox/scope
GO=$("$ROOT/scripts/go-toolchain.sh" 1.27.3)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off TZ=UTC

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scope-oracle.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -d "$SRC/objects" ] && [ -f "$SRC/HEAD" ]; then
  mkdir "$WORK/src"
  git --git-dir="$SRC" archive HEAD | tar -x -C "$WORK/src"
  COMMIT=$(git --git-dir="$SRC" rev-parse HEAD)
else
  cp -r "$SRC" "$WORK/src"
  COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
fi
GO121=$("$ROOT/scripts/go-toolchain.sh" 1.21.13)
GOROOT121=$("$GO121" env GOROOT)
mkdir -p "$WORK/src/internal/_vendor/trace"
for f in "$GOROOT121"/src/internal/trace/*.go; do
  case $f in *_test.go) ;; *) cp "$f" "$WORK/src/internal/_vendor/trace/" ;; esac
done
(cd "$WORK/src" && "$GO" build -o "$WORK/bin/" ./cmd/scope_tls ./cmd/scope_chart)
B=$WORK/bin
echo "scope-oracle.sh: toolbox $COMMIT, $("$GO" version)" >&2

# scope_chart writes its pictures to the fixed paths /tmp/img.png and
# /tmp/img.svg; run it in its own directory and take the SVG at once.
chart() {
  (cd "$WORK" && "$B/scope_chart" -input "$1") && cat /tmp/img.svg > "$2"
}

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.svg "$OUT"/*.pb.gz "$OUT"/*.tsv   # not README.md
printf '# trace (under testdata/)\tlines\tsha256 of `scope_tls -input TRACE -text`\n' > "$OUT/scope.tsv"
printf '# trace (under testdata/)\tfirst line of scope_tls stderr\n' > "$OUT/unreadable.tsv"
cd "$ROOT/testdata"
: > "$WORK/all-go1.21.txt"
for trace in fixtures/go1.19/*.trace fixtures/go1.21/*.trace oracle/toolbox/traces/go1.21/*.trace; do
  name=$(echo "${trace%.trace}" | sed 's,^fixtures/,,; s,^oracle/toolbox/traces/,,' | tr / -)
  "$B/scope_tls" -input "$trace" -text > "$WORK/out"
  printf '%s\t%s\t%s\n' "$trace" "$(wc -l < "$WORK/out")" "$(sha256sum < "$WORK/out" | cut -d' ' -f1)" >> "$OUT/scope.tsv"
  if [ -s "$WORK/out" ]; then
    cp "$WORK/out" "$OUT/$name.txt"
    "$B/scope_tls" -input "$trace" -output "$OUT/$name.pb.gz"
    chart "$OUT/$name.txt" "$OUT/$name.svg"
  fi
done
# schedstat scope DIR visits a directory's traces in sorted order.
for trace in oracle/toolbox/traces/go1.21/*.trace; do
  "$B/scope_tls" -input "$trace" -text >> "$WORK/all-go1.21.txt"
done
chart "$WORK/all-go1.21.txt" "$OUT/all-go1.21.svg"
for trace in oracle/toolbox/traces/go1.2[2-9]/*.trace; do
  if ! "$B/scope_tls" -input "$trace" -text > /dev/null 2> "$WORK/err"; then
    printf '%s\t%s\n' "$trace" "$(head -1 "$WORK/err" | sed 's/^[0-9/]* [0-9:]* //')" >> "$OUT/unreadable.tsv"
  fi
done
echo "scope-oracle.sh: wrote $OUT" >&2
