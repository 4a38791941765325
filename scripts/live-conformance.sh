#!/usr/bin/env bash
# Usage: scripts/live-conformance.sh VERSION...   (e.g. 1.23.9 1.27.3)
#
# Regenerates every generator scenario live with each Go VERSION, asks Go
# 1.27.3's `go tool trace -d=parsed` for its view of each fresh trace, and
# requires `schedstat dump` to print exactly the same bytes (and to fail
# exactly when Go fails). Unlike the committed fixtures, these traces are new
# on every run: timings, goroutine counts and batch layouts differ each time.
#
# VERSION is any version scripts/gen-fixtures.sh takes, the old trace format's
# 1.21.13 and 1.19 included. Go's dump of an old-format trace is not fixed from
# run to run (same-tick events of two Ps and pre-init "runnable" statuses come
# in map order), so for those both dumps are compared after the normalisation
# of crates/gotrace/tests/common.rs (normalize_v1), ported to Python below.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: live-conformance.sh VERSION..." >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/schedstat/target}

cargo build --release --quiet -p schedstat --manifest-path "$ROOT/Cargo.toml"

# normalize_v1 FILE: crates/gotrace/tests/common.rs's normalize_v1 (keep the
# two in step): sort the IDs within each run of pre-init Undetermined->Runnable
# lines; then, in each run of events whose times go up by exactly 1 ns, give
# every event (with its stack lines) the run's first time and sort them.
normalize_v1() {
  python3 - "$1" <<'PY'
import sys
PRE = "M=-1 P=-1 G=-1 StateTransition Time="
SUF = ' Undetermined->Runnable Reason=""'

def status(line):
    if not (line.startswith(PRE) and line.endswith(SUF)):
        return None
    rest = line[len(PRE):-len(SUF)]
    if " GoID=" not in rest:
        return None
    time, gid = rest.split(" GoID=", 1)
    return (time, int(gid)) if gid.isdigit() else None

def event_time(line):
    if " Time=" not in line:
        return None
    t = line.split(" Time=", 1)[1].split(" ", 1)[0]
    return int(t) if t.lstrip("-").isdigit() else None

with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    lines = f.read().split("\n")
out, i = [], 0
while i < len(lines):
    j = i
    while j < len(lines) and status(lines[j]):
        j += 1
    if j > i:
        ids = sorted(status(l)[1] for l in lines[i:j])
        out += [f"{PRE}{status(l)[0]} GoID={g}{SUF}" for l, g in zip(lines[i:j], ids)]
        i = j
    else:
        out.append(lines[i])
        i += 1
blocks = []  # [time, text]: an event line and the stack lines after it
for line in out:
    if line.startswith("M=") or not blocks:
        blocks.append([event_time(line), line + "\n"])
    else:
        blocks[-1][1] += line + "\n"
res, i = [], 0
while i < len(blocks):
    j = i + 1
    while j < len(blocks) and blocks[j - 1][0] is not None and blocks[j][0] == blocks[j - 1][0] + 1:
        j += 1
    start = blocks[i][0]
    run = [b.replace(f" Time={t}", f" Time={start}", 1) if t is not None and start is not None else b
           for t, b in blocks[i:j]]
    res += sorted(run)
    i = j
sys.stdout.write("".join(res))
PY
}

# Whether TRACE is in the old (Go 1.11–1.21) format.
old_format() {
  case $(head -c 8 "$1") in "go 1.11 " | "go 1.19 " | "go 1.21 ") return 0 ;; *) return 1 ;; esac
}
SCHEDSTAT=$CARGO_TARGET_DIR/release/schedstat

OUT=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-live.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
"$ROOT/scripts/gen-fixtures.sh" --out "$OUT" "$@"

pass=0; fail=0
for trace in "$OUT"/go*/*.trace; do
  name=${trace#"$OUT"/}
  want=${trace%.trace}.parsed.gz
  rc=0
  "$SCHEDSTAT" dump "$trace" > "$OUT/ours.txt" 2> "$OUT/ours.err" || rc=$?
  gzip -dc "$want" > "$OUT/go.txt"
  if old_format "$trace"; then
    normalize_v1 "$OUT/go.txt" > "$OUT/go.norm" && mv "$OUT/go.norm" "$OUT/go.txt"
    normalize_v1 "$OUT/ours.txt" > "$OUT/ours.norm" && mv "$OUT/ours.norm" "$OUT/ours.txt"
  fi
  if ! cmp -s "$OUT/go.txt" "$OUT/ours.txt"; then
    echo "FAIL $name: schedstat dump differs from go tool trace -d=parsed:" >&2
    diff "$OUT/go.txt" "$OUT/ours.txt" | head -20 >&2 || true
    fail=$((fail + 1)); continue
  fi
  if [ -f "${trace%.trace}.err" ] && [ "$rc" = 0 ]; then
    echo "FAIL $name: Go rejects it ($(cat "${trace%.trace}.err")) but schedstat accepted it" >&2
    fail=$((fail + 1)); continue
  fi
  if [ ! -f "${trace%.trace}.err" ] && [ "$rc" != 0 ]; then
    echo "FAIL $name: schedstat failed: $(cat "$OUT/ours.err")" >&2
    fail=$((fail + 1)); continue
  fi
  pass=$((pass + 1))
done
echo "live conformance ($*): $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
