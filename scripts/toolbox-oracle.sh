#!/usr/bin/env bash
# Usage: scripts/toolbox-oracle.sh SRC
#
# Rebuilds etgrep, grstates, unstoppable, regiongraph and etviz from SRC, a checkout of
# github.com/rhysh/go-tracing-toolbox (a work tree, or a bare git directory
# such as the `fetch` tool's /work/.mirror/rhysh+go-tracing-toolbox/repo,
# whose HEAD is then exported), with Go 1.27.3 (GOTOOLCHAIN=local,
# GOFLAGS=-mod=mod: its dependencies come from the module proxy), outside this
# repository, and re-records their outputs on every fixture they read under
# testdata/oracle/toolbox/ (see its README.md). Not run in CI: CI compares
# ours with the recordings (crates/cli/tests/toolbox.rs).
#
# Recorded (TZ=UTC, so Sync wall clocks print in UTC as ours do):
#   etgrep.tsv                  per fixture: lines and SHA-256 of `etgrep -stacks -input F`
#   etgrep/go1.NN-S.txt.gz      the same output in full for a few fixtures (gzip -n -9)
#   grep/CASE-go1.NN-S.txt.gz   `etgrep FLAGS -input F` for each line of grep-cases.tsv
#   grep-times.tsv              the time each TIME_OF_100TH case used
#   grstates/go1.NN-S.dot.gz    `grstates -input F -dot OUT`
#   unstoppable/go1.NN-S.txt    `unstoppable -input F -print-stacks`
#   unreadable.tsv              fixtures the tools refuse, with the first stderr line
#   unstoppable/extra-go1.NN-S{.txt,-grace50us.txt,.pb.gz}   on traces/go1.NN/S.trace
#                               (traces with CPU samples inside stop-the-world
#                               ranges, from the generator's stwprofile scenario;
#                               kept as data since each run differs): -print-stacks,
#                               -print-stacks -grace 50us, -profile FILE
#   regiongraph.tsv             per old-format trace (go1.19, go1.21 fixtures,
#                               traces/go1.21/*.trace, and as corpus/PATH the shared
#                               corpus's ones regiongraph reads) and mode: lines and SHA-256
#                               of regiongraph's output (chains and pairs sorted:
#                               regiongraph prints them in Go's map order)
#   regiongraph/NAME.MODE.txt.gz   the same outputs in full where there are regions
#   etviz/NAME[-details].svg.gz    etviz on regiongraph -json -summarize, same traces
#   regiongraph-unreadable.tsv  new-format traces regiongraph refuses, first stderr line
# regiongraph and etviz read the old format only through a copy of Go 1.21's
# internal/trace (the toolbox's internal/_vendor/cp.sh): the six non-test .go
# files are copied from Go 1.21.13's GOROOT (scripts/go-toolchain.sh 1.21.13).
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
SRC=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/testdata/oracle/toolbox
GO=$("$ROOT/scripts/go-toolchain.sh" 1.27.3)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off TZ=UTC

WORK=$(mktemp -d "${TMPDIR:-/tmp}/toolbox-oracle.XXXXXX")
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
(cd "$WORK/src" && "$GO" build -o "$WORK/bin/" ./cmd/etgrep ./cmd/grstates ./cmd/unstoppable ./cmd/regiongraph ./cmd/etviz)
B=$WORK/bin
echo "toolbox-oracle.sh: toolbox $COMMIT, $("$GO" version)" >&2

rm -rf "$OUT/etgrep" "$OUT/grep" "$OUT/grstates" "$OUT/unstoppable"
mkdir -p "$OUT/etgrep" "$OUT/grep" "$OUT/grstates" "$OUT/unstoppable"
printf '# fixture\tlines\tsha256 of `etgrep -stacks -input FIXTURE` (TZ=UTC)\n' > "$OUT/etgrep.tsv"
printf '# fixture\tfirst line of stderr (etgrep, grstates and unstoppable all refuse these)\n' > "$OUT/unreadable.tsv"
FULL=" go1.19/mutex go1.21/http go1.22/mutex go1.23/annotations go1.24/syscall go1.25/multigen "

cd "$ROOT/testdata/fixtures"
for trace in go1.*/*.trace; do
  fx=${trace%.trace}
  name=${fx/\//-}
  if ! "$B/etgrep" -stacks -input "$trace" > "$WORK/out" 2> "$WORK/err"; then
    printf '%s\t%s\n' "$fx" "$(head -1 "$WORK/err" | sed 's/^[0-9/]* [0-9:]* //')" >> "$OUT/unreadable.tsv"
    continue
  fi
  printf '%s\t%s\t%s\n' "$fx" "$(wc -l < "$WORK/out")" "$(sha256sum < "$WORK/out" | cut -d' ' -f1)" >> "$OUT/etgrep.tsv"
  case "$FULL" in *" $fx "*) gzip -n -9 < "$WORK/out" > "$OUT/etgrep/$name.txt.gz" ;; esac
  "$B/grstates" -input "$trace" -dot "$WORK/g.dot"
  gzip -n -9 < "$WORK/g.dot" > "$OUT/grstates/$name.dot.gz"
  "$B/unstoppable" -input "$trace" -print-stacks > "$OUT/unstoppable/$name.txt"
done

cd "$OUT/traces"
for trace in go1.*/stwprofile.trace; do
  name=$(echo "${trace%.trace}" | tr / -)
  "$B/unstoppable" -input "$trace" -print-stacks > "$OUT/unstoppable/extra-$name.txt" 2>/dev/null || { rm -f "$OUT/unstoppable/extra-$name.txt"; continue; }
  "$B/unstoppable" -input "$trace" -print-stacks -grace 50us > "$OUT/unstoppable/extra-$name-grace50us.txt"
  "$B/unstoppable" -input "$trace" -print-stw=false -profile "$OUT/unstoppable/extra-$name.pb.gz"
done
cd "$ROOT/testdata/fixtures"

printf '# case\tfixture\ttime used for TIME_OF_100TH\n' > "$OUT/grep-times.tsv"
grep -v '^#' "$OUT/grep-cases.tsv" | while IFS= read -r line; do
  IFS=$'\t' read -r -a cols <<< "$line"
  case_name=${cols[0]}
  fx=${cols[1]}
  args=("${cols[@]:2}")
  for i in "${!args[@]}"; do
    if [ "${args[$i]}" = TIME_OF_100TH ]; then
      t=$("$B/etgrep" -input "$fx.trace" | sed -n 100p | sed 's/.* Time=\([0-9]*\).*/\1/')
      args[$i]=$t
      printf '%s\t%s\t%s\n' "$case_name" "$fx" "$t" >> "$OUT/grep-times.tsv"
    fi
  done
  "$B/etgrep" "${args[@]}" -input "$fx.trace" | gzip -n -9 > "$OUT/grep/$case_name-${fx/\//-}.txt.gz"
done
# regiongraph and etviz, on every old-format trace.
rm -rf "$OUT/regiongraph" "$OUT/etviz"
mkdir -p "$OUT/regiongraph" "$OUT/etviz"
printf '# trace (under testdata/)\tmode\tlines\tsha256 of regiongraph -input TRACE FLAGS (sorted: chains, pairs)\n' > "$OUT/regiongraph.tsv"
printf '# trace (under testdata/)\tfirst line of regiongraph stderr\n' > "$OUT/regiongraph-unreadable.tsv"
cd "$ROOT/testdata"
for trace in fixtures/go1.19/*.trace fixtures/go1.21/*.trace oracle/toolbox/traces/go1.21/*.trace; do
  name=$(echo "${trace%.trace}" | sed 's,^fixtures/,,; s,^oracle/toolbox/traces/,,' | tr / -)
  regions=$("$B/regiongraph" -input "$trace" -show-regions | wc -l)
  for mode in regions chains pairs json summarize; do
    case $mode in
      regions) flags=(-show-regions) ;;
      chains) flags=(-show-chains) ;;
      pairs) flags=(-show-pairs) ;;
      json) flags=(-json) ;;
      summarize) flags=(-json -summarize) ;;
    esac
    "$B/regiongraph" -input "$trace" "${flags[@]}" > "$WORK/rg.txt"
    case $mode in chains|pairs) LC_ALL=C sort -o "$WORK/rg.txt" "$WORK/rg.txt" ;; esac
    printf '%s\t%s\t%s\t%s\n' "$trace" "$mode" "$(wc -l < "$WORK/rg.txt")" "$(sha256sum < "$WORK/rg.txt" | cut -d' ' -f1)" >> "$OUT/regiongraph.tsv"
    if [ "$regions" -gt 0 ]; then
      gzip -n -9 < "$WORK/rg.txt" > "$OUT/regiongraph/$name.$mode.txt.gz"
    fi
  done
  if [ "$regions" -gt 0 ]; then
    "$B/regiongraph" -input "$trace" -json -summarize > "$WORK/sum.json"
    "$B/etviz" -input "$WORK/sum.json" -output "$WORK/e.svg"
    gzip -n -9 < "$WORK/e.svg" > "$OUT/etviz/$name.svg.gz"
    "$B/etviz" -input "$WORK/sum.json" -output "$WORK/e.svg" -details
    gzip -n -9 < "$WORK/e.svg" > "$OUT/etviz/$name-details.svg.gz"
  fi
done
# The shared corpus's old-format traces (real ones from golang/go and
# gotraceui, Go 1.7 to 1.21; not the fuzzers' .bad and .weird files), as
# corpus/PATH, where regiongraph reads them.
CORPUS=$ROOT/../shared/testdata/go-corpus
if [ -d "$CORPUS" ]; then
  while IFS= read -r f; do
    rel=${f#"$CORPUS"/}
    head -c 16 "$f" | grep -aq 'go 1\.\([5-9]\|1[0-9]\|2[01]\) trace' || continue
    "$B/regiongraph" -input "$f" -show-regions > "$WORK/rg.txt" 2>/dev/null || continue
    regions=$(wc -l < "$WORK/rg.txt")
    name=corpus-$(echo "$rel" | tr / -)
    for mode in regions chains pairs json summarize; do
      case $mode in
        regions) flags=(-show-regions) ;;
        chains) flags=(-show-chains) ;;
        pairs) flags=(-show-pairs) ;;
        json) flags=(-json) ;;
        summarize) flags=(-json -summarize) ;;
      esac
      "$B/regiongraph" -input "$f" "${flags[@]}" > "$WORK/rg.txt"
      case $mode in chains|pairs) LC_ALL=C sort -o "$WORK/rg.txt" "$WORK/rg.txt" ;; esac
      printf '%s\t%s\t%s\t%s\n' "corpus/$rel" "$mode" "$(wc -l < "$WORK/rg.txt")" "$(sha256sum < "$WORK/rg.txt" | cut -d' ' -f1)" >> "$OUT/regiongraph.tsv"
      if [ "$regions" -gt 0 ]; then
        gzip -n -9 < "$WORK/rg.txt" > "$OUT/regiongraph/$name.$mode.txt.gz"
      fi
    done
  done < <(find "$CORPUS" -type f ! -name '*.bad' ! -name '*.weird' ! -name '*.gz' ! -name '*.txt' ! -name '*.md' ! -name '*.sql' ! -name 'LICENSE*' ! -name '*.test' ! -name '*.txtar' | LC_ALL=C sort)
fi

for trace in fixtures/go1.22/http.trace fixtures/go1.27/http.trace oracle/toolbox/traces/go1.27/webstack.trace; do
  if "$B/regiongraph" -input "$trace" -show-regions > /dev/null 2> "$WORK/err"; then
    echo "toolbox-oracle.sh: regiongraph read the new-format $trace" >&2
    exit 1
  fi
  printf '%s\t%s\n' "$trace" "$(head -1 "$WORK/err" | sed 's/^[0-9/]* [0-9:]* //')" >> "$OUT/regiongraph-unreadable.tsv"
done

echo "toolbox-oracle.sh: recorded under $OUT" >&2
