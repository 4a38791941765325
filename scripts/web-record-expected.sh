#!/usr/bin/env bash
# Records what the web page's tests compare with, for a few fixtures, into
# testdata/oracle/web/: `schedstat --json TRACE`'s `.latency`, and the whole
# `--json` report with the page's own options (web/src/page-report.json's
# flags), without the CLI-only `file` and `events`; and `schedstat doctor
# --json TRACE` without its `trace` (the path) for the doctor's fixtures
# below (the page's Findings panel). The vitest tests
# (scripts/web-test.sh) read these files, so they need no Rust build of the CLI.
# Re-run after a change to the latency numbers (a new fixture, a report change).
#
# Usage: scripts/web-record-expected.sh   (builds the CLI in release if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p schedstat
bin="${CARGO_TARGET_DIR:-target}/release/schedstat"
out=testdata/oracle/web
mkdir -p "$out"
for f in go1.22/storm go1.27/storm go1.25/mutex go1.27/cpuhog go1.21/storm go1.19/cpuhog; do
  name="${f/\//-}"
  "$bin" --json "testdata/fixtures/$f.trace" \
    | python3 -c 'import json,sys; json.dump(json.load(sys.stdin)["latency"], sys.stdout, indent=1, sort_keys=True); print()' \
    > "$out/$name.latency.json.tmp"
  mv "$out/$name.latency.json.tmp" "$out/$name.latency.json"
  echo "recorded $out/$name.latency.json"
  # shellcheck disable=SC2046
  "$bin" --json $(python3 -c 'import json; print(" ".join(json.load(open("web/src/page-report.json"))["flags"]))') "testdata/fixtures/$f.trace" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("file"); d.pop("events"); json.dump(d, sys.stdout, indent=1); print()' \
    > "$out/$name.report.json.tmp"
  mv "$out/$name.report.json.tmp" "$out/$name.report.json"
  echo "recorded $out/$name.report.json"
done
for f in go1.27/chanbottleneck go1.27/mutex go1.22/ctxswitch go1.21/deadlock go1.27/leak go1.27/idleserver; do
  name="${f/\//-}"
  "$bin" doctor --json "testdata/fixtures/$f.trace" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("trace"); json.dump(d, sys.stdout, indent=1); print()' \
    > "$out/$name.doctor.json.tmp"
  mv "$out/$name.doctor.json.tmp" "$out/$name.doctor.json"
  echo "recorded $out/$name.doctor.json"
done
