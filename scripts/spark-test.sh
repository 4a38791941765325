#!/usr/bin/env bash
# The fleet on Apache Spark, in local mode: fleet/spark/fleet_job.py converts
# real fixture traces (several Go versions, one cut, one broken, in per-host
# directories) as Spark tasks calling the schedstat binary, and its dataset must
# equal `schedstat fleet`'s on the same files; then its Spark SQL answers
# (sql/fleet/rank_*.sql, latency_by_version.sql) must equal DuckDB's
# (`schedstat fleet --rank/--by-version --json`) on that dataset.
#
# Installs PySpark from PyPI into ~/.cache/schedstat/pyspark (about 450 MB, once)
# and needs Java 17+ (installed from Debian's openjdk-17 when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/schedstat/target}
PYSPARK_VERSION=4.3.0
PYSPARK_DIR=$HOME/.cache/schedstat/pyspark/$PYSPARK_VERSION

if ! java -version >/dev/null 2>&1; then
  echo "spark-test: installing Java 17 (Debian openjdk-17-jre-headless)" >&2
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
if [ ! -d "$PYSPARK_DIR/pyspark" ]; then
  echo "spark-test: installing PySpark $PYSPARK_VERSION into $PYSPARK_DIR" >&2
  rm -rf "$PYSPARK_DIR.tmp"
  python3 -m pip install --quiet --disable-pip-version-check --target "$PYSPARK_DIR.tmp" "pyspark==$PYSPARK_VERSION"
  mv "$PYSPARK_DIR.tmp" "$PYSPARK_DIR"
fi
export PYTHONPATH="$PYSPARK_DIR${PYTHONPATH:+:$PYTHONPATH}"
export PYSPARK_PYTHON=python3
export SPARK_LOCAL_IP=127.0.0.1

cargo build --release --quiet -p schedstat
BIN=$CARGO_TARGET_DIR/release/schedstat
WORK=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-spark.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Inputs: per-host directories of real traces, one cut short, one broken.
mkdir -p "$WORK/in/web-1" "$WORK/in/web-2" "$WORK/in/batch"
for s in storm mutex gc http; do cp "testdata/fixtures/go1.27/$s.trace" "$WORK/in/web-1/$s.trace"; done
for s in storm cpuhog syscall; do cp "testdata/fixtures/go1.22/$s.trace" "$WORK/in/web-2/$s.trace"; done
for s in storm cpuhog; do cp "testdata/fixtures/go1.21/$s.trace" "$WORK/in/batch/$s.trace"; done
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d[:len(d)*7//10])' \
  testdata/fixtures/go1.27/multigen.trace "$WORK/in/batch/cut.trace"
printf 'go 1.27 trace\0\0\0broken' > "$WORK/in/web-2/broken.trace"

SUBMIT="$PYSPARK_DIR/pyspark/bin/spark-submit"
chmod +x "$PYSPARK_DIR/pyspark/bin/"* 2>/dev/null || true

# Spark's own log goes to a file, shown only if a step fails.
spark() {
  "$SUBMIT" --master 'local[2]' "$@" 2>"$WORK/spark.log" || { tail -40 "$WORK/spark.log" >&2; return 1; }
}
echo "spark-test: converting with Spark tasks (local[2])" >&2
spark fleet/spark/fleet_job.py convert --schedstat "$BIN" --dataset "$WORK/spark-ds" "$WORK/in" > "$WORK/convert.json"
echo "spark-test: converting with schedstat fleet" >&2
"$BIN" fleet --json "$WORK/in" -o "$WORK/local-ds" > "$WORK/local.json"
echo "spark-test: the fleet's questions as Spark SQL" >&2
spark fleet/spark/fleet_job.py query --dataset "$WORK/spark-ds" --sql-dir sql/fleet --limit 20 --out "$WORK/spark-answers.json"
for k in p99 runnable gc blocked; do "$BIN" fleet --json --rank "$k" -n 20 "$WORK/spark-ds" > "$WORK/duck-rank_$k.json"; done
"$BIN" fleet --json --by-version "$WORK/spark-ds" > "$WORK/duck-latency_by_version.json"
Q="select file, host, sha256, complete, error is null as ok, events, latency_count, p99_ns, worst_window_ms, runnable_peak, gc_ns, blocked_ns from traces order by sha256"
"$BIN" fleet --json --sql "$Q" "$WORK/spark-ds" > "$WORK/spark-traces.json"
"$BIN" fleet --json --sql "$Q" "$WORK/local-ds" > "$WORK/local-traces.json"
"$BIN" fleet --json --sql "select trace, count(*) as n from g_transitions group by 1 order by 1" "$WORK/spark-ds" > "$WORK/spark-rows.json"
"$BIN" fleet --json --sql "select trace, count(*) as n from g_transitions group by 1 order by 1" "$WORK/local-ds" > "$WORK/local-rows.json"

python3 - "$WORK" <<'PY'
import json, math, os, sys
w = sys.argv[1]
load = lambda n: json.load(open(os.path.join(w, n)))
conv = load("convert.json")
assert conv["traces"] == 11 and conv["added"] == 9 and conv["cut"] == 1 and conv["unreadable"] == 1, conv
assert not conv["failed"], conv
assert conv["tasks"] >= 2, f"one Spark task did everything: {conv}"
assert load("spark-traces.json") == load("local-traces.json"), "Spark's conversion differs from schedstat fleet's"
assert load("spark-rows.json") == load("local-rows.json"), "row counts differ"
spark = load("spark-answers.json")

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b

def rows_equal(name, sp, duck, keys):
    assert len(sp) == len(duck), f"{name}: {len(sp)} rows from Spark, {len(duck)} from DuckDB"
    for i, (x, y) in enumerate(zip(sp, duck)):
        for k in keys:
            assert same(x[k], y[k]), f"{name} row {i} {k}: Spark {x[k]!r}, DuckDB {y[k]!r}"

for k in ["p99", "runnable", "gc", "blocked"]:
    rows_equal(f"rank_{k}", spark[f"rank_{k}"], load(f"duck-rank_{k}.json"), ["file", "trace", "value", "from_ms", "to_ms"])
    assert spark[f"rank_{k}"], f"rank_{k}: no rows"
rows_equal("latency_by_version", spark["latency_by_version"], load("duck-latency_by_version.json"),
           ["go_version", "host", "traces", "waits", "worst_p99_ns", "worst_wait_ns", "mean_p99_ns"])
print(f"spark-test: Spark's dataset equals schedstat fleet's ({conv['traces']} traces, {conv['tasks']} tasks); "
      f"{sum(len(v) for v in spark.values())} answer rows equal DuckDB's")
PY
