"""schedstat's fleet on Apache Spark: the per-trace conversion as Spark tasks,
and the fleet's cross-trace questions as Spark SQL over the Parquet dataset.

    spark-submit fleet/spark/fleet_job.py convert --schedstat BIN --dataset DIR TRACE_OR_DIR...
    spark-submit fleet/spark/fleet_job.py query --dataset DIR [--sql-dir sql/fleet] [--limit N] [--out FILE]

convert: the driver lists the trace files (files that start with "go 1.",
found recursively under directories), Spark spreads them over its tasks, and
each task runs `BIN fleet FILE... -o DIR -j 1` on its share: the same
conversion `schedstat fleet` does on one machine, so the dataset is the same.
BIN and DIR must be visible from every executor (a shared filesystem, or BIN
shipped with --files and DIR on HDFS mounted through FUSE / an NFS share).

query: reads the dataset's Parquet tables (partition column `trace`, kept a
string), registers them as views (tables other than `traces` limited to the
traces whose `traces` row exists, as `schedstat fleet --sql` does), and runs
sql/fleet/rank_{p99,runnable,gc,blocked}.sql and latency_by_version.sql as
Spark SQL, unchanged but for the {{limit}} placeholder. Prints (or writes to
--out) one JSON document: {"rank_p99": [...], ..., "latency_by_version": [...]}.
"""

import argparse
import json
import os
import subprocess
import sys

from pyspark.sql import SparkSession

RANKS = ["p99", "runnable", "gc", "blocked"]


def find_traces(paths):
    """Files given, and files under directories that start like a trace, sorted."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    try:
                        with open(full, "rb") as fh:
                            if fh.read(5) == b"go 1.":
                                out.append(full)
                    except OSError:
                        pass
        else:
            out.append(p)
    return sorted(out)


def convert(spark, args):
    traces = find_traces(args.paths)
    if not traces:
        sys.exit("fleet_job: no trace files found")
    binary, dataset = os.path.abspath(args.schedstat), os.path.abspath(args.dataset)
    slices = max(1, min(len(traces), spark.sparkContext.defaultParallelism * 2))

    def run_share(files):
        files = list(files)
        if not files:
            return []
        p = subprocess.run([binary, "fleet", "--json", "-j", "1", *files, "-o", dataset],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode not in (0,):
            return [{"files": len(files), "error": p.stderr.strip() or f"exit {p.returncode}"}]
        return [json.loads(p.stdout)]

    shares = spark.sparkContext.parallelize([os.path.abspath(t) for t in traces], slices).mapPartitions(run_share).collect()
    total = {k: sum(s.get(k, 0) for s in shares) for k in ("traces", "added", "cut", "unreadable", "skipped")}
    total["failed"] = [s for s in shares if "error" in s] + [f for s in shares for f in s.get("failed", [])]
    total["tasks"] = len(shares)
    print(json.dumps(total, indent=1, sort_keys=True))
    return 0 if not total["failed"] else 4


def read_table(spark, dataset, table):
    path = os.path.join(dataset, table)
    return spark.read.option("basePath", path).parquet(path)


def query(spark, args):
    dataset = os.path.abspath(args.dataset)
    if not os.path.isdir(os.path.join(dataset, "traces")):
        sys.exit(f"fleet_job: {dataset}: not a fleet dataset (no traces/ inside)")
    read_table(spark, dataset, "traces").createOrReplaceTempView("traces")
    for table in sorted(os.listdir(dataset)):
        if table.startswith(".") or table == "traces" or not os.path.isdir(os.path.join(dataset, table)):
            continue
        read_table(spark, dataset, table).createOrReplaceTempView(f"{table}_all")
        spark.sql(f"select * from {table}_all where trace in (select trace from traces)").createOrReplaceTempView(table)
    answers = {}
    for name in [f"rank_{k}" for k in RANKS] + ["latency_by_version"]:
        with open(os.path.join(args.sql_dir, name + ".sql")) as f:
            text = f.read().replace("{{limit}}", str(args.limit))
        # Comments and the final semicolon are DuckDB's file conventions; Spark takes one statement.
        text = "\n".join(l for l in text.splitlines() if not l.strip().startswith("--")).strip().rstrip(";")
        answers[name] = [r.asDict() for r in spark.sql(text).collect()]
    doc = json.dumps(answers, indent=1, default=str)
    if args.out:
        with open(args.out, "w") as f:
            f.write(doc + "\n")
    else:
        print(doc)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="traces into the dataset, one Spark task per share of files")
    c.add_argument("--schedstat", required=True, help="the schedstat binary (on every executor)")
    c.add_argument("--dataset", required=True)
    c.add_argument("paths", nargs="+")
    q = sub.add_parser("query", help="the fleet's questions as Spark SQL")
    q.add_argument("--dataset", required=True)
    q.add_argument("--sql-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../sql/fleet"))
    q.add_argument("--limit", type=int, default=10)
    q.add_argument("--out")
    args = ap.parse_args()
    spark = (SparkSession.builder.appName("schedstat-fleet")
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        code = convert(spark, args) if args.command == "convert" else query(spark, args)
    finally:
        spark.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
