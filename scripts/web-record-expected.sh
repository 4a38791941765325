#!/usr/bin/env bash
# Records what the web page's tests compare with, for a few fixtures, into
# testdata/oracle/web/: `schedstat --json TRACE`'s `.latency`, and the whole
# `--json` report with the page's own options (web/src/page-report.json's
# flags), without the CLI-only `file` and `events`; and `schedstat doctor
# --json TRACE` without its `trace` (the path) for the doctor's fixtures
# below (the page's Findings panel); and, for the toolbox module
# (web/test/toolbox.test.ts), digests of `schedstat states --json`,
# `requests --json` and `requests --json --summarize` on a few traces
# (testdata/oracle/web/toolbox.json: SHA-256 and sizes; the outputs
# themselves are ~0.3 MB each). The vitest tests
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
# The toolbox: digests of the CLI's output. The states digests are of the
# JSON with each penwidth (1 + 4*ln(count)/ln(max)) rounded to 12 significant
# digits (Rust's ln in wasm and glibc's may differ in the last bit): "graph"
# without the tooltips (nodes and edges with their counts), "full" with them,
# recorded only when three CLI runs agree (on webstack they do not: which
# event is an exit's example varies from run to run).
python3 - "$bin" "$out/toolbox.json" <<'PY'
import hashlib, json, os, subprocess, sys
bin, path = sys.argv[1], sys.argv[2]
traces = ["testdata/oracle/toolbox/traces/go1.27/webstack.trace", "testdata/fixtures/go1.21/http.trace",
          "testdata/fixtures/go1.22/http.trace", "testdata/fixtures/go1.27/http.trace", "testdata/fixtures/go1.27/storm.trace"]
def run(*args):
    return subprocess.run([bin, *args], check=True, capture_output=True, text=True).stdout
def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()
def canonical(g, tooltips):
    g = json.loads(json.dumps(g))
    for e in g["edges"]:
        v = float(f"{e['penwidth']:.12g}")
        e["penwidth"] = int(v) if v.is_integer() else v  # as JavaScript's JSON.stringify writes it
    if not tooltips:
        for x in g["nodes"] + g["edges"]:
            x.pop("tooltip")
    return json.dumps(g, separators=(",", ":"), ensure_ascii=False)
out = {}
for t in traces:
    runs = [json.loads(run("states", "--json", t)) for _ in range(3)]
    g = runs[0]
    full = {canonical(r, True) for r in runs}
    req = run("requests", "--json", t)
    summ = run("requests", "--json", "--summarize", t)
    out[t] = {
        "states": {"graph_sha256": sha(canonical(g, False)), "full_sha256": sha(full.pop()) if len(full) == 1 else None,
                   "nodes": len(g["nodes"]), "edges": len(g["edges"])},
        "requests": {"sha256": sha(req), "lines": req.count("\n")},
        "requests_summarize": {"sha256": sha(summ), "lines": summ.count("\n")},
    }
with open(path + ".tmp", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
os.replace(path + ".tmp", path)
print("recorded", path)
PY
